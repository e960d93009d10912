"""Durations kept as a histogram, for the daily rollups of the company report (issue 19).

A year of a company is 1.4 million response and completion times; ranking them all for a
median took most of a 17 s report.  The rollups keep, per community and day, how many
durations fell into each bucket and the lowest and highest of them; a period's median and
P90 are then read from the buckets summed over its days.

Buckets are one minute wide up to 100 minutes and then 1 % wide (each bucket's lower
bound is 1.01 times the previous one's), up to ten years; longer durations share the
last bucket.  The value at a rank is taken inside its bucket, spread evenly between the
bucket's lowest and highest duration, so a bucket of one or two durations gives them
exactly.  **Precision**: a percentile read from the histogram is within one minute of
the exact one (`cases.statistics.Durations`, the same interpolation between ranks), or
within 1 % of it above 100 minutes — the true value and the estimate lie in the same
bucket.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

from cases.statistics import Durations, between_ranks, percentile_rank

LINEAR_UNTIL = 100 * 60  # seconds: one-minute buckets below this
TEN_YEARS = 10 * 366 * 86400


def _bounds() -> tuple[int, ...]:
    bounds = list(range(0, LINEAR_UNTIL, 60))
    b = LINEAR_UNTIL
    while b < TEN_YEARS:
        bounds.append(b)
        b += b // 100  # 1 % of the bound: at least 60 s from 6,000 s on
    return tuple(bounds)


BOUNDS = _bounds()  # lower bound (seconds) of each bucket


def bucket(seconds: int) -> int:
    """The bucket of a duration (negative ones, a clock moved back, fall into the first)."""
    return max(bisect_right(BOUNDS, seconds) - 1, 0)


@dataclass(slots=True)
class Bin:
    n: int
    low: int
    high: int


@dataclass
class Histogram:
    bins: dict[int, Bin] = field(default_factory=dict)

    @classmethod
    def of(cls, seconds: Iterable[int]) -> Histogram:
        h = cls()
        for s in seconds:
            h.add(bucket(s), 1, s, s)
        return h

    def add(self, index: int, n: int, low: int, high: int) -> None:
        b = self.bins.get(index)
        if b is None:
            self.bins[index] = Bin(n, low, high)
        else:
            b.n += n
            b.low = min(b.low, low)
            b.high = max(b.high, high)

    def merge(self, other: Histogram) -> None:
        for index, b in other.bins.items():
            self.add(index, b.n, b.low, b.high)

    @property
    def count(self) -> int:
        return sum(b.n for b in self.bins.values())

    def durations(self, percentiles: tuple[int, ...] = (50, 90)) -> Durations:
        """Median and P90 in minutes, as `Durations.of_seconds` of the values would give them
        within the module's precision."""
        n = self.count
        if not n:
            return Durations(0, None, None)
        ordered = sorted(self.bins.items())
        values = []
        for p in percentiles:
            lo = percentile_rank(n, p)
            at = self._at(ordered, lo) / 60
            after = self._at(ordered, lo + 1) / 60 if lo + 1 < n else None
            values.append(between_ranks(n, p, at, after))
        return Durations(n, *values)

    @staticmethod
    def _at(ordered: list[tuple[int, Bin]], rank: int) -> float:
        """The duration at 0-based `rank`: evenly spread between its bucket's lowest and highest."""
        seen = 0
        for _, b in ordered:
            if rank < seen + b.n:
                j = rank - seen
                return b.low if b.n == 1 else b.low + (b.high - b.low) * j / (b.n - 1)
            seen += b.n
        raise IndexError(rank)
