"""Callback (回访) policy: who gets one, the states a survey goes through, and when each
timed step (the survey, its reminder, the butler's phone follow-up, the auto-confirmation
of ignored done work) falls due.  These are the only homes of those rules: the scheduler
asks them what is due, and the steps that tell people about a wait show them."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from cases.codes import Kind
from cases.policy import DeskPolicy


class CallbackState(StrEnum):
    """Where a callback survey stands; the values are what `callbacks.state` stores."""

    SCHEDULED = "scheduled"  # booked for `due_at`, not sent yet
    SENT = "sent"  # the owner has the survey in a chat
    REMINDED = "reminded"  # the one reminder went out
    PHONE = "phone"  # a butler is asked to phone the owner
    ANSWERED = "answered"  # by the owner (chat) or by a butler (phone)
    SKIPPED = "skipped"  # given up: the case reopened, or nobody can be reached


# A survey the owner (or, by phone, a butler) may still answer.
OPEN_STATES: tuple[CallbackState, ...] = (CallbackState.SENT, CallbackState.REMINDED, CallbackState.PHONE)
# A survey still on its way to an answer (not answered, not given up).
PENDING_STATES: tuple[CallbackState, ...] = (CallbackState.SCHEDULED, *OPEN_STATES)
# Surveys nobody can answer any more.
FINAL_STATES: tuple[CallbackState, ...] = (CallbackState.ANSWERED, CallbackState.SKIPPED)


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


def reminder_due(sent_at: datetime, policy: DeskPolicy) -> datetime:
    """When an unanswered survey gets its one reminder, outside quiet hours."""
    return outside_quiet_hours(sent_at + policy.callback_reminder_after, policy)


def phone_due(reminded_at: datetime, policy: DeskPolicy) -> datetime:
    """When a butler is asked to phone an owner who ignored the reminder, outside quiet hours."""
    return outside_quiet_hours(reminded_at + policy.callback_phone_after, policy)


def auto_confirm_due(done_at: datetime, policy: DeskPolicy) -> datetime:
    """When done work the owner neither confirmed nor rejected is confirmed by the desk
    (the owner is told), outside quiet hours."""
    return outside_quiet_hours(done_at + policy.auto_confirm_after, policy)


# The scheduler selects due rows in SQL (`sent_at <= cutoff`), so it needs each rule the
# other way round: the latest start whose step is due at `now`.  It only asks outside
# quiet hours, where `x_due(t) <= now` exactly when `t <= x_cutoff(now)` (tests/unit/test_due.py).
def reminder_cutoff(now: datetime, policy: DeskPolicy) -> datetime:
    """Surveys sent at or before this moment are due for their reminder at `now`."""
    return now - policy.callback_reminder_after


def phone_cutoff(now: datetime, policy: DeskPolicy) -> datetime:
    """Surveys reminded at or before this moment are due for a phone request at `now`."""
    return now - policy.callback_phone_after


def auto_confirm_cutoff(now: datetime, policy: DeskPolicy) -> datetime:
    """Work done at or before this moment is due for auto-confirmation at `now`."""
    return now - policy.auto_confirm_after


def unsatisfied(solved: bool | None, speed: int | None, attitude: int | None) -> bool:
    """Not solved, or any score of 2 or less, sends the case back for rework."""
    if solved is False:
        return True
    return any(score is not None and score <= 2 for score in (speed, attitude))
