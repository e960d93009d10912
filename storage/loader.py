"""Apply a community file or an owner spreadsheet to the database, idempotently and all at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.policy import DeskPolicy
from cases.privacy import NAMES
from storage import models as m
from storage import register, register_changes
from storage.community_file import CommunityFile, CommunityFileError, StaffSpec
from storage.company_file import Company
from storage.register import RoomIndex
from storage.register_changes import RegisterPlan


@dataclass(frozen=True)
class LoadSummary:
    community: str
    buildings: int
    rooms: int
    owners: int
    staff: int
    teams: int
    services: int
    faqs: int

    def __str__(self) -> str:
        return (
            f"{self.community}: {self.buildings} buildings, {self.rooms} rooms, {self.owners} owners, "
            f"{self.staff} staff in {self.teams} teams, {self.services} services, {self.faqs} FAQ answers"
        )


async def _upsert(session: AsyncSession, model: type, keys: dict, values: dict):  # type: ignore[type-arg]
    row = await session.scalar(select(model).filter_by(**keys))
    if row is None:
        row = model(**keys, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    await session.flush()
    return row


def _policy(spec: CommunityFile) -> DeskPolicy:
    p = spec.policy
    return DeskPolicy.from_json(
        {
            **p.model_dump(),
            "hotline": spec.community.hotline,
            "emergency_numbers": spec.community.emergency_numbers,
            "dispatch": spec.dispatch.dump() if spec.dispatch else None,
        }
    )


async def load_community(session: AsyncSession, spec: CommunityFile, now: datetime, *,
                         shared_staff: frozenset[str] = frozenset()) -> LoadSummary:
    """Create or update everything the file describes; the caller commits (or rolls back).
    `shared_staff`: codes of staff a company file lists for this community (not deactivated
    for being absent from the community file)."""
    info = spec.community
    community = await _upsert(session, m.Community, {"code": info.code},
                              {"name": info.name, "policy": _policy(spec).to_json()})
    cid = community.id

    rooms: dict[str, int] = {}
    for b in spec.buildings:
        building = await _upsert(session, m.Building, {"community_id": cid, "code": b.code}, {"name": b.name})
        for code, unit, floor in b.room_codes():
            room = await _upsert(session, m.Room, {"community_id": cid, "code": code},
                                 {"building_id": building.id, "unit": unit, "floor": floor})
            rooms[code] = room.id

    teams: dict[str, int] = {}
    for t in spec.teams:
        team = await _upsert(session, m.Team, {"community_id": cid, "code": t.code.value}, {"name": t.name})
        teams[t.code.value] = team.id
        await session.execute(delete(m.TeamChat).where(m.TeamChat.team_id == team.id))
        for channel, chat_id in t.chats.items():
            session.add(m.TeamChat(team_id=team.id, channel=channel, chat_id=str(chat_id)))

    listed_staff = set()
    for s in spec.staff:
        listed_staff.add(await _staff_member(session, cid, s, teams[s.team], now))
    # Staff who left are deactivated, not deleted: their names stay on old timelines.
    for member in await session.scalars(select(m.Staff).where(m.Staff.community_id == cid)):
        if member.id not in listed_staff and member.code not in shared_staff:
            member.active = False

    # Known to the redaction before the first statement carries them (SQL logs at DEBUG).
    NAMES.add(o.name for o in spec.owners)
    for o in spec.owners:
        await _owner(session, cid, o.name, o.phone, [rooms[r] for r in o.rooms])

    listed_items = set()
    for item in spec.services:
        row = await _upsert(
            session, m.ServiceItem, {"community_id": cid, "code": item.code},
            {"category": item.category, "name_zh": item.name, "name_en": item.name_en,
             "price_cents": int(item.price * 100), "unit_zh": item.unit, "unit_en": item.unit_en, "active": True},
        )
        listed_items.add(row.id)
    for row in await session.scalars(select(m.ServiceItem).where(m.ServiceItem.community_id == cid)):
        row.active = row.id in listed_items

    await session.execute(delete(m.Faq).where(m.Faq.community_id == cid))
    for f in spec.faq:
        session.add(m.Faq(community_id=cid, code=f.code, keywords=f.keywords, question_zh=f.question,
                          answer_zh=f.answer, question_en=f.question_en, answer_en=f.answer_en))
    await session.flush()
    return LoadSummary(info.name, len(spec.buildings), len(rooms), len(spec.owners), len(spec.staff),
                       len(spec.teams), len(spec.services), len(spec.faq))


async def _staff_member(session: AsyncSession, community_id: int, s: StaffSpec, team_id: int, now: datetime) -> int:
    """The staff row of `s` in one community, and their chats linked to it there."""
    member = await _upsert(
        session, m.Staff, {"community_id": community_id, "code": s.code},
        {"name": s.name, "role": s.role.value, "team_id": team_id, "phone": s.phone, "active": True},
    )
    for channel, user_id in s.chats.items():
        await _upsert(session, m.Identity, {"channel": channel, "user_id": str(user_id), "community_id": community_id},
                      {"chat_id": str(user_id), "staff_id": member.id, "verified_at": now})
    return int(member.id)


async def load_company(session: AsyncSession, company: Company, now: datetime) -> list[LoadSummary]:
    """Every community of a company file, then the teams and staff it shares between them;
    all in the caller's transaction, so a bad file changes nothing.  Idempotent."""
    shared = company.spec.staff
    summaries = []
    for spec in company.communities:
        code = spec.community.code
        mine = frozenset(s.code for s in shared if code in company.codes(s.communities))
        summaries.append(await load_community(session, spec, now, shared_staff=mine))
    ids = {c.code: c.id for c in await session.scalars(select(m.Community))}
    for team in company.spec.teams:
        for code in company.codes(team.communities):
            row = await _team(session, ids[code], team.code.value, team.name)
            # The regional group replaces the team's own chat on the channels it lists.
            for channel, chat_id in team.chats.items():
                await _upsert(session, m.TeamChat, {"team_id": row, "channel": channel}, {"chat_id": str(chat_id)})
    for member in shared:
        for code in company.codes(member.communities):
            await _staff_member(session, ids[code], member, await _team(session, ids[code], member.team, member.team), now)
    return summaries


async def _team(session: AsyncSession, community_id: int, code: str, name: str) -> int:
    """The team's row in a community, created (named `name`) where the community has none."""
    row = await session.scalar(select(m.Team).where(m.Team.community_id == community_id, m.Team.code == code))
    if row is None:
        row = m.Team(community_id=community_id, code=code, name=name)
        session.add(row)
        await session.flush()
    return int(row.id)


async def _owner(session: AsyncSession, community_id: int, name: str, phone: str, room_ids: list[int]) -> None:
    owner = await _upsert(session, m.Owner, {"community_id": community_id, "phone": phone}, {"name": name})
    have = set(await session.scalars(select(m.OwnerRoom.room_id).where(m.OwnerRoom.owner_id == owner.id)))
    for room_id in room_ids:
        if room_id not in have:
            session.add(m.OwnerRoom(owner_id=owner.id, room_id=room_id))
    await session.flush()


async def register_rooms(session: AsyncSession, community_code: str | None) -> tuple[int, RoomIndex]:
    """The community (by code, or the first) and its rooms as a register finds them."""
    query = select(m.Community).order_by(m.Community.id).limit(1)
    if community_code:
        query = query.where(m.Community.code == community_code)
    community = await session.scalar(query)
    if community is None:
        where = f" {community_code!r}" if community_code else ""
        raise CommunityFileError(f"no community{where} in the database: load the community file first")
    rooms = (await session.execute(
        select(m.Room.code, m.Building.code).join(m.Building, m.Building.id == m.Room.building_id)
        .where(m.Room.community_id == community.id))).all()
    return community.id, RoomIndex(rooms)


async def plan_register(session: AsyncSession, community_code: str | None, path: str | Path, *,
                        move_out: bool = True) -> RegisterPlan:
    """Read the register (CSV or xlsx, any encoding an office saves) and compare it with the
    database: the preview `wuye load-owners` prints and, with --apply, applies."""
    community_id, rooms = await register_rooms(session, community_code)
    return await register_changes.plan(session, community_id, register.read(path, rooms), move_out=move_out)


def problems_text(p: RegisterPlan) -> str:
    return "\n".join(f"{p.register.source} {problem}" for problem in p.problems)


async def load_owners_csv(session: AsyncSession, community_code: str | None, path: str | Path,
                          now: datetime | None = None) -> int:
    """Add and update the owners a register lists (nobody moves out); every row must be valid
    or nothing is. Returns the number of rows read."""
    p = await plan_register(session, community_code, path, move_out=False)
    if p.problems:
        raise CommunityFileError(problems_text(p))
    await register_changes.apply(session, p, now)
    return len(p.register.rows)


async def remember_register_names(session: AsyncSession) -> int:
    """Teach the redaction (`cases.privacy.NAMES`) every owner name in the database: at start,
    so groups and logs are masked from the first message."""
    names = list(await session.scalars(select(m.Owner.name)))
    NAMES.add(names)
    return len(names)
