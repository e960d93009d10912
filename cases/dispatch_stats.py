"""Dispatch statistics (issue 20): how cases found their workers, and how often owners
chased and staff paused.  Pure: fed the timeline entries of a period, case by case.

An acceptance counts as *assigned* when it answered a standing offer to that person
(building, round robin, duty) or a supervisor gave the case (`data["by"]` on the entry);
otherwise the case was *grabbed* in the group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# What the figures read from the timeline.
ACTIONS = ("offered", "offer_lapsed", "accepted", "chased", "paused")


@dataclass
class DispatchFigures:
    assigned: int = 0
    grabbed: int = 0
    by_mode: Counter[str] = field(default_factory=Counter)  # assigned acceptances per mode ("supervisor" too)
    lapsed: int = 0  # offers that fell back to the group
    chases: int = 0
    chased_cases: int = 0
    pauses: int = 0
    chases_by_staff: Counter[int] = field(default_factory=Counter)  # chases while the case was theirs

    @property
    def assigned_share(self) -> float:
        total = self.assigned + self.grabbed
        return self.assigned / total if total else 0.0


def figures(timelines: Iterable[list[tuple[str, str, int | None, dict[str, Any]]]]) -> DispatchFigures:
    """`timelines`: per case, its entries (action, actor kind, actor id, data) in order."""
    out = DispatchFigures()
    for entries in timelines:
        standing: dict[str, Any] | None = None
        holder: int | None = None
        chased = False
        for action, kind, actor_id, data in entries:
            if action == "offered":
                standing = data
            elif action == "offer_lapsed":
                standing = None
                out.lapsed += 1
            elif action == "accepted":
                if data.get("by") is not None and data.get("by") != actor_id:
                    out.assigned += 1
                    out.by_mode["supervisor"] += 1
                elif standing is not None and standing.get("staff") == actor_id:
                    out.assigned += 1
                    out.by_mode[str(standing.get("mode"))] += 1
                else:
                    out.grabbed += 1
                standing, holder = None, actor_id if kind == "staff" else holder
            elif action == "chased":
                out.chases += 1
                chased = True
                if holder is not None:
                    out.chases_by_staff[holder] += 1
            elif action == "paused":
                out.pauses += 1
        out.chased_cases += chased
    return out


def acceptances(entries: list[tuple[str, str, int | None, dict[str, Any]]]) -> list[tuple[int, str]]:
    """(staff, "assigned" | "grabbed") for each acceptance of one case (as `figures` counts)."""
    out, standing = [], None
    for action, kind, actor_id, data in entries:
        if action == "offered":
            standing = data
        elif action == "offer_lapsed":
            standing = None
        elif action == "accepted" and kind == "staff" and actor_id is not None:
            assigned = (data.get("by") is not None and data.get("by") != actor_id) or \
                (standing is not None and standing.get("staff") == actor_id)
            out.append((actor_id, "assigned" if assigned else "grabbed"))
            standing = None
    return out
