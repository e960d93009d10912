"""The SQL behind management reports: lean column selects and aggregates for a period.

A report over 100,000 cases must stay a matter of seconds, so nothing here loads ORM
objects: each query selects only the columns `cases.statistics` needs, turns
timestamps into epoch seconds inside the database (SQLite keeps them as text, and
parsing 600,000 datetimes in Python would cost more than the whole report), and
aggregates in SQL where the answer is a count.  Periods are half-open [start, end).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, and_, case, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from cases.callbacks import PENDING_STATES, CallbackState
from cases.dispatch_stats import ACTIONS as DISPATCH_ACTIONS
from cases.privacy import mask_name, mask_phone, scrub
from cases.records import Community
from cases.statistics import (
    CALLBACK_KINDS, CANCELLED, CLOSED_STATUSES, MOVED, AnswerFacts, AnswerSums, CaseFacts, CoverageCounts,
)
from storage import models as m
from storage.case_repository import CaseRepository
from storage.directory import Directory


class epoch(FunctionElement[int]):  # noqa: N801 - reads as a SQL function
    """Whole epoch seconds (UTC) of a stored timestamp, computed by the database."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: Any, **kw: Any) -> str:
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (models.UTCDateTime); %s truncates to seconds.
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch, "postgresql")
def _epoch_pg(element: epoch, compiler: Any, **kw: Any) -> str:
    # date_part gives a double; EXTRACT gives numeric, twice as slow over 100,000 rows.
    return f"CAST(FLOOR(date_part('epoch', {compiler.process(element.clauses, **kw)})) AS BIGINT)"


def _in(column: Any, start: datetime, end: datetime) -> Any:
    return and_(column >= start, column < end)


async def community(session: AsyncSession, code: str | None = None) -> Community | None:
    return await Directory(session).community(code)


async def communities(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(m.Community.code).order_by(m.Community.id)))


# --------------------------------------------------------------------------- statistics
def fact_columns() -> tuple[Any, ...]:
    """The columns of `CaseFacts`, in its order."""
    c = m.Case
    return (
        c.id, c.kind, c.category, c.urgency, c.status, c.team_code, c.assignee_id, c.first_responder_id,
        c.rework_round, epoch(c.created_at), epoch(c.first_accepted_at), epoch(c.accepted_at),
        epoch(c.done_at), epoch(c.response_due_at), epoch(c.completion_due_at),
    )


async def case_facts(session: AsyncSession, community_id: int, start: datetime, end: datetime) -> list[CaseFacts]:
    """Every case opened in the period, as the few columns statistics read."""
    c = m.Case
    rows = await session.execute(
        select(*fact_columns()).where(c.community_id == community_id, _in(c.created_at, start, end),
                                        c.status != MOVED)
    )
    return [CaseFacts(*row) for row in rows]


async def backlog_facts(session: AsyncSession, community_id: int, as_of: datetime) -> list[CaseFacts]:
    """Cases opened before `as_of`, whenever, that were past a deadline unmet at `as_of`
    and not withdrawn by then: the overdue backlog's candidates (cases.statistics.backlog
    decides, with the same rule as every other lateness figure).  Read from the times,
    not the status, so a past period's backlog is what it was then."""
    c = m.Case
    late_response = and_(c.response_due_at < as_of, or_(c.accepted_at.is_(None), c.accepted_at > as_of))
    late_completion = and_(c.completion_due_at < as_of, or_(c.done_at.is_(None), c.done_at > as_of))
    withdrawn = and_(c.status.in_([CANCELLED, MOVED]), c.closed_at <= as_of)
    rows = await session.execute(
        select(*fact_columns())
        .where(c.community_id == community_id, c.created_at < as_of, or_(late_response, late_completion),
               ~withdrawn)
        .order_by(c.id)
    )
    return [CaseFacts(*row) for row in rows]


async def answers(session: AsyncSession, community_id: int, start: datetime, end: datetime) -> list[AnswerFacts]:
    """Callbacks answered in the period (whenever their case was opened)."""
    c, cb = m.Case, m.Callback
    rows = await session.execute(
        select(
            cb.case_id, c.kind, c.category, c.urgency, c.team_code, c.assignee_id, epoch(cb.answered_at),
            cb.solved, cb.speed_score, cb.attitude_score, cb.method,
        )
        .join(c, c.id == cb.case_id)
        .where(c.community_id == community_id, cb.state == CallbackState.ANSWERED, _in(cb.answered_at, start, end))
        .order_by(cb.answered_at, cb.id)
    )
    return [AnswerFacts(*row) for row in rows]


async def answer_sums(session: AsyncSession, community_id: int, start: datetime, end: datetime) -> list[AnswerSums]:
    """Callbacks answered in the period, summed per kind, category, urgency, team and assignee."""
    return (await answer_sums_by_community(session, [community_id], start, end)).get(community_id, [])


async def answer_sums_by_community(session: AsyncSession, community_ids: Sequence[int], start: datetime,
                                   end: datetime) -> dict[int, list[AnswerSums]]:
    """`answer_sums` of several communities in one grouped query (the company report)."""
    c, cb = m.Case, m.Callback
    as_int = lambda expr: func.coalesce(func.sum(expr), 0).cast(Integer)  # noqa: E731
    keys = (c.kind, c.category, c.urgency, c.team_code, c.assignee_id)
    rows = await session.execute(
        select(
            c.community_id, *keys, func.count(), as_int(case((cb.method == "phone", 1), else_=0)),
            as_int(cb.speed_score), func.count(cb.speed_score), as_int(cb.attitude_score), func.count(cb.attitude_score),
            as_int(case((cb.solved.is_(True), 1), else_=0)), func.count(cb.solved),
        )
        .join(c, c.id == cb.case_id)
        .where(c.community_id.in_(community_ids), cb.state == CallbackState.ANSWERED, _in(cb.answered_at, start, end))
        .group_by(c.community_id, *keys)
    )
    out: dict[int, list[AnswerSums]] = defaultdict(list)
    for community_id, *sums in rows:
        out[community_id].append(AnswerSums(*sums))
    return out


async def coverage_counts(session: AsyncSession, community_id: int, start: datetime, end: datetime) -> list[CoverageCounts]:
    """Per kind: cases closed in the period, how many got an answered callback after that
    closing (and how many of those by phone), and how many still have one under way."""
    return (await coverage_counts_by_community(session, [community_id], start, end)).get(community_id, [])


def closed_cases(community_ids: Sequence[int], start: datetime, end: datetime) -> Select[Any]:
    """Cases of the kinds with a callback quota closed in the period, one row each: community,
    kind, closing time (epoch seconds) and whether a callback was answered after that closing
    (`covered`, by phone: `phoned`) or is still under way (`pending`), as 0 or 1."""
    c, cb = m.Case, m.Callback
    answered = and_(cb.state == CallbackState.ANSWERED, cb.answered_at >= c.closed_at)
    flag = lambda cond: func.max(case((cond, 1), else_=0))  # noqa: E731
    return (
        select(
            c.community_id.label("community_id"),
            c.kind.label("kind"),
            epoch(c.closed_at).label("closed"),
            flag(answered).label("covered"),
            flag(and_(answered, cb.method == "phone")).label("phoned"),
            flag(cb.state.in_(PENDING_STATES)).label("pending"),
        )
        .outerjoin(cb, cb.case_id == c.id)
        .where(
            c.community_id.in_(community_ids), c.kind.in_([str(k) for k in CALLBACK_KINDS]),
            c.status.in_(sorted(CLOSED_STATUSES)), _in(c.closed_at, start, end),
        )
        .group_by(c.id, c.community_id, c.kind, c.closed_at)
    )


async def coverage_counts_by_community(session: AsyncSession, community_ids: Sequence[int], start: datetime,
                                       end: datetime) -> dict[int, list[CoverageCounts]]:
    """`coverage_counts` of several communities in one grouped query.

    One join of the closed cases with their callbacks, reduced per case and then per
    community and kind — a hash join both databases do in one pass (correlated EXISTS
    per case cost four index probes a case).
    """
    per_case = closed_cases(community_ids, start, end).subquery()
    total = lambda expr: func.coalesce(func.sum(expr), 0).cast(Integer)  # noqa: E731
    rows = await session.execute(
        select(
            per_case.c.community_id, per_case.c.kind, func.count(), total(per_case.c.covered),
            total(per_case.c.phoned),
            total(case((and_(per_case.c.pending == 1, per_case.c.covered == 0), 1), else_=0)),
        ).group_by(per_case.c.community_id, per_case.c.kind)
    )
    out: dict[int, list[CoverageCounts]] = defaultdict(list)
    for community_id, *counts in rows:
        out[community_id].append(CoverageCounts(*counts))
    return out


async def acceptances(session: AsyncSession, community_id: int, start: datetime, end: datetime) -> dict[int, int]:
    """Distinct cases each staff member accepted in the period (from the timeline)."""
    t, c = m.TimelineEntry, m.Case
    rows = await session.execute(
        select(t.actor_id, func.count(distinct(t.case_id)))
        .join(c, c.id == t.case_id)
        .where(c.community_id == community_id, t.action == "accepted", t.actor_kind == "staff",
               t.actor_id.is_not(None), _in(t.at, start, end))
        .group_by(t.actor_id)
    )
    return {int(sid): int(n) for sid, n in rows}


async def created_times(session: AsyncSession, community_id: int, start: datetime, end: datetime) -> list[tuple[int, str]]:
    """(opened, kind) of cases opened in the period — enough for volumes by week."""
    c = m.Case
    rows = await session.execute(
        select(epoch(c.created_at), c.kind).where(c.community_id == community_id, _in(c.created_at, start, end),
                                                  c.status != MOVED)
    )
    return list(rows)


# --------------------------------------------------------------------------- names
@dataclass(frozen=True, slots=True)
class StaffRow:
    id: int
    code: str
    name: str
    role: str
    team: str
    active: bool


async def staff(session: AsyncSession, community_id: int) -> dict[int, StaffRow]:
    """Every staff member, departed ones too (they appear on old cases)."""
    rows = await session.execute(
        select(m.Staff.id, m.Staff.code, m.Staff.name, m.Staff.role, m.Team.code, m.Staff.active)
        .join(m.Team, m.Team.id == m.Staff.team_id)
        .where(m.Staff.community_id == community_id)
        .order_by(m.Staff.id)
    )
    return {r[0]: StaffRow(*r) for r in rows}


async def teams(session: AsyncSession, community_id: int) -> dict[str, str]:
    rows = await session.execute(
        select(m.Team.code, m.Team.name).where(m.Team.community_id == community_id).order_by(m.Team.id)
    )
    return dict(rows.all())


# --------------------------------------------------------------------------- case export
@dataclass(frozen=True, slots=True)
class ExportEvent:
    at: datetime
    action: str
    actor: str
    note: str


@dataclass(frozen=True, slots=True)
class ExportCase:
    """One case for the archive.  Owner data is masked here, before it leaves storage."""

    id: int
    kind: str
    category: str
    area: str
    urgency: str
    status: str
    room: str
    place: str
    owner: str  # masked name
    owner_phone: str  # masked phone
    description: str  # phones and the owner's own name masked
    team: str
    assignee: str
    first_responder: str
    fee_cents: int  # the sum of the case's fee history
    rework_round: int
    escalation_level: int
    confirmed_by: str
    times: dict[str, datetime | None]
    timeline: tuple[ExportEvent, ...]


_TIME_COLUMNS = (
    "created_at", "first_accepted_at", "accepted_at", "started_at", "done_at", "closed_at",
    "response_due_at", "completion_due_at",
)


def clean_text(text: str | None, owner_name: str) -> str:
    """Free text fit for the archive: phone and ID numbers and the register's names masked, and
    the owner's own full name where they typed it."""
    if not text:
        return ""
    text = scrub(text)
    if owner_name and owner_name in text:
        text = text.replace(owner_name, mask_name(owner_name))
    return text


def fee_total() -> Any:
    """A case's fee as the archive shows it: the sum of its fee history (every visit's charge, a
    rework's included; migration 0006_dispatch), or, with no history (written before it, outside
    the repository), the case's own fee."""
    fees = select(func.sum(m.CaseFee.cents)).where(m.CaseFee.case_id == m.Case.id).scalar_subquery()
    return func.coalesce(fees, m.Case.fee_cents)


async def export_cases(session: AsyncSession, community_id: int, start: datetime, end: datetime) -> list[ExportCase]:
    """Cases opened in the period with their timelines, ready to archive."""
    c = m.Case
    where = (c.community_id == community_id, _in(c.created_at, start, end))
    names = {sid: s.name for sid, s in (await staff(session, community_id)).items()}
    # Plain columns, not ORM objects: a month of a busy desk is tens of thousands of rows.
    fields = (c.id, c.kind, c.category, c.area, c.urgency, c.status, c.place, c.description, c.team_code,
              c.assignee_id, c.first_responder_id, fee_total(), c.rework_round, c.escalation_level,
              c.confirmed_by, *(getattr(c, name) for name in _TIME_COLUMNS))
    rows = (await session.execute(
        select(*fields, m.Room.code, m.Owner.name, m.Owner.phone)
        .outerjoin(m.Room, m.Room.id == c.room_id)
        .outerjoin(m.Owner, m.Owner.id == c.owner_id)
        .where(*where)
        .order_by(c.id)
    )).all()
    t = m.TimelineEntry
    events: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    timeline = await session.execute(
        select(t.case_id, t.at, t.action, t.actor_kind, t.actor_id, t.note)
        .join(c, c.id == t.case_id)
        .where(*where)
        .order_by(t.case_id, t.id)
    )
    for row in timeline:
        events[row[0]].append(row[1:])

    out = []
    first_time = 15
    for row in rows:
        (case_id, kind, category, area, urgency, status, place, description, team, assignee_id, responder_id,
         fee_cents, rework_round, escalation_level, confirmed_by) = row[:first_time]
        room, owner_name, owner_phone = row[-3:]
        owner_name = owner_name or ""
        masked_owner = f"owner {mask_name(owner_name)}".strip()

        def actor(kind: str, actor_id: int | None) -> str:
            if kind == "staff":
                return names.get(actor_id or 0, f"staff {actor_id}")
            if kind == "owner":
                return masked_owner
            return kind

        out.append(ExportCase(
            id=case_id, kind=kind, category=category, area=area, urgency=urgency,
            status=status, room=room or "", place=clean_text(place, owner_name),
            owner=mask_name(owner_name), owner_phone=mask_phone(owner_phone) if owner_phone else "",
            description=clean_text(description, owner_name), team=team,
            assignee=names.get(assignee_id, "") if assignee_id else "",
            first_responder=names.get(responder_id, "") if responder_id else "",
            fee_cents=fee_cents, rework_round=rework_round, escalation_level=escalation_level,
            confirmed_by=confirmed_by,
            times=dict(zip(_TIME_COLUMNS, row[first_time:first_time + len(_TIME_COLUMNS)])),
            timeline=tuple(
                ExportEvent(at, action, actor(kind, actor_id), clean_text(note, owner_name) if note else "")
                for at, action, kind, actor_id, note in events.get(case_id, [])
            ),
        ))
    return out


async def dispatch_timelines(session: AsyncSession, community_id: int, start: datetime,
                             end: datetime) -> list[list[tuple[str, str, int | None, dict[str, Any]]]]:
    """The dispatch entries (offers, lapses, acceptances, chases, pauses) of the period, per
    case in order, for `cases.dispatch_stats.figures`."""
    t, c = m.TimelineEntry, m.Case
    rows = await session.execute(
        select(t.case_id, t.action, t.actor_kind, t.actor_id, t.data)
        .join(c, c.id == t.case_id)
        .where(c.community_id == community_id, _in(t.at, start, end), t.action.in_(DISPATCH_ACTIONS))
        .order_by(t.case_id, t.id)
    )
    per_case: dict[int, list[tuple[str, str, int | None, dict[str, Any]]]] = defaultdict(list)
    for case_id, action, kind, actor_id, data in rows:
        per_case[case_id].append((action, kind, actor_id, dict(data or {})))
    return list(per_case.values())


async def open_load(session: AsyncSession, community_id: int) -> dict[int, int]:
    """Open cases per staff member now (working on them, or offered them and not yet answered)."""
    return await CaseRepository(session).open_load(community_id)
