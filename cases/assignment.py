"""An offer of a dispatched case to one person, and its fallback to the group.

The case stays `dispatched` with its team (anyone of the team may still accept it); the
offer lives in `case.details["offer"]` so a restart or a second process sees it, and
the timeline says who was offered it, how (the mode), and when it lapsed.
"""

from __future__ import annotations

from datetime import datetime

from cases.dispatch_modes import Decision, Mode
from cases.lifecycle import SYSTEM, Case, Status


def offer(case: Case, decision: Decision, now: datetime) -> bool:
    """Record the decision on a freshly dispatched case; False when it is a plain grab."""
    if case.status != Status.DISPATCHED:
        return False
    if not decision.offered:
        case.details.pop("offer", None)
        case.remark("dispatch_mode", now, SYSTEM, mode=decision.mode.value, why=decision.why)
        return False
    assert decision.fallback_at is not None
    case.details["offer"] = {"staff": decision.assignee_id, "mode": decision.mode.value,
                             "until": decision.fallback_at.isoformat()}
    case.remark("offered", now, SYSTEM, staff=decision.assignee_id, mode=decision.mode.value)
    return True


def offered_to(case: Case) -> int | None:
    """Whom the case waits for, while it is dispatched and the offer stands."""
    offer_ = case.details.get("offer")
    if case.status != Status.DISPATCHED or not offer_:
        return None
    return int(offer_["staff"])


def lapsed(case: Case, now: datetime) -> bool:
    offer_ = case.details.get("offer")
    return (case.status == Status.DISPATCHED and bool(offer_)
            and now >= datetime.fromisoformat(offer_["until"]))


def lapse(case: Case, now: datetime) -> dict[str, object]:
    """The offer ran out unanswered: the case goes back to the team's group (the offer
    returned, for the announcement).  A duty offer is the emergency path: it escalates."""
    offer_ = case.details.pop("offer")
    case.remark("offer_lapsed", now, SYSTEM, staff=offer_["staff"], mode=offer_["mode"])
    if offer_["mode"] == Mode.DUTY:
        case.escalate(max(case.escalation_level, 0) + 1, now, reason="duty_unanswered")
    return offer_


def settle(case: Case) -> None:
    """Someone accepted (or the case left `dispatched`): the offer no longer stands."""
    case.details.pop("offer", None)
