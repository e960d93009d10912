"""/my, /team and /case N in the private chat, with buttons to act."""

from __future__ import annotations

from bot.bootstrap import App
from handlers.kit.payloads import CaseAction, encode
from tests.harness import People
from tests.staff.conftest import ENGINEERING, Crew, bound_owner, buttons_of, report_leak, the_case


async def test_my_team_and_case(app, people: People, crew: Crew) -> None:  # type: ignore[no-untyped-def]
    await people.say("wq", "/my")
    assert people.last("wq") == "你目前没有进行中的工单。"
    await bound_owner(people)
    await report_leak(people)
    await report_leak(people, text="阳台地漏堵了，水排不出去")
    async with app.uow() as uow:
        first, second = sorted(c.id for c in await uow.cases.recent())

    await people.say("ly", "/team")
    listing = people.chats["ly"][-1]
    assert "工程部进行中的工单（2，其中待接单 2）" in listing.text
    assert f"#{first} · 给排水 · 1-1-101 · 待接单 · 剩 24小时" in listing.text
    assert buttons_of(listing) == [f"#{first} 查看", f"#{second} 查看"]  # same deadline: the older first

    await people.raw_press("wq", encode(CaseAction("accept", first)), chat=ENGINEERING, group=True)
    await people.say("wq", "/my")
    mine = people.chats["wq"][-1]
    assert "我负责的工单（1）" in mine.text and f"#{first} · 给排水 · 1-1-101 · 已接单 · 剩 3天" in mine.text
    await people.press("wq", f"#{first} 查看")
    view = people.chats["wq"][-1]
    assert "张伟，电话 13800000001" in view.text  # the worker sees the full contact
    assert "处理记录" in view.text and "接单（王强）" in view.text and "派单（系统）：工程部" in view.text
    assert "🚶 已到场" in buttons_of(view)

    # A teammate may look, but the owner's details stay masked for them.
    await people.say("ly", f"/case {first}")
    view = people.chats["ly"][-1]
    assert "张*（138****0001）" in view.text and "13800000001" not in view.text
    assert "🚶 已到场" in buttons_of(view)  # the buttons are there; pressing them is re-authorised

    # The manager sees everything, including another team's case.
    await people.say("lzy", f"/case #{first}")
    assert "张伟，电话 13800000001" in people.last("lzy")


async def test_case_command_refusals(app, people: People, crew: Crew) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people)
    await report_leak(people)
    case = await the_case(app)
    await people.say("zy", f"/case {case.id}")
    assert people.last("zy") == f"工单 #{case.id} 归工程部处理，只有工程部的同事或主管可以操作。"
    await people.say("u1", f"/case {case.id}")
    assert "只给物业工作人员使用" in people.last("u1")
    await people.say("stranger", f"/case {case.id}")
    assert "只给物业工作人员使用" in people.last("stranger")
    await people.say("stranger", "/team")
    assert "只给物业工作人员使用" in people.last("stranger")
    for bad in ("", "abc", "12a", "9" * 40):
        await people.say("wq", f"/case {bad}")
        assert people.last("wq") == "用法：/case 工单号，例如 /case 12", bad
    await people.say("wq", "/case 4242")
    assert people.last("wq") == "没有找到工单 #4242。"
    # A "查看" button of another case, forged, is refused like the command.
    outcome = await people.raw_press("zy", f"1|c|show|{case.id}")
    assert outcome.answer == f"工单 #{case.id} 归工程部处理，只有工程部的同事或主管可以操作。"


async def test_team_of_another_department(app, people: People, crew: Crew) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people)
    await report_leak(people)
    await people.say("zy", "/team 工程部")
    assert people.last("zy") == "你不能查看工程部的工单。"
    await people.say("zl", "/team 工程部")  # the customer-service supervisor oversees it
    assert "工程部进行中的工单（1" in people.last("zl")
    await people.say("zl", "/team security")
    assert people.last("zl") == "秩序部目前没有进行中的工单。"
    await people.say("zl", "/team 不存在部")
    assert "没有“不存在部”这个部门" in people.last("zl")


async def test_commands_typed_in_a_group_answer_privately(app, people: People, crew: Crew) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people)
    await report_leak(people)
    case = await the_case(app)
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    cards = len(people.chats[ENGINEERING])
    await people.say("wq", f"/case {case.id}", chat=ENGINEERING, group=True)
    await people.say("wq", "/my@wuye_bot", chat=ENGINEERING, group=True)
    assert len(people.chats[ENGINEERING]) == cards  # nothing posted in the group
    assert "张伟，电话 13800000001" in people.texts("wq")[-2] and "我负责的工单（1）" in people.last("wq")


async def test_owner_typing_my(app, people: People, crew: Crew) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people)
    await people.say("u1", "/my")
    if "my_cases" in app.desk.routes.flows:
        # The owner's own case list (handlers/owner/my_cases.py) answers once merged.
        assert "只给物业工作人员使用" not in people.last("u1")
    else:
        assert "只给物业工作人员使用" in people.last("u1")


async def test_staff_free_text_gets_the_staff_help_not_the_owner_router(app: App, people: People, crew: Crew) -> None:
    await people.say("wq", "今天的活干完了")
    assert "部门群" in people.last("wq") and "绑定" not in people.all_text("wq")
    async with app.uow() as uow:
        assert await uow.cases.count() == 0
