"""The families a sixth independent author found (issue #13), in new wordings: a photo is
never lost wherever it comes (just after filing, a second one at the start, at any step of
a complaint, before an emergency); the owner changes the kind mid-flow ("改成投诉吧", "不是投诉
是…"); the proposal offers the other kinds; a question split over two messages."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App
from cases.clock import FakeClock
from tests.dialogues.conftest import BOTH_DATABASES, SQLITE_ONLY, ENGINEERING, MANAGEMENT, OWNER, emergencies, state
from tests.flows.conftest import CUSTOMER_SERVICE
from tests.flows.helpers import all_cases, only_case
from tests.harness import People


async def file_lock(owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "我家")
    await owner.say(OWNER, "卧室门锁坏了 锁不上")
    for label in ("跳过", "一般", "今天", "提交"):
        await owner.press(OWNER, label)


# ----------------------------------------------------------------- F1 photos
@BOTH_DATABASES
async def test_a_captioned_photo_just_after_filing_joins_that_case(app: App, owner: People) -> None:
    await file_lock(owner)
    case = await only_case(app)
    await owner.photo(OWNER, "lock-1", "这是门把手")
    stored = await only_case(app)  # no second report
    assert stored.photos == ["lock-1"] and stored.details["added"] == ["这是门把手"]
    assert f"已补充到工单 #{case.id}" in owner.last(OWNER)
    assert await state(app) == ("", "")
    assert any("lock-1" in r.photos for r in owner.chats[ENGINEERING])


@SQLITE_ONLY
async def test_a_captioned_photo_of_another_problem_after_filing_starts_its_own_report(app: App, owner: People) -> None:
    await file_lock(owner)
    await owner.photo(OWNER, "drain-1", "阳台地漏堵了")
    assert (await only_case(app)).photos == []
    assert await state(app) == ("report", "room")


@SQLITE_ONLY
async def test_a_captioned_photo_long_after_filing_starts_a_new_report(app: App, owner: People, clock: FakeClock) -> None:
    await file_lock(owner)
    clock.advance(timedelta(hours=2))
    await owner.photo(OWNER, "lock-2", "这是门把手")
    assert (await only_case(app)).photos == []
    assert await state(app) == ("report", "room")


@SQLITE_ONLY
async def test_a_second_captioned_photo_at_the_room_question_is_kept_not_read_as_a_room(app: App, owner: People) -> None:
    await owner.photo(OWNER, "rail-1", "楼道扶手断了")
    await owner.photo(OWNER, "rail-2", "换个方向拍的")
    assert "没有找到房号" not in owner.all_text(OWNER)
    assert "照片收到了（共 2 张）" in owner.texts(OWNER)[-2] and await state(app) == ("report", "room")
    await owner.press(OWNER, "我家")
    assert "已收到 2 张照片" in owner.last(OWNER)
    for label in ("完成", "一般", "今天", "提交"):
        await owner.press(OWNER, label)
    case = await only_case(app)
    assert case.photos == ["rail-1", "rail-2"] and case.description == "楼道扶手断了"


async def finish_complaint(owner: People) -> None:
    """From the place question on: no place, nobody, fix it, whatever category, submit."""
    for label in ("不涉及具体地点", "不涉及具体人员", "尽快把问题解决", "不清楚", "提交投诉"):
        await owner.press(OWNER, label)


@BOTH_DATABASES
async def test_a_captioned_photo_at_the_complaint_account_is_its_account_and_its_evidence(app: App, owner: People) -> None:
    await owner.press(OWNER, "投诉")
    await owner.photo(OWNER, "noise-1", "邻居家装修晚上十点以后还在用电钻")
    assert "什么时候发生" in owner.last(OWNER)
    await owner.press(OWNER, "就在刚才")
    await owner.photo(OWNER, "noise-2")  # at a button question: kept, the question again
    assert "会附在这次投诉里" in owner.texts(OWNER)[-2] and await state(app) == ("complaint", "where")
    await finish_complaint(owner)
    case = await only_case(app)
    assert (case.kind, case.description) == ("complaint", "邻居家装修晚上十点以后还在用电钻")
    assert case.photos == ["noise-1", "noise-2"]
    assert any("noise-1" in r.photos for chat in (CUSTOMER_SERVICE, MANAGEMENT) for r in owner.chats[chat])


@BOTH_DATABASES
async def test_a_photo_then_danger_minutes_later_gives_the_emergency_the_photo(app: App, owner: People, clock: FakeClock) -> None:
    await owner.photo(OWNER, "box-1", "配电箱这里")
    clock.advance(timedelta(minutes=2))
    await owner.say(OWNER, "配电箱冒烟了 还有火花")
    [case] = await emergencies(app)
    assert case.photos == ["box-1"]


@SQLITE_ONLY
async def test_a_photo_long_before_the_danger_is_not_given_to_it(app: App, owner: People, clock: FakeClock) -> None:
    await owner.photo(OWNER, "box-2", "配电箱这里")
    clock.advance(timedelta(minutes=30))
    await owner.say(OWNER, "配电箱冒烟了 还有火花")
    [case] = await emergencies(app)
    assert case.photos == []


# ----------------------------------------------------------------- F2 the kind switched
@SQLITE_ONLY
async def test_switching_a_report_to_a_complaint_asks_the_complaint_account(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "我家")
    await owner.say(OWNER, "还是换成投诉吧")
    assert await state(app) == ("complaint", "what")
    await owner.say(OWNER, "物业答应的维修拖了两个礼拜都没人来")
    assert await state(app) == ("complaint", "when")
    await owner.press(OWNER, "就在刚才")
    await finish_complaint(owner)
    case = await only_case(app)
    assert (case.kind, case.description) == ("complaint", "物业答应的维修拖了两个礼拜都没人来")


@SQLITE_ONLY
async def test_not_a_complaint_but_a_problem_becomes_a_report_of_that_problem(app: App, owner: People) -> None:
    await owner.press(OWNER, "投诉")
    await owner.say(OWNER, "搞错了，不是投诉，是厨房的下水道堵了")
    assert await state(app) == ("report", "room")
    await owner.press(OWNER, "我家")
    for label in ("跳过", "一般", "今天", "提交"):
        await owner.press(OWNER, label)
    case = await only_case(app)
    assert (case.kind, case.category, case.description) == ("report", "plumbing", "厨房的下水道堵了")


@SQLITE_ONLY
async def test_a_complaint_switched_to_a_report_keeps_the_home_and_the_photo(app: App, owner: People) -> None:
    await owner.press(OWNER, "投诉")
    await owner.say(OWNER, "卫生间天花板一直往下滴水")
    await owner.press(OWNER, "就在刚才")
    await owner.press(OWNER, "1-1-101")
    await owner.photo(OWNER, "drip-1")
    await owner.say(OWNER, "其实是要报修")
    assert await state(app) == ("report", "photos")  # the account and the home kept
    for label in ("完成", "一般", "今天", "提交"):
        await owner.press(OWNER, label)
    case = await only_case(app)
    assert (case.kind, case.description, case.photos) == ("report", "卫生间天花板一直往下滴水", ["drip-1"])
    assert case.room_id is not None


@SQLITE_ONLY
async def test_a_booking_switched_to_a_question_asks_it_then_answers_it(app: App, owner: People) -> None:
    await owner.press(OWNER, "预约服务")
    await owner.say(OWNER, "不是预约，是咨询")
    assert await state(app) == ("inquiry", "question")
    await owner.say(OWNER, "停车费")
    assert "300" in owner.last(OWNER) and await all_cases(app) == []


@SQLITE_ONLY
async def test_correction_words_that_name_no_other_kind_stay_the_account(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "我家")
    await owner.say(OWNER, "灯泡换成LED的以后一直闪")
    assert await state(app) == ("report", "photos")


@SQLITE_ONLY
async def test_not_a_complaint_about_you_but_still_a_complaint_stays_one(app: App, owner: People) -> None:
    await owner.press(OWNER, "投诉")
    await owner.say(OWNER, "不是投诉你们保安 是门口那个保安态度太凶了")
    assert await state(app) == ("complaint", "when")
    await owner.press(OWNER, "就在刚才")
    await finish_complaint(owner)
    assert (await only_case(app)).description == "不是投诉你们保安 是门口那个保安态度太凶了"


# ----------------------------------------------------------------- F3 the proposal's other kinds
@SQLITE_ONLY
async def test_the_proposal_offers_the_other_kinds_and_keeps_the_words(app: App, owner: People) -> None:
    await owner.say(OWNER, "小区门口的路灯坏了好几天了")
    proposal = owner.chats[OWNER][-1]
    labels = [b.text for row in proposal.buttons for b in row]
    assert any("继续" in label for label in labels) and {"📣 投诉", "🧾 预约服务", "❓ 咨询"} <= set(labels)
    await owner.press(OWNER, "投诉")
    assert await state(app) == ("complaint", "when")  # the account is the words already given
    await owner.press(OWNER, "持续很久")
    await finish_complaint(owner)
    case = await only_case(app)
    assert (case.kind, case.description) == ("complaint", "小区门口的路灯坏了好几天了")


@SQLITE_ONLY
async def test_a_booking_picked_at_the_proposal_matches_the_catalogue(app: App, owner: People) -> None:
    await owner.say(OWNER, "窗户太脏了 想找人上门擦玻璃")
    await owner.press(OWNER, "预约服务")
    assert "擦玻璃" in owner.all_text(OWNER).rsplit("预约服务", 1)[-1]  # the item named, not the whole list
    assert await state(app) == ("booking", "slot") and await all_cases(app) == []  # the item not asked again


# ----------------------------------------------------------------- F4 a question in two messages
@SQLITE_ONLY
async def test_a_bare_topic_then_a_question_without_one_is_read_together(app: App, owner: People, clock: FakeClock) -> None:
    await owner.say(OWNER, "停车")
    clock.advance(timedelta(seconds=40))
    await owner.say(OWNER, "一个月多少钱啊")
    assert "300" in owner.last(OWNER) and await all_cases(app) == []


@SQLITE_ONLY
async def test_a_question_long_after_the_topic_is_not_glued_to_it(app: App, owner: People, clock: FakeClock) -> None:
    await owner.say(OWNER, "停车")
    clock.advance(timedelta(minutes=20))
    await owner.say(OWNER, "一个月多少钱啊")
    assert "300" not in owner.last(OWNER)
