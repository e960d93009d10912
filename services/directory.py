"""The business actions on the community's register: binding a chat to an owner who proved
who they are, an owner muting ordinary notices, a chat's language, and taking a staff
member's chats away.  How an owner proves who they are (a shared contact, or room, name
and last digits under `cases.binding_guard`'s limits) stays with the front end that asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cases.codes import Role
from cases.errors import InvalidInput, NotAllowed, NotFound
from cases.records import Community
from handlers.kit.i18n import LOCALES
from services import access
from services.actors import Actor
from services.events import ChatBound, Event, LanguageChanged, NoticesMuted, StaffChatsRevoked
from storage.console import ConsoleStore, StaffRow
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


@dataclass(frozen=True, slots=True)
class Post:
    """One of a person's staff rows: a community they serve in, and as what."""

    staff_id: int
    community_id: int
    community_code: str
    community_name: str
    role: str


def _same_person(a: StaffRow, b: StaffRow) -> bool:
    # One row per community with the same code and phone (the model of issue 19).  Two
    # communities' files may each have a "gc01" who are different people: without a phone
    # to tell them apart, a row stands alone.
    return a.staff_id == b.staff_id or (a.code == b.code and bool(a.phone) and a.phone == b.phone)


def _post(row: StaffRow) -> Post:
    return Post(row.staff_id, row.community_id, row.community_code, row.community_name, row.role)


async def posts_of(uow: UnitOfWork, staff_id: int) -> tuple[Post, ...]:
    """The communities the person behind this staff row may work in: their active rows, one
    per community, this one included (none if it is no longer active); lowest id first."""
    rows = await ConsoleStore(uow.session).active_staff_rows(staff_id=staff_id)
    this = next((r for r in rows if r.staff_id == staff_id), None)
    return tuple(_post(r) for r in rows if this is not None and _same_person(this, r))


async def people_by_code(uow: UnitOfWork, code: str) -> list[tuple[Post, ...]]:
    """Who a staff code names: each person's posts (usually one person)."""
    rows = await ConsoleStore(uow.session).active_staff_rows(code=code)
    people: list[tuple[Post, ...]] = []
    seen: set[int] = set()
    for row in rows:
        if row.staff_id not in seen:
            person = tuple(_post(r) for r in rows if _same_person(row, r))
            seen.update(p.staff_id for p in person)
            people.append(person)
    return people
