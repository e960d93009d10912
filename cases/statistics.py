"""Management statistics (procedures.md, Hotline: periodic statistics) — pure computations.

Everything here works on plain records that `storage.report_queries` pulls, so the
numbers a manager reads are tested without a database.  Times are epoch seconds
(UTC) because that is what the queries hand over cheaply for 100,000 cases; every
duration a report shows is in minutes.

Definitions (the report's legend repeats them):

* **Percentiles** use linear interpolation between closest ranks — the
  "inclusive" method of `statistics.quantiles`, Excel's PERCENTILE.INC and numpy's
  default: for sorted x of n values, h = (n-1)·p/100 and
  P = x[⌊h⌋] + (h-⌊h⌋)·(x[⌊h⌋+1]-x[⌊h⌋]).  The median is P50 under the same rule.
* **First response** = opened → first accepted (`first_accepted_at`; a later
  hand-back or transfer does not reset it).  **Completion** = opened → done
  (`done_at`, the last finish when a case was reworked).
* **Overdue**, judged at `as_of` = the period end (or now, if earlier), for a case
  that was not cancelled: its response deadline passed before `as_of` and it was
  not accepted by that deadline (accepted late, or still not accepted), or its
  completion deadline passed before `as_of` and it was not done by it.  The
  deadlines are the case's current ones: a transfer or rework sets new ones, as it
  is a new promise to the owner (cases.lifecycle).
* **Reopen rate** = cases sent back for rework at least once ÷ cases finished at
  least once.
* **Callback coverage** of a kind = cases of that kind closed (confirmed) in the
  period whose callback was answered — by chat or recorded by phone — after that
  closing ÷ cases of that kind closed in the period.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cases.codes import Kind
from cases.policy import DeskPolicy

CANCELLED = "cancelled"
# A case filed in the wrong community and moved to another one (cases.lifecycle): it is
# counted once, as the case that carries it on there, and not at all where it was filed.
MOVED = "moved"
ACTIVE_STATUSES = frozenset({"open", "dispatched", "accepted", "in_progress", "done"})
CLOSED_STATUSES = frozenset({"closed", "surveyed"})
# Kinds the trade sets a callback quota for, in the order reports show them.
CALLBACK_KINDS = (Kind.COMPLAINT, Kind.SERVICE, Kind.REPORT)


# --------------------------------------------------------------------------- records
@dataclass(frozen=True, slots=True)
class CaseFacts:
    """The columns of one case that statistics need; times in epoch seconds."""

    id: int
    kind: str
    category: str
    urgency: str
    status: str
    team: str
    assignee_id: int | None
    first_responder_id: int | None
    rework_round: int
    created: int
    first_accepted: int | None = None
    accepted: int | None = None
    done: int | None = None
    response_due: int | None = None
    completion_due: int | None = None


@dataclass(frozen=True, slots=True)
class AnswerFacts:
    """One answered callback with the case it belongs to."""

    case_id: int
    kind: str
    category: str
    urgency: str
    team: str
    assignee_id: int | None
    answered: int
    solved: bool | None
    speed: int | None
    attitude: int | None
    method: str = "chat"


@dataclass(frozen=True, slots=True)
class AnswerSums:
    """Callback answers of one (kind, category, urgency, team, assignee) group, summed —
    by the database for a report, so 80,000 answers cost a few hundred rows."""

    kind: str
    category: str
    urgency: str
    team: str
    assignee_id: int | None
    answered: int
    by_phone: int = 0
    speed_sum: int = 0
    speed_n: int = 0
    attitude_sum: int = 0
    attitude_n: int = 0
    solved: int = 0
    solved_known: int = 0

    @classmethod
    def of(cls, a: AnswerFacts) -> AnswerSums:
        return cls(
            a.kind, a.category, a.urgency, a.team, a.assignee_id, 1, int(a.method == "phone"),
            a.speed or 0, int(a.speed is not None), a.attitude or 0, int(a.attitude is not None),
            int(a.solved is True), int(a.solved is not None),
        )


Answers = AnswerFacts | AnswerSums


@dataclass(frozen=True, slots=True)
class CoverageCounts:
    """Closed cases of one kind and how many of them got their callback."""

    kind: str
    closed: int
    covered: int
    by_phone: int = 0
    pending: int = 0


# --------------------------------------------------------------------------- percentiles
def percentile(values: Iterable[float], p: float) -> float | None:
    """The p-th percentile by linear interpolation (the "inclusive" method); None if empty."""
    return _interpolate(sorted(values), p)


def _interpolate(xs: Sequence[float], p: float) -> float | None:
    """`percentile` of values already sorted (so one sort serves the median and P90)."""
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    if not xs:
        return None
    lo = percentile_rank(len(xs), p)
    return between_ranks(len(xs), p, xs[lo], xs[lo + 1] if lo + 1 < len(xs) else None)


def percentile_rank(n: int, p: float) -> int:
    """The 0-based rank ⌊(n-1)·p/100⌋ below the p-th percentile of n sorted values: with the
    value at the next rank, all a database has to hand over for it (storage.company_queries)."""
    return math.floor((n - 1) * p / 100)


def between_ranks(n: int, p: float, at: float, after: float | None) -> float:
    """The p-th percentile of n sorted values from the values at `percentile_rank` and the rank after."""
    h = (n - 1) * p / 100
    lo = math.floor(h)
    if after is None or lo + 1 >= n:
        return float(at)
    return at + (h - lo) * (after - at)


@dataclass(frozen=True, slots=True)
class Durations:
    """Median and 90th percentile of a set of durations, in minutes."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of_seconds(cls, seconds: Iterable[float]) -> Durations:
        minutes = sorted(s / 60 for s in seconds)
        return cls(len(minutes), _interpolate(minutes, 50), _interpolate(minutes, 90))


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --------------------------------------------------------------------------- lateness
@dataclass(frozen=True, slots=True)
class Lateness:
    """How a case stood against its deadlines at `as_of` (seconds late, None if not late)."""

    response: int | None = None
    completion: int | None = None

    @property
    def overdue(self) -> bool:
        return self.response is not None or self.completion is not None

    @property
    def worst(self) -> int:
        return max(self.response or 0, self.completion or 0)


def lateness(case: CaseFacts, as_of: int) -> Lateness:
    """Late response and/or completion as defined in the module docstring."""
    if case.status in (CANCELLED, MOVED):
        return Lateness()
    return Lateness(
        _late(case.response_due, case.accepted, as_of),
        _late(case.completion_due, case.done, as_of),
    )


def _late(due: int | None, met_at: int | None, as_of: int) -> int | None:
    if due is None or due >= as_of:
        return None  # no deadline, or it had not yet passed when the period ended
    if met_at is not None and met_at <= due:
        return None
    if met_at is not None and met_at <= as_of:
        return met_at - due  # met, but late
    return as_of - due  # still unmet when the period ended: late so far


def lateness_of(cases: Iterable[CaseFacts], as_of: int) -> dict[int, Lateness]:
    return {c.id: lateness(c, as_of) for c in cases}


@dataclass(frozen=True, slots=True)
class Backlog:
    """Cases still open past a deadline at the end of a period — whenever they were opened.

    A period's own figures count the cases opened in it; a case opened last month and
    still not done is not among them, yet it is the office's most pressing work.  So a
    report also says how big that backlog is, how much of it is older than the period,
    and how late the worst of it is."""

    cases: int = 0
    opened_before: int = 0  # of them, opened before the period began
    worst_seconds: int = 0  # the latest of them, late by
    by_team: tuple[tuple[str, int], ...] = ()  # most first


def backlog(candidates: Iterable[CaseFacts], as_of: int, period_start: int) -> Backlog:
    """The overdue backlog at `as_of` among `candidates` (storage.report_queries.backlog_facts)."""
    late = [(c, lt) for c in candidates if (lt := lateness(c, as_of)).overdue and _unmet_at(c, lt, as_of)]
    teams = Counter(c.team for c, _ in late)
    return Backlog(len(late), sum(1 for c, _ in late if c.created < period_start),
                   max((lt.worst for _, lt in late), default=0),
                   tuple(sorted(teams.items(), key=lambda kv: (-kv[1], kv[0]))))


def _unmet_at(case: CaseFacts, late: Lateness, as_of: int) -> bool:
    """Still outstanding at `as_of` (not merely met late before it)."""
    response_open = late.response is not None and (case.accepted is None or case.accepted > as_of)
    completion_open = late.completion is not None and (case.done is None or case.done > as_of)
    return response_open or completion_open


# --------------------------------------------------------------------------- case figures
@dataclass(frozen=True, slots=True)
class Satisfaction:
    answered: int
    by_phone: int
    mean_speed: float | None
    mean_attitude: float | None
    solved: int
    solved_known: int

    @property
    def solved_rate(self) -> float | None:
        return ratio(self.solved, self.solved_known)


def satisfaction(answers: Iterable[Answers]) -> Satisfaction:
    """Mean scores (of the answers that gave one) and the solved rate."""
    sums = [a if isinstance(a, AnswerSums) else AnswerSums.of(a) for a in answers]
    speed_n, attitude_n = sum(a.speed_n for a in sums), sum(a.attitude_n for a in sums)
    return Satisfaction(
        answered=sum(a.answered for a in sums),
        by_phone=sum(a.by_phone for a in sums),
        mean_speed=sum(a.speed_sum for a in sums) / speed_n if speed_n else None,
        mean_attitude=sum(a.attitude_sum for a in sums) / attitude_n if attitude_n else None,
        solved=sum(a.solved for a in sums),
        solved_known=sum(a.solved_known for a in sums),
    )


@dataclass(frozen=True, slots=True)
class CaseFigures:
    """Volumes, times, overdue and rework of one group of cases opened in the period."""

    cases: int
    active: int
    cancelled: int
    finished: int
    closed: int
    first_response: Durations
    completion: Durations
    overdue: int
    late_response: int
    late_completion: int
    reopened: int
    satisfaction: Satisfaction

    @property
    def countable(self) -> int:
        """Cases that can be overdue (a withdrawn case has no deadline to miss)."""
        return self.cases - self.cancelled

    @property
    def overdue_rate(self) -> float | None:
        return ratio(self.overdue, self.countable)

    @property
    def reopen_rate(self) -> float | None:
        return ratio(self.reopened, self.finished)


def case_figures(cases: Iterable[CaseFacts], as_of: int, answers: Iterable[Answers] = (),
                 late: Mapping[int, Lateness] | None = None) -> CaseFigures:
    """`late` may hold every case's lateness already worked out (a report computes it once).

    One pass over the cases: a report runs this for every group of 100,000 cases.
    """
    n = active = cancelled = closed = finished = reopened = overdue = late_response = late_completion = 0
    first_response: list[int] = []
    completion: list[int] = []
    for c in cases:
        n += 1
        if c.status in ACTIVE_STATUSES:
            active += 1
        elif c.status == CANCELLED:
            cancelled += 1
        elif c.status in CLOSED_STATUSES:
            closed += 1
        if c.first_accepted is not None:
            first_response.append(c.first_accepted - c.created)
        if c.done is not None:
            completion.append(c.done - c.created)
        # A case reworked and not yet finished again was still finished once before.
        if c.done is not None or c.rework_round > 0:
            finished += 1
            reopened += c.rework_round > 0
        lt = late[c.id] if late is not None else lateness(c, as_of)
        if lt.response is not None or lt.completion is not None:
            overdue += 1
            late_response += lt.response is not None
            late_completion += lt.completion is not None
    return CaseFigures(
        cases=n, active=active, cancelled=cancelled, finished=finished, closed=closed,
        first_response=Durations.of_seconds(first_response), completion=Durations.of_seconds(completion),
        overdue=overdue, late_response=late_response, late_completion=late_completion, reopened=reopened,
        satisfaction=satisfaction(answers),
    )


def figures_by(
    cases: Sequence[CaseFacts],
    key: Callable[[CaseFacts], Hashable],
    as_of: int,
    answers: Sequence[Answers] = (),
    answer_key: Callable[[Any], Hashable] | None = None,
    late: Mapping[int, Lateness] | None = None,
) -> dict[Hashable, CaseFigures]:
    """Figures per group, groups ordered by case count (largest first), then by key.

    Satisfaction is grouped by `answer_key` over callbacks answered in the period,
    which may belong to cases opened before it; a group with answers but no new
    cases still appears.
    """
    groups: dict[Hashable, list[CaseFacts]] = defaultdict(list)
    for c in cases:
        groups[key(c)].append(c)
    answered: dict[Hashable, list[Answers]] = defaultdict(list)
    if answer_key is not None:
        for a in answers:
            answered[answer_key(a)].append(a)
    keys = sorted(set(groups) | set(answered), key=lambda k: (-len(groups.get(k, ())), str(k)))
    if late is None:
        late = lateness_of(cases, as_of)
    return {k: case_figures(groups.get(k, ()), as_of, answered.get(k, ()), late) for k in keys}


# --------------------------------------------------------------------------- callbacks
@dataclass(frozen=True, slots=True)
class Coverage:
    kind: str
    closed: int
    covered: int
    by_phone: int
    pending: int
    target: float

    @property
    def missed(self) -> int:
        """Closed cases with no answered callback and none still under way."""
        return self.closed - self.covered - self.pending

    @property
    def rate(self) -> float | None:
        return ratio(self.covered, self.closed)

    @property
    def below_policy(self) -> bool:
        # Compared in whole basis points so 9 of 10 against 90% is not lost to float noise.
        return self.closed > 0 and self.covered * 10_000 < round(self.target * 10_000) * self.closed


def callback_targets(policy: DeskPolicy) -> dict[str, float]:
    """100% of complaints and paid services; repairs at the desk's rate, never below 90%."""
    return {Kind.COMPLAINT: 1.0, Kind.SERVICE: 1.0, Kind.REPORT: policy.effective_repair_rate}


def coverage(counts: Iterable[CoverageCounts], policy: DeskPolicy) -> list[Coverage]:
    """Coverage of every kind with a quota, in CALLBACK_KINDS order (zero rows included)."""
    by_kind = {c.kind: c for c in counts}
    targets = callback_targets(policy)
    out = []
    for kind in CALLBACK_KINDS:
        c = by_kind.get(kind, CoverageCounts(kind, 0, 0))
        out.append(Coverage(kind, c.closed, c.covered, c.by_phone, c.pending, targets[kind]))
    return out


# --------------------------------------------------------------------------- staff
@dataclass(frozen=True, slots=True)
class StaffFigures:
    """A staff member's figures for assessment (attitude, skill, speed)."""

    staff_id: int
    accepted: int  # distinct cases they accepted in the period (timeline)
    first_responder: int  # cases opened in the period they were first to accept
    assigned: int  # cases opened in the period now assigned to them
    finished: int
    on_time: int  # finished by the completion deadline
    late_open: int  # assigned, not done, completion deadline passed by the period end
    satisfaction: Satisfaction

    @property
    def on_time_rate(self) -> float | None:
        return ratio(self.on_time, self.finished)


def staff_figures(
    cases: Iterable[CaseFacts], accepted: Mapping[int, int], answers: Iterable[Answers], as_of: int,
    late: Mapping[int, Lateness] | None = None,
) -> dict[int, StaffFigures]:
    """Per staff member; callbacks are credited to the case's current assignee."""
    cases = list(cases)
    if late is None:
        late = lateness_of(cases, as_of)
    first = Counter(c.first_responder_id for c in cases if c.first_responder_id is not None)
    mine: dict[int, list[CaseFacts]] = defaultdict(list)
    for c in cases:
        if c.assignee_id is not None:
            mine[c.assignee_id].append(c)
    answered: dict[int, list[Answers]] = defaultdict(list)
    for a in answers:
        if a.assignee_id is not None:
            answered[a.assignee_id].append(a)
    out = {}
    for sid in sorted(set(accepted) | set(first) | set(mine) | set(answered)):
        theirs = mine.get(sid, [])
        done = [c for c in theirs if c.done is not None]
        out[sid] = StaffFigures(
            staff_id=sid,
            accepted=accepted.get(sid, 0),
            first_responder=first.get(sid, 0),
            assigned=len(theirs),
            finished=len(done),
            on_time=sum(1 for c in done if c.completion_due is None or c.done <= c.completion_due),
            late_open=sum(1 for c in theirs if c.done is None and late[c.id].completion is not None),
            satisfaction=satisfaction(answered.get(sid, [])),
        )
    return out


# --------------------------------------------------------------------------- periods
def local_bounds(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) as aware datetimes at local midnight in the community's zone."""
    if end <= start:
        raise ValueError("the period's end must be after its start")
    zone = ZoneInfo(tz)
    return (datetime.combine(start, datetime.min.time(), zone), datetime.combine(end, datetime.min.time(), zone))


def week_starts(now: datetime, tz: str, weeks: int) -> list[datetime]:
    """Local Monday midnights of the last `weeks` complete weeks before `now`, plus the
    current week's Monday as the closing edge (so weeks+1 edges)."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    this_monday = today - timedelta(days=today.weekday())
    return [
        datetime.combine(this_monday - timedelta(weeks=weeks - i), datetime.min.time(), zone)
        for i in range(weeks + 1)
    ]


def week_of(t: int, edges: Sequence[int]) -> int | None:
    """Index i of the week [edges[i], edges[i+1]) holding t, or None outside them all."""
    i = bisect_right(edges, t) - 1
    return i if 0 <= i < len(edges) - 1 else None
