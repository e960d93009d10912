from cases.privacy import mask_name, mask_phone, scrub


def test_masks() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    assert mask_name("张伟") == "张*" and mask_name("欧阳娜娜") == "欧***"
    assert mask_name("Emily Carter") == "E***********"
    assert scrub("请打我电话13812345678或者138 1234 5678") == "请打我电话138****5678或者138****5678"


import pytest

from cases.privacy import _DIGITLIKE, NameRegister, _shadow_table, leaks, normalise


@pytest.mark.parametrize("typed", [
    "138 1234 5678", "138.1234.5678", "138_1234_5678", "138/1234/5678", "1 3 8 1 2 3 4 5 6 7 8",
    "１３８１２３４５６７８", "138\u200b1234\u200b5678", "+86 138-1234-5678", "+8613812345678",
    "١٣٨١٢٣٤٥٦٧٨", "138¹²³⁴5678", "１３８－１２３４－５６７８", "138\u30001234\u30005678",
])
def test_phones_are_found_however_they_are_typed(typed: str) -> None:
    masked = scrub(f"电话：{typed}，谢谢")
    assert masked == "电话：138****5678，谢谢"


def test_two_numbers_side_by_side_and_id_cards() -> None:
    assert scrub("13800000001/13900000002") == "138****0001/139****0002"
    assert scrub("身份证110101199003074518") == "身份证110***********4518"
    assert scrub("身份证 1101 0119 9003 0745 1x 号") == "身份证 110***********451X 号"


def test_what_is_not_a_phone_reads_as_typed() -> None:
    for text in ("2026-06-15 13:45", "工单 #12 1-2-601", "厨房漏水，很急！", "费用 ¥1,380.00", "1-1-101"):
        assert scrub(text) == text


def test_register_names_are_masked_longest_first() -> None:
    names = NameRegister()
    names.add(["张伟", "张伟明", "Emily Carter", "王"])  # one character is no name to mask
    assert names.mask("我是张伟，邻居张伟明和Emily Carter，王先生") == "我是张*，邻居张**和E***********，王先生"


def test_leaks_sees_numbers_and_names_but_not_masks() -> None:
    assert leaks("张伟 13800000001", ["张伟"]) == ["number", "张伟"]
    assert leaks("张* 138****0001", ["张伟"]) == []
    assert normalise("１３８\u200b") == "138"


def test_text_with_too_few_digits_to_hold_a_number_is_skipped_exactly() -> None:
    # scrub looks for numbers only in text with at least ten digit-like characters; that is exact
    # only while every character the shadow folds into a digit is one the count sees.
    folded = [chr(cp) for cp, ascii_ in _shadow_table().items() if ascii_.isdigit()]
    assert len(folded) > 600 and [c for c in folded if not _DIGITLIKE.fullmatch(c)] == []
    assert scrub("报修 3-2-1502，费用 ¥50") == "报修 3-2-1502，费用 ¥50"
    assert scrub("𝟏𝟑𝟖 ⁰⁰⁰⁰ ①②③④") == "138****1234"  # eleven digits of three odd kinds
