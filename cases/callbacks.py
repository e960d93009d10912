"""Callback (回访) policy: who gets one, and when it may be sent."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cases.codes import Kind
from cases.policy import DeskPolicy


def needs_callback(kind: str, case_id: int, policy: DeskPolicy) -> bool:
    """Complaints and paid services always; repairs by the configured rate (never below 90%).

    Sampling is a stable hash of the case id, so the answer does not change when the
    process restarts or a second process asks.
    """
    if kind in (Kind.COMPLAINT, Kind.SERVICE):
        return True
    if kind == Kind.REPORT:
        rate = policy.effective_repair_rate
        if rate >= 1:
            return True
        bucket = int.from_bytes(hashlib.sha256(str(case_id).encode()).digest()[:4], "big") % 10_000
        return bucket < rate * 10_000
    return False


def outside_quiet_hours(when: datetime, policy: DeskPolicy) -> datetime:
    """`when`, or the end of the quiet hours (community time) if it falls inside them."""
    zone = ZoneInfo(policy.timezone)
    local = when.astimezone(zone)
    start, end = policy.quiet_start, policy.quiet_end
    t = local.timetz().replace(tzinfo=None)
    overnight = start > end
    quiet = (t >= start or t < end) if overnight else (start <= t < end)
    if not quiet:
        return when
    morning = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if overnight and t >= start:
        morning += timedelta(days=1)
    return morning.astimezone(when.tzinfo)


def callback_due(closed_at: datetime, policy: DeskPolicy) -> datetime:
    """When the callback goes out: the configured delay after closing, outside quiet hours."""
    return outside_quiet_hours(closed_at + policy.callback_delay, policy)


def unsatisfied(solved: bool | None, speed: int | None, attitude: int | None) -> bool:
    """Not solved, or any score of 2 or less, sends the case back for rework."""
    if solved is False:
        return True
    return any(score is not None and score <= 2 for score in (speed, attitude))
