"""An unsatisfied callback sends the case back to its team; once it is put right and
confirmed again, a second callback (round 2) follows."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App
from cases.clock import FakeClock
from cases.lifecycle import Status
from tests.callbacks.conftest import (
    ENGINEERING, callbacks_of, case_and_timeline, closed_leak, finish_work, owner_confirms, run_tick,
)
from tests.harness import People


async def test_unsatisfied_rework_then_second_callback_satisfied(app: App, people: People, clock: FakeClock) -> None:
    case_id = await closed_leak(app, people)
    clock.advance(timedelta(hours=2))
    await run_tick(app, people)
    await people.press("u1", "没解决")
    await people.press("u1", "2⭐")
    await people.press("u1", "4⭐")
    # Unsatisfied: the reason is asked for explicitly.
    assert "很抱歉这次没能让您满意。请直接输入哪里还有问题" in people.last("u1")
    await people.say("u1", "水管还是在滴水，师傅说修好了但没有。有事打我13800000001")
    assert people.last("u1") == f"🙏 已记录您的意见。工单 #{case_id} 已退回工程部返工，处理完成后我们会再次回访您。"

    case, timeline = await case_and_timeline(app, case_id)
    assert (case.status, case.team_code, case.rework_round, case.assignee_id) == (Status.DISPATCHED, "engineering", 1, None)
    assert timeline[-3:] == ["callback_sent", "callback_answered", "reopened"]
    async with app.uow() as uow:
        reopened = (await uow.cases.timeline(case_id))[-1]
    assert reopened.note.startswith("水管还是在滴水") and reopened.data["round"] == 1

    # The team hears it with the owner's words, and the card asks for acceptance again.
    group = people.texts(ENGINEERING)
    alert = next(text for text in group if text.startswith("🔁 回访不满意"))
    assert f"工单 #{case_id} 返工（第 1 次）" in alert and "未解决 · 速度 2⭐ · 态度 4⭐" in alert
    assert "水管还是在滴水" in alert and "线上回访" in alert
    card = [r for r in people.chats[ENGINEERING] if r.replace_key == f"card:{case_id}"][-1]
    assert "🔁 返工第 1 次" in card.text and "待接单" in card.text
    assert any("接单" in b.text for row in card.buttons for b in row)
    everything_in_groups = "\n".join(group)
    assert "13800000001" not in everything_in_groups and "张伟" not in everything_in_groups
    assert "138****0001" in alert  # the number the owner typed is masked

    # Put right, confirmed again: round 2.
    clock.advance(timedelta(hours=3))
    await finish_work(app, case_id, worker="刘洋")
    await owner_confirms(app, people, case_id)
    first, second = await callbacks_of(app, case_id)
    assert (first.round, first.state, first.solved) == (1, "answered", False)
    assert (second.round, second.state, second.due_at) == (2, "scheduled", clock.now() + timedelta(hours=2))

    clock.advance(timedelta(hours=2))
    await run_tick(app, people)
    assert people.last("u1").startswith(f"📋 再次回访 · 工单 #{case_id}")
    await people.press("u1", "已解决")
    await people.press("u1", "5⭐")
    await people.press("u1", "5⭐")
    await people.say("u1", "这次修好了")
    assert "已归档" in people.last("u1")

    case, timeline = await case_and_timeline(app, case_id)
    assert case.status == Status.SURVEYED
    assert timeline.count("callback_sent") == 2 and timeline.count("callback_answered") == 2
    assert timeline[-1] == "surveyed"
    [_, answered] = await callbacks_of(app, case_id)
    assert (answered.state, answered.solved, answered.comment) == ("answered", True, "这次修好了")


async def test_low_attitude_alone_is_unsatisfied_and_no_reason_still_reworks(app: App, people: People, clock: FakeClock) -> None:
    case_id = await closed_leak(app, people)
    clock.advance(timedelta(hours=2))
    await run_tick(app, people)
    await people.press("u1", "已解决")
    await people.press("u1", "4⭐")
    await people.press("u1", "1⭐")
    assert "请直接输入哪里还有问题" in people.last("u1")
    await people.press("u1", "不写了，直接提交")
    assert "已退回工程部返工" in people.last("u1")
    case, _ = await case_and_timeline(app, case_id)
    assert case.status == Status.DISPATCHED and case.rework_round == 1
    async with app.uow() as uow:
        reopened = (await uow.cases.timeline(case_id))[-1]
    assert reopened.action == "reopened" and reopened.note == "已解决 · 速度 4⭐ · 态度 1⭐"
    alert = next(t for t in people.texts(ENGINEERING) if t.startswith("🔁"))
    assert "（业主未留言）" in alert
