"""The register's business actions on the in-memory unit of work."""

from __future__ import annotations

import pytest

from cases.errors import InvalidInput, NotAllowed, NotFound
from services import directory
from services.actors import Actor
from services.events import ChatBound, LanguageChanged, NoticesMuted, StaffChatsRevoked
from tests.unit.fakes import Desk
from tests.unit.services.conftest import T0, owner, staff
from tests.unit.services.test_casework import direct, refused


async def call(d: Desk, service, *args, **kwargs):  # type: ignore[no-untyped-def]
    async with d.uow() as uow:
        events = await service(uow, *args, **kwargs)
        await uow.commit()
    return events


async def test_an_owner_mutes_once_and_unmutes(d: Desk) -> None:
    [event] = await call(d, directory.set_muted, owner(d), T0, muted=True)
    assert isinstance(event, NoticesMuted) and d.db.tables.owners[d.owner_id][3] is True
    assert await call(d, directory.set_muted, owner(d), T0, muted=True) == []
    await call(d, directory.set_muted, owner(d), T0, muted=False)
    assert d.db.tables.owners[d.owner_id][3] is False
    error = await refused(d, NotAllowed, call, directory.set_muted, staff(d, "王强"), T0, muted=True, via=direct)
    assert error.details["reason"] == "not_owner"


async def test_a_chat_changes_language_only_to_one_we_have(d: Desk) -> None:
    me = Actor.owner(d.owner_id, channel="telegram", chat_id="o1", user_id="o1")
    await refused(d, InvalidInput, call, directory.set_language, me, T0, locale="fr", via=direct)
    [event] = await call(d, directory.set_language, me, T0, locale="en")
    assert isinstance(event, LanguageChanged)
    assert [i.locale for i in d.db.tables.identities if i.user_id == "o1"] == ["en"]


async def test_binding_a_chat_to_an_owner(d: Desk) -> None:
    newcomer = Actor.owner(None, channel="telegram", chat_id="n1", user_id="n1")
    await refused(d, NotFound, call, directory.bind_chat, d.community, newcomer, T0, owner_id=4040, how="contact", via=direct)
    await refused(d, InvalidInput, call, directory.bind_chat, d.community, newcomer, T0, owner_id=d.owner_id, how="guess", via=direct)
    [event] = await call(d, directory.bind_chat, d.community, newcomer, T0, owner_id=d.owner_id, how="contact")
    assert isinstance(event, ChatBound) and event.previous_owner is None
    assert {i.user_id for i in d.db.tables.identities if i.owner_id == d.owner_id} == {"o1", "n1"}


async def test_a_staff_chat_is_never_bound_to_an_owner(d: Desk) -> None:
    sid = d.staff["王强"]
    worker = Actor.owner(None, channel="telegram", chat_id=f"s{sid}", user_id=f"s{sid}")
    await refused(d, NotAllowed, call, directory.bind_chat, d.community, worker, T0, owner_id=d.owner_id, how="contact", via=direct)


@pytest.mark.parametrize(("boss", "member", "allowed"), [
    ("周经理", "王强", True), ("孙工", "李明", True), ("孙工", "赵军", False), ("王强", "李明", False),
    ("郑质检", "王强", False),
])
async def test_who_may_take_a_staff_members_chats_away(d: Desk, boss: str, member: str, allowed: bool) -> None:
    target = d.staff[member]
    if not allowed:
        await refused(d, NotAllowed, call, directory.revoke_staff_chats, d.community, staff(d, boss), T0,
                      staff_id=target, via=direct)
        return
    [event] = await call(d, directory.revoke_staff_chats, d.community, staff(d, boss), T0, staff_id=target)
    assert isinstance(event, StaffChatsRevoked)
    assert not [i for i in d.db.tables.identities if i.staff_id == target]
