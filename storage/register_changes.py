"""What an owner register changes in the database: planned (the preview), then applied whole.

The register an office sends is the list of who lives where: rows new to the database
are added, a changed name or phone is an update (shown, never silent), and a person no
longer listed for a room has moved out — their link to the room goes, family members and
tenants they added in chat go with them, and whoever is left with no home here has their
chat identities unbound.  Their cases, surveys and timelines stay (history is kept; the
owner row is never deleted).

`plan` reads and compares; `apply` writes exactly the plan, inside the caller's
transaction, so a register is loaded completely or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.privacy import NAMES, mask_phone
from storage import models as m
from storage.households import unbind_homeless
from storage.register import Register, RegisterRow, Role, RowProblem

# Moving out more than this share of a community's people at once needs saying so
# (`allow_mass_move_out`): a register exported for one building, or with a filter left on
# in Excel, would otherwise unbind hundreds of owners.
MASS_MOVE_OUT_SHARE = 0.5
MASS_MOVE_OUT_MIN = 10
CHUNK = 1000  # rows per multi-row statement (well inside SQLite's and asyncpg's parameter limits)


class Kind(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    MOVED_OUT = "moved_out"


@dataclass(frozen=True, slots=True)
class Change:
    kind: Kind
    room: str
    name: str
    phone: str
    role: Role
    line: int | None = None  # the register's line; None for a move-out
    old_name: str = ""
    old_phone: str = ""
    old_role: Role | None = None
    owner_id: int | None = None
    added_in_chat: bool = False  # a household member an owner added, leaving with that owner

    def describe(self) -> str:
        """One preview line; phones masked (the preview may be pasted into a ticket or log)."""
        where = f"line {self.line}: " if self.line else ""
        who = f"{self.room} {self.name} {mask_phone(self.phone)}"
        role = "" if self.role is Role.OWNER else f" ({self.role.value})"
        if self.kind is Kind.NEW:
            renamed = f", name {self.old_name} → {self.name}" if self.old_name else ""  # a known phone
            return f"  new        {where}{who}{role}{renamed}"
        if self.kind is Kind.MOVED_OUT:
            extra = ", added in chat by an owner who moved out" if self.added_in_chat else ""
            return f"  moved out  {self.room} {self.name} {mask_phone(self.phone)}{role}{extra}"
        parts = []
        if self.old_name and self.old_name != self.name:
            parts.append(f"name {self.old_name} → {self.name}")
        if self.old_phone and self.old_phone != self.phone:
            parts.append(f"phone {mask_phone(self.old_phone)} → {mask_phone(self.phone)}")
        if self.old_role is not None and self.old_role != self.role:
            parts.append(f"type {self.old_role.value} → {self.role.value}")
        return f"  updated    {where}{self.room} {', '.join(parts)}"


@dataclass
class RegisterPlan:
    register: Register
    community_id: int
    move_out: bool
    new: list[Change] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    moved_out: list[Change] = field(default_factory=list)
    unchanged: int = 0
    # People left with no home in the community: their chats are unbound on apply.
    leaving: dict[int, int] = field(default_factory=dict)  # owner id → chats bound now
    problems: list[RowProblem] = field(default_factory=list)
    people_now: int = 0
    # Links an owner added in chat that the register now lists: the office's from now on.
    adopted: list[tuple[int, str]] = field(default_factory=list)  # (owner id, room)

    @property
    def changes(self) -> int:
        return len(self.new) + len(self.updated) + len(self.moved_out)

    def mass_move_out(self) -> bool:
        return len(self.moved_out) >= MASS_MOVE_OUT_MIN and len(self.moved_out) > MASS_MOVE_OUT_SHARE * self.people_now

    def summary(self) -> str:
        r = self.register
        chats = sum(self.leaving.values())
        return (f"{r.source} ({r.encoding}, {len(r.rows)} rows): {len(self.new)} new, {len(self.updated)} updated, "
                f"{len(self.moved_out)} moved out, {self.unchanged} unchanged"
                + (f"; {chats} chat(s) of {len(self.leaving)} departing people will be unbound" if self.leaving else ""))

    def lines(self) -> list[str]:
        return [c.describe() for c in (*self.new, *self.updated, *self.moved_out)]


@dataclass(frozen=True, slots=True)
class _Link:
    owner_id: int
    room_id: int
    room: str
    name: str
    phone: str
    role: Role
    added_by_id: int | None


async def _links(session: AsyncSession, community_id: int) -> list[_Link]:
    rows = await session.execute(
        select(m.OwnerRoom.owner_id, m.OwnerRoom.room_id, m.Room.code, m.Owner.name, m.Owner.phone,
               m.OwnerRoom.role, m.OwnerRoom.added_by_id)
        .join(m.Room, m.Room.id == m.OwnerRoom.room_id)
        .join(m.Owner, m.Owner.id == m.OwnerRoom.owner_id)
        .where(m.Room.community_id == community_id)
    )
    return [_Link(o, r, code, name, phone, Role(role), added_by) for o, r, code, name, phone, role, added_by in rows.all()]


def contradictions(rows: tuple[RegisterRow, ...]) -> list[RowProblem]:
    """One phone with two names, one person (a name in a room) with two phones, one person
    listed twice for a room as two different things: refused whole, as merging would bind
    a phone to whichever name came last (and binding trusts the register).  Phones masked."""
    found: list[RowProblem] = []
    name_of_phone: dict[str, tuple[str, int]] = {}
    phone_of_person: dict[tuple[str, str], tuple[str, int]] = {}
    role_of_link: dict[tuple[str, str], tuple[Role, int]] = {}
    for row in rows:
        seen_name, seen = name_of_phone.setdefault(row.phone, (row.name, row.line))
        if seen_name != row.name:
            found.append(RowProblem(row.line, f"phone {mask_phone(row.phone)} has two names "
                                              f"({seen_name!r} and {row.name!r})", seen))
        seen_phone, seen = phone_of_person.setdefault((row.room, row.name), (row.phone, row.line))
        if seen_phone != row.phone:
            found.append(RowProblem(row.line, f"{row.name!r} in {row.room} has two phones "
                                              f"({mask_phone(seen_phone)} and {mask_phone(row.phone)})", seen))
        seen_role, seen = role_of_link.setdefault((row.room, row.phone), (row.role, row.line))
        if seen_role != row.role:
            found.append(RowProblem(row.line, f"{row.name!r} in {row.room} is listed as "
                                              f"{seen_role.value} and as {row.role.value}", seen))
    return found


async def plan(session: AsyncSession, community_id: int, register: Register, *, move_out: bool = True) -> RegisterPlan:
    """Compare the register with the database. `move_out=False` only adds and updates (a list
    of newcomers, not the whole register)."""
    result = RegisterPlan(register, community_id, move_out, problems=[*register.problems])
    result.problems += contradictions(register.rows)
    if result.problems:
        result.problems.sort(key=lambda p: p.line)
        return result
    links = await _links(session, community_id)
    result.people_now = len({link.owner_id for link in links})
    by_key = {(link.room, link.phone): link for link in links}
    owners = {phone: (oid, name) for oid, name, phone in (await session.execute(
        select(m.Owner.id, m.Owner.name, m.Owner.phone).where(m.Owner.community_id == community_id))).all()}
    listed = {(row.room, row.phone): row for row in register.rows}
    listed_phones = {row.phone for row in register.rows}
    rooms_of_owner: dict[int, set[str]] = defaultdict(set)
    by_person: dict[tuple[str, str], list[_Link]] = defaultdict(list)  # (room, name) → links
    for link in links:
        rooms_of_owner[link.owner_id].add(link.room)
        by_person[(link.room, link.name)].append(link)

    renamed: set[int] = set()
    phone_changed: set[tuple[str, str]] = set()  # (room, old phone) consumed by a phone change
    for row in dict.fromkeys(listed.values()):
        link = by_key.get((row.room, row.phone))
        if link is not None:
            name_changes = link.name != row.name and link.owner_id not in renamed
            if name_changes or link.role != row.role:
                renamed.add(link.owner_id)
                result.updated.append(Change(Kind.UPDATED, row.room, row.name, row.phone, row.role, row.line,
                                             old_name=link.name if name_changes else "", old_role=link.role,
                                             owner_id=link.owner_id))
            else:
                result.unchanged += 1
                if link.added_by_id is not None:
                    result.adopted.append((link.owner_id, row.room))
            continue
        # The same person in the same room with a new phone: an update, when the old phone is
        # nowhere in the register, the new one is nobody's yet, and the person has only this home.
        same = [l for l in by_person.get((row.room, row.name), ()) if l.role == row.role and l.added_by_id is None and l.phone not in listed_phones and row.phone not in owners
                and rooms_of_owner[l.owner_id] == {row.room}]
        if move_out and len(same) == 1:
            old = same[0]
            phone_changed.add((old.room, old.phone))
            result.updated.append(Change(Kind.UPDATED, row.room, row.name, row.phone, row.role, row.line,
                                         old_phone=old.phone, owner_id=old.owner_id))
            continue
        existing = owners.get(row.phone)
        old_name = existing[1] if existing and existing[1] != row.name else ""
        result.new.append(Change(Kind.NEW, row.room, row.name, row.phone, row.role, row.line, old_name=old_name,
                                 owner_id=existing[0] if existing else None))

    if move_out:
        gone = [l for l in links if l.added_by_id is None and (l.room, l.phone) not in listed
                and (l.room, l.phone) not in phone_changed]
    else:
        gone = []
    # Household members added in chat stay while the owner who added them still owns the home.
    staying_owners = {(l.room, l.owner_id) for l in links if l.role is Role.OWNER and l not in gone}
    staying_owners |= {(c.room, c.owner_id) for c in result.new if c.role is Role.OWNER}
    staying_owners |= {(c.room, c.owner_id) for c in result.updated if c.role is Role.OWNER}
    demoted = {(c.room, c.owner_id) for c in result.updated if c.role is not Role.OWNER and c.old_role is Role.OWNER}
    staying_owners -= demoted
    followers = [l for l in links if l.added_by_id is not None and (l.room, l.phone) not in listed
                 and (l.room, l.added_by_id) not in staying_owners]
    for l in gone:
        result.moved_out.append(Change(Kind.MOVED_OUT, l.room, l.name, l.phone, l.role, owner_id=l.owner_id))
    for l in followers:
        result.moved_out.append(Change(Kind.MOVED_OUT, l.room, l.name, l.phone, l.role, owner_id=l.owner_id,
                                       added_in_chat=True))

    # Who is left with no home here after the plan.
    remaining: dict[int, set[str]] = {oid: set(rooms) for oid, rooms in rooms_of_owner.items()}
    for c in result.moved_out:
        remaining[c.owner_id].discard(c.room)  # type: ignore[index]
    for c in result.new:
        if c.owner_id is not None:
            remaining.setdefault(c.owner_id, set()).add(c.room)
    leaving = [oid for oid, rooms in remaining.items() if not rooms]
    if leaving:
        counts = await session.execute(
            select(m.Identity.owner_id, func.count()).where(m.Identity.owner_id.in_(leaving)).group_by(m.Identity.owner_id))
        chats = dict(counts.all())
        result.leaving = {oid: chats.get(oid, 0) for oid in leaving}
    result.new.sort(key=lambda c: (c.room, c.phone))
    result.updated.sort(key=lambda c: (c.room, c.phone))
    result.moved_out.sort(key=lambda c: (c.room, c.phone))
    return result


async def apply(session: AsyncSession, p: RegisterPlan, now: datetime | None) -> list[tuple[int, str, str, str]]:
    """Write the plan (the caller commits); returns the chats unbound as (owner id, channel,
    chat id, locale), so they can be told."""
    if p.problems:
        raise ValueError("a register with problems is not applied")
    NAMES.add(c.name for c in (*p.new, *p.updated))  # before any statement carries them
    rooms = dict((await session.execute(
        select(m.Room.code, m.Room.id).where(m.Room.community_id == p.community_id))).all())
    for c in p.moved_out:
        await session.execute(delete(m.OwnerRoom).where(m.OwnerRoom.owner_id == c.owner_id,
                                                        m.OwnerRoom.room_id == rooms[c.room]))
    for c in p.updated:
        owner = await session.get(m.Owner, c.owner_id)
        assert owner is not None
        owner.name, owner.phone = c.name, c.phone
        await session.execute(update(m.OwnerRoom)
                              .where(m.OwnerRoom.owner_id == c.owner_id, m.OwnerRoom.room_id == rooms[c.room])
                              .values(role=c.role.value, added_by_id=None))
    for owner_id, room in p.adopted:
        await session.execute(update(m.OwnerRoom)
                              .where(m.OwnerRoom.owner_id == owner_id, m.OwnerRoom.room_id == rooms[room])
                              .values(added_by_id=None))
    await session.flush()
    # Newcomers: one multi-row insert each for people and links (a first register has
    # tens of thousands of rows; one statement per row took seconds per thousand).
    fresh = list(dict.fromkeys((c.phone, c.name) for c in p.new if c.owner_id is None))
    for i in range(0, len(fresh), CHUNK):
        await session.execute(insert(m.Owner), [{"community_id": p.community_id, "name": name, "phone": phone,
                                                 "muted_notices": False} for phone, name in fresh[i:i + CHUNK]])
    ids: dict[str, int] = {}
    phones = [phone for phone, _ in fresh]
    for i in range(0, len(phones), CHUNK):
        ids.update((phone, oid) for oid, phone in (await session.execute(
            select(m.Owner.id, m.Owner.phone).where(m.Owner.community_id == p.community_id,
                                                    m.Owner.phone.in_(phones[i:i + CHUNK])))).all())
    renames = {c.owner_id: c.name for c in p.new if c.owner_id is not None and c.old_name}
    for owner_id, name in renames.items():
        await session.execute(update(m.Owner).where(m.Owner.id == owner_id).values(name=name))
    links = [{"owner_id": c.owner_id if c.owner_id is not None else ids[c.phone], "room_id": rooms[c.room],
              "role": c.role.value, "added_by_id": None, "added_at": now} for c in p.new]
    for i in range(0, len(links), CHUNK):
        await session.execute(insert(m.OwnerRoom), links[i:i + CHUNK])
    await session.flush()
    return await unbind_homeless(session, list(p.leaving))
