"""The daily rollups of the company report (migration 0008_rollup): written from the raw
tables per community and local day, read for the days of a period they cover.

A day's rows hold what the company report adds up (`storage.company_queries` reads the same
figures from the raw tables, and does for the days not rolled up yet):

* `rollup_counts`, per kind: cases opened that day (cancelled, finished, reworked) and cases
  closed that day with their callbacks (covered, by phone, still under way);
* `rollup_late`: cases opened that day that are late since a moment of day `since` — late
  stays true after its deadline, so a period judged at a local midnight counts the rows with
  `since` before that day (`cases.statistics.lateness`: a deadline unmet by its own moment);
* `rollup_durations`: the first-response and completion times of the cases opened that day
  as histograms (`cases.histogram`), and `rollup_month_durations` the same summed per
  calendar month (a day's histogram holds about as many buckets as it has cases, so a year
  of days would be 1.3 million rows for 50 communities);
* `rollup_answers`: callbacks answered that day, summed.

Rows are computed in Python with the rules of `cases.statistics` from the same lean
selects the community report uses, so the two cannot drift apart.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, delete, func, insert, or_, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from cases import statistics as st
from cases.callbacks import CallbackState, unsatisfied
from cases.histogram import Histogram, bucket
from storage import models as m
from storage import report_queries as q
from storage.report_queries import _in, epoch

# Measures of `rollup_durations`: opening → first acceptance, opening → done.
FIRST_RESPONSE, COMPLETION = 0, 1
# Timeline actions that close a case: a case reworked later was counted on those days.
CLOSING = ("confirmed", "auto_confirmed")
NEVER = 2**62  # an as_of after every deadline: lateness at it says whether a case is ever late
TABLES = (m.RollupCount, m.RollupLate, m.RollupDuration, m.RollupAnswer)  # by day
LOCK_KEY = 19_0008  # pg_advisory_xact_lock: one refresh at a time across processes


def local_day(seconds: int, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(seconds, zone).date()


# --------------------------------------------------------------------------- writing
async def build(session: AsyncSession, community_ids: Sequence[int], zone_name: str, first: date, last: date,
                through: date) -> None:
    """Recompute every rollup row of the local days [first, last] of communities of one zone
    (one query per family for all of them: a backfill reads each table once), and the month
    rows of the months among them that are rolled up whole (every day up to `through` is)."""
    zone = ZoneInfo(zone_name)
    lo, hi = st.local_bounds(first, last + timedelta(days=1), zone_name)
    counts: dict[tuple[int, date, str], Counter[str]] = defaultdict(Counter)
    late: dict[tuple[int, date, date], Counter[str]] = defaultdict(Counter)
    hist: dict[tuple[int, date, int], Histogram] = defaultdict(Histogram)
    c, cb = m.Case, m.Callback
    for cid, *columns in await session.execute(
        select(c.community_id, *q.fact_columns()).where(c.community_id.in_(community_ids), _in(c.created_at, lo, hi),
                                                     c.status != st.MOVED)
    ):
        f = st.CaseFacts(*columns)
        day = local_day(f.created, zone)
        n = counts[cid, day, f.kind]
        n["opened"] += 1
        n["cancelled"] += f.status == st.CANCELLED
        # A case reworked and not yet finished again was still finished once before.
        if f.done is not None or f.rework_round > 0:
            n["finished"] += 1
            n["reopened"] += f.rework_round > 0
        ever = st.lateness(f, NEVER)
        since = {"late_response": f.response_due if ever.response is not None else None,
                 "late_completion": f.completion_due if ever.completion is not None else None}
        for name, moment in since.items():
            if moment is not None:
                late[cid, day, local_day(moment, zone)][name] += 1
        if ever.overdue:
            late[cid, day, local_day(min(s for s in since.values() if s is not None), zone)]["overdue"] += 1
        for measure, reached in ((FIRST_RESPONSE, f.first_accepted), (COMPLETION, f.done)):
            if reached is not None:
                seconds = reached - f.created
                hist[cid, day, measure].add(bucket(seconds), 1, seconds, seconds)
    for cid, kind, closed, covered, phoned, pending in await session.execute(q.closed_cases(community_ids, lo, hi)):
        n = counts[cid, local_day(closed, zone), kind]
        n["closed"] += 1
        n["covered"] += covered
        n["by_phone"] += phoned
        n["pending"] += pending and not covered
    answers: dict[tuple[int, date], Counter[str]] = defaultdict(Counter)
    for cid, answered, solved, speed, attitude, method in await session.execute(
        select(c.community_id, epoch(cb.answered_at), cb.solved, cb.speed_score, cb.attitude_score, cb.method)
        .join(c, c.id == cb.case_id)
        .where(c.community_id.in_(community_ids), cb.state == CallbackState.ANSWERED, _in(cb.answered_at, lo, hi))
    ):
        answers[cid, local_day(answered, zone)].update(
            answered=1, by_phone=int(method == "phone"), speed_sum=speed or 0, speed_n=int(speed is not None),
            attitude_sum=attitude or 0, attitude_n=int(attitude is not None), solved=int(solved is True),
            solved_known=int(solved is not None), satisfied=int(not unsatisfied(solved, speed, attitude)))

    for table in TABLES:
        await session.execute(delete(table).where(table.community_id.in_(community_ids), table.day >= first,
                                                  table.day <= last))
    rows: list[tuple[Any, list[dict[str, Any]]]] = [
        (m.RollupCount, [{"community_id": cid, "day": d, "kind": k, **_counts(n, m.RollupCount)}
                         for (cid, d, k), n in counts.items()]),
        (m.RollupLate, [{"community_id": cid, "day": d, "since": s, **_counts(n, m.RollupLate)}
                        for (cid, d, s), n in late.items()]),
        (m.RollupDuration, [{"community_id": cid, "day": d, "measure": measure, "bucket": b, "n": x.n, "low": x.low,
                             "high": x.high} for (cid, d, measure), h in hist.items() for b, x in h.bins.items()]),
        (m.RollupAnswer, [{"community_id": cid, "day": d, **_counts(n, m.RollupAnswer)}
                          for (cid, d), n in answers.items()]),
    ]
    for table, values in rows:
        await _insert(session, table, values)
    await _build_months(session, community_ids, first, min(last, through))


async def _insert(session: AsyncSession, table: Any, values: list[dict[str, Any]]) -> None:
    for i in range(0, len(values), 5_000):
        await session.execute(insert(table), values[i:i + 5_000])


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


async def _build_months(session: AsyncSession, community_ids: Sequence[int], first: date, through: date) -> None:
    """The month histograms of the months the days [first, through] fall in that end by
    `through`, from the day rows (a month still under way is summed once it is over)."""
    lo, hi = month_of(first), month_of(through + timedelta(days=1))
    if lo >= hi:
        return
    d, mo = m.RollupDuration, m.RollupMonthDuration
    hist: dict[tuple[int, date, int], Histogram] = defaultdict(Histogram)
    for cid, day, measure, b, n, low, high in await session.execute(
        select(d.community_id, d.day, d.measure, d.bucket, d.n, d.low, d.high)
        .where(d.community_id.in_(community_ids), d.day >= lo, d.day < hi)
    ):
        hist[cid, month_of(day), measure].add(b, n, low, high)
    await session.execute(delete(mo).where(mo.community_id.in_(community_ids), mo.month >= lo, mo.month < hi))
    await _insert(session, mo, [
        {"community_id": cid, "month": month, "measure": measure, "bucket": b, "n": x.n, "low": x.low, "high": x.high}
        for (cid, month, measure), h in hist.items() for b, x in h.bins.items()])


def _counts(n: Counter[str], table: Any) -> dict[str, int]:
    """Every count column of `table` (those outside the key), zero when absent."""
    return {col.name: n[col.name] for col in table.__table__.columns if not col.primary_key}


async def lock(session: AsyncSession) -> None:
    """One refresh at a time: PostgreSQL by an advisory lock held to the transaction's end;
    SQLite's write transaction already excludes every other."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(text(f"SELECT pg_advisory_xact_lock({LOCK_KEY})"))


@dataclass(frozen=True, slots=True)
class State:
    through: date  # every local day up to it is rolled up
    checked_at: datetime  # changes to cases up to this moment are in the rollups


async def states(session: AsyncSession) -> dict[int, State]:
    rows = await session.execute(select(m.RollupState.community_id, m.RollupState.through, m.RollupState.checked_at))
    return {cid: State(through, checked) for cid, through, checked in rows}


async def set_states(session: AsyncSession, states: dict[int, State]) -> None:
    if not states:
        return
    await session.execute(delete(m.RollupState).where(m.RollupState.community_id.in_(states)))
    await session.execute(insert(m.RollupState), [
        {"community_id": cid, "through": s.through, "checked_at": s.checked_at} for cid, s in states.items()])


async def first_moment(session: AsyncSession, community_ids: Sequence[int]) -> datetime | None:
    """When the first case of these communities was opened (nothing of theirs happened before)."""
    return await session.scalar(select(func.min(m.Case.created_at)).where(m.Case.community_id.in_(community_ids)))


async def changed(session: AsyncSession, since: datetime) -> list[tuple[int, datetime]]:
    """(community, moment) of every day whose rows changes made after `since` may alter: the
    opening, closing and earlier closings (a case reworked since) of the cases changed, and
    the callbacks answered since.  Every change the figures read moves `cases.updated_at`: a
    transition or remark on the case (a callback answered, skipped or phoned for included)."""
    c, t, cb = m.Case, m.TimelineEntry, m.Callback
    touched = c.updated_at > since
    rows = await session.execute(union_all(
        select(c.community_id, c.created_at).where(touched),
        select(c.community_id, c.closed_at).where(touched, c.closed_at.is_not(None)),
        select(c.community_id, t.at).join(c, c.id == t.case_id).where(touched, t.action.in_(CLOSING)),
        select(c.community_id, cb.answered_at).join(c, c.id == cb.case_id).where(cb.answered_at > since),
    ))
    return [(cid, at) for cid, at in rows]


# --------------------------------------------------------------------------- reading
@dataclass(frozen=True, slots=True)
class Span:
    """Local days [first, end) of communities of `zone` read from the rollups; lateness is
    judged at `as_of` (the period's end, or now), whose local day is `as_of_day`."""

    community_ids: tuple[int, ...]
    zone: str
    first: date
    end: date
    as_of: datetime
    as_of_day: date


def _days(table: Any, spans: Sequence[Span]) -> Any:
    return or_(*(and_(table.community_id.in_(s.community_ids), table.day >= s.first, table.day < s.end)
                 for s in spans))


def _total(column: Any) -> Any:
    return func.coalesce(func.sum(column), 0).cast(Integer)


async def counts(session: AsyncSession, spans: Sequence[Span]) -> list[tuple[Any, ...]]:
    """(community, kind, opened, cancelled, finished, reopened, closed, covered, by_phone, pending)."""
    r = m.RollupCount
    names = ("opened", "cancelled", "finished", "reopened", "closed", "covered", "by_phone", "pending")
    rows = await session.execute(
        select(r.community_id, r.kind, *(_total(getattr(r, n)) for n in names))
        .where(_days(r, spans)).group_by(r.community_id, r.kind)
    )
    return [tuple(row) for row in rows]


async def late(session: AsyncSession, spans: Sequence[Span]) -> tuple[dict[int, tuple[int, int, int]], dict[int, date]]:
    """Late response, late completion and overdue per community as of each span's `as_of_day`
    (late since an earlier day), and per community the first day with cases late since
    `as_of_day` itself: when `as_of` is not a midnight those are late or not by the hour,
    and the caller judges them from the cases."""
    r = m.RollupLate
    before = or_(*(and_(r.community_id.in_(s.community_ids), r.since < s.as_of_day) for s in spans))
    on_the_day = or_(*(and_(r.community_id.in_(s.community_ids), r.since == s.as_of_day) for s in spans))
    rows = await session.execute(
        select(r.community_id, *(_total(case((before, getattr(r, n)), else_=0))
                                 for n in ("late_response", "late_completion", "overdue")),
               func.min(case((on_the_day, r.day))))
        .where(_days(r, spans)).group_by(r.community_id)
    )
    sums, undecided = {}, {}
    for cid, response, completion, overdue, first in rows:
        sums[cid] = (response, completion, overdue)
        if first is not None:
            undecided[cid] = first
    return sums, undecided


async def histograms(session: AsyncSession, spans: Sequence[Span]) -> dict[int, dict[int, Histogram]]:
    """Per measure and community, the durations of the cases opened in the spans: whole
    months from `rollup_month_durations`, the days around them from `rollup_durations`."""
    d, mo = m.RollupDuration, m.RollupMonthDuration
    months, days = [], []
    for s in spans:
        lo, hi = next_month(s.first - timedelta(days=1)), month_of(s.end)  # the whole months inside
        if lo < hi:
            months.append(and_(mo.community_id.in_(s.community_ids), mo.month >= lo, mo.month < hi))
            days += [(s.community_ids, s.first, lo), (s.community_ids, hi, s.end)]
        else:
            days.append((s.community_ids, s.first, s.end))
    parts = []
    if any(a < b for _, a, b in days):
        parts.append(select(d.measure, d.community_id, d.bucket, d.n, d.low, d.high).where(
            or_(*(and_(d.community_id.in_(ids), d.day >= a, d.day < b) for ids, a, b in days if a < b))))
    if months:
        parts.append(select(mo.measure, mo.community_id, mo.bucket, mo.n, mo.low, mo.high).where(or_(*months)))
    rows = union_all(*parts).subquery()
    summed = await session.execute(
        select(rows.c.measure, rows.c.community_id, rows.c.bucket, func.sum(rows.c.n), func.min(rows.c.low),
               func.max(rows.c.high))
        .group_by(rows.c.measure, rows.c.community_id, rows.c.bucket)
    )
    out: dict[int, dict[int, Histogram]] = {FIRST_RESPONSE: defaultdict(Histogram), COMPLETION: defaultdict(Histogram)}
    for measure, cid, b, n, low, high in summed:
        out[measure][cid].add(b, int(n), low, high)
    return out


async def answers(session: AsyncSession, spans: Sequence[Span]) -> list[tuple[int, st.AnswerSums, int]]:
    """(community, its answers summed, how many satisfied) of the callbacks answered in the spans."""
    r = m.RollupAnswer
    names = ("answered", "by_phone", "speed_sum", "speed_n", "attitude_sum", "attitude_n", "solved", "solved_known")
    rows = await session.execute(
        select(r.community_id, _total(r.satisfied), *(_total(getattr(r, n)) for n in names))
        .where(_days(r, spans)).group_by(r.community_id)
    )
    return [(cid, st.AnswerSums("", "", "", "", None, *sums), satisfied) for cid, satisfied, *sums in rows]


def day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days joined into [first, last] ranges, in order."""
    out: list[tuple[date, date]] = []
    for d in sorted(set(days)):
        if out and out[-1][1] + timedelta(days=1) == d:
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out
