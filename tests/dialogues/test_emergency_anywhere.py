"""An emergency typed at any step of any owner flow, the chooser or the survey opens an
emergency case at once — exactly as from idle — and the flow it interrupted comes back
with one tap, at the same step, with what the owner had already given."""

from __future__ import annotations

from bot.bootstrap import App
from cases.clock import FakeClock
from tests.callbacks.conftest import closed_leak, run_tick
from tests.dialogues.conftest import BOTH_DATABASES, MANAGEMENT, OWNER, SQLITE_ONLY, emergencies, later, state
from tests.flows.helpers import all_cases
from tests.harness import People

# Messages the classifier reads as emergencies, one per kind of danger.
DANGERS = [
    "楼上的水管爆了 水从我家天花板往下灌",
    "地下室着火了 好多烟",
    "有人晕倒在电梯口了 没反应",
    "我被锁在阳台上了 家里煤气灶还开着火",
    "现在楼道里有人在砸门 说要砍人",
    "电梯卡在两层中间了 我妈在里面",
    "插座烧起来了 冒黑烟",
]


async def first_button(people: People) -> None:
    """Press the first button of the newest message (an item or a slot)."""
    reply = next(r for r in reversed(people.chats[OWNER]) if r.buttons)
    await people.raw_press(OWNER, reply.buttons[0][0].payload)


async def act(people: People, steps: list[tuple[str, str]]) -> None:
    for how, what in steps:
        if how == "press":
            await people.press(OWNER, what)
        elif how == "first":
            await first_button(people)
        else:
            await people.say(OWNER, what)


async def interrupt(app: App, people: People, clock: FakeClock, flow: str, step: str, danger: str,
                    resume_label: str) -> None:
    """At (flow, step): the danger opens a case at once, alerts duty, and the flow comes back."""
    assert await state(app) == (flow, step)
    before = len(await emergencies(app))
    seen = len(people.chats[OWNER])
    await people.say(OWNER, danger)
    opened = await emergencies(app)
    assert len(opened) == before + 1, (flow, step)
    case = opened[-1]
    assert case.description == danger and case.status == "dispatched"
    told = "\n".join(people.texts(OWNER)[seen:])
    # The advice fits the danger (issue 13.7) and names the community's number for it.
    assert f"🚨 已按紧急情况为您派单（工单 #{case.id}）" in told and any(n in told for n in ("110", "119", "120"))
    assert f"🚨 紧急工单 #{case.id}" in people.last(MANAGEMENT)
    # Never taken as the step's answer: back at the same step with one tap.
    await people.press(OWNER, resume_label)
    assert await state(app) == (flow, step)
    later(clock)


REPORT = {
    "room": [("press", "报事报修")],
    "place": [("press", "报事报修"), ("press", "公共区域")],
    "what": [("press", "报事报修"), ("press", "我家")],
    "photos": [("press", "报事报修"), ("press", "我家"), ("say", "卫生间的灯不亮了")],
    "urgency": [("press", "报事报修"), ("press", "我家"), ("say", "卫生间的灯不亮了"), ("press", "跳过")],
    "time": [("press", "报事报修"), ("press", "我家"), ("say", "卫生间的灯不亮了"), ("press", "跳过"),
             ("press", "一般")],
    "confirm": [("press", "报事报修"), ("press", "我家"), ("say", "卫生间的灯不亮了"), ("press", "跳过"),
                ("press", "一般"), ("press", "今天")],
}
COMPLAINT = {
    "what": [("press", "投诉")],
    "when": [("press", "投诉"), ("say", "保安态度很差 不让我进门")],
    "where": [("press", "投诉"), ("say", "保安态度很差 不让我进门"), ("press", "最近几天")],
    "who": [("press", "投诉"), ("say", "保安态度很差 不让我进门"), ("press", "最近几天"), ("press", "不涉及具体地点")],
    "want": [("press", "投诉"), ("say", "保安态度很差 不让我进门"), ("press", "最近几天"), ("press", "不涉及具体地点"),
             ("press", "不涉及具体人员")],
    "category": [("press", "投诉"), ("say", "保安态度很差 不让我进门"), ("press", "最近几天"),
                 ("press", "不涉及具体地点"), ("press", "不涉及具体人员"), ("press", "尽快把问题解决")],
    "confirm": [("press", "投诉"), ("say", "保安态度很差 不让我进门"), ("press", "最近几天"),
                ("press", "不涉及具体地点"), ("press", "不涉及具体人员"), ("press", "尽快把问题解决"), ("first", "")],
}
BOOKING = {
    "item": [("press", "预约服务")],
    "slot": [("press", "预约服务"), ("first", "")],
    "confirm": [("press", "预约服务"), ("first", ""), ("first", "")],
}
INQUIRY = {
    "question": [("press", "咨询")],
    "answered": [("press", "咨询"), ("say", "物业费怎么交")],
    "unknown": [("press", "咨询"), ("say", "可以在小区里养鸡吗")],
}


FLOWS = [("report", REPORT, "回到刚才的报事报修"), ("complaint", COMPLAINT, "回到刚才的投诉"),
         ("booking", BOOKING, "回到刚才的有偿服务"), ("inquiry", INQUIRY, "回到刚才的咨询")]


@BOTH_DATABASES
async def test_an_emergency_at_every_step_of_every_flow(app: App, owner: People, clock: FakeClock) -> None:
    total = 0
    for flow, steps, label in FLOWS:
        for i, (step, reach) in enumerate(steps.items()):
            await act(owner, reach)
            await interrupt(app, owner, clock, flow, step, DANGERS[(total + i) % len(DANGERS)], label)
            await owner.say(OWNER, "取消")
        total += len(steps)
    # Only the emergencies became cases: nothing the owner typed was filed as a step's answer.
    assert all(c.urgency == "emergency" for c in await all_cases(app))
    assert len(await all_cases(app)) == total == 20


@SQLITE_ONLY
async def test_the_resumed_report_keeps_what_was_given_and_can_be_submitted(app: App, owner: People,
                                                                             clock: FakeClock) -> None:
    await act(owner, REPORT["confirm"])
    await interrupt(app, owner, clock, "report", "confirm", "地下室着火了 好多烟", "回到刚才的报事报修")
    assert "卫生间的灯不亮了" in owner.last(OWNER)  # the summary, as it was
    await owner.press(OWNER, "提交")
    report = (await all_cases(app))[-1]
    assert (report.kind, report.urgency, report.description) == ("report", "normal", "卫生间的灯不亮了")
    assert len(await all_cases(app)) == 2


@SQLITE_ONLY
async def test_an_emergency_at_the_chooser_and_the_proposal(app: App, owner: People, clock: FakeClock) -> None:
    await owner.say(OWNER, "我有事")
    assert await state(app) == ("router", "choose")
    await owner.say(OWNER, "插座烧起来了 冒黑烟")
    assert len(await emergencies(app)) == 1 and "🚨" in "\n".join(owner.texts(OWNER)[-3:])
    later(clock)
    await owner.say(OWNER, "厨房水龙头坏了一直关不紧")
    assert await state(app) == ("router", "propose")
    await owner.say(OWNER, "电梯卡在两层中间了 我妈在里面")
    [_, lift] = await emergencies(app)
    assert lift.category == "elevator" and f"#{lift.id}" in owner.last(MANAGEMENT)


@SQLITE_ONLY
async def test_an_emergency_in_the_middle_of_the_survey_and_the_survey_resumes(app: App, people: People,
                                                                               clock: FakeClock) -> None:
    case_id = await closed_leak(app, people)
    later(clock, 121)
    await run_tick(app, people)
    assert "（1/4）问题解决了吗？" in people.last(OWNER)
    await people.press(OWNER, "已解决")
    await people.say(OWNER, "有人晕倒在电梯口了 没反应")
    [alarm] = await emergencies(app)
    assert f"#{alarm.id}" in people.last(MANAGEMENT)
    later(clock, 15)
    # The survey waits where it was: one tap shows its next question again, answers still count.
    await people.press(OWNER, "回到刚才的回访")
    assert f"继续刚才的回访（工单 #{case_id}" in people.last(OWNER) and "（2/4）处理速度" in people.last(OWNER)
    await people.press(OWNER, "5⭐")
    await people.press(OWNER, "5⭐")
    await people.press(OWNER, "写几句")
    await people.say(OWNER, "小区门口着火了 火很大")  # at the comment step too
    assert len(await emergencies(app)) == 2
    await people.press(OWNER, "回到刚才的回访")
    await people.say(OWNER, "师傅很专业")
    assert f"工单 #{case_id} 已归档" in people.last(OWNER)
    async with app.uow() as uow:
        [record] = await uow.callbacks.for_case(case_id)
    assert (record.state, record.solved, record.speed_score, record.comment) == ("answered", True, 5, "师傅很专业")


@SQLITE_ONLY
async def test_a_stranger_being_asked_to_bind_reports_an_emergency(app: App, people: People) -> None:
    await people.say("s1", "/start")
    assert await state(app, "s1") == ("binding", "contact")
    await people.say("s1", "3号楼电梯困人了 有人被关在里面")
    [case] = await emergencies(app)
    assert case.owner_id is None and case.reporter_chat_id == "s1" and case.place.startswith("3号楼")
    assert f"🚨 紧急工单 #{case.id}" in people.last(MANAGEMENT) and "位置：3号楼" in people.last(MANAGEMENT)
