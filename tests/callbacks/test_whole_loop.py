"""The whole callback loop through real buttons only: report, accept, finish, confirm,
survey, unsatisfied, rework accepted from the alert, finish, confirm, second survey."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App
from cases.clock import FakeClock
from cases.lifecycle import Status
from tests.callbacks.conftest import ENGINEERING, bind_staff, callbacks_of, case_and_timeline, report_leak, run_tick
from tests.flows.conftest import bound_owner
from tests.harness import People


async def finish_by_buttons(people: People, worker: str, note: str) -> None:
    await people.press(worker, "完成", chat=ENGINEERING, group=True)
    await people.say(worker, note)
    await people.press(worker, "跳过")  # no photos
    await people.say(worker, "0")  # no fee
    await people.press(worker, "确认完工")


async def test_the_loop_with_real_buttons(app: App, people: People, clock: FakeClock) -> None:
    await bind_staff(app, "wq", "王强")
    await bind_staff(app, "ly", "刘洋")
    await bound_owner(people)
    case_id = await report_leak(people)
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    await finish_by_buttons(people, "wq", "换了阀门")
    await people.press("u1", "确认完成")
    case, _ = await case_and_timeline(app, case_id)
    assert case.status == Status.CLOSED

    clock.advance(timedelta(hours=2))
    await run_tick(app, people)
    await people.press("u1", "没解决")
    await people.press("u1", "3⭐")
    await people.press("u1", "3⭐")
    await people.say("u1", "阀门还在渗水")
    assert "已退回工程部返工" in people.last("u1")

    # Another engineer takes the rework straight from the alert in the group.
    alert = next(r for r in reversed(people.chats[ENGINEERING]) if r.text.startswith("🔁 回访不满意"))
    accept = next(b.payload for row in alert.buttons for b in row if "接单" in b.text)
    await people.raw_press("ly", accept, chat=ENGINEERING, group=True)
    case, _ = await case_and_timeline(app, case_id)
    assert (case.status, case.rework_round) == (Status.ACCEPTED, 1)
    await finish_by_buttons(people, "ly", "重新换了阀芯并试水")
    await people.press("u1", "确认完成")

    clock.advance(timedelta(hours=2))
    await run_tick(app, people)
    assert people.last("u1").startswith(f"📋 再次回访 · 工单 #{case_id}")
    await people.press("u1", "已解决")
    await people.press("u1", "5⭐")
    await people.press("u1", "5⭐")
    await people.press("u1", "跳过并提交")
    case, timeline = await case_and_timeline(app, case_id)
    assert case.status == Status.SURVEYED
    assert [(c.round, c.solved) for c in await callbacks_of(app, case_id)] == [(1, False), (2, True)]
    assert timeline.count("callback_answered") == 2 and timeline[-1] == "surveyed"
