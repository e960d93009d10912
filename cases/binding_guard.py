"""How often someone may try to prove who they are by what they know (pure rules).

Binding by room + name + the last four digits of the registered phone is a guess from a
space of 10,000 once the room and name are known (a neighbour, a delivery slip).  So the
failures are counted per chat and per room, durably (restarts, /start and a second
process change nothing), and each counter locks after a few failures for a time that
doubles with every lockout: 15 minutes, 30, an hour … up to 30 days.  A served lockout
gives a fresh few tries; the history is forgotten only after 30 quiet days past its end.

Sharing one's own phone number (which the channel vouches for) is proof, not a guess:
it is never locked.  These rules decide; `handlers.owner.binding` applies them and
`storage.binding_attempts` keeps the counters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Attempts:
    """The failure history of one chat or one room."""

    failures: int = 0  # since the last lockout was served
    lockouts: int = 0  # so far: the next one lasts twice as long
    locked_until: datetime | None = None
    last_failure_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    tries: int
    base_lockout: timedelta = timedelta(minutes=15)
    max_lockout: timedelta = timedelta(days=30)
    forget_after: timedelta = timedelta(days=30)


# A person gets three tries per chat; a room (whoever tries it, from however many
# accounts) five before it locks for everyone guessing at it.
CHAT = Limits(tries=3)
ROOM = Limits(tries=5)


def locked(a: Attempts, now: datetime) -> bool:
    return a.locked_until is not None and now < a.locked_until


def current(a: Attempts, now: datetime, limits: Limits) -> Attempts:
    """The history as it stands at `now`: a served lockout gives fresh tries; a long quiet
    time (after the last lockout's end) forgets everything."""
    if locked(a, now):
        return a
    quiet_since = max((t for t in (a.last_failure_at, a.locked_until) if t is not None), default=None)
    if quiet_since is not None and now - quiet_since >= limits.forget_after:
        return Attempts()
    if a.locked_until is not None and a.failures >= limits.tries:
        return replace(a, failures=0)
    return a


def lockout_span(lockouts_before: int, limits: Limits) -> timedelta:
    if lockouts_before >= 20:  # 15 min × 2^20 is far beyond any cap; avoid huge numbers
        return limits.max_lockout
    return min(limits.base_lockout * (2 ** lockouts_before), limits.max_lockout)


def fail(a: Attempts, now: datetime, limits: Limits) -> tuple[Attempts, bool]:
    """One more failure; returns the new history and whether a lockout starts now."""
    a = current(a, now, limits)
    failures = a.failures + 1
    if failures >= limits.tries:
        until = now + lockout_span(a.lockouts, limits)
        return Attempts(failures, a.lockouts + 1, until, now), True
    return Attempts(failures, a.lockouts, a.locked_until, now), False


def first_failure(a: Attempts, now: datetime, limits: Limits) -> bool:
    """Whether a failure now would be the first of a fresh history (when customer service
    is asked to help: once, not once per guess)."""
    a = current(a, now, limits)
    return a.failures == 0 and a.lockouts == 0
