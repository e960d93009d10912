"""No answer to the survey or its reminder: a butler is asked to phone, and records it."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App
from cases.clock import FakeClock
from cases.lifecycle import Status
from tests.callbacks.conftest import (
    CUSTOMER_SERVICE, ENGINEERING, bind_staff, callbacks_of, case_and_timeline, closed_leak, run_tick,
)
from tests.harness import People


async def silent_owner(app: App, people: People, clock: FakeClock) -> int:
    case_id = await closed_leak(app, people)
    clock.advance(timedelta(hours=2))
    assert (await run_tick(app, people)).surveys == 1
    clock.advance(timedelta(hours=24))
    assert (await run_tick(app, people)).reminders == 1
    return case_id


async def test_butler_phones_and_records_the_callback(app: App, people: People, clock: FakeClock) -> None:
    lijing = await bind_staff(app, "lijing", "李静")
    await bind_staff(app, "zhoumin", "周敏")
    await bind_staff(app, "wangqiang", "王强")
    case_id = await silent_owner(app, people, clock)

    clock.advance(timedelta(hours=23, minutes=59))
    assert (await run_tick(app, people)).phone_requests == 0
    clock.advance(timedelta(minutes=1))
    assert (await run_tick(app, people)).phone_requests == 1
    await run_tick(app, people)
    for butler in ("lijing", "zhoumin"):  # both butlers are asked, privately, with the number to call
        [request] = [t for t in people.texts(butler) if t.startswith("📞 请电话回访")]
        assert f"工单 #{case_id}" in request and "张伟 13800000001" in request and "1-1-101" in request
        assert "2天" in request  # how long the owner has left the chat survey
    assert "13800000001" not in people.all_text(CUSTOMER_SERVICE)
    [record] = await callbacks_of(app, case_id)
    assert record.state == "phone"

    # An engineer cannot record a callback; a forged button does nothing.
    await people.raw_press("wangqiang", people.button("lijing", "记录电话回访结果"))
    assert people.last("wangqiang") == "抱歉，只有管家和客服人员可以记录电话回访。"
    await people.raw_press("lijing", f"1|s|{record.id}|phone|delete")
    assert "已过期" in people.last("lijing")

    await people.press("lijing", "记录电话回访结果")
    assert "业主说问题解决了吗" in people.last("lijing")
    await people.say("lijing", "不知道")  # typing where buttons are asked: not a yes or no
    assert "请点“已解决/没解决”" in people.last("lijing") and "还没好" in people.last("lijing")
    await people.say("lijing", "解决了")  # the owner's words, typed, answer it (issue 13)
    assert "业主给处理速度打几星" in people.last("lijing")
    await people.say("lijing", "7")
    assert "1–5" in people.last("lijing")
    await people.say("lijing", "五星")
    await people.press("lijing", "4⭐")
    await people.say("lijing", "😀")
    assert "光有表情" in people.last("lijing")
    await people.press("lijing", "无")
    assert "已解决 · 速度 5⭐ · 态度 4⭐" in people.last("lijing")
    await people.press("lijing", "提交记录")
    assert people.last("lijing") == f"✅ 已记录电话回访，工单 #{case_id} 已归档。"

    [answered] = await callbacks_of(app, case_id)
    assert (answered.state, answered.method, answered.recorded_by_id) == ("answered", "phone", lijing)
    assert (answered.solved, answered.speed_score, answered.attitude_score) == (True, 5, 4)
    case, timeline = await case_and_timeline(app, case_id)
    assert case.status == Status.SURVEYED
    assert timeline[-5:] == ["callback_sent", "callback_reminded", "callback_phone_requested", "callback_answered", "surveyed"]

    # The other butler is too late; the owner's old buttons are closed.
    await people.press("zhoumin", "记录电话回访结果")
    assert people.last("zhoumin") == f"工单 #{case_id} 的回访已经记录过了（电话回访），无需重复记录。"
    await people.press("u1", "已解决")
    assert people.last("u1") == "这次回访已经结束了，感谢您的配合。"


async def test_owner_answers_in_chat_while_the_butler_is_recording(app: App, people: People, clock: FakeClock) -> None:
    await bind_staff(app, "lijing", "李静")
    case_id = await silent_owner(app, people, clock)
    clock.advance(timedelta(hours=24))
    await run_tick(app, people)
    await people.press("lijing", "记录电话回访结果")
    await people.press("lijing", "没解决")
    await people.press("lijing", "1⭐")
    await people.press("lijing", "1⭐")
    # Meanwhile the owner finally answers in chat.
    await people.press("u1", "已解决")
    await people.press("u1", "5⭐")
    await people.press("u1", "5⭐")
    await people.press("u1", "跳过并提交")
    assert "已归档" in people.last("u1")
    await people.say("lijing", "业主说还在漏")
    await people.press("lijing", "提交记录")
    assert "刚刚已经有了结果" in people.last("lijing")
    [record] = await callbacks_of(app, case_id)
    assert (record.method, record.solved) == ("chat", True)
    case, _ = await case_and_timeline(app, case_id)
    assert case.status == Status.SURVEYED  # the butler's late record reopened nothing


async def test_unsatisfied_on_the_phone_reworks_and_tells_the_owner(app: App, people: People, clock: FakeClock) -> None:
    await bind_staff(app, "lijing", "李静")
    case_id = await silent_owner(app, people, clock)
    clock.advance(timedelta(hours=24))
    await run_tick(app, people)
    await people.press("lijing", "记录电话回访结果")
    await people.press("lijing", "没解决")
    await people.press("lijing", "3⭐")
    await people.press("lijing", "3⭐")
    assert "请记录业主的原话" in people.last("lijing")
    assert not any("无" == b.text for row in people.chats["lijing"][-1].buttons for b in row)  # a reason is required
    await people.say("lijing", "业主说厨房还在漏水")
    await people.press("lijing", "提交记录")
    assert people.last("lijing") == f"✅ 已记录电话回访。业主不满意，工单 #{case_id} 已退回工程部返工。"
    assert people.last("u1") == f"📞 根据您在电话回访中的反馈，工单 #{case_id} 已安排返工，处理完成后我们会再次回访您。"
    alert = next(t for t in people.texts(ENGINEERING) if t.startswith("🔁"))
    assert "业主说厨房还在漏水" in alert and "电话回访" in alert
    case, _ = await case_and_timeline(app, case_id)
    assert case.status == Status.DISPATCHED and case.rework_round == 1


async def test_no_butler_in_chat_asks_the_customer_service_group(app: App, people: People, clock: FakeClock) -> None:
    case_id = await silent_owner(app, people, clock)
    clock.advance(timedelta(hours=24))
    await run_tick(app, people)
    request = people.last(CUSTOMER_SERVICE)
    assert f"工单 #{case_id} 需要电话回访（业主 138****0001）" in request and "/callbacks" in request
    assert "张伟" not in request

    # A butler who starts a private chat later finds it with /callbacks.
    await bind_staff(app, "lijing", "李静")
    await people.say("lijing", "/callbacks")
    assert "张伟 13800000001" in people.last("lijing")
    await people.press("lijing", "记录电话回访结果")
    assert "业主说问题解决了吗" in people.last("lijing")
    await people.say("u1", "/callbacks")  # an owner is refused
    assert "只有管家和客服人员" in people.last("u1")
