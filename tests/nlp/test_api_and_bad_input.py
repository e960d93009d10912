"""Public API contract and robustness against whatever a channel sends."""

from __future__ import annotations

import dataclasses
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from nlp import Classification, Classifier, classify
from nlp.rules import CATEGORIES, DEFAULT_RULES, KINDS, URGENCIES


def assert_valid(r: Classification) -> None:
    assert isinstance(r, Classification)
    assert r.kind in KINDS and r.urgency in URGENCIES
    if r.kind in CATEGORIES:
        assert r.category in CATEGORIES[r.kind]
    else:
        assert r.category == ""
    assert r.area in (("home", "public") if r.kind == "report" else ("",))
    assert 0.0 <= r.confidence <= 1.0
    assert isinstance(r.keywords, tuple) and all(isinstance(k, str) for k in r.keywords)
    assert isinstance(r.low_confidence, bool)
    json.dumps(r.to_dict(), ensure_ascii=False)


def test_example_from_the_issue():
    r = classify("厨房水管爆了水流得到处都是")
    assert (r.kind, r.urgency, r.category, r.area) == ("report", "emergency", "plumbing", "home")
    assert not r.low_confidence and r.keywords
    assert_valid(r)


def test_classification_is_frozen_and_serialises():
    r = classify("电梯坏了")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.kind = "complaint"  # type: ignore[misc]
    d = r.to_dict()
    assert set(d) == {"kind", "urgency", "category", "area", "confidence", "keywords", "low_confidence", "danger_unsure"}
    assert isinstance(d["keywords"], list)


def test_default_is_cached_and_custom_rules_are_separate(tmp_path):
    assert Classifier.default() is Classifier.default()
    other = Classifier(rules_path=DEFAULT_RULES)
    assert other is not Classifier.default()
    assert other.classify("电梯困人").urgency == "emergency"


@pytest.mark.parametrize("text", [
    "", "   ", "\n\t ", None, "😀😀😀", "🙏🔥💧", "1234567890", "12-3-1502", "!!!???。。。",
    "…", "\u200b\u200b", "asdf qwer zxcv", "ok", "在吗", "你好",
])
def test_nothing_to_read_gives_a_low_confidence_answer(text):
    r = classify(text)
    assert_valid(r)
    assert r.low_confidence


@pytest.mark.parametrize("text", [
    "电梯 stuck 了 help!!! 3栋",
    "Kitchen 漏水 leak 好严重 🚰💦",
    "Ｂ２停车场ｌｉｇｈｔ全坏了",
    "ลิฟต์เสีย 电梯坏了",
    "٣ building الماء 水管爆了",
    "\x00\x01电梯\x7f坏了",
])
def test_mixed_scripts_never_raise(text):
    assert_valid(classify(text))


@pytest.mark.parametrize("value", [12345, 3.5, b"\xe7\x94\xb5\xe6\xa2\xaf\xe5\x9d\x8f\xe4\xba\x86", ["电梯"], {"text": 1}, object()])
def test_non_text_values_never_raise(value):
    assert_valid(classify(value))


def test_100kb_message_is_answered_quickly():
    text = ("楼道灯坏了一个星期了没人修，" * 8000)[:100_000]
    start = time.perf_counter()
    r = classify(text)
    assert time.perf_counter() - start < 0.5
    assert_valid(r)
    assert r.kind == "complaint"


def test_100kb_of_noise():
    assert_valid(classify("啊" * 100_000))
    assert_valid(classify("x" * 100_000))


def test_threads_share_the_default_classifier():
    texts = ["电梯困人", "物业费怎么交", "楼上太吵了说了也不听", "帮我约个保洁"] * 25
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(classify, texts))
    assert [r.kind for r in results[:4]] == ["report", "inquiry", "complaint", "service"]
    assert all(r == classify(t) for r, t in zip(results, texts))
