"""The SQL behind the company report: the figures of many communities side by side.

A company of 50 communities opens some 700,000 cases a year, so nothing here pulls cases
into Python: each family of figures is one grouped query across the communities
(GROUP BY community_id), returning a handful of rows per community.  Callback coverage
and answer sums are `storage.report_queries`' own queries grouped by community too.

A period is given per time zone (`Window`): the communities of one zone share the same
local-midnight bounds and the same moment lateness is judged at; the case queries take
every window at once, so a company across zones still costs one query per family and its
company-wide percentiles rank all its cases.  Periods are half-open [start, end).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, and_, case, func, literal, or_, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from cases.callbacks import CallbackState
from cases.statistics import CANCELLED, MOVED, Durations, between_ranks
from storage import models as m
from storage.report_queries import _in, epoch

PERCENTILES = (50, 90)
# The key of the company-wide row in grouped results (community ids start at 1).
COMPANY = 0


@dataclass(frozen=True, slots=True)
class Window:
    """Communities sharing one period: [start, end) and the moment lateness is judged at."""

    community_ids: tuple[int, ...]
    start: datetime
    end: datetime
    as_of: datetime


@dataclass(frozen=True, slots=True)
class KindCounts:
    """Cases of one kind opened in the period in one community, counted by the database.

    The rules are those of `cases.statistics` (`case_figures`, `lateness`), written as SQL:
    finished = done, or sent back for rework after a finish; overdue = not cancelled and a
    deadline passed before `as_of` without being met by it."""

    community_id: int
    kind: str
    cases: int
    cancelled: int
    finished: int
    reopened: int
    late_response: int
    late_completion: int
    overdue: int


@dataclass(frozen=True, slots=True)
class Verdicts:
    """Answered callbacks of one community with one (solved, speed, attitude) answer."""

    community_id: int
    solved: bool | None
    speed: int | None
    attitude: int | None
    answered: int


def _sum(condition: object) -> object:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)


def _late(due: Any, met: Any, windows: Sequence[Window]) -> Any:
    """`cases.statistics._late` as SQL: the deadline passed before its community's `as_of`,
    unmet by it."""
    c = m.Case
    passed = or_(*(and_(c.community_id.in_(w.community_ids), due < w.as_of) for w in windows))
    return and_(due.is_not(None), passed, or_(met.is_(None), met > due))


def _opened_in(windows: Sequence[Window]) -> Any:
    c = m.Case
    # A case moved to another community is counted there, once (its first row ends as 'moved').
    return and_(c.status != MOVED,
                or_(*(and_(c.community_id.in_(w.community_ids), _in(c.created_at, w.start, w.end)) for w in windows)))


async def kind_counts(session: AsyncSession, windows: Sequence[Window]) -> list[KindCounts]:
    """Volumes, finishes, reworks and lateness per community and kind, in one grouped query."""
    c = m.Case
    live = c.status != CANCELLED
    late_response = and_(live, _late(c.response_due_at, c.accepted_at, windows))
    late_completion = and_(live, _late(c.completion_due_at, c.done_at, windows))
    rows = await session.execute(
        select(
            c.community_id, c.kind, func.count(), _sum(c.status == CANCELLED),
            _sum(or_(c.done_at.is_not(None), c.rework_round > 0)), _sum(c.rework_round > 0),
            _sum(late_response), _sum(late_completion), _sum(or_(late_response, late_completion)),
        )
        .where(_opened_in(windows))
        .group_by(c.community_id, c.kind)
    )
    return [KindCounts(*row) for row in rows]


# First response and completion: from opening to these moments.
REACHED = ("first_accepted_at", "done_at")


async def durations(session: AsyncSession, windows: Sequence[Window]) -> dict[str, dict[int, Durations]]:
    """Median and P90 (minutes) from opening to each of `REACHED` of the cases opened in the
    period, per community and for all of them together (`COMPANY`).

    The company's row ranks every case of every community, not the communities' medians.
    Both databases interpolate between the closest ranks as `cases.statistics` does:
    PostgreSQL with `percentile_cont` over GROUPING SETS (one sort per group, both
    durations in one pass: 0.8 s for 500,000 cases where ranking them with window functions
    took 9 s); SQLite, which has no percentile aggregate, ranks them with a window function
    and hands over the two values around each percentile for `cases.statistics.between_ranks`."""
    c = m.Case
    seconds = {reached: epoch(getattr(c, reached)) - epoch(c.created_at) for reached in REACHED}
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return {reached: await _ranked_durations(session, value.label("v"),
                                                 (_opened_in(windows), getattr(c, reached).is_not(None)))
                for reached, value in seconds.items()}
    columns = []
    for value in seconds.values():  # NULLs (not yet accepted, not done) are left out by both aggregates
        value = value.cast(Float)
        columns += [func.count(value), *(func.percentile_cont(p / 100).within_group(value) for p in PERCENTILES)]
    rows = await session.execute(
        select(c.community_id, *columns).where(_opened_in(windows))
        .group_by(func.grouping_sets(c.community_id, tuple_()))
    )
    out: dict[str, dict[int, Durations]] = {reached: {} for reached in REACHED}
    width = 1 + len(PERCENTILES)
    for g, *figures in rows:
        for i, reached in enumerate(REACHED):
            n, *pct = figures[i * width:(i + 1) * width]
            if n:  # no case at all still gives the company's row (of none)
                out[reached][COMPANY if g is None else int(g)] = Durations(int(n), *(v / 60 for v in pct))
    return out


async def duration_seconds(session: AsyncSession, windows: Sequence[Window]) -> list[tuple[int, int | None, int | None]]:
    """(community, seconds to first acceptance, seconds to done) of each case opened in the
    period: the days not rolled up yet, added to the rollups' histograms."""
    c = m.Case
    rows = await session.execute(
        select(c.community_id, *(epoch(getattr(c, reached)) - epoch(c.created_at) for reached in REACHED))
        .where(_opened_in(windows))
    )
    return [tuple(row) for row in rows]


def _minutes(seconds: int | None) -> float | None:
    """As `Durations.of_seconds`: minutes first, then interpolated (so SQLite's figures equal the community report's)."""
    return None if seconds is None else seconds / 60


async def _ranked_durations(session: AsyncSession, value: Any, where: tuple[Any, ...]) -> dict[int, Durations]:
    c = m.Case
    values = union_all(
        select(c.community_id.label("g"), value).where(*where),
        select(literal(COMPANY).label("g"), value).where(*where),
    ).subquery()
    ranked = select(
        values.c.g, values.c.v,
        (func.row_number().over(partition_by=values.c.g, order_by=values.c.v) - 1).label("i"),
        func.count().over(partition_by=values.c.g).label("n"),
    ).subquery()
    picks = []
    for p in PERCENTILES:
        rank = (ranked.c.n - 1) * p // 100
        picks += [func.max(case((ranked.c.i == rank, ranked.c.v))), func.max(case((ranked.c.i == rank + 1, ranked.c.v)))]
    rows = await session.execute(
        select(ranked.c.g, func.max(ranked.c.n), *picks)
        .where(or_(*(ranked.c.i.between((ranked.c.n - 1) * p // 100, (ranked.c.n - 1) * p // 100 + 1)
                     for p in PERCENTILES)))
        .group_by(ranked.c.g)
    )
    out = {}
    for g, n, *around in rows:
        median, p90 = (between_ranks(n, p, _minutes(around[2 * i]), _minutes(around[2 * i + 1]))
                       for i, p in enumerate(PERCENTILES))
        out[int(g)] = Durations(int(n), median, p90)
    return out


async def verdicts(session: AsyncSession, windows: Sequence[Window]) -> list[Verdicts]:
    """Callbacks answered in the period per community and answer — a few dozen rows a
    community, for `cases.callbacks.unsatisfied` to judge in Python (one copy of that rule)."""
    c, cb = m.Case, m.Callback
    rows = await session.execute(
        select(c.community_id, cb.solved, cb.speed_score, cb.attitude_score, func.count())
        .join(c, c.id == cb.case_id)
        .where(cb.state == CallbackState.ANSWERED,
               or_(*(and_(c.community_id.in_(w.community_ids), _in(cb.answered_at, w.start, w.end)) for w in windows)))
        .group_by(c.community_id, cb.solved, cb.speed_score, cb.attitude_score)
    )
    return [Verdicts(*row) for row in rows]
