"""/moveout ROOM: customer service records a change of owner; the home's people and the
household they added leave, their chats are unbound and told, their cases kept."""

from __future__ import annotations

from bot.bootstrap import App
from tests.harness import People
from tests.staff.conftest import Crew, bound_owner, report_leak


async def owner_of(app: App, user: str) -> int | None:
    async with app.uow() as uow:
        identity = await uow.directory.identity("console", user)
        return identity.owner_id if identity else None


async def test_a_change_of_owner_recorded_by_staff_unbinds_the_home(app: App, people: People, crew: Crew) -> None:
    await bound_owner(people, "u1", "13800000001")  # 张伟, 1-1-101
    await report_leak(people, "u1")
    await people.say("u1", "/household")
    await people.press("u1", "添加租户")
    await people.say("u1", "13900000002")
    await people.say("u1", "赵租")
    await people.press("u1", "确认添加")
    await people.say("t1", "/start")
    await people.contact("t1", "13900000002")
    zhang = await owner_of(app, "u1")

    # An engineer may not; customer service may.
    await people.say("wq", "/moveout 1-1-101")
    assert "需要客服或管理处人员操作" in people.last("wq")
    await people.say("u1", "/moveout 1-1-101")  # nor an owner
    assert "需要客服或管理处人员操作" in people.last("u1")
    await people.say("lj", "/moveout 9-9-999")
    assert "没有找到房号 9-9-999" in people.last("lj")

    await people.say("lj", "/moveout 1-1-101")
    preview = people.last("lj")
    assert "张*（业主）" in preview and "赵*（租户）" in preview and "张伟" not in preview
    assert await owner_of(app, "u1") == zhang  # a preview changes nothing

    await people.say("lj", "/moveout 1-1-101 确认")
    assert "已记录 1-1-101 迁出：移出 2 人，2 个聊天已解除绑定" in people.last("lj")
    assert "您已不再是 1-1-101 的登记住户" in people.last("u1")
    assert "您已不再是 1-1-101 的登记住户" in people.last("t1")
    assert await owner_of(app, "u1") is None and await owner_of(app, "t1") is None
    async with app.uow() as uow:
        case = (await uow.cases.recent())[0]
        assert case.owner_id == zhang  # history kept
        community = await uow.directory.community()
        room = await uow.directory.room(community.id, "1-1-101")
        assert await uow.directory.owners_of_room(room.id) == []
    await people.say("lj", "/moveout 1-1-101 确认")
    assert "目前没有登记的住户" in people.last("lj")
