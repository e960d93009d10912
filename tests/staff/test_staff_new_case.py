"""/new in the private chat: the service centre opens a case for an owner from a phone call,
a walk-in or a patrol — the team's card, the owner's message, the first responder."""

from __future__ import annotations

from bot.bootstrap import App
from handlers.kit.i18n import t
from tests.harness import People
from tests.staff.conftest import ENGINEERING, MANAGEMENT, Crew, bound_owner, buttons_of, the_case


async def test_butler_opens_a_phone_case_for_a_bound_owner(app: App, people: People, crew: Crew) -> None:
    await bound_owner(people)  # 张伟, 1-1-101, chat u1
    await people.say("lj", "/new")
    assert "这个问题是怎么来的" in people.last("lj")
    await people.press("lj", "电话")
    await people.say("lj", "138 0000 0001")  # found by phone, typed as said on the line
    await people.say("lj", "卫生间水管漏水，地上都是水")
    suggestion = people.chats["lj"][-1]
    assert "系统建议：报事报修 · 给排水" in suggestion.text
    assert buttons_of(suggestion)[:2] == ["✅ 采用建议", "✏️ 修改"]
    await people.press("lj", "采用建议")
    summary = people.last("lj")
    assert "来源：电话" in summary and "位置：1-1-101" in summary
    assert "张*（138****0001）" in summary and "13800000001" not in summary
    await people.press("lj", "提交工单")

    case = await the_case(app)
    assert (case.source, case.owner_id is not None, case.first_responder_id) == ("phone", True, crew["lj"])
    assert case.category == "plumbing" and case.team_code == "engineering" and case.reporter_chat_id == "u1"
    assert people.last("lj") == f"✅ 工单 #{case.id} 已登记并派给工程部，您是首问责任人。已在聊天中告知业主工单号。"
    card = people.chats[ENGINEERING][-1]
    assert f"#{case.id}" in card.text and "13800000001" not in card.text
    assert any("接单" in b for b in buttons_of(card))
    assert f"通过电话反映的报事报修已登记，工单号 #{case.id}" in people.last("u1")
    assert "13800000001" not in "\n".join(people.all_text(chat) for chat in people.chats if chat != "u1")


async def test_walk_in_for_an_owner_without_a_chat(app: App, people: People, crew: Crew) -> None:
    await people.say("zl", "/new")  # the customer-service supervisor
    await people.press("zl", "到访服务中心")
    await people.say("zl", "1-1-102")  # 王芳: in the register, no chat bound
    await people.say("zl", "客厅灯不亮了，开关没反应")
    await people.press("zl", "修改")  # change the suggestion: a complaint, urgent
    await people.press("zl", "投诉")
    await people.press("zl", "综合服务")
    await people.press("zl", "加急")
    assert "分类：投诉 · 综合服务 · 加急" in people.last("zl")
    await people.press("zl", "提交工单")
    case = await the_case(app)
    assert (case.source, case.kind, case.category, case.urgency) == ("walk_in", "complaint", "general", "urgent")
    assert case.reporter_chat_id == "" and case.owner_id is not None
    assert "请电话告知工单号" in people.last("zl")
    assert "u1" not in people.chats


async def test_shared_area_patrol_case(app: App, people: People, crew: Crew) -> None:
    await people.say("lzy", "/new")  # the manager, walking the estate
    await people.press("lzy", "巡查")
    await people.press("lzy", "公共区域")
    await people.say("lzy", "2号楼电梯厅")
    await people.say("lzy", "电梯厅的灯管坏了两根")
    await people.press("lzy", "采用建议")
    assert "位置：公共区域：2号楼电梯厅" in people.last("lzy") and "业主：-" in people.last("lzy")
    await people.press("lzy", "提交工单")
    case = await the_case(app)
    assert (case.source, case.owner_id, case.room_id, case.place) == ("patrol", None, None, "2号楼电梯厅")
    assert case.first_responder_id == crew["lzy"]
    assert f"#{case.id}" in people.last("lzy")


async def test_who_may_not_and_where_not(app: App, people: People, crew: Crew) -> None:
    await people.say("wq", "/new")  # an engineer
    assert people.last("wq") == "登记新工单只对管家、客服、客服主管和经理开放。如需报修，请联系客服中心。"
    await people.say("wq", "卫生间水管漏水")  # no flow was started: the staff help, not a question
    assert "这个问题是怎么来的" not in people.all_text("wq") and "请描述问题" not in people.all_text("wq")
    await bound_owner(people)
    await people.say("u1", "/new")
    assert "只给物业工作人员使用" in people.last("u1")
    # In a group: a pointer to the private chat, in the group, and no flow.
    await people.say("lj", "/new", chat=ENGINEERING, group=True)
    assert people.last(ENGINEERING) == "登记新工单请在与我的私聊中发送 /new（群里会暴露业主信息）。"
    assert not people.chats["lj"]
    async with app.uow() as uow:
        assert await uow.cases.recent() == []


async def test_bad_input_is_answered_and_nothing_is_opened(app: App, people: People, crew: Crew) -> None:
    await people.say("lj", "/new")
    await people.say("lj", "随便写写")  # a typed source: the buttons, please
    assert people.last("lj") == "请点击上面的按钮选择。"
    await people.press("lj", "电话")
    await people.say("lj", "9-9-999")
    assert people.last("lj").startswith("没有找到房号“9-9-999”")
    await people.say("lj", "13912345678")
    assert people.last("lj").startswith("没有找到手机号为 139****5678 的在住业主")
    await people.say("lj", "1-1-101")
    assert people.last("lj") == "请描述问题（业主怎么说的、看到的情况）。"
    await people.say("lj", "   ")
    assert people.last("lj") == t("zh-CN", "common.empty")
    await people.say("lj", "！！！")
    assert people.last("lj") == t("zh-CN", "common.no_words")
    await people.press("lj", "返回")  # back to the room: another one
    await people.say("lj", "1-1-102")
    await people.say("lj", "取消")
    assert people.last("lj") == t("zh-CN", "common.cancelled")
    async with app.uow() as uow:
        assert await uow.cases.recent() == []


async def test_an_owner_with_two_homes_is_asked_which(app: App, people: People, crew: Crew) -> None:
    await people.say("lj", "/new")
    await people.press("lj", "员工发现")
    await people.say("lj", "13800000005")  # 陈静: 1-1-601 and 2-1-101
    ask = people.chats["lj"][-1]
    assert ask.text == "陈*（138****0005） 名下有多套房，是哪一套的问题？"
    assert buttons_of(ask)[:2] == ["1-1-601", "2-1-101"]
    await people.say("lj", "3-3-303")  # not one of hers
    assert people.last("lj") == "请点击上面的按钮选择。"
    await people.press("lj", "2-1-101")
    await people.say("lj", "厨房水龙头一直滴水")
    await people.press("lj", "采用建议")
    assert "位置：2-1-101" in people.last("lj")
    await people.press("lj", "提交工单")
    case = await the_case(app)
    async with app.uow() as uow:
        room = await uow.directory.room_by_id(case.room_id)  # type: ignore[arg-type]
    assert room is not None and room.code == "2-1-101" and case.source == "staff"


async def test_in_english_for_a_supervisor_who_reads_english(app: App, people: People, crew: Crew) -> None:
    await people.say("zl", "/lang en")
    await people.say("zl", "/new")
    assert people.last("zl") == "📝 New case. How did it come in?"
    await people.press("zl", "Phone")
    await people.press("zl", "Shared area")
    await people.say("zl", "car park B")
    await people.say("zl", "地库B区有一盏灯不亮")
    assert people.last("zl").startswith("Suggested: ")
    await people.press("zl", "Accept")
    assert "Where: Shared area: car park B" in people.last("zl")
    await people.press("zl", "Open the case")
    case = await the_case(app)
    assert people.last("zl").startswith(f"✅ Case #{case.id} is open and sent to ")


async def test_an_emergency_taken_by_phone_raises_the_alarm(app: App, people: People, crew: Crew) -> None:
    await people.say("lj", "/new")
    await people.press("lj", "电话")
    await people.say("lj", "1-1-102")
    await people.say("lj", "楼上往下渗水")
    await people.press("lj", "修改")
    await people.press("lj", "报事报修")
    await people.press("lj", "给排水")
    await people.press("lj", "紧急")
    await people.press("lj", "提交工单")
    case = await the_case(app)
    assert case.urgency == "emergency"
    assert any(f"#{case.id}" in text for text in people.texts(MANAGEMENT))  # the duty group hears of it
    assert any(f"#{case.id}" in text for text in people.texts(ENGINEERING))
    assert "13800000002" not in people.all_text(MANAGEMENT) + people.all_text(ENGINEERING)
