"""The month's case archive as plain rows, streamed a batch at a time, its times already numbers.

The xlsx archive of a busy month is about a hundred thousand cases and half a million
timeline entries.  Turning each stored timestamp into an aware datetime, then into local
time, then into Excel's day number costs more than everything else in the export; the
database does that arithmetic in the query instead (`excel_day_units`), for a zone whose
UTC offset is the same over the whole period (China's is; the caller checks and otherwise
takes the general path in storage.report_queries.export_cases).  (Writing the cells' text
there too was measured: SQLite's number-to-text and concatenation cost more than Python's.)

The rows come from the driver as they are (tuples, asyncpg records) and go to a consumer a
batch at a time (`each_batch`), never all at once: memory stays flat, and SQLAlchemy's
result rows — which cost more than the queries over this many rows — are never built.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, Select, String, and_, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from storage import models as m
from storage.report_queries import fee_total

# Rows handed to the consumer at once: large enough that the per-batch costs vanish (a thread
# hop, an asyncpg round trip), small enough to keep memory flat.
BATCH = 5000
# A time as the integer count of 1e-8 days (under a millisecond) since Excel's epoch: integers
# cost less to fetch and format than floats, and a sheet writes them as `<v>{units}E-8</v>`.
UNITS_PER_DAY = 10**8

Batch = Sequence[Sequence[Any]]


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


def excel_day_units(column: Any, offset_days: float) -> ColumnElement[int]:
    """The local Excel day number of a stored time, in UNITS_PER_DAY units, rounded; NULL stays NULL."""
    return cast(func.round((excel_days(column) + offset_days) * UNITS_PER_DAY), BigInteger)


CASE_TIME_COLUMNS = (
    "created_at", "first_accepted_at", "accepted_at", "started_at", "done_at", "closed_at",
    "response_due_at", "completion_due_at",
)


def _period_cases(community_id: int, start: datetime, end: datetime) -> Select[Any]:
    c = m.Case
    return select(c.id).where(c.community_id == community_id, and_(c.created_at >= start, c.created_at < end))


def case_rows(community_id: int, start: datetime, end: datetime, offset_days: float) -> Select[Any]:
    """(id, kind, category, area, urgency, status, room, place, owner name, owner phone, description,
    team, assignee id, first responder id, fee cents (report_queries.fee_total), rework round,
    escalation level, confirmed by, then the eight CASE_TIME_COLUMNS as excel_day_units)
    of the cases opened in [start, end), by id."""
    c = m.Case
    times = [excel_day_units(getattr(c, name), offset_days) for name in CASE_TIME_COLUMNS]
    # `id IN (the period's ids)`: SQLite walks the sorted ids and fetches each case by its key,
    # so rows stream out in id order without sorting a hundred thousand wide rows first.
    return (
        select(c.id, c.kind, c.category, c.area, c.urgency, c.status, m.Room.code, c.place, m.Owner.name,
               m.Owner.phone, c.description, c.team_code, c.assignee_id, c.first_responder_id, fee_total(),
               c.rework_round, c.escalation_level, c.confirmed_by, *times)
        .outerjoin(m.Room, m.Room.id == c.room_id)
        .outerjoin(m.Owner, m.Owner.id == c.owner_id)
        .where(c.id.in_(_period_cases(community_id, start, end)))
        .order_by(c.id)
    )


def timeline_rows(community_id: int, start: datetime, end: datetime, offset_days: float) -> Select[Any]:
    """(case id, at as excel_day_units, action, actor, note) of the timelines of the cases opened in
    [start, end), in case order then entry order.  The actor is "staff <id>" for a member of
    staff, else the actor's kind ("owner", "system", …).

    Read through the timeline's case index, which holds each case's entries in order: on
    SQLite no sort at all, on PostgreSQL a merge join and an incremental sort within each case."""
    t = m.TimelineEntry
    # Any kind but staff as it is; staff as "staff <id>" (or "staff" without an id: || NULL is NULL).
    actor = func.coalesce(func.nullif(t.actor_kind, "staff"), literal("staff ") + cast(t.actor_id, String),
                          t.actor_kind)
    return (
        select(t.case_id, excel_day_units(t.at, offset_days), t.action, actor, t.note)
        .where(t.case_id.in_(_period_cases(community_id, start, end)))
        .order_by(t.case_id, t.id)
    )


async def each_batch(session: AsyncSession, statement: Select[Any], consume: Callable[[Batch], None]) -> None:
    """Run `statement` inside the session's transaction and hand its rows, as the driver gives them,
    to `consume` BATCH at a time, in order — always in a worker thread, never on the event loop,
    so the bot keeps answering while an export runs.

    On SQLite the query runs and `consume` is called in aiosqlite's own thread, the only one
    that may use its sqlite3 connection, iterating the cursor (no list of all the rows, no
    hop back to the loop per batch).  On PostgreSQL asyncpg fetches each batch on the loop
    while `consume` works on the previous one in a thread."""
    connection = await session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    sql, params = str(compiled), compiled.construct_params()
    values = []
    for name in compiled.positiontup or []:
        # The column types' own conversions (an aware datetime to SQLite's stored text, …).
        processor = compiled.binds[name].type.bind_processor(connection.dialect)
        values.append(processor(params[name]) if processor else params[name])
    driver = (await connection.get_raw_connection()).driver_connection
    if connection.dialect.name == "sqlite":
        def run() -> None:
            cursor = driver._conn.execute(sql, values)  # type: ignore[union-attr]
            try:
                while rows := cursor.fetchmany(BATCH):
                    consume(rows)
            finally:
                cursor.close()

        # aiosqlite's queue of calls for its thread (its public methods use it the same way).
        await driver._execute(run)  # type: ignore[union-attr]
        return
    cursor = await driver.cursor(sql, *values)  # type: ignore[union-attr]
    rows = await cursor.fetch(BATCH)
    while rows:
        consuming = asyncio.ensure_future(asyncio.to_thread(consume, rows))
        try:
            rows = await cursor.fetch(BATCH)
        finally:
            await consuming
