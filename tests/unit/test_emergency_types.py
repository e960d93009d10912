"""Which danger the owner's words name (handlers.owner.emergency.emergency_types), and which
acceptance text a case gets (handlers.staff.accept.accepted_key): pure, many phrasings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cases.lifecycle import SYSTEM, Case
from handlers.owner.emergency import emergency_types
from handlers.staff.accept import accepted_key, started_key

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, first", [
    ("家里厨房有很大的煤气味，我好害怕", "gas"), ("楼道里燃气味好重", "gas"), ("天然气好像漏气了", "gas"),
    ("smell gas in the kitchen", "gas"),
    ("厨房着火了 烟很大", "fire"), ("楼下冒黑烟", "fire"), ("3楼起火了！！", "fire"), ("there is a fire in unit 3", "fire"),
    ("配电箱冒火花了", "electrical"), ("插座冒火花，还有焦味", "electrical"), ("孩子被电到了", "electrical"),
    ("我爸在楼道里摔倒了，头在流血", "medical"), ("有老人晕倒在电梯口", "medical"), ("my mother fell and is bleeding", "medical"),
    ("电梯困人了 快来", "trapped"), ("这破电梯又把我关里面了，赶紧来人放我出去", "trapped"), ("孩子卡在电梯里出不来", "trapped"),
    ("有小偷在撬我家门", "intruder"), ("楼道里有人打架还拿着刀", "intruder"), ("有个陌生人一直跟踪我进单元", "intruder"),
    ("楼上水管爆了 我家淹了", "flood"), ("地下车库倒灌进水了", "flood"), ("污水从井盖里冒出来漫到人行道上", "flood"),
    ("屋顶水箱溢出，楼梯间全是水", "flood"),
])
def test_the_danger_named(text: str, first: str) -> None:
    assert emergency_types(text)[0] == first


def test_several_dangers_most_dangerous_first() -> None:
    assert emergency_types("电梯里困人了 有人晕倒了")[:2] == ("medical", "trapped")
    assert emergency_types("电线冒烟起火了")[:2] == ("fire", "electrical")


@pytest.mark.parametrize("text", ["", "🙂", "家里没有燃气味，就是报警器一直响", "楼道的灯坏了", "\x00", "急" * 5000])
def test_no_named_danger(text: str) -> None:
    assert "gas" not in emergency_types(text) and "fire" not in emergency_types(text)


def case(kind: str, *, urgency: str = "normal", area: str = "", details: dict | None = None) -> Case:  # type: ignore[type-arg]
    category = {"report": "plumbing", "complaint": "general", "service": "home_repair"}.get(kind, "")
    return Case.open(kind=kind, urgency=urgency, category=category, area=area, now=NOW, by=SYSTEM,
                     description="x", details=dict(details or {}))


def test_acceptance_text_per_kind() -> None:
    window = {"span": "window", "start": (NOW + timedelta(hours=4)).isoformat(), "end": (NOW + timedelta(hours=9)).isoformat()}
    over = {"span": "window", "start": (NOW - timedelta(hours=9)).isoformat(), "end": (NOW - timedelta(hours=4)).isoformat()}
    assert accepted_key(case("report", area="home"), NOW) == "progress.accepted"
    assert accepted_key(case("report", area="home", details={"window": window}), NOW) == "progress.accepted_window"
    assert accepted_key(case("report", area="home", details={"window": over}), NOW) == "progress.accepted"
    assert accepted_key(case("report", area="public"), NOW) == "progress.accepted_public"
    assert accepted_key(case("report", area="home", urgency="emergency"), NOW) == "progress.accepted_emergency"
    assert accepted_key(case("complaint"), NOW) == "progress.accepted_complaint"
    assert accepted_key(case("complaint", urgency="emergency"), NOW) == "progress.accepted_emergency"
    assert accepted_key(case("inquiry"), NOW) == "progress.accepted_inquiry"
    assert accepted_key(case("suggestion"), NOW) == "progress.accepted_suggestion"
    assert accepted_key(case("service"), NOW) == "progress.accepted_service"
    assert accepted_key(case("service", details={"window": window}), NOW) == "progress.accepted_window"
    assert started_key(case("report", area="home")) == "progress.started"
    assert started_key(case("inquiry")) == "progress.started_handling"
