"""The owner's callback survey: when it comes, what it asks, and that answers stick."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App
from cases.clock import FakeClock
from cases.lifecycle import Status
from tests.callbacks.conftest import (
    ENGINEERING, callbacks_of, case_and_timeline, closed_leak, local, run_tick, set_policy, survey_rows,
)
from tests.flows.conftest import bound_owner
from tests.harness import People


async def test_survey_waits_for_the_delay_then_asks_and_archives(app: App, people: People, clock: FakeClock) -> None:
    case_id = await closed_leak(app, people)
    [booked] = await callbacks_of(app, case_id)
    assert (booked.round, booked.state, booked.due_at) == (1, "scheduled", clock.now() + timedelta(hours=2))

    clock.advance(timedelta(hours=1, minutes=59))
    await run_tick(app, people)
    assert "回访" not in people.last("u1")

    clock.advance(timedelta(minutes=1))
    report = await run_tick(app, people)
    assert report.surveys == 1
    survey = people.last("u1")
    assert survey.startswith(f"📋 服务回访 · 工单 #{case_id}") and "水管" in survey and "（1/4）问题解决了吗？" in survey
    await run_tick(app, people)
    await run_tick(app, people)
    assert await survey_rows(app, booked.id) == 1

    await people.press("u1", "已解决")
    assert "（2/4）处理速度" in people.last("u1")
    await people.press("u1", "5⭐")
    assert "（3/4）服务态度" in people.last("u1")
    await people.press("u1", "4⭐")
    assert "（4/4）还有什么想对我们说的吗" in people.last("u1")
    await people.say("u1", "师傅很专业，谢谢")
    assert people.last("u1") == f"🙏 感谢您的评价！工单 #{case_id} 已归档，祝您生活愉快。"

    [answered] = await callbacks_of(app, case_id)
    assert (answered.state, answered.solved, answered.speed_score, answered.attitude_score) == ("answered", True, 5, 4)
    assert (answered.comment, answered.method, answered.recorded_by_id) == ("师傅很专业，谢谢", "chat", None)
    assert answered.answered_at == clock.now()
    case, timeline = await case_and_timeline(app, case_id)
    assert case.status == Status.SURVEYED
    assert timeline[-4:] == ["confirmed", "callback_sent", "callback_answered", "surveyed"]
    # A satisfied owner sends nothing to the team.
    assert all("回访" not in text for text in people.texts(ENGINEERING))


async def test_closing_at_half_past_nine_at_night_surveys_at_eight_next_morning(
    app: App, people: People, clock: FakeClock
) -> None:
    clock.set(local(2026, 6, 1, 21, 30) - timedelta(minutes=5))
    case_id = await closed_leak(app, people)
    clock.set(local(2026, 6, 1, 21, 30))
    [booked] = await callbacks_of(app, case_id)
    assert booked.due_at == local(2026, 6, 2, 8, 0)  # 23:30 would be quiet hours

    for when in (local(2026, 6, 1, 23, 30), local(2026, 6, 2, 3, 0), local(2026, 6, 2, 7, 59)):
        clock.set(when)
        report = await run_tick(app, people)
        assert report.surveys == 0
    assert "回访" not in people.all_text("u1")

    clock.set(local(2026, 6, 2, 8, 0))
    assert (await run_tick(app, people)).surveys == 1
    assert people.last("u1").startswith("📋 服务回访")


async def test_a_survey_overdue_at_night_still_waits_for_the_morning(app: App, people: People, clock: FakeClock) -> None:
    """The bot was down all evening: at 23:00 the survey (due 20:00) still may not go out."""
    clock.set(local(2026, 6, 1, 18, 0))
    case_id = await closed_leak(app, people)
    [booked] = await callbacks_of(app, case_id)
    clock.set(local(2026, 6, 1, 23, 0))
    assert (await run_tick(app, people)).quiet
    assert (await callbacks_of(app, case_id))[0].state == "scheduled"
    clock.set(local(2026, 6, 2, 8, 0))
    await run_tick(app, people)
    assert await survey_rows(app, booked.id) == 1


async def test_one_reminder_never_at_night(app: App, people: People, clock: FakeClock) -> None:
    await set_policy(app, callback_reminder_minutes=120)
    clock.set(local(2026, 6, 1, 19, 0))
    case_id = await closed_leak(app, people)
    clock.set(local(2026, 6, 1, 21, 0))
    await run_tick(app, people)
    assert people.last("u1").startswith("📋")
    await people.press("u1", "已解决")  # then the owner stops answering

    clock.set(local(2026, 6, 1, 23, 0))  # reminder due, but it is quiet hours
    assert (await run_tick(app, people)).reminders == 0
    clock.set(local(2026, 6, 2, 8, 0))
    assert (await run_tick(app, people)).reminders == 1
    reminder = people.last("u1")
    assert reminder.startswith(f"⏰ 温馨提醒：工单 #{case_id}") and "（2/4）处理速度" in reminder  # where they stopped
    for hours in (1, 5, 20):
        clock.set(local(2026, 6, 2, 8, 0) + timedelta(hours=hours))
        assert (await run_tick(app, people)).reminders == 0
    assert sum(text.startswith("⏰") for text in people.texts("u1")) == 1
    [record] = await callbacks_of(app, case_id)
    assert (record.state, record.reminded_at) == ("reminded", local(2026, 6, 2, 8, 0))
    _, timeline = await case_and_timeline(app, case_id)
    assert timeline.count("callback_reminded") == 1

    # The owner can still finish the survey after the reminder.
    await people.press("u1", "4⭐")
    await people.press("u1", "5⭐")
    await people.press("u1", "跳过并提交")
    assert "已归档" in people.last("u1")
    assert (await callbacks_of(app, case_id))[0].state == "answered"


async def test_pressing_twice_someone_elses_survey_and_after_it_closed(app: App, people: People, clock: FakeClock) -> None:
    case_id = await closed_leak(app, people)
    await bound_owner(people, "u2", "13800000002")
    clock.advance(timedelta(hours=2))
    await run_tick(app, people)
    solved = people.button("u1", "已解决")
    not_solved = people.button("u1", "没解决")
    [record] = await callbacks_of(app, case_id)

    # Another owner (or anyone who got hold of the button) cannot answer.
    await people.raw_press("u2", solved)
    assert people.last("u2") == "抱歉，您无权查看或操作这个工单。"
    assert people.answers[-1] == "抱歉，您无权查看或操作这个工单。"
    await people.raw_press("stranger", solved)
    assert "无权" in people.last("stranger")

    await people.raw_press("u1", solved)
    await people.raw_press("u1", solved)
    assert people.last("u1") == "这一题您已经回答过了，谢谢！"
    await people.raw_press("u1", not_solved)  # changing one's mind is not possible either
    assert people.last("u1") == "这一题您已经回答过了，谢谢！"
    await people.raw_press("u1", f"1|s|{record.id}|attitude|5")  # a question not asked yet
    assert "已过期" in people.last("u1")
    await people.raw_press("u1", f"1|s|{record.id}|speed|9")  # a forged score
    assert "已过期" in people.last("u1")
    await people.raw_press("u1", "1|s|999999|solved|1")  # no such callback
    assert "已过期" in people.last("u1")
    [midway] = await callbacks_of(app, case_id)
    assert (midway.solved, midway.speed_score, midway.attitude_score) == (True, None, None)

    await people.press("u1", "3⭐")
    await people.press("u1", "4⭐")
    await people.press("u1", "跳过并提交")
    skip = people.button("u1", "跳过并提交")
    await people.raw_press("u1", skip)
    assert people.last("u1") == "这次回访已经结束了，感谢您的配合。"
    await people.raw_press("u1", solved)
    assert people.last("u1") == "这次回访已经结束了，感谢您的配合。"

    [final] = await callbacks_of(app, case_id)
    assert (final.state, final.solved, final.speed_score, final.attitude_score, final.comment) == ("answered", True, 3, 4, "")
    case, timeline = await case_and_timeline(app, case_id)
    assert case.status == Status.SURVEYED and timeline.count("callback_answered") == 1


async def test_bad_comments_are_refused_and_change_nothing(app: App, people: People, clock: FakeClock) -> None:
    case_id = await closed_leak(app, people)
    clock.advance(timedelta(hours=2))
    await run_tick(app, people)
    await people.press("u1", "已解决")
    await people.press("u1", "5⭐")
    await people.press("u1", "5⭐")
    await people.say("u1", "   ")
    assert "内容是空的" in people.last("u1")
    await people.say("u1", "好" * 10_000)
    assert "内容太长了（10000 字）" in people.last("u1")
    await people.say("u1", "👍👍👍")
    assert "光有表情" in people.last("u1")
    await people.photo("u1", "photo-9")
    assert "需要您输入文字" in people.last("u1")
    [record] = await callbacks_of(app, case_id)
    assert (record.state, record.comment) == ("sent", "")
    await people.say("u1", "返回")
    assert "第一步" in people.last("u1")
    await people.say("u1", "取消")  # leaving the comment step keeps the survey open…
    assert (await callbacks_of(app, case_id))[0].state == "sent"
    await people.press("u1", "写几句")  # …and the button brings it back
    assert "还有什么想对我们说的吗" in people.last("u1")
    await people.say("u1", "很好")
    assert "已归档" in people.last("u1")


async def test_the_survey_speaks_the_owners_language(app: App, people: People, clock: FakeClock) -> None:
    await bound_owner(people, "u9", "13800000020")
    await people.say("u9", "/lang en")
    await people.press("u9", "Report a repair")
    await people.press("u9", "My home")
    await people.say("u9", "The kitchen 水管 is leaking")
    await people.press("u9", "Skip")
    await people.press("u9", "Normal")
    await people.press("u9", "Tomorrow")
    await people.press("u9", "Submit")
    async with app.uow() as uow:
        case_id = (await uow.cases.recent(limit=1))[0].id
    from tests.callbacks.conftest import finish_work, owner_confirms

    await finish_work(app, case_id)
    await owner_confirms(app, people, case_id)
    clock.advance(timedelta(hours=2))
    await run_tick(app, people)
    assert people.last("u9").startswith(f"📋 Follow-up · case #{case_id}")
    assert "(1/4) Is the problem solved?" in people.last("u9")
    await people.press("u9", "Solved")
    await people.press("u9", "5⭐")
    await people.press("u9", "5⭐")
    await people.say("u9", "Great work")
    assert people.last("u9") == f"🙏 Thank you for your feedback! Case #{case_id} is archived."
