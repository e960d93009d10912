"""Nothing the owner gave is lost, in the families a seventh and an eighth independent author
found (in our own wordings): an account told in two to four short messages is the case's
description whole; a correction ("搞错了 是…", "更正…", "唔係…") during a flow is kept with the
account and the flow goes on; every photo reaches the case the flow makes — through the danger
question, in a quoted booking, with the menu's entry pressed after it, when the words after it
tell a complaint — and more words after a photo's caption are no room number."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App
from cases.clock import FakeClock
from tests.dialogues.conftest import BOTH_DATABASES, SQLITE_ONLY, OWNER, state
from tests.dialogues.test_danger_question import UnsureAbout
from tests.flows.helpers import all_cases, only_case
from tests.harness import People


async def hurry(owner: People, *labels: str) -> None:
    for label in labels:
        await owner.press(OWNER, label)


# ----------------------------------------------------------------- an account in pieces
@BOTH_DATABASES
async def test_an_account_in_three_pieces_is_the_whole_description(app: App, owner: People) -> None:
    for piece in ("儿童房", "窗户"):
        await owner.say(OWNER, piece)
    await owner.say(OWNER, "关不严 漏风")
    assert "儿童房 窗户 关不严 漏风" in owner.last(OWNER)  # the proposal quotes the whole account
    await hurry(owner, "继续", "我家", "跳过", "一般", "今天", "提交")
    case = await only_case(app)
    assert (case.kind, case.description) == ("report", "儿童房 窗户 关不严 漏风")


@SQLITE_ONLY
async def test_pieces_in_a_public_place_one_not_understood_alone(app: App, owner: People) -> None:
    for piece in ("B2层电梯口", "那个照明灯", "全灭了 黑乎乎的"):
        await owner.say(OWNER, piece)
    await hurry(owner, "继续", "公共区域")
    await owner.say(OWNER, "B区电梯口附近")
    await hurry(owner, "跳过", "一般", "今天", "提交")
    case = await only_case(app)
    assert case.description == "B2层电梯口 那个照明灯 全灭了 黑乎乎的" and case.category == "electrical"


@SQLITE_ONLY
async def test_two_whole_requests_in_a_row_are_not_merged(app: App, owner: People) -> None:
    await owner.say(OWNER, "厨房水龙头坏了")
    await owner.say(OWNER, "门口路灯不亮了")
    assert "厨房水龙头" not in owner.last(OWNER)
    await hurry(owner, "继续", "我家", "跳过", "一般", "今天", "提交")
    assert (await only_case(app)).description == "门口路灯不亮了"


@SQLITE_ONLY
async def test_a_piece_from_minutes_ago_is_another_conversation(app: App, owner: People, clock: FakeClock) -> None:
    await owner.say(OWNER, "主卧飘窗")
    clock.advance(timedelta(minutes=20))
    await owner.say(OWNER, "下雨就往里渗水")
    assert "主卧飘窗" not in owner.last(OWNER)


# ----------------------------------------------------------------- corrections
@BOTH_DATABASES
async def test_a_correction_at_the_photo_step_is_kept_and_the_step_asked_again(app: App, owner: People) -> None:
    await hurry(owner, "报事报修", "我家")
    await owner.say(OWNER, "卫生间的排风扇不转了")
    await owner.say(OWNER, "搞错了 是厨房那个")
    shown = owner.last(OWNER)
    assert "搞错了 是厨房那个" in "\n".join(owner.texts(OWNER)[-2:]) and "跳过" in "".join(
        b.text for row in owner.chats[OWNER][-1].buttons for b in row)
    assert "请发送照片" not in shown
    await hurry(owner, "跳过", "一般", "今天", "提交")
    case = await only_case(app)
    assert case.description == "卫生间的排风扇不转了；搞错了 是厨房那个"


@SQLITE_ONLY
async def test_a_correction_at_the_room_question_is_no_room_number(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.say(OWNER, "书房的灯不亮了")
    await owner.say(OWNER, "不好意思 说错了，是次卧的灯")
    assert "没有找到房号" not in owner.all_text(OWNER)
    await hurry(owner, "我家", "跳过", "一般", "今天", "提交")
    assert (await only_case(app)).description == "书房的灯不亮了；不好意思 说错了，是次卧的灯"


@SQLITE_ONLY
async def test_a_correction_while_the_kind_is_proposed_and_in_cantonese(app: App, owner: People) -> None:
    await owner.say(OWNER, "飯廳盞燈唔著")
    await owner.say(OWNER, "唔啱 係客廳嗰盞")
    assert "没太看懂" not in owner.last(OWNER) and "唔啱 係客廳嗰盞" in owner.last(OWNER)
    await hurry(owner, "继续", "我家", "跳过", "一般", "今天", "提交")
    case = await only_case(app)
    assert case.kind == "report" and case.description.endswith("；唔啱 係客廳嗰盞")


@SQLITE_ONLY
async def test_a_correction_in_a_complaint_goes_with_it(app: App, owner: People) -> None:
    await owner.press(OWNER, "投诉")
    await owner.say(OWNER, "楼上302每天半夜拖椅子 吵得睡不着")
    await owner.say(OWNER, "更正：是402 不是302")
    assert "更正：是402 不是302" in owner.all_text(OWNER)
    for _ in range(8):
        if await all_cases(app):
            break
        buttons = [b.text for row in owner.chats[OWNER][-1].buttons for b in row]
        pick = next((w for w in ("跳过", "不需要", "提交", "确认", "一般", "今天") if any(w in t for t in buttons)), None)
        if pick is None:
            await owner.say(OWNER, "昨晚")
            continue
        await owner.press(OWNER, pick)
    case = await only_case(app)
    assert case.kind == "complaint" and "更正：是402 不是302" in case.description


@SQLITE_ONLY
async def test_not_very_urgent_is_still_the_urgency_answer(app: App, owner: People) -> None:
    await hurry(owner, "报事报修", "我家")
    await owner.say(OWNER, "阳台地砖拱起来了")
    await owner.press(OWNER, "跳过")
    await owner.say(OWNER, "不对劲的地方就这些")  # "不对劲" is a word, no correction
    assert "好的，已按您的更正记下" not in owner.all_text(OWNER)


# ----------------------------------------------------------------- photos
FLOOR = "餐厅的木地板起拱了 翘起来老高"


@BOTH_DATABASES
async def test_a_captioned_photo_through_the_danger_question_reaches_the_report(app: App, owner: People) -> None:
    app.desk.classifier = UnsureAbout(app.desk.classifier, FLOOR)  # the classifier's doubt, made certain
    await hurry(owner, "报事报修", "我家")
    await owner.photo(OWNER, "floor-1", FLOOR)
    assert "危险" in owner.last(OWNER)
    await owner.press(OWNER, "没有危险")
    await hurry(owner, "完成", "一般", "今天", "提交")
    case = await only_case(app)
    assert case.photos == ["floor-1"] and case.description == FLOOR


@SQLITE_ONLY
async def test_a_photo_at_idle_through_the_danger_question_starts_the_report_with_it(app: App, owner: People) -> None:
    app.desk.classifier = UnsureAbout(app.desk.classifier, FLOOR)
    await owner.photo(OWNER, "floor-2", FLOOR)
    await owner.press(OWNER, "没有危险")
    assert await state(app) == ("report", "room")
    await hurry(owner, "我家", "完成", "一般", "今天", "提交")
    assert (await only_case(app)).photos == ["floor-2"]


@SQLITE_ONLY
async def test_photos_in_a_quoted_booking_are_on_the_service_case(app: App, owner: People) -> None:
    await owner.press(OWNER, "预约服务")
    await owner.say(OWNER, "想请师傅来给我装个浴室置物架")
    await owner.photo(OWNER, "shelf-1", "装在这面墙")
    await owner.photo(OWNER, "shelf-2")
    await hurry(owner, "提交", "明天")
    await owner.press(OWNER, "确认")
    case = await only_case(app)
    assert (case.kind, case.photos) == ("service", ["shelf-1", "shelf-2"])


@SQLITE_ONLY
async def test_the_menu_entry_pressed_after_a_photo_keeps_the_photo(app: App, owner: People) -> None:
    await owner.photo(OWNER, "fan-1")
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "我家")
    await owner.say(OWNER, "厨房的抽油烟机不转了")
    await hurry(owner, "完成", "一般", "今天", "提交")
    assert (await only_case(app)).photos == ["fan-1"]


@BOTH_DATABASES
async def test_photos_first_then_words_of_a_complaint_file_a_complaint_with_every_photo(app: App, owner: People) -> None:
    for n in (1, 2):
        await owner.photo(OWNER, f"bags-{n}")
    await owner.say(OWNER, "楼道里对门天天把垃圾袋堆在门口，臭得不行，说了也不听，请物业管管")
    assert "投诉" in owner.all_text(OWNER).split("楼道里对门")[-1]
    for _ in range(8):
        if await all_cases(app):
            break
        buttons = [b.text for row in owner.chats[OWNER][-1].buttons for b in row]
        pick = next((w for w in ("跳过", "不需要", "提交", "确认", "我家", "一般", "今天") if any(w in t for t in buttons)), None)
        if pick is None:
            await owner.say(OWNER, "这几天一直这样")
            continue
        await owner.press(OWNER, pick)
    case = await only_case(app)
    assert (case.kind, case.photos) == ("complaint", ["bags-1", "bags-2"])
    assert "垃圾袋" in case.description


@SQLITE_ONLY
async def test_more_words_after_a_caption_at_the_room_question_join_the_description(app: App, owner: People) -> None:
    await owner.photo(OWNER, "glass-1", "卫生间镜子裂了")
    await owner.say(OWNER, "裂缝从右下角斜着一直到上面")
    assert "没有找到房号" not in owner.all_text(OWNER)
    assert await state(app) == ("report", "room")
    await hurry(owner, "我家", "完成", "一般", "今天", "提交")
    case = await only_case(app)
    assert case.description == "卫生间镜子裂了；裂缝从右下角斜着一直到上面" and case.photos == ["glass-1"]


@SQLITE_ONLY
async def test_a_courteous_second_caption_does_not_make_the_category_a_question(app: App, owner: People) -> None:
    await owner.photo(OWNER, "bench-1", "小区门口的路灯杆歪了")
    await owner.photo(OWNER, "bench-2", "换个角度 麻烦你们了")
    await hurry(owner, "公共区域")
    await owner.say(OWNER, "南门")
    await owner.press(OWNER, "完成")
    assert "问题类别" not in owner.last(OWNER)
    await hurry(owner, "一般", "今天", "提交")
    assert (await only_case(app)).photos == ["bench-1", "bench-2"]
