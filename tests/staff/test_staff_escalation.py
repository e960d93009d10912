"""Deadlines and escalation with a moved clock, calling the scheduler's entry points
directly; each level and each emergency repeat is announced once however often they run."""

from __future__ import annotations

from datetime import timedelta

from cases.clock import FakeClock
from cases.lifecycle import Status
from handlers.staff.escalation import check_deadlines, repeat_emergencies
from tests.harness import People
from tests.staff.conftest import (
    ENGINEERING, MANAGEMENT, SECURITY, Crew, bound_owner, buttons_of, report_leak, run_scheduled, the_case, timeline,
)


def chats_of(replies) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(r.chat_id for r in replies)


async def test_unaccepted_case_goes_to_supervisor_then_manager(app, clock: FakeClock, people: People,  # type: ignore[no-untyped-def]
                                                               crew: Crew) -> None:
    await bound_owner(people)
    await report_leak(people)
    case = await the_case(app)
    clock.advance(timedelta(hours=23, minutes=59))
    assert await run_scheduled(app, people, check_deadlines) == []

    clock.advance(timedelta(minutes=2))  # 24h01m: the response deadline has passed
    replies = await run_scheduled(app, people, check_deadlines)
    assert chats_of(replies) == sorted([ENGINEERING, ENGINEERING, "mjg"])  # alert, card, the engineering manager
    alert = next(r.text for r in replies if r.chat_id == ENGINEERING and not r.replace_key)
    assert f"工单 #{case.id}（给排水 · 1-1-101）超时未接单，已超时 1分钟，已上报主管" in alert
    card = next(r for r in replies if r.replace_key)
    assert "已超时 1分钟" in card.text and "已上报主管" in card.text and "✋ 接单" in buttons_of(card)
    boss = next(r for r in replies if r.chat_id == "mjg")
    assert "请督办" in boss.text and buttons_of(boss) == [f"#{case.id} 查看"]
    assert (await the_case(app)).escalation_level == 1

    # Idempotent: running again (or every minute) announces nothing new.
    assert await run_scheduled(app, people, check_deadlines) == []
    clock.advance(timedelta(hours=12))
    assert await run_scheduled(app, people, check_deadlines) == []

    clock.advance(timedelta(hours=12))  # a full response period later: the manager
    replies = await run_scheduled(app, people, check_deadlines)
    assert chats_of(replies) == sorted([MANAGEMENT, ENGINEERING, "lzy"])
    assert "主管督办后仍未解决" in next(r.text for r in replies if r.chat_id == MANAGEMENT)
    assert "已上报到您" in next(r.text for r in replies if r.chat_id == "lzy")
    assert "已上报经理" in next(r.text for r in replies if r.chat_id == ENGINEERING)
    assert await run_scheduled(app, people, check_deadlines) == []
    assert (await timeline(app, case.id)).count("escalated") == 2

    # Accepting starts afresh; a late completion escalates again, naming the worker.
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    assert (await the_case(app)).escalation_level == 0
    assert "已上报" not in people.chats[ENGINEERING][-1].text
    case = await the_case(app)
    clock.set(case.completion_due_at + timedelta(minutes=30))  # type: ignore[operator]
    replies = await run_scheduled(app, people, check_deadlines)
    alert = next(r.text for r in replies if r.chat_id == ENGINEERING and not r.replace_key)
    assert "超时未完成，已超时 30分钟" in alert and "负责人：王强" in alert
    assert await run_scheduled(app, people, check_deadlines) == []


async def test_after_downtime_both_levels_are_announced_at_once(app, clock: FakeClock, people: People,  # type: ignore[no-untyped-def]
                                                                crew: Crew) -> None:
    await bound_owner(people)
    await report_leak(people)
    clock.advance(timedelta(hours=50))
    replies = await run_scheduled(app, people, check_deadlines)
    assert chats_of(replies) == sorted([ENGINEERING, ENGINEERING, "mjg", MANAGEMENT, "lzy"])
    assert (await the_case(app)).escalation_level == 2
    assert await run_scheduled(app, people, check_deadlines) == []


async def test_done_and_closed_cases_are_not_escalated(app, clock: FakeClock, people: People,  # type: ignore[no-untyped-def]
                                                       crew: Crew) -> None:
    await bound_owner(people)
    await report_leak(people)
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    await people.press("wq", "完成", chat=ENGINEERING, group=True)
    await people.say("wq", "已修好")
    await people.press("wq", "跳过")
    await people.press("wq", "不收费")
    await people.press("wq", "确认完工")
    clock.advance(timedelta(days=10))
    assert await run_scheduled(app, people, check_deadlines) == []


async def test_unaccepted_emergency_is_repeated_until_accepted(app, clock: FakeClock, people: People,  # type: ignore[no-untyped-def]
                                                               crew: Crew) -> None:
    await bound_owner(people)
    await people.say("u1", "家里厨房有很大的煤气味，我好害怕")
    case = await the_case(app)
    assert case.urgency == "emergency" and case.team_code == "security"
    assert "🚨" in people.last(MANAGEMENT)  # alerted at once, when the case opened

    clock.advance(timedelta(minutes=4))
    assert await run_scheduled(app, people, repeat_emergencies) == []
    clock.advance(timedelta(minutes=1))
    replies = await run_scheduled(app, people, repeat_emergencies)
    assert chats_of(replies) == sorted([MANAGEMENT, SECURITY, SECURITY])
    repeat = next(r for r in replies if r.chat_id == SECURITY and not r.replace_key)
    assert f"第 2 次警报：紧急工单 #{case.id} 已 5分钟 无人接单" in repeat.text
    assert "✋ 接单" in buttons_of(repeat)  # fresh buttons at the bottom of the duty chat
    assert await run_scheduled(app, people, repeat_emergencies) == []  # same period: once

    clock.advance(timedelta(minutes=3))
    assert await run_scheduled(app, people, repeat_emergencies) == []
    clock.advance(timedelta(minutes=2))
    replies = await run_scheduled(app, people, repeat_emergencies)
    assert "第 3 次警报" in next(r.text for r in replies if r.chat_id == MANAGEMENT)

    # 15 minutes: the response deadline itself has passed as well (security → cs supervisor).
    clock.advance(timedelta(minutes=5))
    replies = await run_scheduled(app, people, check_deadlines, repeat_emergencies)
    assert "zl" in chats_of(replies) and any("第 4 次警报" in r.text for r in replies)

    await people.press("zy", "接单", chat=SECURITY, group=True, )
    assert (await the_case(app)).status == Status.ACCEPTED
    clock.advance(timedelta(minutes=30))
    assert await run_scheduled(app, people, repeat_emergencies) == []
    assert (await timeline(app, case.id)).count("emergency_repeated") == 3
