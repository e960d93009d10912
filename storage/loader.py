"""Apply a community file or an owner spreadsheet to the database, idempotently and all at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.policy import DeskPolicy
from cases.privacy import NAMES
from storage import models as m
from storage import register, register_changes
from storage.community_file import CommunityFile, CommunityFileError, StaffSpec
from storage.company_file import Company
from storage.register import Register, RegisterRow, RoomIndex
from storage.register_changes import CHUNK, RegisterPlan
from storage.roster_changes import RosterChanges


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


async def _sync(session: AsyncSession, model: type, scope: dict[str, Any], key: str,
                rows: list[dict[str, Any]]) -> dict[str, int]:
    """Make the scope's rows (a community's rooms, staff…) match `rows`, matched by `key`: the
    missing inserted and the changed updated in multi-row statements, the rest untouched;
    returns key → id.  A 10,000-room file took a minute one row at a time."""
    where = [getattr(model, name) == value for name, value in scope.items()]
    names = list(rows[0]) if rows else [key]
    have = {row[key]: row for row in (await session.execute(
        select(model.id, *(getattr(model, name) for name in names)).where(*where))).mappings()}  # type: ignore[attr-defined]
    fresh = [{**scope, **row} for row in rows if row[key] not in have]
    changed = [{**row, "id": have[row[key]]["id"]} for row in rows
               if row[key] in have and any(have[row[key]][name] != row[name] for name in names)]
    for i in range(0, len(fresh), CHUNK):
        await session.execute(insert(model), fresh[i:i + CHUNK])
    if changed:
        await session.execute(update(model), changed)  # executemany by primary key
    if fresh:
        return dict((await session.execute(select(getattr(model, key), model.id).where(*where))).all())  # type: ignore[attr-defined]
    return {k: row["id"] for k, row in have.items()}


def _policy(spec: CommunityFile) -> DeskPolicy:
    p = spec.policy
    return DeskPolicy.from_json(
        {
            **p.model_dump(),
            "hotline": spec.community.hotline,
            "emergency_numbers": spec.community.emergency_numbers,
            "office_hours": list(spec.community.office_hours) if spec.community.office_hours else None,
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

    buildings = await _sync(session, m.Building, {"community_id": cid}, "code",
                            [{"code": b.code, "name": b.name} for b in spec.buildings])
    rooms = [{"code": code, "building_id": buildings[b.code], "unit": unit, "floor": floor}
             for b in spec.buildings for code, unit, floor in b.room_codes()]
    await _sync(session, m.Room, {"community_id": cid}, "code", rooms)

    teams: dict[str, int] = {}
    for t in spec.teams:
        team = await _upsert(session, m.Team, {"community_id": cid, "code": t.code.value}, {"name": t.name})
        teams[t.code.value] = team.id
        await session.execute(delete(m.TeamChat).where(m.TeamChat.team_id == team.id))
        for channel, chat_id in t.chats.items():
            session.add(m.TeamChat(team_id=team.id, channel=channel, chat_id=str(chat_id)))

    staff = await _sync(session, m.Staff, {"community_id": cid}, "code",
                        [{"code": s.code, "name": s.name, "role": s.role.value, "team_id": teams[s.team],
                          "phone": s.phone, "active": True} for s in spec.staff])
    listed_staff = {staff[s.code] for s in spec.staff}
    for s in spec.staff:
        for channel, user_id in s.chats.items():
            await _upsert(session, m.Identity, {"channel": channel, "user_id": str(user_id), "community_id": cid},
                          {"chat_id": str(user_id), "staff_id": staff[s.code], "verified_at": now})
    # Staff who left are deactivated, not deleted: their names stay on old timelines.
    await session.execute(update(m.Staff).where(m.Staff.community_id == cid, m.Staff.id.not_in(listed_staff),
                                                m.Staff.code.not_in(shared_staff)).values(active=False))

    await _owners(session, cid, spec, now)

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

    if spec.dispatch is not None and spec.dispatch.roster.clear_changes:
        await RosterChanges(session).clear(cid)

    faq = await _sync(session, m.Faq, {"community_id": cid}, "code",
                      [{"code": f.code, "keywords": f.keywords, "question_zh": f.question, "answer_zh": f.answer,
                        "question_en": f.question_en, "answer_en": f.answer_en} for f in spec.faq])
    await session.execute(delete(m.Faq).where(m.Faq.community_id == cid,
                                              m.Faq.id.not_in([faq[f.code] for f in spec.faq])))
    await session.flush()
    return LoadSummary(info.name, len(spec.buildings), len(rooms), len(spec.owners), len(spec.staff),
                       len(spec.teams), len(spec.services), len(spec.faq))


async def _owners(session: AsyncSession, community_id: int, spec: CommunityFile, now: datetime) -> None:
    """The file's owners as a register that only adds and updates (nobody moves out when a
    file omits them): the register's set-based plan and apply, one path for both."""
    NAMES.add(o.name for o in spec.owners)  # known to the redaction before a statement carries them
    rows = tuple(RegisterRow(line, room, o.name, o.phone)
                 for line, o in enumerate(spec.owners, start=1) for room in o.rooms)
    plan = await register_changes.plan(session, community_id, Register("community file", "yaml", rows, ()),
                                       move_out=False)
    if plan.problems:
        raise CommunityFileError(problems_text(plan))
    await register_changes.apply(session, plan, now)


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
