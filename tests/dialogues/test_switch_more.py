"""The families the seventh and eighth authors found in following the owner, in other wordings:

1. the owner pressed one flow's button and then writes what belongs to another kind — with a
   correction that names the kind ("纠正一下，我想反映的是投诉而不是报修：…"), that denies the
   pressed one in everyday words ("不是要修 是想约师傅…"), that names no kind ("不对不对，是厨房…"),
   or with no correction word at all at the flow's first question (a protest after 报事报修):
   the flow the words mean starts, the owner's account its description, the correction words
   never in it; an account that fits the pressed flow stays in it;
2. FAQ misses: a visiting relative's car reaches the parking answer, a found thing is a
   question answered from lost and found (never a report, also after 报事报修 was pressed).
"""

from __future__ import annotations

from bot.bootstrap import App
from tests.dialogues.conftest import BOTH_DATABASES, CUSTOMER_SERVICE, OWNER, SQLITE_ONLY, state
from tests.flows.helpers import all_cases, only_case
from tests.harness import People

SWITCHED = "为您办理，您说的内容已经记下"


async def finish_report(owner: People) -> None:
    for label in ("跳过", "一般", "今天", "提交"):
        await owner.press(OWNER, label)


async def finish_complaint(owner: People) -> None:
    """From the time question on: just now, no place, nobody, fix it, whatever category, submit."""
    for label in ("就在刚才", "不涉及具体地点", "不涉及具体人员", "尽快把问题解决", "不清楚", "提交投诉"):
        await owner.press(OWNER, label)


# ----------------------------------------------------------------- 1 another kind after a button
@BOTH_DATABASES
async def test_not_a_repair_but_a_booking_books_the_item_with_the_owners_words(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.say(OWNER, "不是要修 是想约师傅上门装个晾衣架")
    assert "有偿服务" in owner.all_text(OWNER) and SWITCHED in owner.all_text(OWNER)
    assert await state(app) == ("booking", "slot")  # the item its words name, the one home taken
    await owner.press(OWNER, "上午")
    await owner.press(OWNER, "确认预约（¥80/次）")
    case = await only_case(app)
    assert (case.kind, case.description) == ("service", "想约师傅上门装个晾衣架")


@SQLITE_ONLY
async def test_a_correction_that_names_no_kind_starts_the_flow_its_account_means(app: App, owner: People) -> None:
    await owner.press(OWNER, "预约服务")
    await owner.say(OWNER, "不对不对，是卫生间洗手池下水很慢 有点堵")
    assert await state(app) == ("report", "room") and SWITCHED in owner.all_text(OWNER)
    await owner.press(OWNER, "我家")
    await finish_report(owner)
    case = await only_case(app)
    assert (case.kind, case.category, case.description) == ("report", "plumbing", "卫生间洗手池下水很慢 有点堵")


@SQLITE_ONLY
async def test_a_correction_with_the_wrong_kind_after_the_right_one(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.say(OWNER, "纠正一下，我想反映的是投诉而不是报修：单元门的锁坏了两个礼拜 报了三次都没人来修")
    assert await state(app) == ("complaint", "when")  # the account given: the next question
    await finish_complaint(owner)
    case = await only_case(app)
    assert (case.kind, case.description) == ("complaint", "单元门的锁坏了两个礼拜 报了三次都没人来修")
    assert CUSTOMER_SERVICE in owner.chats


@SQLITE_ONLY
async def test_a_protest_told_plainly_after_the_repair_button_is_a_complaint(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.say(OWNER, "楼上那家天天半夜拖椅子 上去说了好几次都不听")
    assert await state(app) == ("complaint", "when") and "投诉" in owner.all_text(OWNER)
    await finish_complaint(owner)
    case = await only_case(app)
    assert (case.kind, case.description) == ("complaint", "楼上那家天天半夜拖椅子 上去说了好几次都不听")


@SQLITE_ONLY
async def test_a_booking_told_plainly_after_the_repair_button_is_a_booking(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.say(OWNER, "门禁卡弄丢了 想再补办一张")
    assert await state(app) == ("booking", "slot")  # the item named, the one home taken
    await owner.press(OWNER, "上午")
    assert "补办门禁卡" in owner.last(OWNER)
    await owner.press(OWNER, "确认预约（¥20/张）")
    case = await only_case(app)
    assert (case.kind, case.description) == ("service", "门禁卡弄丢了 想再补办一张")


@SQLITE_ONLY
async def test_a_protest_told_at_the_booking_list_is_a_complaint(app: App, owner: People) -> None:
    await owner.press(OWNER, "预约服务")
    await owner.say(OWNER, "你们保安天天在岗亭里睡觉 外卖随便进 太不负责了")
    assert await state(app) == ("complaint", "when")
    await finish_complaint(owner)
    assert (await only_case(app)).kind == "complaint"


@SQLITE_ONLY
async def test_a_shared_area_fault_told_at_the_booking_list_is_a_report(app: App, owner: People) -> None:
    await owner.press(OWNER, "预约服务")
    await owner.say(OWNER, "楼道里的声控灯坏了好几盏 晚上黑乎乎的")
    assert (await state(app))[0] == "report" and "价目表里没有" not in owner.all_text(OWNER)


@SQLITE_ONLY
async def test_accounts_that_fit_the_pressed_flow_stay_in_it(app: App, owner: People) -> None:
    # A fault corrected to another fault stays a report, the words its account.
    await owner.press(OWNER, "报事报修")
    await owner.say(OWNER, "不是灯坏了 是开关坏了 按了没反应")
    assert await state(app) == ("report", "room") and SWITCHED not in owner.all_text(OWNER)
    await owner.press(OWNER, "我家")
    await finish_report(owner)
    assert (await only_case(app)).description == "不是灯坏了 是开关坏了 按了没反应"
    # A protest about a broken lift is a complaint: pressed as one, it stays one.
    await owner.press(OWNER, "投诉")
    await owner.say(OWNER, "电梯三天两头坏 修了又坏")
    assert await state(app) == ("complaint", "when")
    # A fault in the home at the booking list may be a paid repair: still a booking.
    await owner.say(OWNER, "取消")
    await owner.press(OWNER, "预约服务")
    await owner.say(OWNER, "卫生间水龙头坏了一直滴水")
    assert (await state(app))[0] == "booking"
    # A correction of the place, not the kind.
    await owner.say(OWNER, "取消")
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "我家")
    await owner.say(OWNER, "次卧的暖气片漏水了")
    await owner.say(OWNER, "不对 是主卧")
    assert (await state(app))[0] == "report" and SWITCHED not in owner.all_text(OWNER)
    assert len(await all_cases(app)) == 1


# ----------------------------------------------------------------- 2 FAQ: a visitor's car, a found thing
VISITOR_CARS = (
    "我闺女下礼拜开车过来 车可以开进小区吗 收费吗",
    "亲戚来看我 他们的车停哪里啊",
    "朋友周末开车来玩 车能停小区里不 要钱吗",
    "My parents are coming over by car this weekend, where can they park?",
)
FOUND_THINGS = (
    "捡到一把钥匙 不知道是谁的 交给谁",
    "在3号楼楼下拾获一个钱包 要交到哪里",
    "电梯里捡了张银行卡 怎么找失主",
    "小区门口捡到一个手机 放哪里",
)


@SQLITE_ONLY
async def test_a_visitors_car_gets_the_parking_answer(app: App, owner: People) -> None:
    for question in VISITOR_CARS:
        await owner.say(OWNER, question)
        assert "临时停车首小时免费" in owner.last(OWNER) or "free for the first hour" in owner.last(OWNER), question
        await owner.say(OWNER, "/menu")
    assert await all_cases(app) == []


@SQLITE_ONLY
async def test_a_found_thing_is_answered_from_lost_and_found(app: App, owner: People) -> None:
    for question in FOUND_THINGS:
        await owner.say(OWNER, question)
        assert "失物招领在南门岗亭" in owner.last(OWNER), question
        await owner.say(OWNER, "/menu")
    assert await all_cases(app) == []


@SQLITE_ONLY
async def test_a_found_thing_after_the_repair_button_is_answered_not_reported(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.say(OWNER, "捡到一个手机交给谁")
    assert "失物招领在南门岗亭" in owner.last(OWNER)
    assert await all_cases(app) == [] and (await state(app))[0] == "inquiry"


@SQLITE_ONLY
async def test_a_thing_that_is_no_lost_property_gets_no_lost_and_found_answer(app: App, owner: People) -> None:
    """"东西" is in every other message: only found or lost things reach lost and found."""
    for said in ("楼下好像有烧东西的味道 你们有空帮我看一眼好吗", "楼道里堆的东西能不能清理一下"):
        await owner.say(OWNER, said)
        assert "失物招领" not in owner.last(OWNER), said
        await owner.say(OWNER, "/menu")
