"""Done work the owner ignores is confirmed by the desk after the configured time; the
callback is then booked like for any closed case."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.bootstrap import App
from cases.clock import FakeClock
from cases.lifecycle import Status
from tests.callbacks.conftest import (
    ENGINEERING, bind_staff, callbacks_of, case_and_timeline, finish_work, local, owner_confirms, report_leak, run_tick,
)
from tests.flows.conftest import bound_owner
from tests.harness import People


async def test_ignored_done_work_is_confirmed_after_three_days(app: App, people: People, clock: FakeClock) -> None:
    await bound_owner(people)
    case_id = await report_leak(people)
    await finish_work(app, case_id)
    done_at = clock.now()

    clock.advance(timedelta(hours=71, minutes=59))
    assert (await run_tick(app, people)).auto_confirmed == 0
    case, _ = await case_and_timeline(app, case_id)
    assert case.status == Status.DONE

    clock.advance(timedelta(minutes=1))
    assert (await run_tick(app, people)).auto_confirmed == 1
    assert (await run_tick(app, people)).auto_confirmed == 0
    case, timeline = await case_and_timeline(app, case_id)
    assert (case.status, case.confirmed_by, case.closed_at) == (Status.CLOSED, "auto", done_at + timedelta(hours=72))
    assert timeline[-2:] == ["done", "auto_confirmed"]
    assert people.last("u1").startswith(f"ℹ️ 工单 #{case_id} 完成后您一直没有确认，系统已自动确认验收")
    assert "0571-8888-6666" in people.last("u1")
    card = [r for r in people.chats[ENGINEERING] if r.replace_key == f"card:{case_id}"][-1]
    assert "已完成" in card.text and card.buttons == ()

    [booked] = await callbacks_of(app, case_id)
    assert (booked.round, booked.state, booked.due_at) == (1, "scheduled", clock.now() + timedelta(hours=2))
    clock.advance(timedelta(hours=2))
    assert (await run_tick(app, people)).surveys == 1
    assert people.last("u1").startswith("📋 服务回访")


async def test_the_owners_own_confirmation_wins(app: App, people: People, clock: FakeClock) -> None:
    await bound_owner(people)
    case_id = await report_leak(people)
    await finish_work(app, case_id)
    clock.advance(timedelta(hours=30))
    await owner_confirms(app, people, case_id)
    clock.advance(timedelta(hours=60))
    assert (await run_tick(app, people)).auto_confirmed == 0
    case, timeline = await case_and_timeline(app, case_id)
    assert case.confirmed_by == "owner" and "auto_confirmed" not in timeline
    assert len(await callbacks_of(app, case_id)) == 1


async def test_auto_confirmation_waits_for_the_morning(app: App, people: People, clock: FakeClock) -> None:
    clock.set(local(2026, 6, 1, 23, 0))
    await bound_owner(people)
    case_id = await report_leak(people)
    await finish_work(app, case_id)
    clock.set(local(2026, 6, 4, 23, 0))
    assert (await run_tick(app, people)).auto_confirmed == 0
    clock.set(local(2026, 6, 5, 8, 0))
    assert (await run_tick(app, people)).auto_confirmed == 1
    case, _ = await case_and_timeline(app, case_id)
    assert case.closed_at == local(2026, 6, 5, 8, 0)


async def finish_in_chat(people: People, note: str = "更换了水管接头") -> None:
    """王强 accepts and finishes the job through the group card and his private chat."""
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    await people.press("wq", "完成", chat=ENGINEERING, group=True)
    await people.say("wq", note)
    await people.press("wq", "跳过")
    await people.press("wq", "不收费")
    await people.press("wq", "确认完工")


@pytest.mark.parametrize("finished, told, confirmed", [
    # By day the owner has the policy's three days.
    (local(2026, 6, 1, 10, 0), "3天内未确认", local(2026, 6, 4, 10, 0)),
    # Three days from 22:30 would end in quiet hours: the desk waits for 08:00, and says so.
    (local(2026, 6, 1, 22, 30), "81小时30分钟内未确认", local(2026, 6, 5, 8, 0)),
], ids=["by_day", "late_evening"])
async def test_the_owner_is_told_when_the_desk_will_confirm(app: App, people: People, clock: FakeClock,
                                                            finished, told, confirmed) -> None:  # type: ignore[no-untyped-def]
    await bind_staff(app, "wq", "王强")
    clock.set(finished - timedelta(minutes=10))
    await bound_owner(people)
    case_id = await report_leak(people)
    clock.set(finished)
    await finish_in_chat(people)
    assert f"您的工单 #{case_id} 已处理完成" in people.last("u1") and told in people.last("u1")

    clock.set(confirmed - timedelta(minutes=1))
    assert (await run_tick(app, people)).auto_confirmed == 0
    clock.set(confirmed)
    assert (await run_tick(app, people)).auto_confirmed == 1
    case, _ = await case_and_timeline(app, case_id)
    assert (case.status, case.closed_at) == (Status.CLOSED, confirmed)
