"""The families a fourth author's dialogues found: what an owner says right after filing, after
an FAQ answer, or in their first message is read for what it is — a new problem is a new case,
a photo for the case just filed joins it, a report told after an answer is filed, a home or a
service item already named is not asked for again, a question at a step that keeps words is
answered — and the danger question's "no" says the request goes on."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App
from cases.clock import FakeClock
from tests.dialogues.conftest import BOTH_DATABASES, SQLITE_ONLY, ENGINEERING, OWNER, state, timeline
from tests.dialogues.test_danger_question import UnsureAbout
from tests.flows.conftest import bound_owner
from tests.flows.helpers import all_cases, only_case
from tests.harness import People


async def file(owner: People, problem: str) -> None:
    await owner.say(OWNER, problem)
    await submit_at_home(owner)


async def submit_at_home(owner: People) -> None:
    """Yes, it is a report; at my home; no photo, normal, today, submit."""
    await owner.press(OWNER, "是的")
    await owner.press(OWNER, "我家")
    for label in ("跳过", "一般", "今天", "提交"):
        await owner.press(OWNER, label)


def buttons(people: People, chat: str = OWNER) -> list[str]:
    return [b.text for row in people.chats[chat][-1].buttons for b in row]


@SQLITE_ONLY
async def test_another_problem_after_filing_is_a_case_of_its_own(app: App, owner: People) -> None:
    await file(owner, "卫生间吊顶掉下来一块板")
    app.desk.classifier = UnsureAbout(app.desk.classifier, "另外 客厅有个插座没电了")  # as round 9's did
    await owner.say(OWNER, "另外 客厅有个插座没电了")
    await owner.press(OWNER, "没有危险")
    assert "看起来您要报事报修" in owner.last(OWNER) and "另外" not in owner.last(OWNER)
    await submit_at_home(owner)
    first, second = await all_cases(app)
    assert (first.description, second.description) == ("卫生间吊顶掉下来一块板", "客厅有个插座没电了")
    assert second.category == "electrical"


@SQLITE_ONLY
async def test_more_about_the_same_problem_still_joins_the_case(app: App, owner: People) -> None:
    await file(owner, "厨房水龙头一直滴水")
    case = await only_case(app)
    await owner.say(OWNER, "另外 师傅来之前先打个电话")
    assert f"已补充到工单 #{case.id}" in owner.last(OWNER)
    assert len(await all_cases(app)) == 1 and "owner_added" in await timeline(app, case.id or 0)


@BOTH_DATABASES
async def test_a_photo_for_the_case_just_filed_joins_it(app: App, owner: People, clock: FakeClock) -> None:
    await file(owner, "楼道里消防栓箱的玻璃碎了")
    case = await only_case(app)
    await owner.photo(OWNER, "glass-1", "补一张现场照片")
    assert f"已补充到工单 #{case.id}" in owner.last(OWNER)
    await owner.photo(OWNER, "glass-2")  # no words, minutes after filing: the same case's
    assert f"已补充到工单 #{case.id}" in owner.last(OWNER)
    assert (await only_case(app)).photos == ["glass-1", "glass-2"]
    assert "glass-2" in [p for r in owner.chats[ENGINEERING] for p in r.photos]
    clock.advance(timedelta(hours=2))
    await owner.photo(OWNER, "crack-1")  # long after: a new report starts with it
    assert "照片会附在工单里" in owner.all_text(OWNER).rsplit("已补充到工单", 1)[-1]
    assert await state(app) == ("report", "room")


@SQLITE_ONLY
async def test_a_report_told_after_an_faq_answer_is_filed(app: App, owner: People) -> None:
    await owner.say(OWNER, "物业费怎么交")
    assert "2.8" in owner.last(OWNER)
    await owner.say(OWNER, "对了 我家门口的声控灯坏了 晚上黑漆漆的")
    assert "看起来您要报事报修" in owner.last(OWNER) and "大门" not in owner.last(OWNER)
    await submit_at_home(owner)
    case = await only_case(app)
    assert (case.kind, case.category) == ("report", "electrical") and "声控灯坏了" in case.description


@SQLITE_ONLY
async def test_the_home_named_in_the_first_message_is_not_asked_again(app: App, people: People) -> None:
    await bound_owner(people, OWNER, "13800000005")  # 陈静: 1-1-601 and 2-1-101
    await people.say(OWNER, "2-1-101卫生间的马桶一直漏水")
    await people.press(OWNER, "是的")
    assert "请问是哪里的问题" not in people.last(OWNER) and "照片" in people.last(OWNER)
    await people.press(OWNER, "返回")  # the room question is still there to change it
    assert "请问是哪里的问题" in people.last(OWNER)
    await people.press(OWNER, "2-1-101")
    for label in ("跳过", "一般", "今天"):
        await people.press(OWNER, label)
    assert "📍 位置：2-1-101" in people.last(OWNER)
    await people.press(OWNER, "提交")
    async with app.uow() as uow:
        room = await uow.directory.room_by_id((await only_case(app)).room_id or 0)
    assert room is not None and room.code == "2-1-101"


@SQLITE_ONLY
async def test_a_shared_place_told_with_its_fault_is_the_description(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "公共区域")
    await owner.say(OWNER, "2号楼1单元3楼楼道的窗户玻璃碎了")
    assert "请简单描述" not in owner.last(OWNER) and "照片" in owner.last(OWNER)
    for label in ("跳过", "一般", "今天", "提交"):
        await owner.press(OWNER, label)
    case = await only_case(app)
    assert (case.area, case.place, case.description) == ("public", "2号楼1单元3楼楼道的窗户玻璃碎了",
                                                         "2号楼1单元3楼楼道的窗户玻璃碎了")
    # A bare place still asks what is wrong there.
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "公共区域")
    await owner.say(OWNER, "3号楼电梯")
    assert "请简单描述" in owner.last(OWNER)


@SQLITE_ONLY
async def test_a_question_where_words_are_kept_is_answered_not_kept(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "我家")
    await owner.say(OWNER, "哦不对 我是想问物业费多少钱一平")
    assert "2.8" in owner.last(OWNER) and await all_cases(app) == []
    await owner.say(OWNER, "继续")
    assert "请简单描述" in owner.last(OWNER)  # back where the question came in, nothing kept
    await owner.press(OWNER, "取消")
    await owner.press(OWNER, "报事报修")
    await owner.say(OWNER, "/lang en")
    await owner.say(OWNER, "where do I pick up my parcels?")
    assert "Noted your description" not in owner.last(OWNER) and "parcel" in owner.last(OWNER).lower()


@SQLITE_ONLY
async def test_the_danger_questions_no_says_the_request_goes_on(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "我家")
    await owner.say(OWNER, "厨房水槽下面漏水")
    app.desk.classifier = UnsureAbout(app.desk.classifier, "还有热水器底下也在滴水")
    await owner.say(OWNER, "还有热水器底下也在滴水")  # typed at the photo step
    assert buttons(owner) == ["🚨 有危险", "没有危险，继续办理"]
    await owner.press(OWNER, "没有危险")
    # Back at the photo step, the words joined the description rather than lost.
    assert "已把这句补充到问题描述里" in owner.texts(OWNER)[-2] and await state(app) == ("report", "photos")
    for label in ("跳过", "一般", "今天", "提交"):
        await owner.press(OWNER, label)
    case = await only_case(app)
    assert case.description == "厨房水槽下面漏水；还有热水器底下也在滴水" and case.urgency != "emergency"
