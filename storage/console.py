"""What the office console keeps: sessions, one-time sign-in codes, the wrong-attempt guard,
operator-set passwords, the audit log, and the board's query over all open cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case as when_then
from sqlalchemy import delete, func, or_, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.lifecycle import ACTIVE, Case, Status
from storage import models as m
from storage.case_repository import _to_case


@dataclass(frozen=True, slots=True)
class SessionRow:
    staff_id: int
    csrf: str
    expires_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class StaffRow:
    """One staff row with its community: what the console needs to tell a person's posts apart."""

    staff_id: int
    code: str
    phone: str
    role: str
    community_id: int
    community_code: str
    community_name: str


@dataclass(frozen=True, slots=True)
class BoardFilter:
    team: str = ""
    kind: str = ""
    urgency: str = ""
    building: str = ""
    status: str = ""
    source: str = ""
    search: str = ""


# The board's order: soonest deadline first (`cases.due_at`, the stored `Case.deadline`: the
# response until someone accepts, then the completion), cases waiting only for the owner's
# confirmation after them (no deadline), emergencies first among equals, then the oldest.
BOARD_ORDER = (m.Case.due_at.is_(None), m.Case.due_at, m.Case.urgency != "emergency", m.Case.id)


class ConsoleStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        bind = session.bind
        self._dialect = bind.dialect.name if bind is not None else ""

    # ----------------------------------------------------------------- sessions
    async def open_session(self, token_hash: str, staff_id: int, csrf: str, now: datetime, ttl: timedelta) -> None:
        self.session.add(m.ConsoleSession(token_hash=token_hash, staff_id=staff_id, csrf=csrf, created_at=now,
                                          expires_at=now + ttl, last_seen_at=now))
        await self.session.flush()

    async def session_of(self, token_hash: str) -> SessionRow | None:
        """The session, live or not (the caller tells which, and why it ended)."""
        row = await self.session.get(m.ConsoleSession, token_hash)
        if row is None:
            return None
        return SessionRow(row.staff_id, row.csrf, row.expires_at, row.last_seen_at)

    async def touch(self, token_hash: str, now: datetime) -> None:
        await self.session.execute(update(m.ConsoleSession).where(m.ConsoleSession.token_hash == token_hash)
                                   .values(last_seen_at=now))

    async def close_session(self, token_hash: str) -> None:
        await self.session.execute(delete(m.ConsoleSession).where(m.ConsoleSession.token_hash == token_hash))

    async def drop_expired(self, now: datetime, idle: timedelta) -> None:
        """Sessions a day past their end (kept that long to tell a returning browser why it ended)."""
        gone = now - timedelta(days=1)
        await self.session.execute(delete(m.ConsoleSession).where(
            or_(m.ConsoleSession.expires_at <= gone, m.ConsoleSession.last_seen_at <= gone - idle)))
        await self.session.execute(delete(m.ConsoleCode).where(m.ConsoleCode.expires_at <= gone))

    async def refused_from(self, remote: str, since: datetime) -> int:
        """Wrong sign-in attempts from this address since then, whichever staff numbers they named."""
        return int(await self.session.scalar(
            select(func.count()).select_from(m.AuditEntry)
            .where(m.AuditEntry.remote == remote[:64], m.AuditEntry.action == "login_refused",
                   m.AuditEntry.at >= since)) or 0)

    # ----------------------------------------------------------------- one-time codes
    async def add_code(self, staff_id: int, code_hash: str, now: datetime, ttl: timedelta) -> None:
        self.session.add(m.ConsoleCode(staff_id=staff_id, code_hash=code_hash, created_at=now, expires_at=now + ttl))
        await self.session.flush()

    async def use_code(self, staff_id: int, code_hash: str, now: datetime) -> str:
        """'ok' (now used up), 'used' (a replay), 'expired' or 'wrong'."""
        row = await self.session.scalar(
            select(m.ConsoleCode).where(m.ConsoleCode.staff_id == staff_id, m.ConsoleCode.code_hash == code_hash)
            .order_by(m.ConsoleCode.id.desc()).limit(1))
        if row is None:
            return "wrong"
        if row.used_at is not None:
            return "used"
        if row.expires_at <= now:
            return "expired"
        # Only one of two simultaneous uses wins.
        done = await self.session.execute(
            update(m.ConsoleCode).where(m.ConsoleCode.id == row.id, m.ConsoleCode.used_at.is_(None))
            .values(used_at=now).execution_options(synchronize_session=False))
        return "ok" if done.rowcount == 1 else "used"

    # ----------------------------------------------------------------- wrong attempts
    async def locked_until(self, staff_id: int, now: datetime) -> datetime | None:
        row = await self.session.get(m.ConsoleGuard, staff_id)
        return row.locked_until if row is not None and row.locked_until and row.locked_until > now else None

    async def failed(self, staff_id: int, now: datetime, limit: int, lock: timedelta) -> bool:
        """Count one wrong attempt; True when this one locks the account."""
        row = await self.session.get(m.ConsoleGuard, staff_id)
        if row is None:
            row = m.ConsoleGuard(staff_id=staff_id, failures=0, updated_at=now)
            self.session.add(row)
        row.failures += 1
        row.updated_at = now
        locks = row.failures >= limit
        if locks:
            row.locked_until, row.failures = now + lock, 0
        await self.session.flush()
        return locks

    async def succeeded(self, staff_id: int, now: datetime) -> None:
        row = await self.session.get(m.ConsoleGuard, staff_id)
        if row is not None:
            row.failures, row.updated_at = 0, now

    # ----------------------------------------------------------------- passwords
    async def password_hash(self, staff_id: int) -> str | None:
        row = await self.session.get(m.StaffPassword, staff_id)
        return row.hash if row else None

    async def set_password(self, staff_id: int, hashed: str, now: datetime) -> None:
        row = await self.session.get(m.StaffPassword, staff_id)
        if row is None:
            self.session.add(m.StaffPassword(staff_id=staff_id, hash=hashed, set_at=now))
        else:
            row.hash, row.set_at = hashed, now
        # A new password ends every session opened with the old one.
        await self.session.execute(delete(m.ConsoleSession).where(m.ConsoleSession.staff_id == staff_id))
        await self.session.flush()

    async def active_staff_rows(self, *, code: str | None = None, staff_id: int | None = None) -> list[StaffRow]:
        """Active staff rows with this code, or with the code of this row, lowest id first."""
        if staff_id is not None:
            code = await self.session.scalar(select(m.Staff.code).where(m.Staff.id == staff_id))
        if not code:
            return []
        rows = await self.session.execute(
            select(m.Staff.id, m.Staff.code, m.Staff.phone, m.Staff.role, m.Community.id, m.Community.code,
                   m.Community.name)
            .join(m.Community, m.Community.id == m.Staff.community_id)
            .where(m.Staff.code == code, m.Staff.active).order_by(m.Staff.id))
        return [StaffRow(*r) for r in rows.all()]

    async def switch_session(self, token_hash: str, staff_id: int) -> None:
        """The session goes on as the person's row in another community."""
        await self.session.execute(update(m.ConsoleSession).where(m.ConsoleSession.token_hash == token_hash)
                                   .values(staff_id=staff_id))

    async def last_used(self, staff_ids: list[int]) -> int | None:
        """Of these rows of one person, the one they last signed in as or switched to."""
        return await self.session.scalar(
            select(m.AuditEntry.staff_id)
            .where(m.AuditEntry.staff_id.in_(staff_ids),
                   m.AuditEntry.action.in_(["signed_in", "community_switched"]))
            .order_by(m.AuditEntry.id.desc()).limit(1))

    # ----------------------------------------------------------------- audit
    async def audit(self, now: datetime, staff_id: int | None, action: str, /, *, case_id: int | None = None,
                    remote: str = "", **data: Any) -> None:
        self.session.add(m.AuditEntry(at=now, staff_id=staff_id, action=action, case_id=case_id, data=data,
                                      remote=remote[:64]))
        await self.session.flush()

    async def audit_of(self, case_id: int | None = None, limit: int = 200) -> list[m.AuditEntry]:
        query = select(m.AuditEntry).order_by(m.AuditEntry.id.desc()).limit(limit)
        if case_id is not None:
            query = query.where(m.AuditEntry.case_id == case_id)
        return list(await self.session.scalars(query))

    # ----------------------------------------------------------------- the board
    def _board_where(self, community_id: int, f: BoardFilter, teams: set[str] | None) -> list[Any]:
        statuses = [f.status] if f.status else sorted(str(s) for s in ACTIVE)
        where: list[Any] = [m.Case.community_id == community_id, m.Case.status.in_(statuses)]
        if teams is not None:
            where.append(m.Case.team_code.in_(sorted(teams)))
        for column, value in ((m.Case.team_code, f.team), (m.Case.kind, f.kind), (m.Case.urgency, f.urgency),
                              (m.Case.source, f.source)):
            if value:
                where.append(column == value)
        if f.building:
            where.append(m.Case.room_id.in_(
                select(m.Room.id).join(m.Building, m.Building.id == m.Room.building_id)
                .where(m.Building.code == f.building, m.Room.community_id == community_id)))
        search = f.search.strip().lstrip("#")
        if search:
            found: list[Any] = []
            if search.isdigit():
                found.append(m.Case.id == int(search))
                if len(search) >= 4:  # a phone number, whole or its last digits
                    found.append(m.Case.owner_id.in_(select(m.Owner.id).where(m.Owner.phone.like(f"%{search}"))))
            found.append(m.Case.room_id.in_(select(m.Room.id).where(m.Room.code == search,
                                                                    m.Room.community_id == community_id)))
            where.append(or_(*found))
        return where

    async def board(self, community_id: int, f: BoardFilter, teams: set[str] | None, limit: int = 100,
                    offset: int = 0, *, total: int | None = None) -> tuple[list[Case], int]:
        """Open cases in the board's order, and how many match (`total` when the caller knows it
        already: the unfiltered board is the teams' counts).

        The page's ids come first from the (community, status, team, due) index alone — the
        sort runs over small index entries, not over whole rows — then those rows are read."""
        where = self._board_where(community_id, f, teams)
        ids = list(await self.session.scalars(
            select(m.Case.id).where(*where).order_by(*BOARD_ORDER).limit(limit).offset(offset)))
        rows = {r.id: r for r in await self.session.scalars(select(m.Case).where(m.Case.id.in_(ids)))} if ids else {}
        if total is None:
            total = int(await self.session.scalar(select(func.count()).select_from(m.Case).where(*where)) or 0)
        return [_to_case(rows[i]) for i in ids if i in rows], total

    async def counts_per_team(self, community_id: int, now: datetime, teams: set[str] | None) -> dict[str, tuple[int, int]]:
        """Per team: open cases, and how many of them are past their deadline (`Case.overdue`:
        a case waiting for the owner's confirmation has none)."""
        late = func.sum(when_then((m.Case.due_at <= now, 1), else_=0))
        # Grouped by status too, in the board index's own order: read from the index alone.
        query = (select(m.Case.team_code, func.count(), late)
                 .where(m.Case.community_id == community_id, m.Case.status.in_(sorted(str(s) for s in ACTIVE)))
                 .group_by(m.Case.status, m.Case.team_code))
        if teams is not None:
            query = query.where(m.Case.team_code.in_(sorted(teams)))
        counts: dict[str, tuple[int, int]] = {}
        for team, n, overdue in (await self.session.execute(query)).all():
            before = counts.get(team, (0, 0))
            counts[team] = (before[0] + int(n), before[1] + int(overdue or 0))
        return counts

    # ----------------------------------------------------------------- owner lookup (new case form)
    async def find_owners(self, community_id: int, query: str, limit: int = 20) -> list[tuple[m.Owner, list[m.Room]]]:
        """Owners by room code, phone (whole or the last digits) or name."""
        query = query.strip()
        if not query:
            return []
        ids = select(m.OwnerRoom.owner_id).join(m.Room, m.Room.id == m.OwnerRoom.room_id).where(
            m.Room.community_id == community_id, m.Room.code == query)
        match = [m.Owner.id.in_(ids), m.Owner.name == query]
        digits = "".join(ch for ch in query if ch.isdigit())
        if len(digits) >= 4 and len(digits) == len(query.replace(" ", "").replace("-", "")):
            match.append(m.Owner.phone.like(f"%{digits}"))
        owners = list(await self.session.scalars(
            select(m.Owner).where(m.Owner.community_id == community_id, or_(*match)).order_by(m.Owner.id).limit(limit)))
        found = []
        for owner in owners:
            rooms = list(await self.session.scalars(
                select(m.Room).join(m.OwnerRoom, m.OwnerRoom.room_id == m.Room.id)
                .where(m.OwnerRoom.owner_id == owner.id).order_by(m.Room.code)))
            found.append((owner, rooms))
        return found

    async def room_codes(self, room_ids: set[int]) -> dict[int, str]:
        if not room_ids:
            return {}
        rows = await self.session.execute(select(m.Room.id, m.Room.code).where(m.Room.id.in_(sorted(room_ids))))
        return {i: c for i, c in rows.all()}

    async def staff_names(self, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = await self.session.execute(select(m.Staff.id, m.Staff.name).where(m.Staff.id.in_(sorted(ids))))
        return {i: n for i, n in rows.all()}

    async def owner_names(self, ids: set[int]) -> dict[int, tuple[str, str]]:
        if not ids:
            return {}
        rows = await self.session.execute(select(m.Owner.id, m.Owner.name, m.Owner.phone).where(m.Owner.id.in_(sorted(ids))))
        return {i: (n, p) for i, n, p in rows.all()}

    async def buildings(self, community_id: int) -> list[str]:
        return list(await self.session.scalars(
            select(m.Building.code).where(m.Building.community_id == community_id).order_by(m.Building.code)))
