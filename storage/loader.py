"""Apply a community file or an owner spreadsheet to the database, idempotently and all at once."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.policy import DeskPolicy
from cases.privacy import NAMES, mask_phone
from storage import models as m
from storage.community_file import CommunityFile, CommunityFileError, normalise_phone


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


async def load_community(session: AsyncSession, spec: CommunityFile, now: datetime) -> LoadSummary:
    """Create or update everything the file describes; the caller commits (or rolls back)."""
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
        member = await _upsert(
            session, m.Staff, {"community_id": cid, "code": s.code},
            {"name": s.name, "role": s.role.value, "team_id": teams[s.team], "phone": s.phone, "active": True},
        )
        listed_staff.add(member.id)
        for channel, user_id in s.chats.items():
            await _upsert(session, m.Identity, {"channel": channel, "user_id": str(user_id)},
                          {"chat_id": str(user_id), "staff_id": member.id, "verified_at": now})
    # Staff who left are deactivated, not deleted: their names stay on old timelines.
    for member in await session.scalars(select(m.Staff).where(m.Staff.community_id == cid)):
        if member.id not in listed_staff:
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


async def _owner(session: AsyncSession, community_id: int, name: str, phone: str, room_ids: list[int]) -> None:
    owner = await _upsert(session, m.Owner, {"community_id": community_id, "phone": phone}, {"name": name})
    have = set(await session.scalars(select(m.OwnerRoom.room_id).where(m.OwnerRoom.owner_id == owner.id)))
    for room_id in room_ids:
        if room_id not in have:
            session.add(m.OwnerRoom(owner_id=owner.id, room_id=room_id))
    await session.flush()


# Header names seen in property-management spreadsheet exports.
_HEADERS = {
    "room": {"room", "房号", "房间", "房间号", "房屋", "房产"},
    "name": {"name", "姓名", "业主", "业主姓名"},
    "phone": {"phone", "电话", "手机", "手机号", "联系电话", "手机号码"},
}


async def load_owners_csv(session: AsyncSession, community_code: str | None, path: str | Path) -> int:
    """Import the owner register (room, name, phone); every row must be valid or nothing is."""
    raw = Path(path).read_bytes()
    text = raw.decode("utf-8-sig") if not raw.startswith(b"\xff\xfe") else raw.decode("utf-16")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise CommunityFileError(f"{path}: empty file")
    columns: dict[str, int] = {}
    for i, title in enumerate(header):
        for field, names in _HEADERS.items():
            if title.strip().lower() in names:
                columns[field] = i
    missing = set(_HEADERS) - set(columns)
    if missing:
        raise CommunityFileError(f"{path} line 1: missing column(s) {', '.join(sorted(missing))} (have {header})")
    query = select(m.Community).order_by(m.Community.id).limit(1)
    if community_code:
        query = query.where(m.Community.code == community_code)
    community = await session.scalar(query)
    if community is None:
        raise CommunityFileError("load the community file first (no community in the database)")
    rooms = {code: room_id for code, room_id in (await session.execute(
        select(m.Room.code, m.Room.id).where(m.Room.community_id == community.id))).all()}
    problems, rows = [], []
    # A register that contradicts itself is refused whole: merging would bind a phone to
    # whichever name came last, and binding trusts the register.
    name_of_phone: dict[str, tuple[str, int]] = {}
    phone_of_owner: dict[tuple[str, str], tuple[str, int]] = {}
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        try:
            room = record[columns["room"]].strip()
            name = record[columns["name"]].strip()
            phone = normalise_phone(record[columns["phone"]])
        except IndexError:
            problems.append(f"{path} line {line}: too few columns")
            continue
        except ValueError as exc:
            problems.append(f"{path} line {line}: {exc}")
            continue
        if room not in rooms:
            problems.append(f"{path} line {line}: unknown room {room!r}")
        elif not name:
            problems.append(f"{path} line {line}: empty name")
        else:
            problems.extend(_contradictions(path, line, room, name, phone, name_of_phone, phone_of_owner))
            rows.append((name, phone, rooms[room]))
    if problems:
        raise CommunityFileError("\n".join(problems))
    NAMES.add(name for name, _, _ in rows)  # before any statement carries them
    for name, phone, room_id in rows:
        await _owner(session, community.id, name, phone, [room_id])
    return len(rows)


def _contradictions(path: str | Path, line: int, room: str, name: str, phone: str,
                    name_of_phone: dict[str, tuple[str, int]],
                    phone_of_owner: dict[tuple[str, str], tuple[str, int]]) -> list[str]:
    """One phone with two names, or one owner (name in a room) with two phones, within the file.
    Reported with both lines; the phone masked, as the message may reach a log."""
    found = []
    seen_name, seen_line = name_of_phone.setdefault(phone, (name, line))
    if seen_name != name:
        found.append(f"{path} lines {seen_line} and {line}: phone {mask_phone(phone)} has two names "
                     f"({seen_name!r} and {name!r})")
    seen_phone, seen_line = phone_of_owner.setdefault((room, name), (phone, line))
    if seen_phone != phone:
        found.append(f"{path} lines {seen_line} and {line}: {name!r} in {room} has two phones "
                     f"({mask_phone(seen_phone)} and {mask_phone(phone)})")
    return found


async def remember_register_names(session: AsyncSession) -> int:
    """Teach the redaction (`cases.privacy.NAMES`) every owner name in the database: at start,
    so groups and logs are masked from the first message."""
    names = list(await session.scalars(select(m.Owner.name)))
    NAMES.add(names)
    return len(names)
