"""Binding a chat user to the owner register."""

from __future__ import annotations

from bot.bootstrap import App
from tests.flows.conftest import CUSTOMER_SERVICE
from tests.harness import People


async def identity_owner(app: App, user: str) -> int | None:
    async with app.uow() as uow:
        identity = await uow.directory.identity("console", user)
        return identity.owner_id if identity else None


async def test_share_contact_binds_and_shows_the_menu(app: App, people: People) -> None:
    await people.say("u1", "/start")
    assert "分享手机号" in people.last("u1") and people.chats["u1"][-1].contact_button
    await people.contact("u1", "+86 138 0000 0001")
    assert "绑定成功！张伟，您的房屋：1-1-101" in people.last("u1")
    assert people.button("u1", "报事报修")
    assert await identity_owner(app, "u1") is not None


async def test_someone_elses_contact_is_refused(app: App, people: People) -> None:
    await people.say("u1", "/start")
    await people.contact("u1", "13800000001", of_user="someone-else")
    assert "本人" in people.last("u1")
    assert await identity_owner(app, "u1") is None


async def test_room_name_and_last_digits(app: App, people: People) -> None:
    await people.say("u2", "/start")
    await people.say("u2", "1-1-102 王芳 0002")
    assert "绑定成功！王芳" in people.last("u2")


async def test_no_match_is_never_a_guess_and_customer_service_is_told(app: App, people: People) -> None:
    await people.say("u3", "/start")
    await people.contact("u3", "13999999999")
    assert "没有找到匹配" in people.last("u3")
    handoff = people.last(CUSTOMER_SERVICE)
    assert "139****9999" in handoff and "13999999999" not in handoff
    await people.say("u3", "1-1-102 王芳 9999")  # right room and name, wrong digits
    await people.say("u3", "1-1-102 王芳 0003")
    assert "暂停绑定" in people.last("u3")
    assert await identity_owner(app, "u3") is None
    assert len(people.chats[CUSTOMER_SERVICE]) == 1  # one hand-off, not one per try


async def test_unbound_user_wanting_to_report_binds_first_then_continues(app: App, people: People) -> None:
    await people.say("u4", "/start")
    await people.say("u4", "取消")
    await people.press("u4", "报事报修")
    assert "需要先绑定" in people.all_text("u4")
    await people.contact("u4", "13800000005")
    assert "请问是哪里的问题" in people.last("u4")
    assert people.button("u4", "1-1-601") and people.button("u4", "2-1-101")


async def test_english_speaker(app: App, people: People) -> None:
    await people.say("u5", "/start", language="en-US")
    assert "Share my phone number" in people.last("u5")
    await people.contact("u5", "13800000020")
    assert "You're linked, Emily Carter" in people.last("u5")


async def test_a_staff_members_chat_is_not_bound_to_an_owner(app: App, people: People) -> None:
    """services.directory.bind_chat keeps a staff chat a staff chat, even with an owner's phone."""
    async with app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        staff = await uow.directory.staff_by_name(community.id, "赵丽")
        assert staff is not None
        await uow.directory.bind("console", "zhaoli", "zhaoli", now=app.now(), staff_id=staff.id)
        await uow.commit()
    await people.contact("zhaoli", "+86 138 0000 0001")
    assert "工作人员账号" in people.last("zhaoli") and "绑定成功" not in people.all_text("zhaoli")
    assert await identity_owner(app, "zhaoli") is None
