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


def total(fees: list[Fee]) -> int:
    return sum(f.cents for f in fees)
