"""cases/histogram.py: medians and P90 read from duration buckets are within the stated
precision of the exact figures (`cases.statistics.Durations`), and exact for small sets."""

from __future__ import annotations

import random

import pytest

from cases.histogram import BOUNDS, Histogram, bucket
from cases.statistics import Durations


def within(estimate: float | None, exact: float | None) -> bool:
    """One minute, or 1 % above 100 minutes."""
    assert estimate is not None and exact is not None
    return abs(estimate - exact) <= max(1.0, exact / 100)


def test_buckets_are_a_minute_wide_up_to_100_minutes_then_1_percent() -> None:
    assert BOUNDS[:3] == (0, 60, 120) and BOUNDS[100] == 6000
    widths = [(b - a) / a for a, b in zip(BOUNDS[100:], BOUNDS[101:])]
    assert all(w <= 0.0101 for w in widths)
    assert bucket(-5) == 0 and bucket(59) == 0 and bucket(60) == 1 and bucket(6000) == 100
    assert bucket(100 * 365 * 86400) == len(BOUNDS) - 1  # past ten years: the last bucket


@pytest.mark.parametrize("seed", range(6))
def test_percentiles_are_within_a_minute_or_one_percent(seed: int) -> None:
    rng = random.Random(seed)
    mean = rng.choice([600, 3000, 30_000, 300_000])
    seconds = [int(rng.expovariate(1 / mean)) for _ in range(rng.randint(3, 5000))]
    exact = Durations.of_seconds(seconds)
    # Summed from parts, as a period sums its days.
    total = Histogram()
    for i in range(0, len(seconds), 37):
        total.merge(Histogram.of(seconds[i:i + 37]))
    estimate = total.durations()
    assert estimate.count == exact.count
    assert within(estimate.median, exact.median) and within(estimate.p90, exact.p90)


def test_one_or_two_durations_a_bucket_are_exact() -> None:
    seconds = [600, 2700, 3600, 5400, 7200, 10_800, 12_000, 1_800]
    assert Histogram.of(seconds).durations() == Durations.of_seconds(seconds)
    assert Histogram().durations() == Durations(0, None, None)
