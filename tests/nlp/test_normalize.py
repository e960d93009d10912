"""Normalization: width, case, script, typos, and never crashing on input."""

from __future__ import annotations

from nlp import hant
from nlp.normalize import MAX_CHARS, Normalizer


def test_fullwidth_and_case_are_folded():
    n = Normalizer()
    assert n("ＬＩＦＴ　Ｓｔｕｃｋ！１２３") == "lift stuck!123"


def test_traditional_characters_become_simplified():
    n = Normalizer()
    assert n("電梯裡有人被困，沒人應") == "电梯里有人被困,没人应"
    # 著 is folded only where it means 着 (著名 stays as written).
    assert n("樓下著火了") == "楼下着火了"
    assert n("著名") == "著名"


def test_typos_are_fixed_after_script_folding():
    n = Normalizer({"点梯": "电梯", "露水": "漏水"})
    assert n("點梯坏了") == "电梯坏了"  # traditional 點 first, then the typo
    assert n("阳台露水") == "阳台漏水"


def test_english_contractions_expose_not():
    assert Normalizer()("The lift isn't working") == "the lift is not working"


def test_whitespace_collapses_and_trims():
    assert Normalizer()("  马桶堵了 \n\n 快来 ") == "马桶堵了 快来"


def test_odd_inputs_become_text():
    n = Normalizer()
    assert n(None) == ""
    assert n("") == ""
    assert n(b"\xe7\x94\xb5\xe6\xa2\xaf") == "电梯"
    assert n(12345) == "12345"


def test_long_input_is_cut():
    assert len(Normalizer()("漏" * (MAX_CHARS * 50))) == MAX_CHARS


def test_hant_table_is_one_to_one_and_never_maps_to_itself():
    for trad, simp in hant._PAIRS:
        assert len(trad) == len(simp)
    assert all(k != v for k, v in hant.TABLE.items())
    # Simplified characters that share a traditional form's shape must not be keys.
    for common in "电梯漏水没人管着火了门锁坏了":
        assert ord(common) not in hant.TABLE


def test_pinyin_abbreviations_are_read_only_as_whole_latin_words():
    n = Normalizer(abbreviations={"dt": "电梯", "wy": "物业"})
    assert n("DT卡住了 孩子在里面") == "电梯卡住了 孩子在里面"
    assert n("困在dt里") == "困在电梯里"
    assert n("找wy") == "找物业"
    # inside an English word the letters stay letters
    assert n("the width is 3m") == "the width is 3m"
    assert n("wyvern") == "wyvern"


def test_the_packaged_rules_fold_dialect_danger_words():
    from nlp import Classifier

    norm = Classifier.default().normalize
    assert norm("dt困人") == "电梯困人"
    assert norm("煤起味好大") == "煤气味好大"
    assert norm("阿伯坐住就唔郁") == "阿伯坐住就不动"  # 唔郁 before 唔→不
    assert norm("屋头厕所") == "家里厕所"


def test_full_width_forms_mapped_ahead_of_nfkc_change_nothing():
    # Session 6 maps full-width ASCII, the ideographic space and … to their
    # compatibility forms before NFKC, so that most messages pass NFKC's quick
    # check; the result must be NFKC's own, combining marks included.
    import random
    import unicodedata

    from nlp.normalize import _WIDE

    assert Normalizer()("ＡＢＣ１２３！，？\u3000…") == "abc123!,? ..."
    assert Normalizer()("Ａ\u0301") == "á"  # composes after the mapping
    rnd = random.Random(6)
    pool = [chr(c) for c in range(0xFF01, 0xFF5F)] + list("\u3000…电梯水管a e\u0301\u0308\u3099か\uff76\uff9e")
    for _ in range(5000):
        text = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 10)))
        assert unicodedata.normalize("NFKC", text.translate(_WIDE)) == unicodedata.normalize("NFKC", text)
