"""Repair reports end to end through the core: transcript, database, staff group."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App, build_app
from cases.lifecycle import Status
from tests.conftest import make_settings
from tests.flows.conftest import ENGINEERING, MANAGEMENT, bound_owner
from tests.harness import People


async def only_case(app: App):  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        cases = await uow.cases.recent()
        assert len(cases) == 1, cases
        return cases[0], await uow.cases.timeline(cases[0].id)


async def test_report_a_leak_with_photos(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "报事报修")
    await people.press("u1", "我家 1-1-101")
    assert "描述" in people.last("u1")
    await people.say("u1", "厨房水槽下面的水管一直在滴水")
    await people.photo("u1", "photo-1")
    assert "已收到 1 张照片" in people.last("u1")
    await people.photo("u1", "photo-2")
    await people.press("u1", "完成")
    assert "紧急程度" in people.last("u1")
    await people.press("u1", "一般")
    await people.press("u1", "明天")
    summary = people.last("u1")
    assert "1-1-101" in summary and "水管" in summary and "照片：2 张" in summary and "明天" in summary
    await people.press("u1", "提交")

    case, timeline = await only_case(app)
    assert people.last("u1").startswith(f"✅ 报修已提交，工单号 #{case.id}")
    assert (case.kind, case.category, case.area, case.urgency) == ("report", "plumbing", "home", "normal")
    assert case.status == Status.DISPATCHED and case.team_code == "engineering"
    assert case.photos == ["photo-1", "photo-2"] and case.details["preferred_time"] == "明天"
    assert [t.action for t in timeline] == ["opened", "dispatched"]

    card = people.chats[ENGINEERING][-1]
    assert f"#{case.id}" in card.text and "给排水" in card.text and "1-1-101" in card.text
    assert "张*" in card.text and "138****0001" in card.text and "张伟" not in card.text
    assert card.photos == ("photo-1", "photo-2") and card.replace_key == f"card:{case.id}"
    assert any("接单" in b.text for row in card.buttons for b in row)
    assert MANAGEMENT not in people.chats  # not an emergency


async def test_public_area_and_back(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "报事报修")
    await people.press("u1", "公共区域")
    await people.say("u1", "返回")
    assert "请问是哪里的问题" in people.last("u1")
    await people.press("u1", "公共区域")
    await people.say("u1", "3号楼1单元5楼楼道")
    await people.say("u1", "楼道的灯坏了，晚上一片漆黑")
    await people.press("u1", "跳过")
    await people.press("u1", "一般")
    await people.say("u1", "周六上午")
    await people.press("u1", "提交")
    case, _ = await only_case(app)
    assert (case.area, case.place, case.room_id, case.category) == ("public", "3号楼1单元5楼楼道", None, "electrical")
    assert case.details["preferred_time"] == "周六上午"


async def test_restart_in_the_middle_resumes(app: App, database_url: str, clock) -> None:
    people = People(app)
    await bound_owner(people)
    await people.press("u1", "报事报修")
    await people.press("u1", "我家")
    await people.say("u1", "卫生间地漏反味")
    await app.close()

    restarted = await build_app(make_settings(database_url), clock)
    try:
        again = People(restarted)
        again.chats = people.chats  # the owner still has the old messages on their phone
        await again.press("u1", "跳过")
        await again.press("u1", "一般")
        await again.press("u1", "越快越好")
        await again.press("u1", "提交")
        case, _ = await only_case(restarted)
        assert case.description == "卫生间地漏反味" and case.status == Status.DISPATCHED
    finally:
        await restarted.close()


async def test_bad_input_at_every_step(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "报事报修")
    await people.say("u1", "9-9-999")
    assert "没有找到房号 9-9-999" in people.last("u1")
    await people.say("u1", "1-1-102")  # exists, but it is someone else's home
    assert "不在您绑定的房屋中" in people.last("u1")
    await people.press("u1", "我家")
    await people.photo("u1", "p0")  # before the photo step: kept for the report, the question asked again
    assert "照片收到了（共 1 张）" in people.texts("u1")[-2] and "请简单描述一下" in people.last("u1")
    await people.say("u1", "   ")
    assert "内容是空的" in people.last("u1")
    await people.say("u1", "漏" * 10_000)
    assert "内容太长了（10000 字）" in people.last("u1")
    await people.say("u1", "😭😭😭💧")
    assert "光有表情" in people.last("u1")
    await people.say("u1", "阳台顶上渗水")
    await people.say("u1", "随便说点什么")
    assert "请发送照片" in people.last("u1")
    assert "已收到 1 张照片" in people.texts("u1")[-2]  # the early photo is in the report
    old_skip = people.button("u1", "完成")
    await people.press("u1", "完成")
    await people.raw_press("u1", old_skip)  # the same old button again
    assert "已过期" in people.last("u1")
    await people.raw_press("u1", "1|p|report|urgency|999|urgent")  # forged nonce
    assert "已过期" in people.last("u1")
    await people.raw_press("u1", "garbage-from-an-old-release")
    assert "已过期" in people.last("u1")
    async with app.uow() as uow:
        assert await uow.cases.count() == 0


async def test_cancel_leaves_no_case(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "报事报修")
    await people.press("u1", "我家")
    await people.press("u1", "取消")
    assert "已取消" in people.last("u1")
    await people.say("u1", "/cancel")
    assert "没有进行中" in people.last("u1")
    async with app.uow() as uow:
        assert await uow.cases.count() == 0


async def test_english_owner_gets_english(app: App, people: People) -> None:
    await bound_owner(people, "u9", "13800000020")
    await people.say("u9", "/lang en")
    assert people.last("u9") == "Switched to English."
    await people.press("u9", "Report a repair")
    assert "Where is the problem?" in people.last("u9")


async def test_describing_the_problem_at_the_room_question_is_kept(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "报事报修")
    await people.say("u1", "我家厨房水龙头一直滴水")
    assert "已记下您的问题描述" in people.all_text("u1") and "请问是哪里的问题" in people.last("u1")
    await people.press("u1", "我家 1-1-101")
    assert "照片" in people.last("u1")  # no need to describe it again
    await people.press("u1", "跳过")
    await people.press("u1", "一般")
    await people.press("u1", "今天")
    await people.press("u1", "提交")
    case, _ = await only_case(app)
    assert case.description == "我家厨房水龙头一直滴水" and case.room_id is not None
