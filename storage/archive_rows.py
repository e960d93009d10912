"""The month's case archive as plain rows, its times already Excel day numbers.

The xlsx archive of a busy month is about a hundred thousand cases and half a million
timeline entries.  Turning each stored timestamp into an aware datetime, then into local
time, then into Excel's day number costs more than everything else in the export; the
database does that arithmetic in the query instead (`excel_days`), for a zone whose UTC
offset is the same over the whole period (China's is; the caller checks and otherwise
takes the general path in storage.report_queries.export_cases).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from storage import models as m

STYLE_DATE = 1  # bot.xlsx's date-time style


class day_cell(FunctionElement[str]):  # noqa: N801 - reads as a SQL function
    """A stored timestamp (UTC) as a date-time cell of sheet XML, `<c s="1"><v>DAYS</v></c>`,
    DAYS counted from Excel's epoch (1899-12-30) plus the zone's offset in days (to 8 places,
    about a millisecond); an empty cell `<c/>` for NULL.  Formatting half a million numbers
    is the database's C code's work, not Python's."""

    type = String()
    # The offset is part of the SQL text, not a bound parameter: never reuse a compiled form.
    inherit_cache = False

    def __init__(self, column: Any, offset_days: float) -> None:
        self.offset_days = float(offset_days)
        super().__init__(column)


@compiles(day_cell, "sqlite")
def _day_cell_sqlite(element: day_cell, compiler: Any, **kw: Any) -> str:
    # julianday('1899-12-30') = 2415018.5; stored values are UTC (models.UTCDateTime).
    column = compiler.process(element.clauses, **kw)
    days = f"julianday({column}) - {2415018.5 - element.offset_days!r}"
    # printf('%f', NULL) is '0.0…', not NULL: test the column itself.
    return f"""CASE WHEN {column} IS NULL THEN '<c/>' ELSE '<c s="{STYLE_DATE}"><v>' || printf('%.8f', {days}) || '</v></c>' END"""


@compiles(day_cell, "postgresql")
def _day_cell_pg(element: day_cell, compiler: Any, **kw: Any) -> str:
    # 25569 = days from 1899-12-30 to 1970-01-01.
    column = compiler.process(element.clauses, **kw)
    days = f"date_part('epoch', {column}) / 86400.0 + {25569.0 + element.offset_days!r}"
    return f"""CASE WHEN {column} IS NULL THEN '<c/>' ELSE '<c s="{STYLE_DATE}"><v>' || to_char({days}, 'FM9999990.00000000') || '</v></c>' END"""


CASE_TIME_COLUMNS = (
    "created_at", "first_accepted_at", "accepted_at", "started_at", "done_at", "closed_at",
    "response_due_at", "completion_due_at",
)


async def case_rows(session: AsyncSession, community_id: int, start: datetime, end: datetime,
                    offset_days: float) -> Sequence[Row[Any]]:
    """(id, kind, category, area, urgency, status, room, place, owner name, owner phone, description,
    team, assignee id, first responder id, fee cents, rework round, escalation level, confirmed by,
    then the eight CASE_TIME_COLUMNS as sheet XML in one string) of the cases opened in [start, end)."""
    c = m.Case
    cells = [day_cell(getattr(c, name), offset_days) for name in CASE_TIME_COLUMNS]
    times = cells[0]
    for cell in cells[1:]:
        times = times.concat(cell)
    return (await session.execute(
        select(c.id, c.kind, c.category, c.area, c.urgency, c.status, m.Room.code, c.place, m.Owner.name,
               m.Owner.phone, c.description, c.team_code, c.assignee_id, c.first_responder_id, c.fee_cents,
               c.rework_round, c.escalation_level, c.confirmed_by, times)
        .outerjoin(m.Room, m.Room.id == c.room_id)
        .outerjoin(m.Owner, m.Owner.id == c.owner_id)
        .where(c.community_id == community_id, and_(c.created_at >= start, c.created_at < end))
        .order_by(c.id)
    )).all()


async def timeline_rows(session: AsyncSession, community_id: int, start: datetime, end: datetime,
                        offset_days: float) -> Sequence[Row[Any]]:
    """(case id, the time as a sheet XML cell, action, actor kind, actor id, note) of those cases'
    timelines, in case order then entry order."""
    c, t = m.Case, m.TimelineEntry
    return (await session.execute(
        select(t.case_id, day_cell(t.at, offset_days), t.action, t.actor_kind, t.actor_id, t.note)
        .join(c, c.id == t.case_id)
        .where(c.community_id == community_id, and_(c.created_at >= start, c.created_at < end))
        .order_by(t.case_id, t.id)
    )).all()
