"""A case and the lifecycle of procedures.md.

    open ─dispatch─► dispatched ─accept─► accepted ─start─► in_progress
      │                ▲   │                 │                  │
      └─cancel─► cancelled ◄┘ (before acceptance)               │
                       ▲                     └──────finish──────┴─► done
     transfer / hand back / reject / unsatisfied callback (rework)   │
                                                       confirm (owner or auto)
                                                                      ▼
                                          surveyed ◄─satisfied callback─ closed

    open / dispatched / accepted / in_progress ─move─► moved  (it belongs to another
    community of the company: a new case there carries it on; this one ends untouched by
    the figures, escalations and callbacks of the community it was filed in)

Every change appends an `Event`; the repository stores them as the timeline.  An
illegal change raises `IllegalTransition` before touching anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cases.codes import CATEGORIES, Kind, Urgency
from cases.errors import IllegalTransition, InvalidInput
from cases.policy import DeskPolicy
from cases.when import When, deadlines_within


# The last escalation level (the manager): a case there has nothing left to escalate.
TOP_ESCALATION = 2

class Status(StrEnum):
    OPEN = "open"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CLOSED = "closed"
    SURVEYED = "surveyed"
    CANCELLED = "cancelled"
    MOVED = "moved"


# A case moved to another community is neither done by staff nor withdrawn by the owner.
MOVABLE_ELSEWHERE = frozenset({Status.OPEN, Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS})
ACTIVE = frozenset({Status.OPEN, Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS, Status.DONE})
WORKING = frozenset({Status.ACCEPTED, Status.IN_PROGRESS})


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # owner | staff | system
    id: int | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls("system")


SYSTEM = Actor.system()


@dataclass(frozen=True, slots=True)
class Event:
    action: str
    at: datetime
    actor: Actor
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Case:
    kind: str
    urgency: str
    category: str = ""
    area: str = ""
    community_id: int = 0
    id: int | None = None
    status: str = Status.OPEN
    room_id: int | None = None
    place: str = ""
    owner_id: int | None = None
    reporter_channel: str = ""
    reporter_chat_id: str = ""
    description: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    photos: list[str] = field(default_factory=list)
    team_code: str = ""
    assignee_id: int | None = None
    first_responder_id: int | None = None
    fee_cents: int = 0
    rework_round: int = 0
    escalation_level: int = 0
    confirmed_by: str = ""
    # chat | phone | walk_in | patrol | staff (cases.codes.SOURCES)
    source: str = "chat"
    created_at: datetime | None = None
    updated_at: datetime | None = None
    accepted_at: datetime | None = None
    first_accepted_at: datetime | None = None
    started_at: datetime | None = None
    done_at: datetime | None = None
    closed_at: datetime | None = None
    response_due_at: datetime | None = None
    completion_due_at: datetime | None = None
    version: int = 0
    # New timeline entries since the case was loaded; the repository drains them.
    events: list[Event] = field(default_factory=list, repr=False)

    # ----------------------------------------------------------------- creation
    @classmethod
    def open(
        cls,
        *,
        kind: str,
        urgency: str,
        category: str,
        area: str,
        now: datetime,
        by: Actor,
        description: str,
        **fields: Any,
    ) -> Case:
        """A new case as an owner (or the bot for an owner) reported it."""
        kind_, urgency_ = _known(Kind, kind), _known(Urgency, urgency)
        if category and category not in CATEGORIES[kind_]:
            raise InvalidInput(f"category {category!r} is not a {kind} category")
        if area and kind_ is not Kind.REPORT:
            raise InvalidInput("only reports carry an area")
        case = cls(
            kind=kind_, urgency=urgency_, category=category, area=area,
            description=description.strip(), created_at=now, updated_at=now, **fields,
        )
        case._record("opened", now, by, data={"kind": kind, "urgency": urgency, "category": category})
        return case

    # ----------------------------------------------------------------- transitions
    def dispatch(self, team: str, now: datetime, policy: DeskPolicy, by: Actor = SYSTEM) -> None:
        """Hand a new case to the team its category routes to, starting its deadlines."""
        self._require("dispatch", Status.OPEN)
        self._to_team(team, now, policy)
        self.completion_due_at = now + policy.completion[self.urgency]
        self._keep_within_window(now)
        self._record("dispatched", now, by, data={"team": team})

    def accept(self, staff_id: int, now: datetime) -> None:
        """A staff member takes the case; the first one ever becomes its first responder."""
        self._require("accept", Status.DISPATCHED)
        self.status = Status.ACCEPTED
        self.assignee_id = staff_id
        self.accepted_at = now
        if self.first_responder_id is None:
            self.first_responder_id = staff_id
        # Timed from the first acceptance even when the office agent who took the call is
        # already the first responder (a case opened for an owner, services.office).
        if self.first_accepted_at is None:
            self.first_accepted_at = now
        self.escalation_level = 0
        self.details.pop("offer", None)  # an offer to someone (cases.assignment) is settled
        self._record("accepted", now, Actor("staff", staff_id))

    def start(self, staff_id: int, now: datetime) -> None:
        """The worker arrived / started."""
        self._require("start", Status.ACCEPTED)
        self._require_unheld("start")
        self.status = Status.IN_PROGRESS
        self.started_at = now
        self._record("started", now, Actor("staff", staff_id))

    def finish(self, staff_id: int, now: datetime, note: str = "", fee_cents: int = 0, photos: list[str] | None = None) -> None:
        """The worker says the job is done; the owner is asked to confirm."""
        self._require("finish", Status.ACCEPTED, Status.IN_PROGRESS)
        self._require_unheld("finish")
        if fee_cents < 0:
            raise InvalidInput("a fee cannot be negative")
        self.status = Status.DONE
        self.done_at = now
        self.fee_cents = fee_cents
        data: dict[str, Any] = {"fee_cents": fee_cents}
        if photos:
            data["photos"] = list(photos)
        self._record("done", now, Actor("staff", staff_id), note=note, data=data)

    def confirm(self, now: datetime, by: Actor) -> None:
        """The owner accepts the work (验收), or the desk does after the owner stayed silent."""
        self._require("confirm", Status.DONE)
        self.status = Status.CLOSED
        self.closed_at = now
        self.confirmed_by = "auto" if by.kind == "system" else by.kind
        self._record("confirmed" if by.kind != "system" else "auto_confirmed", now, by)

    def reject(self, now: datetime, by: Actor, reason: str, policy: DeskPolicy) -> None:
        """The owner does not accept the work: it goes back to the team for rework."""
        self._require("reject", Status.DONE)
        self._rework("rejected", now, by, reason, policy)

    def cancel(self, now: datetime, by: Actor, reason: str = "") -> None:
        """The owner withdraws the case before anyone accepted it."""
        self._require("cancel", Status.OPEN, Status.DISPATCHED)
        self.status = Status.CANCELLED
        self.closed_at = now
        self._record("cancelled", now, by, note=reason)

    def move_away(self, now: datetime, by: Actor, *, to_case: int, community: str, name: str, reason: str) -> None:
        """The case belongs to another community: it ends here, pointing at the case that
        carries it on there (#`to_case` of the community with code `community`, called `name`)."""
        self._require("move", *MOVABLE_ELSEWHERE)
        if not reason.strip():
            raise InvalidInput("a move needs a reason")
        self._end_pause(now)
        for working in ("offer", "plan_change"):  # promises of this community's desk, void now
            self.details.pop(working, None)
        self.details["moved_to"] = {"case": to_case, "community": community, "name": name}
        self.status = Status.MOVED
        self.closed_at = now
        self._record("moved", now, by, note=reason, data={"to_case": to_case, "community": community})

    def transfer(self, to_team: str, now: datetime, policy: DeskPolicy, by: Actor, reason: str) -> None:
        """Pass the work to another team; the first responder stays responsible."""
        self._require("transfer", Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS)
        if to_team == self.team_code:
            raise InvalidInput("the case is already with that team")
        if not reason.strip():
            raise InvalidInput("a transfer needs a reason")
        from_team = self.team_code
        self._to_team(to_team, now, policy)
        self._record("transferred", now, by, note=reason, data={"from": from_team, "to": to_team})

    def hand_back(self, now: datetime, by: Actor, reason: str = "") -> None:
        """The assignee gives the case back to the team's queue."""
        self._require("hand back", Status.ACCEPTED, Status.IN_PROGRESS)
        self._end_pause(now)
        self.status = Status.DISPATCHED
        self.assignee_id = None
        self._record("handed_back", now, by, note=reason)

    def surveyed(self, now: datetime, satisfied: bool, policy: DeskPolicy, reason: str = "") -> None:
        """The callback's verdict: satisfied ends the case, unsatisfied reopens it for rework."""
        self._require("survey", Status.CLOSED)
        if satisfied:
            self.status = Status.SURVEYED
            self._record("surveyed", now, SYSTEM)
        else:
            self._rework("reopened", now, SYSTEM, reason, policy)

    def escalate(self, level: int, now: datetime, reason: str) -> None:
        """Record that the case was escalated to a higher level (idempotent per level)."""
        if level <= self.escalation_level:
            return
        self.escalation_level = level
        self._record("escalated", now, SYSTEM, note=reason, data={"level": level})

    def remark(self, action: str, now: datetime, by: Actor, note: str = "", **data: Any) -> None:
        """A timeline entry that changes no state (owner contacted, help asked, callback sent…)."""
        self._record(action, now, by, note=note, data=data)

    # ----------------------------------------------------------------- queries
    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def deadline(self) -> datetime | None:
        """The deadline the case works against now: the response until someone accepts, then
        the completion; none once the work is done (or the case ended)."""
        if self.status in (Status.OPEN, Status.DISPATCHED):
            return self.response_due_at
        if self.status in WORKING:
            return self.completion_due_at
        return None

    def overdue(self, now: datetime) -> str | None:
        """'response' when nobody accepted in time, 'completion' when the work is late."""
        if self.status in (Status.OPEN, Status.DISPATCHED) and self.response_due_at and now >= self.response_due_at:
            return "response"
        if self.status in WORKING and self.completion_due_at and now >= self.completion_due_at:
            return "completion"
        return None

    def escalation_due(self, now: datetime, policy: DeskPolicy) -> int:
        """Level 1 once a deadline passes (team supervisor), level 2 a full period later (manager)."""
        kind = self.overdue(now)
        if kind is None:
            return 0
        due = self.response_due_at if kind == "response" else self.completion_due_at
        period = (policy.response if kind == "response" else policy.completion)[self.urgency]
        assert due is not None
        return TOP_ESCALATION if now >= due + period else 1

    def drain_events(self) -> list[Event]:
        events, self.events = self.events, []
        return events

    # ----------------------------------------------------------------- internals
    def _to_team(self, team: str, now: datetime, policy: DeskPolicy) -> None:
        self._end_pause(now)
        self.details.pop("offer", None)  # an offer was to someone of the old team or round
        self.status = Status.DISPATCHED
        self.team_code = team
        self.assignee_id = None
        self.escalation_level = 0
        self.response_due_at = now + policy.response[self.urgency]
        self._keep_within_window(now)

    def _keep_within_window(self, now: datetime) -> None:
        """The owner asked for a time window ("今天下午"): the deadlines never fall after it."""
        window = When.from_json(self.details.get("window"))
        if window is None or self.response_due_at is None or self.completion_due_at is None:
            return
        self.response_due_at, self.completion_due_at = deadlines_within(
            window, now, self.response_due_at, self.completion_due_at)

    def _rework(self, action: str, now: datetime, by: Actor, reason: str, policy: DeskPolicy) -> None:
        previous = self.assignee_id
        # A rework round is a fresh promise to the owner, with fresh deadlines, to the same team.
        self._to_team(self.team_code, now, policy)
        self.completion_due_at = now + policy.completion[self.urgency]
        self._keep_within_window(now)
        self.rework_round += 1
        self.closed_at = None
        self.confirmed_by = ""
        self.done_at = None
        self._record(action, now, by, note=reason, data={"round": self.rework_round, "previous_assignee": previous})

    def _require(self, action: str, *allowed: Status) -> None:
        if self.status not in allowed:
            raise IllegalTransition(action, self.status)

    def _end_pause(self, now: datetime) -> None:
        """A paused case changing hands is no longer paused: its deadline clock runs again
        with what was left of it (cases.pausing keeps it in details["pause"])."""
        held = self.details.pop("pause", None)
        if held and held.get("left_seconds") is not None:
            self.completion_due_at = now + timedelta(seconds=held["left_seconds"])

    def _require_unheld(self, action: str) -> None:
        """Work goes on only after the owner agreed to a proposed change (cases.plan_change)
        and not while the case is paused (cases.pausing)."""
        if (self.details.get("plan_change") or {}).get("state") == "proposed":
            raise IllegalTransition(action, "awaiting_consent")
        if self.details.get("pause"):
            raise IllegalTransition(action, "paused")

    def _record(self, action: str, at: datetime, by: Actor, note: str = "", data: dict[str, Any] | None = None) -> None:
        self.updated_at = at
        self.events.append(Event(action, at, by, note, data or {}))


def _known(enum: type[StrEnum], value: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise InvalidInput(f"unknown {enum.__name__.lower()} {value!r}") from None
