"""Households: the family members and tenants an owner adds to a home, and moving out.

A member is a person (an `owners` row, keyed by phone like every resident) linked to the
room with the role `family` or `tenant` and the owner who added them (`added_by_id`).
They bind as owners do — sharing their own phone number, or room + name + last four
digits — and may then report and follow cases for that home.  Only an owner of record
of the room may add or remove them; they leave with that owner (a register move-out or
a staff command), and anyone left with no home here has their chats unbound.  Nothing
is deleted but the links: cases, surveys and timelines keep their people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.privacy import NAMES
from storage import models as m
from storage.register import Role

# Enough for any family and a flat-share; a limit so one account cannot fill the register.
MAX_MEMBERS_PER_ROOM = 10


class Refusal(StrEnum):
    """Why a household change was refused (the catalogue key's last part)."""

    NOT_OWNER = "not_owner"  # only an owner of record of the room may add or remove
    ALREADY = "already"  # this phone already lives in this home
    FULL = "full"
    BAD_ROLE = "bad_role"
    NOT_MEMBER = "not_member"  # not a family member or tenant of this home (an owner is never removed here)
    MISMATCH = "mismatch"  # the phone is a resident's registered under another name


class HouseholdRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True, slots=True)
class Member:
    owner_id: int
    room_id: int
    name: str
    phone: str
    role: Role
    added_by_id: int | None
    bound: bool  # has bound a chat (sharing their number, or room + name + digits)


@dataclass(frozen=True, slots=True)
class Departure:
    """What a removal or move-out did: who left which room, and which chats were unbound."""

    left: tuple[tuple[int, str], ...]  # (owner id, name)
    unbound: tuple[tuple[str, str, str], ...]  # (channel, chat id, locale) of each unbound chat


class Households:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def role(self, owner_id: int, room_id: int) -> Role | None:
        role = await self.session.scalar(
            select(m.OwnerRoom.role).where(m.OwnerRoom.owner_id == owner_id, m.OwnerRoom.room_id == room_id))
        return Role(role) if role else None

    async def owned_rooms(self, owner_id: int) -> list[int]:
        """The rooms this person is an owner of record of (the ones they may add people to)."""
        return list(await self.session.scalars(
            select(m.OwnerRoom.room_id).where(m.OwnerRoom.owner_id == owner_id, m.OwnerRoom.role == Role.OWNER.value)
            .order_by(m.OwnerRoom.room_id)))

    async def members(self, room_id: int) -> list[Member]:
        """The family members and tenants of a home, in the order they were added."""
        rows = await self.session.execute(
            select(m.Owner, m.OwnerRoom.role, m.OwnerRoom.added_by_id)
            .join(m.OwnerRoom, m.OwnerRoom.owner_id == m.Owner.id)
            .where(m.OwnerRoom.room_id == room_id, m.OwnerRoom.role != Role.OWNER.value)
            .order_by(m.OwnerRoom.added_at, m.Owner.id))
        found = rows.all()
        bound = set(await self.session.scalars(
            select(m.Identity.owner_id).where(m.Identity.owner_id.in_([o.id for o, _, _ in found]))))
        return [Member(o.id, room_id, o.name, o.phone, Role(role), added_by, o.id in bound)
                for o, role, added_by in found]

    async def add(self, community_id: int, room_id: int, *, by_owner_id: int, name: str, phone: str,
                  role: Role, now: datetime) -> Member:
        """An owner adds a family member or tenant by phone (already normalised). Refused unless
        `by_owner_id` is an owner of record of the room."""
        if role is Role.OWNER:
            raise HouseholdRefused(Refusal.BAD_ROLE)
        if await self.role(by_owner_id, room_id) is not Role.OWNER:
            raise HouseholdRefused(Refusal.NOT_OWNER)
        person = await self.session.scalar(
            select(m.Owner).where(m.Owner.community_id == community_id, m.Owner.phone == phone))
        if person is not None and await self.role(person.id, room_id) is not None:
            raise HouseholdRefused(Refusal.ALREADY)
        if len(await self.members(room_id)) >= MAX_MEMBERS_PER_ROOM:
            raise HouseholdRefused(Refusal.FULL)
        NAMES.add([name])  # before any statement carries it
        if person is None:
            person = m.Owner(community_id=community_id, name=name, phone=phone)
            self.session.add(person)
            await self.session.flush()
        elif not await self._homes(person.id):
            # Someone who lived here before: the name the owner gives now is the one to bind with.
            person.name = name
        elif person.name != name:
            # Someone living here now keeps the name the office registered, and an owner typing
            # phone numbers must not learn whose they are: refused without saying the name.
            raise HouseholdRefused(Refusal.MISMATCH)
        self.session.add(m.OwnerRoom(owner_id=person.id, room_id=room_id, role=role.value,
                                     added_by_id=by_owner_id, added_at=now))
        await self.session.flush()
        bound = await self.session.scalar(select(m.Identity.id).where(m.Identity.owner_id == person.id).limit(1))
        return Member(person.id, room_id, person.name, person.phone, role, by_owner_id, bound is not None)

    async def remove(self, room_id: int, member_id: int, *, by_owner_id: int) -> Departure:
        """An owner removes a family member or tenant of their home (never a co-owner)."""
        if await self.role(by_owner_id, room_id) is not Role.OWNER:
            raise HouseholdRefused(Refusal.NOT_OWNER)
        role = await self.role(member_id, room_id)
        if role is None or role is Role.OWNER:
            raise HouseholdRefused(Refusal.NOT_MEMBER)
        return await self._leave(room_id, [member_id])

    async def move_out(self, room_id: int) -> Departure:
        """A change of owner or a move-out recorded by staff: everyone of the home leaves it
        (owners, family, tenants); their chats are unbound where they have no other home here."""
        people = list(await self.session.scalars(select(m.OwnerRoom.owner_id).where(m.OwnerRoom.room_id == room_id)))
        return await self._leave(room_id, people)

    async def adders_of(self, member_id: int) -> list[tuple[int, int]]:
        """(owner id, room id) of the owners who added this person to a home: told when they bind."""
        rows = await self.session.execute(
            select(m.OwnerRoom.added_by_id, m.OwnerRoom.room_id)
            .where(m.OwnerRoom.owner_id == member_id, m.OwnerRoom.added_by_id.is_not(None)))
        return [(by, room) for by, room in rows.all()]

    async def _homes(self, owner_id: int) -> list[int]:
        return list(await self.session.scalars(select(m.OwnerRoom.room_id).where(m.OwnerRoom.owner_id == owner_id)))

    async def _leave(self, room_id: int, people: list[int]) -> Departure:
        names = dict((await self.session.execute(
            select(m.Owner.id, m.Owner.name).where(m.Owner.id.in_(people)))).all())
        await self.session.execute(delete(m.OwnerRoom).where(m.OwnerRoom.room_id == room_id,
                                                             m.OwnerRoom.owner_id.in_(people)))
        # Family and tenants added by an owner who left leave with them.
        followers = list(await self.session.scalars(
            select(m.OwnerRoom.owner_id).where(m.OwnerRoom.room_id == room_id, m.OwnerRoom.added_by_id.in_(people),
                                               m.OwnerRoom.role != Role.OWNER.value)))
        if followers:
            names |= dict((await self.session.execute(
                select(m.Owner.id, m.Owner.name).where(m.Owner.id.in_(followers)))).all())
            await self.session.execute(delete(m.OwnerRoom).where(m.OwnerRoom.room_id == room_id,
                                                                 m.OwnerRoom.owner_id.in_(followers)))
        await self.session.flush()
        left = [*people, *followers]
        unbound = await unbind_homeless(self.session, left)
        return Departure(tuple((i, names.get(i, "")) for i in left), tuple((c, chat, loc) for _, c, chat, loc in unbound))


async def unbind_homeless(session: AsyncSession, owner_ids: list[int]) -> list[tuple[int, str, str, str]]:
    """Unbind the chats of those of `owner_ids` who have no home in the community any more;
    returns (owner id, channel, chat id, locale) of each chat unbound, so it can be told."""
    if not owner_ids:
        return []
    housed = set(await session.scalars(select(m.OwnerRoom.owner_id).where(m.OwnerRoom.owner_id.in_(owner_ids))))
    homeless = [i for i in owner_ids if i not in housed]
    if not homeless:
        return []
    chats = [(o, c, chat, loc) for o, c, chat, loc in (await session.execute(
        select(m.Identity.owner_id, m.Identity.channel, m.Identity.chat_id, m.Identity.locale)
        .where(m.Identity.owner_id.in_(homeless)).order_by(m.Identity.id))).all()]
    await session.execute(update(m.Identity).where(m.Identity.owner_id.in_(homeless))
                          .values(owner_id=None, verified_at=None))
    await session.flush()
    return chats
