from cases.privacy import mask_name, mask_phone, scrub


def test_masks() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    assert mask_name("张伟") == "张*" and mask_name("欧阳娜娜") == "欧***"
    assert mask_name("Emily Carter") == "E***********"
    assert scrub("请打我电话13812345678或者138 1234 5678") == "请打我电话138****5678或者138****5678"
