"""Pausing a case (挂起) and an owner chasing it (催单).

A pause is for a stated reason (waiting for parts, waiting for the owner) until a date:
the completion clock stops (what was left of it is kept) and starts again on resuming,
by hand or by the scheduler on the date.  A chase is the owner's "催一下": counted on
the case; a second chase within `CHASE_QUIET` is recorded but tells nobody again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from cases.errors import IllegalTransition, InvalidInput
from cases.lifecycle import ACTIVE, SYSTEM, WORKING, Actor, Case, Status

CHASE_QUIET = timedelta(minutes=30)


class PauseReason(StrEnum):
    PARTS = "parts"
    OWNER = "owner"
    OTHER = "other"


def paused(case: Case) -> bool:
    return bool(case.details.get("pause"))


def pause(case: Case, *, reason: str, until: datetime, by: Actor, now: datetime, note: str = "") -> None:
    if case.status not in WORKING:
        raise IllegalTransition("pause", case.status)
    if paused(case):
        raise InvalidInput("the case is already paused")
    if reason not in PauseReason._value2member_map_:
        raise InvalidInput(f"unknown pause reason {reason!r}")
    if until <= now:
        raise InvalidInput("a pause must end in the future")
    left = (case.completion_due_at - now).total_seconds() if case.completion_due_at else None
    case.details["pause"] = {"reason": reason, "since": now.isoformat(), "until": until.isoformat(),
                             "left_seconds": max(left, 0) if left is not None else None}
    case.details["pauses"] = int(case.details.get("pauses", 0)) + 1
    case.completion_due_at = None  # no deadline while paused: nothing escalates
    case.remark("paused", now, by, note=note, reason=reason, until=until.isoformat())


def resume(case: Case, *, now: datetime, by: Actor = SYSTEM) -> None:
    held = case.details.pop("pause", None)
    if held is None:
        raise InvalidInput("the case is not paused")
    if held["left_seconds"] is not None:
        case.completion_due_at = now + timedelta(seconds=held["left_seconds"])
    case.remark("resumed", now, by, paused_since=held["since"])


def resume_due(case: Case, now: datetime) -> bool:
    held = case.details.get("pause")
    return bool(held) and now >= datetime.fromisoformat(held["until"])


def chase(case: Case, *, by: Actor, now: datetime) -> bool:
    """Count the chase; True when the assignee and supervisor should be told now."""
    if case.status not in ACTIVE or case.status == Status.DONE:
        raise IllegalTransition("chase", case.status)
    last = case.details.get("last_chase_at")
    case.details["chases"] = int(case.details.get("chases", 0)) + 1
    tell = last is None or now - datetime.fromisoformat(last) >= CHASE_QUIET
    if tell:
        case.details["last_chase_at"] = now.isoformat()
    case.remark("chased", now, by, count=case.details["chases"], told=tell)
    return tell
