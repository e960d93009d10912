"""The month's case archive as plain rows, its times already Excel day numbers.

The xlsx archive of a busy month is about a hundred thousand cases and half a million
timeline entries.  Turning each stored timestamp into an aware datetime, then into local
time, then into Excel's day number costs more than everything else in the export; the
database does that arithmetic in the query instead (`excel_days`), for a zone whose UTC
offset is the same over the whole period (China's is; the caller checks and otherwise
takes the general path in storage.report_queries.export_cases).  (Writing the cells' text
there too was measured: SQLite's number-to-text and concatenation cost more than Python's.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Select, and_, bindparam, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
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


CASE_TIME_COLUMNS = (
    "created_at", "first_accepted_at", "accepted_at", "started_at", "done_at", "closed_at",
    "response_due_at", "completion_due_at",
)


async def case_rows(session: AsyncSession, community_id: int, start: datetime, end: datetime,
                    offset_days: float) -> Sequence[Row[Any]]:
    """(id, kind, category, area, urgency, status, room, place, owner name, owner phone, description,
    team, assignee id, first responder id, fee cents (report_queries.fee_total), rework round,
    escalation level, confirmed by, then the eight CASE_TIME_COLUMNS as local Excel day numbers)
    of the cases opened in [start, end)."""
    c = m.Case
    times = [excel_days(getattr(c, name)) + offset_days for name in CASE_TIME_COLUMNS]
    # Core execution on the session's connection: the ORM's result machinery costs more than
    # the query itself over this many plain rows.
    connection = await session.connection()
    return (await connection.execute(
        select(c.id, c.kind, c.category, c.area, c.urgency, c.status, m.Room.code, c.place, m.Owner.name,
               m.Owner.phone, c.description, c.team_code, c.assignee_id, c.first_responder_id, fee_total(),
               c.rework_round, c.escalation_level, c.confirmed_by, *times)
        .outerjoin(m.Room, m.Room.id == c.room_id)
        .outerjoin(m.Owner, m.Owner.id == c.owner_id)
        .where(c.community_id == community_id, and_(c.created_at >= start, c.created_at < end))
        .order_by(c.id)
    )).all()


async def timeline_rows(session: AsyncSession, case_ids: Sequence[int],
                        offset_days: float) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """(case id, local Excel day number, action, actor kind, actor id, note) of the timelines
    of `case_ids` (ascending), in case order then entry order, a chunk of cases at a time.

    Read through the timeline's case index, which holds each case's entries in order: no
    join and no sort of half a million rows.  Each chunk is the id range of CHUNK cases
    (two bound values, not hundreds); entries of cases in that range that are not in
    `case_ids` (another community's, or opened outside the period) are dropped — and when
    the range holds no other case (a month's cases are mostly consecutive ids), there is
    nothing to drop and no row is looked at here.

    The rows come from the driver as they are (tuples, asyncpg records): half a million
    result rows built by SQLAlchemy cost more than the query."""
    t = m.TimelineEntry
    wanted = set(case_ids)
    connection = await session.connection()
    fetch = await _driver_fetch(
        connection,
        select(t.case_id, excel_days(t.at) + bindparam("offset"), t.action, t.actor_kind, t.actor_id, t.note)
        .where(t.case_id.between(bindparam("low"), bindparam("high")))
        .order_by(t.case_id, t.id))
    for i in range(0, len(case_ids), CHUNK):
        chunk = case_ids[i:i + CHUNK]
        rows = await fetch({"offset": offset_days, "low": chunk[0], "high": chunk[-1]})
        if chunk[-1] - chunk[0] + 1 != len(chunk):  # other cases' ids inside the range
            rows = [row for row in rows if row[0] in wanted]
        yield rows


Fetch = Callable[[dict[str, Any]], Awaitable[Sequence[Sequence[Any]]]]


async def _driver_fetch(connection: AsyncConnection, statement: Select[Any]) -> Fetch:
    """`statement` (whose bound values need no conversion: numbers) compiled once, run on the
    session's own driver connection — inside its transaction — for each set of values."""
    compiled = statement.compile(dialect=connection.dialect)
    sql, names = str(compiled), compiled.positiontup or []
    driver = (await connection.get_raw_connection()).driver_connection
    if connection.dialect.name == "sqlite":  # aiosqlite
        async def fetch(values: dict[str, Any]) -> Sequence[Sequence[Any]]:
            return await driver.execute_fetchall(sql, [values[name] for name in names])  # type: ignore[no-any-return, union-attr]
    else:  # asyncpg
        async def fetch(values: dict[str, Any]) -> Sequence[Sequence[Any]]:
            return await driver.fetch(sql, *(values[name] for name in names))  # type: ignore[no-any-return, union-attr]
    return fetch
