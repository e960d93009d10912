"""The month's case archive as plain rows, its times already rendered by the database.

The xlsx archive of a busy month is about a hundred thousand cases and half a million
timeline entries.  Turning each stored timestamp into an aware datetime, then into local
time, then into Excel's day number and its cell's text costs more than everything else in
the export; the database does that arithmetic and that concatenation in the query instead
(`excel_days`, `DayCell`), for a zone whose UTC offset is the same over the whole period
(China's is; the caller checks and otherwise takes the general path in
storage.report_queries.export_cases).  What a cell looks like is the caller's (the xlsx
writer's) business: it hands its templates in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, String, and_, cast, func, literal, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from storage import models as m
from storage.report_queries import fee_total

# Cases whose timelines one query reads: few enough bound parameters for any SQLite build.
CHUNK = 900


class excel_days(FunctionElement[float]):  # noqa: N801 - reads as a SQL function
    """Days since Excel's epoch (1899-12-30 00:00 UTC) of a stored timestamp, fractional;
    NULL stays NULL.  The database parses its own timestamps far faster than Python turns
    each into an aware datetime and back into a number."""

    type = Float()
    inherit_cache = True


@compiles(excel_days, "sqlite")
def _excel_days_sqlite(element: excel_days, compiler: Any, **kw: Any) -> str:
    # julianday('1899-12-30') = 2415018.5; stored values are UTC (models.UTCDateTime).
    return f"(julianday({compiler.process(element.clauses, **kw)}) - 2415018.5)"


@compiles(excel_days, "postgresql")
def _excel_days_pg(element: excel_days, compiler: Any, **kw: Any) -> str:
    # 25569 = days from 1899-12-30 to 1970-01-01; date_part gives a double (EXTRACT a slower numeric).
    return f"(date_part('epoch', {compiler.process(element.clauses, **kw)}) / 86400.0 + 25569.0)"


@dataclass(frozen=True)
class DayCell:
    """How the caller writes a date cell: `before` + the day number + `after`, or `empty` for
    no date.  The day number is the database's own text of a double (SQLite: 15 significant
    digits; PostgreSQL: the shortest exact one), far finer than the minute a sheet shows."""

    before: str
    after: str
    empty: str

    def of(self, column: Any, offset_days: float) -> Any:
        number = cast(excel_days(column) + offset_days, String)
        return func.coalesce(literal(self.before) + number + literal(self.after), literal(self.empty))


CASE_TIME_COLUMNS = (
    "created_at", "first_accepted_at", "accepted_at", "started_at", "done_at", "closed_at",
    "response_due_at", "completion_due_at",
)


async def case_rows(session: AsyncSession, community_id: int, start: datetime, end: datetime,
                    offset_days: float, day: DayCell) -> Sequence[Row[Any]]:
    """(id, kind, category, area, urgency, status, room, place, owner name, owner phone, description,
    team, assignee id, first responder id, fee cents (report_queries.fee_total), rework round,
    escalation level, confirmed by, the eight CASE_TIME_COLUMNS as local date cells one after the
    other in one string) of the cases opened in [start, end)."""
    c = m.Case
    times = [day.of(getattr(c, name), offset_days) for name in CASE_TIME_COLUMNS]
    # Core execution on the session's connection: the ORM's result machinery costs more than
    # the query itself over this many plain rows.
    connection = await session.connection()
    return (await connection.execute(
        select(c.id, c.kind, c.category, c.area, c.urgency, c.status, m.Room.code, c.place, m.Owner.name,
               m.Owner.phone, c.description, c.team_code, c.assignee_id, c.first_responder_id, fee_total(),
               c.rework_round, c.escalation_level, c.confirmed_by, _joined(times))
        .outerjoin(m.Room, m.Room.id == c.room_id)
        .outerjoin(m.Owner, m.Owner.id == c.owner_id)
        .where(c.community_id == community_id, and_(c.created_at >= start, c.created_at < end))
        .order_by(c.id)
    )).all()


def _joined(parts: list[Any]) -> Any:
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + part
    return joined


async def timeline_rows(session: AsyncSession, case_ids: Sequence[int], offset_days: float, day: DayCell,
                        id_cell: tuple[str, str]) -> AsyncIterator[Sequence[Row[Any]]]:
    """(case id, the row's first two cells as one string — `id_cell[0]` + the case id +
    `id_cell[1]`, then the local date cell —, action, actor kind, actor id, note) of the
    timelines of `case_ids` (ascending), in case order then entry order, a chunk of cases at
    a time.

    Read through the timeline's case index, which holds each case's entries in order: no
    join and no sort of half a million rows.  Each chunk is the id range of CHUNK cases
    (two bound values, not hundreds); entries of cases in that range that are not in
    `case_ids` (another community's, or opened outside the period) are dropped — and when
    the range holds no other case (a month's cases are mostly consecutive ids), there is
    nothing to drop and no row is looked at here."""
    t = m.TimelineEntry
    head = literal(id_cell[0]) + cast(t.case_id, String) + literal(id_cell[1]) + day.of(t.at, offset_days)
    wanted = set(case_ids)
    connection = await session.connection()
    for i in range(0, len(case_ids), CHUNK):
        chunk = case_ids[i:i + CHUNK]
        rows = (await connection.execute(
            select(t.case_id, head, t.action, t.actor_kind, t.actor_id, t.note)
            .where(t.case_id.between(chunk[0], chunk[-1]))
            .order_by(t.case_id, t.id)
        )).all()
        if chunk[-1] - chunk[0] + 1 != len(chunk):  # other cases' ids inside the range
            rows = [row for row in rows if row[0] in wanted]
        yield rows
