"""A change of plan the owner must agree to (方案变更须征得业主同意).

The standard: "如维修过程中发现新问题、需要变更维修方案或延长维修时间，应及时与业主沟通，
征得业主同意后方可进行下一步操作".  Staff propose (a new problem, a different fix, extra
time, a fee); the owner agrees or declines in chat, or staff record that the owner agreed
by phone.  While a proposal waits, the work does not go on (`Case.start`/`finish` refuse).
An agreed extra time moves the completion deadline; an agreed fee is what the finish may
charge.  Everything is on the timeline; the open proposal is in `details["plan_change"]`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cases.errors import IllegalTransition, InvalidInput
from cases.lifecycle import WORKING, Actor, Case


class Change(StrEnum):
    NEW_PROBLEM = "new_problem"
    DIFFERENT_FIX = "different_fix"
    EXTRA_TIME = "extra_time"
    FEE = "fee"


PENDING = "proposed"


def pending(case: Case) -> dict[str, Any] | None:
    change = case.details.get("plan_change")
    return change if change and change.get("state") == PENDING else None


def propose(case: Case, *, change: str, note: str, by: Actor, now: datetime, extra_minutes: int = 0,
            fee_cents: int = 0, catalogue_cents: int | None = None) -> dict[str, Any]:
    """Staff working on the case propose a change; returns the proposal (with its number)."""
    if case.status not in WORKING:
        raise IllegalTransition("propose a change to", case.status)
    if pending(case):
        raise InvalidInput("a proposed change is already waiting for the owner")
    kind = Change(change) if change in Change._value2member_map_ else None
    if kind is None:
        raise InvalidInput(f"unknown change {change!r}")
    if not note.strip():
        raise InvalidInput("a change needs a description the owner can read")
    if kind is Change.EXTRA_TIME and extra_minutes <= 0:
        raise InvalidInput("extra time must be positive")
    if fee_cents < 0:
        raise InvalidInput("a fee cannot be negative")
    number = int(case.details.get("plan_changes", 0)) + 1
    proposal = {"no": number, "change": kind.value, "note": note.strip(), "extra_minutes": extra_minutes,
                "fee_cents": fee_cents, "catalogue_cents": catalogue_cents, "state": PENDING,
                "by": by.id, "at": now.isoformat()}
    case.details["plan_change"] = proposal
    case.details["plan_changes"] = number
    case.remark("change_proposed", now, by, note=note.strip(), **{k: v for k, v in proposal.items()
                                                                  if k not in ("state", "by", "at", "note")})
    return proposal


def agree(case: Case, number: int, *, by: Actor, now: datetime, how: str = "chat") -> dict[str, Any]:
    """The owner agrees (in chat, or staff record the phone call): the work may go on."""
    proposal = _the(case, number)
    proposal["state"] = "agreed"
    if proposal["extra_minutes"] and case.completion_due_at is not None:
        case.completion_due_at += timedelta(minutes=proposal["extra_minutes"])
    if proposal["fee_cents"]:
        case.details["agreed_fee_cents"] = int(case.details.get("agreed_fee_cents", 0)) + proposal["fee_cents"]
    case.remark("change_agreed", now, by, no=number, how=how)
    return proposal


def decline(case: Case, number: int, *, by: Actor, now: datetime, reason: str = "") -> dict[str, Any]:
    """The owner declines: the change is not made; the work goes on as first planned
    (or the staff close it out as it stands)."""
    proposal = _the(case, number)
    proposal["state"] = "declined"
    case.remark("change_declined", now, by, note=reason, no=number)
    return proposal


def _the(case: Case, number: int) -> dict[str, Any]:
    proposal = pending(case)
    if proposal is None or proposal["no"] != number:
        raise InvalidInput("that change is no longer waiting for an answer")
    return proposal
