"""Nothing the owner gives is lost: photos at idle start a report with the photo in it, more
words and photos reach an open case and the people on it, "修好了" confirms finished work,
and what follows an emergency joins it — place, details, photos, "it was a false alarm"."""

from __future__ import annotations

from bot.bootstrap import App
from cases.clock import FakeClock
from tests.dialogues.conftest import (
    BOTH_DATABASES, SQLITE_ONLY, ENGINEERING, MANAGEMENT, OWNER, SECURITY, emergencies, later, state, timeline,
)
from tests.flows.helpers import all_cases, only_case, staff_accepts, staff_finishes
from tests.harness import People



async def submit_report(owner: People) -> None:
    for label in ("跳过", "一般", "今天", "提交"):
        await owner.press(OWNER, label)


@SQLITE_ONLY
async def test_a_photo_with_a_caption_at_idle_starts_a_report_with_the_photo(app: App, owner: People) -> None:
    await owner.photo(OWNER, "tile-1", "门口地砖裂了")
    assert "照片会附在工单里" in owner.texts(OWNER)[-2]
    await owner.press(OWNER, "我家")
    assert "已收到 1 张照片" in owner.last(OWNER)
    for label in ("完成", "一般", "今天"):
        await owner.press(OWNER, label)
    assert "📷 照片：1 张" in owner.last(OWNER)
    await owner.press(OWNER, "提交")
    case = await only_case(app)
    assert (case.kind, case.description, case.photos) == ("report", "门口地砖裂了", ["tile-1"])
    card = next(r for r in reversed(owner.chats[ENGINEERING]) if r.text.startswith("【报事报修】"))
    assert card.photos == ("tile-1",)


@SQLITE_ONLY
async def test_a_bare_photo_at_idle_asks_what_is_wrong_and_keeps_the_photo(app: App, owner: People) -> None:
    await owner.photo(OWNER, "leak-1")
    await owner.press(OWNER, "我家")
    assert "请简单描述一下" in owner.last(OWNER)
    await owner.photo(OWNER, "leak-2")  # another one before the photo step: kept as well
    await owner.say(OWNER, "阳台顶上渗水")
    assert "已收到 2 张照片" in owner.last(OWNER)
    await owner.press(OWNER, "完成")
    await owner.press(OWNER, "一般")
    await owner.press(OWNER, "今天")
    await owner.press(OWNER, "提交")
    case = await only_case(app)
    assert case.photos == ["leak-1", "leak-2"] and case.description == "阳台顶上渗水"


async def file_leak(owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "我家")
    await owner.say(OWNER, "卫生间水龙头一直滴水")
    await submit_report(owner)


@BOTH_DATABASES
async def test_more_words_and_photos_reach_the_open_case_and_its_assignee(app: App, owner: People) -> None:
    await file_leak(owner)
    case = await only_case(app)
    await staff_accepts(app, case.id or 0, "王强")
    async with app.uow() as uow:
        await uow.directory.bind("console", "wq", "wq", now=app.now(),
                                 staff_id=(await uow.directory.staff_by_name(case.community_id, "王强")).id)  # type: ignore[union-attr]
        await uow.commit()
    await owner.say(OWNER, "补充一下：厨房的水龙头也在滴，我电话13800000001")
    assert f"已补充到工单 #{case.id}" in owner.last(OWNER)
    note = owner.last("wq")
    assert "厨房的水龙头也在滴" in note and "138****0001" in note
    group = "\n".join(owner.texts(ENGINEERING)[-2:])
    assert "➕ 业主补充：厨房的水龙头也在滴" in group and "13800000001" not in group
    # From the case itself: 补充说明, then a photo and 完成.
    await owner.say(OWNER, f"/mycases {case.id}")
    await owner.press(OWNER, "补充说明")
    await owner.photo(OWNER, "drip-1")
    await owner.press(OWNER, "完成")
    stored = await only_case(app)
    assert stored.photos == ["drip-1"] and stored.details["added"] == ["厨房的水龙头也在滴，我电话13800000001"]
    assert owner.chats["wq"][-1].photos == ("drip-1",)
    assert (await timeline(app, case.id or 0))[-2:] == ["owner_added", "owner_added_photo"]


@SQLITE_ONLY
async def test_fixed_typed_while_waiting_is_taken_as_the_confirmation(app: App, owner: People) -> None:
    await file_leak(owner)
    case = await only_case(app)
    await staff_finishes(app, case.id or 0)
    await owner.say(OWNER, "好的，修好了谢谢")
    assert f"工单 #{case.id}" in owner.last(OWNER) and await only_case(app)  # asked, not filed
    assert (await only_case(app)).status == "done"
    await owner.press(OWNER, "确认")
    assert (await only_case(app)).status == "closed"


@BOTH_DATABASES
async def test_what_follows_an_emergency_joins_it(app: App, owner: People, clock: FakeClock) -> None:
    await owner.say(OWNER, "有人晕倒在电梯口了 没反应")
    [case] = await emergencies(app)
    assert case.place == "" and "请告诉我具体位置" in owner.last(OWNER)
    await owner.press(OWNER, "在我住的 1 号楼")
    assert (await only_case(app)).place == "1号楼（公共区域）"
    assert "📍 工单" in owner.last(MANAGEMENT) and "1号楼" in owner.last(SECURITY)
    await owner.say(OWNER, "他现在有呼吸 我在旁边看着")
    await owner.photo(OWNER, "scene-1")
    await owner.say(OWNER, "电梯里困人了 快来")  # another danger word within the minutes: the same case
    stored = await only_case(app)
    assert stored.photos == ["scene-1"] and "他现在有呼吸 我在旁边看着" in stored.details["added"]
    assert "电梯里困人了 快来" in stored.details["added"]
    card = [r for r in owner.chats[SECURITY] if r.replace_key == f"card:{case.id}"][-1].text
    assert "位置：1号楼（公共区域）" in card and "业主补充：电梯里困人了 快来" in card
    await owner.say(OWNER, "没事了 是误报")
    stored = await only_case(app)
    assert stored.details["false_alarm"] is True and "false_alarm" in await timeline(app, case.id or 0)
    card = [r for r in owner.chats[SECURITY] if r.replace_key == f"card:{case.id}"][-1].text
    assert "业主称：误报" in card and "误报" in owner.last(MANAGEMENT)
    assert await state(app) == ("", "")


@SQLITE_ONLY
async def test_the_place_typed_after_an_emergency_and_the_minutes_running_out(app: App, owner: People,
                                                                            clock: FakeClock) -> None:
    await owner.say(OWNER, "有人晕倒了 叫不醒")
    assert "请告诉我具体位置" in owner.last(OWNER)
    await owner.say(OWNER, "在1号楼1单元的电梯口")
    assert (await only_case(app)).place == "在1号楼1单元的电梯口" and "位置已补充" in owner.last(OWNER)
    later(clock, 11)
    await owner.say(OWNER, "卧室窗户关不上了")  # the minutes are over: a new request, not a note
    assert "卧室窗户关不上了" in owner.last(OWNER) and "看起来您要" in owner.last(OWNER)
    assert len(await all_cases(app)) == 1


@SQLITE_ONLY
async def test_false_alarm_button_under_the_guidance(app: App, owner: People) -> None:
    await owner.say(OWNER, "插座烧起来了 冒黑烟")
    await owner.press(OWNER, "误报")
    case = await only_case(app)
    assert case.details.get("false_alarm") is True and f"工单 #{case.id} 是误报" in owner.last(OWNER)


@SQLITE_ONLY
async def test_a_photo_captioned_as_more_joins_the_open_case_instead_of_a_new_report(app: App, owner: People) -> None:
    await file_leak(owner)
    case = await only_case(app)
    seen = len(owner.chats[ENGINEERING])
    await owner.photo(OWNER, "ceiling-2", "补充一张漏水的照片")
    stored = await only_case(app)  # no second report was started
    assert stored.photos == ["ceiling-2"] and await state(app) == ("", "")
    assert f"已补充到工单 #{case.id}" in owner.last(OWNER)
    assert len(owner.chats[ENGINEERING]) > seen  # the team's card/group hears of it
    assert (await timeline(app, case.id or 0))[-1] == "owner_added_photo"
