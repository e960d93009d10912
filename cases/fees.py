"""The fee history of a case: every visit's charge kept, never overwritten.

`Case.fee_cents` is the last visit's fee (what the finish card shows); the history has
one entry per charge — who charged what, in which rework round, and why — so a rework
after an unsatisfied callback adds a charge and erases none.  Reports sum the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Timeline actions that carry a charge in `data["fee_cents"]`.
CHARGING_ACTIONS = frozenset({"done"})


@dataclass(frozen=True, slots=True)
class Fee:
    case_id: int
    round: int
    cents: int
    staff_id: int | None
    reason: str
    at: datetime


def charge_of(action: str, data: dict[str, Any]) -> int:
    """The fee a timeline entry charges (0 for none)."""
    if action not in CHARGING_ACTIONS:
        return 0
    return max(int(data.get("fee_cents", 0) or 0), 0)


# Timeline actions that start a new rework round (cases.lifecycle._rework).
REWORK_ACTIONS = frozenset({"rejected", "reopened"})


def charges(events: list[Any], final_round: int) -> list[tuple[Any, int, int]]:
    """(event, round, cents) for each charging event of a batch saved at once: a batch may
    hold a finish, a rework and another finish, so each charge's round is counted back
    from the case's round after the batch."""
    found, reworks_after = [], 0
    for event in reversed(events):
        if event.action in REWORK_ACTIONS:
            reworks_after += 1
        elif cents := charge_of(event.action, event.data):
            found.append((event, final_round - reworks_after, cents))
    return found[::-1]


def total(fees: list[Fee]) -> int:
    return sum(f.cents for f in fees)
