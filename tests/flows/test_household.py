"""Households in chat: an owner adds a family member and a tenant, who bind and report for
the home; the owner lists and removes them; nobody else can add anyone (issue 19, item 3)."""

from __future__ import annotations

from bot.bootstrap import App
from storage.households import Households
from tests.flows.conftest import ENGINEERING, bound_owner
from tests.flows.helpers import only_case, pick
from tests.harness import People


async def add(people: People, owner: str, kind: str, phone: str, name: str) -> None:
    await people.say(owner, "/household")
    await people.press(owner, f"添加{kind}")
    assert "手机号" in people.last(owner)
    await people.say(owner, phone)
    assert "姓名" in people.last(owner)
    await people.say(owner, name)
    assert name in people.last(owner) and "1-1-101" in people.last(owner)
    await people.press(owner, "确认添加")


async def owner_of(app: App, user: str) -> int | None:
    async with app.uow() as uow:
        identity = await uow.directory.identity("console", user)
        return identity.owner_id if identity else None


async def test_family_member_added_binds_reports_for_the_home_and_the_owner_is_told(app: App, people: People) -> None:
    await bound_owner(people, "u1", "13800000001")  # 张伟, 1-1-101
    await people.say("u1", "/household")
    assert "1-1-101：还没有添加家庭成员或租户" in people.last("u1")
    await add(people, "u1", "家属", "139 0000 0001", "李梅")
    assert "已添加 李梅 为 1-1-101 的家属" in people.last("u1")

    # She binds by room + name + the last digits of the number the owner gave.
    await people.say("m1", "/start")
    await people.say("m1", "1-1-101 李梅 0001")
    assert "绑定成功！李梅，您的房屋：1-1-101" in people.last("m1")
    assert "您添加的家属 李梅 已绑定 1-1-101" in people.last("u1")

    # She reports for the home; the card names the home, her name masked.
    await people.press("m1", "报事报修")
    await people.press("m1", "我家 1-1-101")
    await people.say("m1", "厨房水槽下面的水管一直在滴水")
    await people.press("m1", "跳过")
    await people.press("m1", "一般")
    await people.press("m1", "明天")
    await people.press("m1", "提交")
    case = await only_case(app)
    assert case.owner_id == await owner_of(app, "m1") and case.room_id is not None
    card = people.chats[ENGINEERING][-1].text
    assert "1-1-101" in card and "李*" in card and "李梅" not in card and "139****0001" in card
    await people.say("m1", "/mycases")
    assert f"#{case.id}" in people.all_text("m1")

    # The owner sees her in the list, bound.
    await people.say("u1", "/household")
    assert "李梅（家属，139****0001）已绑定" in people.last("u1")


async def test_the_owner_removes_a_tenant_who_is_unbound_and_told(app: App, people: People) -> None:
    await bound_owner(people, "u1", "13800000001")
    await add(people, "u1", "租户", "13900000002", "赵租")
    await people.say("t1", "/start")
    await people.contact("t1", "13900000002")  # or by sharing the number the owner gave
    assert "绑定成功！赵租" in people.last("t1")
    tenant = await owner_of(app, "t1")
    assert tenant is not None

    await people.say("u1", "/household")
    assert "赵租（租户，139****0002）已绑定" in people.last("u1")
    await people.press("u1", "移除 赵租")
    assert "确定将 赵租（租户）从 1-1-101 移除" in people.last("u1")
    await people.press("u1", "确认移除")
    assert "已将 赵租 从 1-1-101 移除" in people.last("u1")
    assert "您已不再是 1-1-101 的登记住户" in people.last("t1")
    assert await owner_of(app, "t1") is None
    await people.say("t1", "/household")
    assert "需要先绑定业主身份" in people.last("t1")
    # Sharing the number again binds to nothing: the tenant no longer lives there.
    await people.say("t1", "/start")
    await people.contact("t1", "13900000002")
    assert "没有找到匹配" in people.last("t1")
    await people.say("u1", "/household")
    assert "还没有添加家庭成员或租户" in people.last("u1")


async def test_a_stranger_a_member_or_a_neighbour_cannot_add_anyone(app: App, people: People) -> None:
    await people.say("x1", "/household")  # a stranger: not bound
    assert "需要先绑定业主身份" in people.last("x1")
    await bound_owner(people, "u1", "13800000001")
    await add(people, "u1", "家属", "13900000001", "李梅")
    await people.say("m1", "/start")
    await people.contact("m1", "13900000001")
    await people.say("m1", "/household")  # a member cannot add (not even himself again)
    assert "只有登记在册的业主本人" in people.last("m1")

    # A neighbour forges a button for 1-1-101 inside his own /household: shown his own home again.
    await bound_owner(people, "u2", "13800000002")  # 王芳, 1-1-102
    await people.say("u2", "/household")
    async with app.uow() as uow:
        community = await uow.directory.community()
        zhang_room = (await uow.directory.room(community.id, "1-1-101")).id
    await people.raw_press("u2", pick(people, "u2", "添加家属", f"add:family:{zhang_room}"))
    assert "1-1-102：还没有添加家庭成员或租户" in people.last("u2") and "手机号" not in people.last("u2")
    member = await owner_of(app, "m1")
    await people.raw_press("u2", pick(people, "u2", "添加家属", f"rm:{zhang_room}:{member}"))
    assert "确定将" not in people.last("u2")
    async with app.uow() as uow:
        assert [o.name for o in await uow.directory.owners_of_room(zhang_room)] == ["张伟", "李梅"]


async def test_an_owner_moved_out_half_way_through_adding_adds_nobody(app: App, people: People) -> None:
    await bound_owner(people, "u1", "13800000001")
    await people.say("u1", "/household")
    await people.press("u1", "添加家属")
    await people.say("u1", "13900000001")
    await people.say("u1", "李梅")
    async with app.uow() as uow:  # the office records the sale meanwhile
        community = await uow.directory.community()
        await Households(uow.session).move_out((await uow.directory.room(community.id, "1-1-101")).id)
        await uow.commit()
    await people.press("u1", "确认添加")
    assert "需要先绑定业主身份" in people.last("u1")
    async with app.uow() as uow:
        assert await uow.directory.owner_by_phone(community.id, "13900000001") is None
