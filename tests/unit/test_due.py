"""The callback rules' one home (cases.callbacks): the states a survey goes through and
when each timed step falls due, read by moving a clock over the default policy
(callback 2 h after closing, reminder 24 h after sending, phone 24 h after the reminder,
auto-confirmation 72 h after done work; quiet hours 22:00–08:00 in Shanghai)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from cases.callbacks import (
    FINAL_STATES,
    OPEN_STATES,
    PENDING_STATES,
    CallbackState,
    auto_confirm_cutoff,
    auto_confirm_due,
    callback_due,
    outside_quiet_hours,
    phone_cutoff,
    phone_due,
    reminder_cutoff,
    reminder_due,
)
from cases.clock import FakeClock
from cases.policy import DeskPolicy

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = DeskPolicy()

Due = Callable[[datetime, DeskPolicy], datetime]
Cutoff = Callable[[datetime, DeskPolicy], datetime]


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall time in June 2026, as the UTC instant the desk's clock gives."""
    return datetime(2026, 6, day, hour, minute, tzinfo=SHANGHAI).astimezone(timezone.utc)


def first_due_moment(due: Due, start: datetime, clock: FakeClock, step: timedelta = timedelta(minutes=1)) -> datetime:
    """Move the clock a minute at a time until the step is due; the moment it became due."""
    for _ in range(7 * 24 * 60):
        if due(start, POLICY) <= clock.now():
            return clock.now()
        clock.advance(step)
    raise AssertionError("never fell due within a week")


def test_stored_values_are_unchanged() -> None:
    # What `callbacks.state` holds in existing databases: renaming one needs a migration.
    assert [s.value for s in CallbackState] == ["scheduled", "sent", "reminded", "phone", "answered", "skipped"]
    assert CallbackState("phone") is CallbackState.PHONE and CallbackState.SENT == "sent"


def test_every_state_is_either_on_its_way_or_final() -> None:
    assert set(PENDING_STATES) | set(FINAL_STATES) == set(CallbackState)
    assert not set(PENDING_STATES) & set(FINAL_STATES)
    assert set(OPEN_STATES) == set(PENDING_STATES) - {CallbackState.SCHEDULED}


@pytest.mark.parametrize("due, start, expected", [
    # Daytime: the plain wait.
    (callback_due, local(1, 10), local(1, 12)),
    (reminder_due, local(1, 10), local(2, 10)),
    (phone_due, local(1, 10), local(2, 10)),
    (auto_confirm_due, local(1, 10), local(4, 10)),
    # A wait that ends in quiet hours ends with them instead, at 08:00.
    (callback_due, local(1, 21), local(2, 8)),
    (reminder_due, local(1, 22, 30), local(3, 8)),
    (phone_due, local(2, 7, 59), local(3, 8)),
    (auto_confirm_due, local(1, 23), local(5, 8)),
    # Exactly at the end of quiet hours is outside them.
    (reminder_due, local(1, 8), local(2, 8)),
], ids=lambda v: getattr(v, "__name__", None) or "")
def test_a_step_falls_due_when_the_clock_reaches_it(due: Due, start: datetime, expected: datetime) -> None:
    clock = FakeClock(start)
    assert due(start, POLICY) == expected
    assert first_due_moment(due, start, clock) == expected
    assert outside_quiet_hours(expected, POLICY) == expected


def test_the_policy_decides_each_wait() -> None:
    policy = DeskPolicy(callback_reminder_after=timedelta(hours=2), callback_phone_after=timedelta(hours=5),
                        auto_confirm_after=timedelta(hours=48))
    start = local(1, 9)
    assert reminder_due(start, policy) == local(1, 11)
    assert phone_due(start, policy) == local(1, 14)
    assert auto_confirm_due(start, policy) == local(3, 9)
    # The three waits are read from their own settings, not from one another.
    assert reminder_due(start, POLICY) == phone_due(start, POLICY) == local(2, 9)
    assert auto_confirm_due(start, POLICY) == local(4, 9)


@pytest.mark.parametrize("due, cutoff", [
    (reminder_due, reminder_cutoff),
    (phone_due, phone_cutoff),
    (auto_confirm_due, auto_confirm_cutoff),
], ids=["reminder", "phone", "auto_confirm"])
def test_the_schedulers_cutoff_selects_exactly_what_is_due(due: Due, cutoff: Cutoff) -> None:
    """The scheduler selects rows with `start <= cutoff(now)` and works only outside quiet
    hours; there that must pick exactly the starts whose step is due."""
    starts = [local(1, 0) + timedelta(minutes=25 * n) for n in range(60)]
    clock = FakeClock(local(1, 0))
    checked = 0
    while clock.now() < local(6, 0):
        now = clock.now()
        if outside_quiet_hours(now, POLICY) == now:
            for start in starts:
                assert (due(start, POLICY) <= now) == (start <= cutoff(now, POLICY)), (start, now)
                checked += 1
        clock.advance(timedelta(minutes=20))
    assert checked > 10_000
