"""The callback survey answered by typing (channels without buttons, or owners who type):
"解决了", "两星吧", "非常满意" are stored like the buttons and the next question follows."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App
from cases.clock import FakeClock
from cases.lifecycle import Status
from tests.callbacks.conftest import ENGINEERING, callbacks_of, case_and_timeline, closed_leak, run_tick
from tests.harness import People


async def surveyed_leak(app: App, people: People, clock: FakeClock) -> int:
    case_id = await closed_leak(app, people)
    clock.advance(timedelta(hours=2))
    assert (await run_tick(app, people)).surveys == 1
    assert "（1/4）问题解决了吗？" in people.last("u1")
    return case_id


async def test_survey_answered_in_words(app: App, people: People, clock: FakeClock) -> None:
    case_id = await surveyed_leak(app, people, clock)
    await people.say("u1", "解决了")
    assert people.last("u1").startswith("✅ 已记录：已解决") and "（2/4）处理速度" in people.last("u1")
    await people.say("u1", "两星吧")
    assert people.last("u1").startswith("✅ 已记录：2⭐") and "（3/4）服务态度" in people.last("u1")
    await people.say("u1", "非常满意！")
    assert "✅ 已记录：5⭐" in people.all_text("u1")
    assert "哪里还有问题" in people.last("u1")  # a 2 for speed: asked what was wrong
    [record] = await callbacks_of(app, case_id)
    assert (record.state, record.solved, record.speed_score, record.attitude_score) == ("sent", True, 2, 5)

    await people.say("u1", "等了两天才来")
    [record] = await callbacks_of(app, case_id)
    assert (record.state, record.comment, record.method) == ("answered", "等了两天才来", "chat")
    case, _ = await case_and_timeline(app, case_id)
    assert case.status == Status.DISPATCHED and case.rework_round == 1  # back for rework, with the words
    assert "等了两天才来" in people.all_text(ENGINEERING)
    # Pressing an old button after typing changes nothing.
    await people.press("u1", "5⭐")
    assert people.last("u1") == "这次回访已经结束了，感谢您的配合。"


async def test_typed_words_that_are_no_answer_are_not_taken(app: App, people: People, clock: FakeClock) -> None:
    case_id = await surveyed_leak(app, people, clock)
    await people.say("u1", "还没好，水槽下面还是在滴水")
    [record] = await callbacks_of(app, case_id)
    assert record.solved is False  # "还没好": not solved
    assert "（2/4）处理速度" in people.last("u1")
    await people.say("u1", "七星")  # no score of 1–5: not stored, and said so
    assert "1 到 5 星" in people.last("u1") and "（2/4）处理速度" in people.last("u1")
    [record] = await callbacks_of(app, case_id)
    assert record.speed_score is None
    await people.press("u1", "3⭐")  # the buttons still work
    await people.say("u1", "一般般")
    [record] = await callbacks_of(app, case_id)
    assert (record.speed_score, record.attitude_score) == (3, 3)
