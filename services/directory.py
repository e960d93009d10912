"""The business actions on the community's register: binding a chat to an owner who proved
who they are, an owner muting ordinary notices, a chat's language, and taking a staff
member's chats away.  How an owner proves who they are (a shared contact, or room, name
and last digits under `cases.binding_guard`'s limits) stays with the front end that asks.
"""

from __future__ import annotations

from datetime import datetime

from cases.codes import Role
from cases.errors import InvalidInput, NotAllowed, NotFound
from cases.records import Community
from handlers.kit.i18n import LOCALES
from services import access
from services.actors import Actor
from services.events import ChatBound, Event, LanguageChanged, NoticesMuted, StaffChatsRevoked
from storage.uow import UnitOfWork

HOW = ("contact", "words")


async def bind_chat(uow: UnitOfWork, community: Community, actor: Actor, now: datetime, *,
                    owner_id: int, how: str) -> list[Event]:
    """Bind the actor's chat to the owner they proved to be (the caller did the proving)."""
    if how not in HOW:
        raise InvalidInput(f"{how!r} is not a way of proving who one is")
    if not (actor.channel and actor.user_id and actor.chat_id):
        raise InvalidInput("a chat binds, and this actor names none")
    owner = await uow.directory.owner(owner_id)
    if owner is None or await uow.directory.community_id_of(owner_id=owner_id) != community.id:
        raise NotFound(f"owner {owner_id} in community {community.code}")
    # The chat as it is in that community (a staff member's chat there stays theirs).
    identity = await uow.directory.identity(actor.channel, actor.user_id, community.id)
    if identity is not None and identity.staff_id is not None:
        raise NotAllowed("a staff member's chat is not bound to an owner", reason=access.ROLE)
    before = identity.owner_id if identity else None
    await uow.directory.bind(actor.channel, actor.user_id, actor.chat_id, now=now, owner_id=owner_id,
                             community_id=community.id)
    return [ChatBound(actor=actor, at=now, owner_id=owner_id, channel=actor.channel, user_id=actor.user_id,
                      chat_id=actor.chat_id, previous_owner=before, how=how)]


async def set_muted(uow: UnitOfWork, actor: Actor, now: datetime, *, muted: bool) -> list[Event]:
    """An owner stops (or resumes) ordinary notices; said twice, nothing new happens."""
    if actor.kind != "owner" or actor.id is None:
        raise NotAllowed("only a bound owner mutes notices", reason=access.NOT_OWNER)
    owner = await uow.directory.owner(actor.id)
    if owner is None:
        raise NotFound(f"owner {actor.id}")
    if owner.muted_notices == muted:
        return []
    await uow.directory.set_muted(owner.id, muted)
    return [NoticesMuted(actor=actor, at=now, owner_id=owner.id, muted=muted)]


async def set_language(uow: UnitOfWork, actor: Actor, now: datetime, *, locale: str) -> list[Event]:
    """The language this chat is answered in."""
    if locale not in LOCALES:
        raise InvalidInput(f"no catalogue for {locale!r}")
    if not (actor.channel and actor.user_id):
        raise InvalidInput("a chat has a language, and this actor names none")
    await uow.directory.set_locale(actor.channel, actor.user_id, locale)
    return [LanguageChanged(actor=actor, at=now, channel=actor.channel, user_id=actor.user_id, locale=locale)]


async def revoke_staff_chats(uow: UnitOfWork, community: Community, actor: Actor, now: datetime, *,
                             staff_id: int) -> list[Event]:
    """Take a staff member's chats away (they left, or lost a phone): the manager, or a
    supervisor over their team, may."""
    boss = await access.staff_of(uow, actor)
    member = await uow.directory.staff(staff_id)
    if member is None:
        raise NotFound(f"staff member {staff_id}")
    if boss.role != Role.MANAGER and not (member.id != boss.id and access.oversees(boss, member.team)):
        raise NotAllowed(f"{boss.role} may not revoke {member.name}'s chats", reason=access.NOT_SUPERVISOR)
    await uow.directory.forget_staff_identities(staff_id)
    return [StaffChatsRevoked(actor=actor, at=now, staff_id=staff_id)]
