"""Typed answers at button steps (handlers.kit.answers): many phrasings, odd digits, emoji, nothing, too much."""

from __future__ import annotations

import pytest

from cases.when import Problem, When, read_when
from handlers.kit.answers import (
    is_done, is_go_ahead, is_skip, read_category, read_fee, read_solved, read_stars, read_urgency,
)
from handlers.kit.formatting import code_name

HUGE = "急" * 5000


@pytest.mark.parametrize("text, urgency", [
    ("挺急的", "urgent"), ("很急", "urgent"), ("比较急", "urgent"), ("有点急", "urgent"), ("急", "urgent"),
    ("加急！", "urgent"), ("着急", "urgent"), ("越快越好", "urgent"), ("urgent", "urgent"),
    ("不急", "normal"), ("不着急", "normal"), ("不是很急", "normal"), ("没那么急", "normal"), ("一般", "normal"),
    ("一般吧", "normal"), ("普通", "normal"), ("慢慢来", "normal"), ("not urgent", "normal"), ("normal", "normal"),
    ("紧急", "emergency"), ("非常急", "emergency"), ("特别急！！", "emergency"), ("很危险", "emergency"),
    ("emergency", "emergency"),
])
def test_urgency_in_words(text: str, urgency: str) -> None:
    assert read_urgency(text) == urgency


@pytest.mark.parametrize("text", ["", None, "🙂", "厨房漏水", "１２３", HUGE, "\x00"])
def test_not_an_urgency(text: str | None) -> None:
    assert read_urgency(text) is None


@pytest.mark.parametrize("text", ["没有", "没", "无", "不用", "不用了", "跳过", "没有照片", "没照片哦", "不需要", "不需要了",
                                  "没有了", "暂时没有", "不方便拍", "skip", "No", "none", "没有图片～", "不用了谢谢",
                                  "不涉及", "没有具体人员", "没什么要说的", "没有意见"])
def test_nothing_to_add(text: str) -> None:
    assert is_skip(text) and is_done(text)


@pytest.mark.parametrize("text", ["完成", "好了", "发完了", "就这些", "done", "OK"])
def test_done_sending(text: str) -> None:
    assert is_done(text) and not is_skip(text)


@pytest.mark.parametrize("text", ["没有热水", "不用修了但是门坏了", "", None, "🙂", HUGE, "照片"])
def test_not_nothing(text: str | None) -> None:
    assert not is_skip(text) and not is_done(text)


@pytest.mark.parametrize("text, stars", [
    ("两星", 2), ("2星", 2), ("二颗星", 2), ("两颗星吧", 2), ("两星吧", 2), ("２星", 2), ("⭐⭐", 2), ("★★★★★", 5),
    ("3", 3), ("三", 3), ("３", 3), ("4分", 4), ("打4分", 4), ("给4星", 4), ("10分", 5), ("five stars", 5),
    ("3 stars", 3), ("还行", 3), ("一般般", 3), ("一般", 3), ("凑合", 3), ("还可以吧", 3),
    ("非常满意", 5), ("很满意！", 5), ("满分", 5), ("五星好评", 5), ("好评👍", 5),
    ("满意", 4), ("比较满意", 4), ("不错", 4), ("挺好的", 4),
    ("不满意", 2), ("不太满意", 2), ("很差", 1), ("非常不满意", 1), ("差评", 1), ("太慢了", 1),
])
def test_stars_in_words(text: str, stars: int) -> None:
    assert read_stars(text) == stars


@pytest.mark.parametrize("text", ["", None, "🙂", "6星", "0", "七", "今天下午", HUGE, "-3", "\x00"])
def test_not_a_score(text: str | None) -> None:
    assert read_stars(text) is None


@pytest.mark.parametrize("text, solved", [
    ("解决了", True), ("已解决", True), ("修好了", True), ("好了", True), ("是的", True), ("嗯", True), ("搞定了", True),
    ("没问题了", True), ("yes", True), ("y", True),
    ("没解决", False), ("还没好", False), ("没修好", False), ("还是漏水", False), ("还不行", False), ("否", False),
    ("没有", False), ("no", False), ("not fixed", False), ("又坏了", False),
])
def test_solved_in_words(text: str, solved: bool) -> None:
    assert read_solved(text) is solved


@pytest.mark.parametrize("text", ["", None, "🙂", "今天下午", HUGE])
def test_not_yes_or_no(text: str | None) -> None:
    assert read_solved(text) is None


@pytest.mark.parametrize("text, cents", [
    ("材料费35元", 3500), ("收了三十五块", 3500), ("免费", 0), ("不收费", 0), ("没收钱", 0), ("0", 0), ("零", 0),
    ("¥35.5", 3550), ("￥35.50", 3550), ("35", 3500), ("80.5", 8050), ("120元", 12000), ("35块5", 3550),
    ("三十五块五", 3550), ("一百二十元", 12000), ("两百块", 20000), ("1,200", 120000), ("１２０", 12000),
    ("共85元（材料35+人工50）", 8500), ("合计 85 元", 8500), ("收费50元吧", 5000),
])
def test_fee_in_words(text: str, cents: int) -> None:
    assert read_fee(text) == cents


@pytest.mark.parametrize("text", ["", None, "abc", "🙂", "-5", "材料35人工50", HUGE, "\x00", "很贵"])
def test_not_a_fee(text: str | None) -> None:
    assert read_fee(text) is None


COMPLAINT = ("common", "housing", "equipment", "order", "environment", "general", "neighbor", "developer", "other",
             "government")
REPORT = ("plumbing", "electrical", "building", "elevator", "facility", "security", "environment")


def names(codes: tuple[str, ...], locale: str = "zh-CN") -> dict[str, str]:
    return {c: code_name(locale, "category", c) for c in codes}


@pytest.mark.parametrize("text, suggested, code", [
    ("相邻关系", "", "neighbor"), ("邻里纠纷", "", "neighbor"), ("楼上邻居的问题", "", "neighbor"),
    ("对", "order", "order"), ("是的！", "order", "order"), ("保安的问题", "", "order"), ("服务", "general", "general"),
    ("环境卫生", "", "environment"), ("垃圾没人清", "", "environment"), ("其他", "", "other"), ("12345转来的", "", "government"),
    ("不清楚", "", "other"), ("不确定啊", "order", "other"),  # the owner cannot tell: the office decides
])
def test_complaint_category_in_words(text: str, suggested: str, code: str) -> None:
    assert read_category(text, COMPLAINT, names(COMPLAINT), suggested) == code


@pytest.mark.parametrize("text, code", [("给排水", "plumbing"), ("漏水的", "plumbing"), ("电梯", "elevator"),
                                        ("插座没电", "electrical"), ("墙裂了", "building")])
def test_report_category_in_words(text: str, code: str) -> None:
    assert read_category(text, REPORT, names(REPORT)) == code


def test_category_in_english() -> None:
    assert read_category("lift", REPORT, names(REPORT, "en")) == "elevator"
    assert read_category("Neighbours", COMPLAINT, names(COMPLAINT, "en")) == "neighbor"


@pytest.mark.parametrize("text", ["", None, "🙂", "对", "不知道", "x" * 5000])
def test_no_category(text: str | None) -> None:
    assert read_category(text, COMPLAINT, names(COMPLAINT)) is None  # "对" with nothing suggested is no answer


@pytest.mark.parametrize("text, yes", [
    ("确认", True), ("提交", True), ("好的", True), ("可以", True), ("没问题", True), ("确认提交吧", True), ("OK", True),
    ("提交投诉", True), ("确认预约", True), ("嗯", False), ("好吧", False),  # a murmur, a sigh: no yes to a price
    ("不确认", False), ("等一下", False), ("", False), (None, False), ("🙂", False), ("确认一下价格是多少啊我想问问", False),
])
def test_go_ahead(text: str | None, yes: bool) -> None:
    assert is_go_ahead(text) is yes


def test_no_input_makes_a_reader_fail() -> None:
    """Random mixes of the characters the readers care about: an answer or None, never an error."""
    import random
    from datetime import datetime, timezone

    pieces = list("今明后昨前天周星期一二三四五六日末上下午晚早点半刻号月年元块角分星颗满意差急不没有跳过0123456789０１２,.:-~到至以后前"
                  "¥￥🙂⭐\x00 \t\n") + ["下班后", "越快越好", "随时", "材料费", "一般般", "非常", "解决了", "还没好", "12345"]
    rng = random.Random(13)
    now = datetime(2026, 6, 1, 1, 0, tzinfo=timezone.utc)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        for past in (False, True):
            got = read_when(text, now, "Asia/Shanghai", past=past)
            assert isinstance(got, (When, Problem))
            if isinstance(got, When) and got.start and got.end:
                assert got.start <= got.end, text
                assert (got.end <= now) if past else (got.end > now), text
        read_urgency(text), is_skip(text), is_done(text), read_stars(text), read_solved(text), read_fee(text)
        assert read_stars(text) in (None, 1, 2, 3, 4, 5)
        fee = read_fee(text)
        assert fee is None or fee >= 0
