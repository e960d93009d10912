"""The pure statistics: exact numbers from hand-made records, no database."""

from __future__ import annotations

import statistics
from datetime import datetime, timezone

import pytest

from cases.policy import DeskPolicy
from cases.statistics import (
    AnswerFacts, CaseFacts, CoverageCounts, Durations, case_figures, coverage, figures_by, lateness, local_bounds,
    percentile, satisfaction, staff_figures, week_of, week_starts,
)
from cases.statistics import AnswerSums

M = 60  # seconds in a minute


def case(id_: int, created: int = 0, **kw: object) -> CaseFacts:
    base = dict(kind="report", category="plumbing", urgency="normal", status="closed", team="engineering",
                assignee_id=1, first_responder_id=1, rework_round=0)
    return CaseFacts(id_, created=created, **{**base, **kw})  # type: ignore[arg-type]


def test_percentiles_interpolate_between_closest_ranks() -> None:
    xs = [5, 10, 20, 30, 45, 60, 90, 120, 180]
    assert percentile(xs, 50) == 45
    assert percentile(xs, 90) == pytest.approx(132.0)  # h = 8·0.9 = 7.2 → 120 + 0.2·60
    assert percentile([60, 150, 200, 300, 400, 600, 1500, 2000], 50) == 350  # mean of the middle two
    assert percentile([60, 150, 200, 300, 400, 600, 1500, 2000], 90) == pytest.approx(1650)
    assert percentile([7], 90) == 7 and percentile([], 50) is None
    assert percentile([1, 2], 100) == 2 and percentile([1, 2], 0) == 1
    # The same method as statistics.quantiles(method="inclusive") and Excel's PERCENTILE.INC.
    data = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9]
    deciles = statistics.quantiles(data, n=10, method="inclusive")
    assert [percentile(data, p) for p in range(10, 100, 10)] == pytest.approx(deciles)
    with pytest.raises(ValueError):
        percentile(data, 101)


def test_durations_are_in_minutes() -> None:
    d = Durations.of_seconds([30 * M, 90 * M, 60 * M])
    assert (d.count, d.median, d.p90) == (3, 60, pytest.approx(84))


def test_lateness_at_the_period_end() -> None:
    end = 10_000 * M
    on_time = case(1, response_due=100 * M, accepted=50 * M, completion_due=500 * M, done=400 * M)
    assert not lateness(on_time, end).overdue
    late_accept = case(2, response_due=100 * M, accepted=130 * M, completion_due=500 * M, done=400 * M)
    assert lateness(late_accept, end).response == 30 * M and lateness(late_accept, end).completion is None
    never_accepted = case(3, status="dispatched", response_due=100 * M, completion_due=9_000 * M)
    assert lateness(never_accepted, end).response == 9_900 * M  # late so far, at the period end
    assert lateness(never_accepted, end).completion == 1_000 * M
    # A deadline after the period end is not yet missed, whatever happens later.
    future = case(4, status="dispatched", response_due=end + M)
    assert not lateness(future, end).overdue
    # Met after the period end, but the deadline had passed before it: late as of the end.
    met_later = case(5, response_due=end - 10 * M, accepted=end + 50 * M)
    assert lateness(met_later, end).response == 10 * M
    assert not lateness(case(6, status="cancelled", response_due=0), end).overdue


def test_case_figures_count_overdue_rework_and_cancellations() -> None:
    cases = [
        case(1, first_accepted=10 * M, accepted=10 * M, done=100 * M, response_due=15 * M, completion_due=240 * M),
        case(2, first_accepted=20 * M, accepted=20 * M, done=300 * M, response_due=15 * M, completion_due=240 * M),
        case(3, status="dispatched", rework_round=1, first_accepted=30 * M, response_due=999 * M),
        case(4, status="cancelled", response_due=1 * M),
    ]
    f = case_figures(cases, as_of=500 * M)
    assert (f.cases, f.active, f.cancelled, f.finished, f.closed) == (4, 1, 1, 3, 2)
    assert (f.overdue, f.late_response, f.late_completion) == (1, 1, 1)  # case 2, both deadlines
    assert f.overdue_rate == pytest.approx(1 / 3)
    assert (f.reopened, f.reopen_rate) == (1, pytest.approx(1 / 3))
    assert (f.first_response.median, f.completion.median) == (20, 200)


def test_satisfaction_means_and_solved_rate() -> None:
    answers = [
        AnswerFacts(1, "report", "plumbing", "normal", "engineering", 1, 0, True, 5, 4),
        AnswerFacts(2, "report", "plumbing", "normal", "engineering", 1, 0, False, 2, 1, "phone"),
        AnswerFacts(3, "report", "plumbing", "normal", "engineering", 2, 0, None, None, 3),
    ]
    s = satisfaction(answers)
    assert (s.answered, s.by_phone, s.solved, s.solved_known) == (3, 1, 1, 2)
    assert s.mean_speed == 3.5 and s.mean_attitude == pytest.approx(8 / 3) and s.solved_rate == 0.5
    empty = satisfaction([])
    assert (empty.mean_speed, empty.solved_rate) == (None, None)


def test_coverage_against_the_policy() -> None:
    trade_floor = DeskPolicy(repair_callback_rate=0.5)  # a laxer setting is raised to 90%
    rows = {c.kind: c for c in coverage([
        CoverageCounts("report", 10, 9), CoverageCounts("complaint", 4, 3, pending=1), CoverageCounts("service", 2, 2),
    ], trade_floor)}
    assert rows["report"].target == 0.9 and rows["report"].rate == 0.9 and not rows["report"].below_policy
    assert rows["complaint"].below_policy and rows["complaint"].missed == 0 and rows["complaint"].rate == 0.75
    assert not rows["service"].below_policy
    eight = coverage([CoverageCounts("report", 10, 8)], trade_floor)
    assert [c.kind for c in eight] == ["complaint", "service", "report"]
    assert eight[2].below_policy and eight[2].missed == 2
    assert eight[0].closed == 0 and eight[0].rate is None and not eight[0].below_policy
    strict = coverage([CoverageCounts("report", 10, 9)], DeskPolicy(repair_callback_rate=1.0))
    assert strict[2].target == 1.0 and strict[2].below_policy


def test_staff_figures_for_assessment() -> None:
    cases = [
        case(1, assignee_id=7, first_responder_id=7, done=100 * M, completion_due=200 * M),
        case(2, assignee_id=7, first_responder_id=8, done=300 * M, completion_due=200 * M),
        case(3, status="in_progress", assignee_id=7, first_responder_id=7, completion_due=50 * M),
    ]
    answers = [AnswerFacts(1, "report", "plumbing", "normal", "engineering", 7, 0, True, 4, 5)]
    f = staff_figures(cases, {7: 3, 8: 1}, answers, as_of=1_000 * M)
    seven = f[7]
    assert (seven.accepted, seven.first_responder, seven.assigned, seven.finished, seven.on_time) == (3, 2, 3, 2, 1)
    assert seven.on_time_rate == 0.5 and seven.late_open == 1
    assert seven.satisfaction.mean_attitude == 5
    assert (f[8].accepted, f[8].first_responder, f[8].assigned) == (1, 1, 0)


def test_groups_include_satisfaction_of_older_cases() -> None:
    cases = [case(1, kind="report"), case(2, kind="report"), case(3, kind="complaint")]
    answers = [AnswerFacts(9, "service", "housekeeping", "normal", "environment", 1, 0, True, 5, 5)]
    groups = figures_by(cases, lambda c: c.kind, 0, answers, lambda a: a.kind)
    assert list(groups) == ["report", "complaint", "service"]
    assert groups["service"].cases == 0 and groups["service"].satisfaction.answered == 1


def test_periods_and_weeks_in_the_community_zone() -> None:
    from datetime import date

    lo, hi = local_bounds(date(2026, 6, 1), date(2026, 6, 8), "Asia/Shanghai")
    assert lo.astimezone(timezone.utc) == datetime(2026, 5, 31, 16, tzinfo=timezone.utc)
    assert (hi - lo).days == 7
    with pytest.raises(ValueError):
        local_bounds(date(2026, 6, 8), date(2026, 6, 1), "Asia/Shanghai")
    # Wednesday 2026-06-10 01:00 UTC is 09:00 in Shanghai: the last complete week began Monday 1 June.
    edges = week_starts(datetime(2026, 6, 10, 1, tzinfo=timezone.utc), "Asia/Shanghai", 8)
    assert len(edges) == 9 and edges[-2].date() == date(2026, 6, 1) and edges[0].date() == date(2026, 4, 13)
    assert all(e.weekday() == 0 and e.hour == 0 for e in edges)
    # Sunday 23:30 local is still in the week; Monday 00:00 local starts the next.
    secs = [int(e.timestamp()) for e in edges]
    assert week_of(secs[-1] - 1800, secs) == 7 and week_of(secs[-1], secs) is None and week_of(secs[0] - 1, secs) is None


def test_summed_answers_give_the_same_satisfaction() -> None:
    answers = [
        AnswerFacts(1, "report", "plumbing", "normal", "engineering", 1, 0, True, 5, 4),
        AnswerFacts(2, "report", "plumbing", "normal", "engineering", 1, 0, False, 2, None, "phone"),
        AnswerFacts(3, "complaint", "general", "normal", "customer_service", 2, 0, None, 3, 3),
    ]
    summed = [AnswerSums("report", "plumbing", "normal", "engineering", 1, 2, 1, 7, 2, 4, 1, 1, 2),
              AnswerSums.of(answers[2])]
    assert satisfaction(summed) == satisfaction(answers)
    assert satisfaction(summed).mean_attitude == 3.5 and satisfaction(summed).solved_rate == 0.5
