"""What happened to the desk, as the services report it.

A service changes the case and returns these; it never produces chat text.  Each front
end turns them into what people see (the chat desk through its announcers), so a new
front end reacts to the same facts.  Every case event carries the case as it was saved,
so an announcer needs no second read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cases.lifecycle import Case
from cases.records import Community
from services.actors import Actor


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    actor: Actor
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseEvent(Event):
    case: Case

    @property
    def case_id(self) -> int:
        assert self.case.id is not None
        return self.case.id


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseOpened(CaseEvent):
    """Opened and dispatched to its team (`case.team_code`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseDispatched(CaseEvent):
    """An open case (left open at intake) handed to a team."""

    team: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseAccepted(CaseEvent):
    staff_id: int
    on_behalf: bool = False  # a supervisor accepted for `staff_id`


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseAssigned(CaseEvent):
    """A supervisor gave the case to a named staff member (it may have had another)."""

    staff_id: int
    previous_assignee: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseStarted(CaseEvent):
    staff_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseDone(CaseEvent):
    staff_id: int
    note: str
    fee_cents: int
    photos: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseConfirmed(CaseEvent):
    auto: bool  # the desk confirmed after the owner stayed silent
    callback_booked: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseRejected(CaseEvent):
    """The owner did not accept the work: back to the team for rework."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseCancelled(CaseEvent):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseTransferred(CaseEvent):
    from_team: str
    to_team: str
    reason: str
    previous_assignee: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseMoved(CaseEvent):
    """The case belonged to another community of the company: `case` ended here (status
    moved) and `to_case` carries it on in `to` (announced there by its own CaseOpened)."""

    to: Community
    to_case: Case
    reason: str
    previous_assignee: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseHandedBack(CaseEvent):
    reason: str
    previous_assignee: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseEscalated(CaseEvent):
    level: int
    late: str  # "response" | "completion"
    levels: tuple[int, ...]  # each level newly reached (after downtime a case may jump two)


@dataclass(frozen=True, slots=True, kw_only=True)
class EmergencyRepeated(CaseEvent):
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HelpRequested(CaseEvent):
    staff_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteAdded(CaseEvent):
    """The owner added words and/or a photo to an open case (补充说明)."""

    text: str = ""
    photo: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceAdded(CaseEvent):
    where: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FalseAlarm(CaseEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseRemarked(CaseEvent):
    """A timeline entry that changes no state (owner phoned, parts ordered…)."""

    action: str
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyAnswerRecorded(CaseEvent):
    callback_id: int
    question: str
    value: bool | int


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackAnswered(CaseEvent):
    """A callback concluded (in chat by the owner, or by phone through a butler)."""

    callback_id: int
    method: str
    satisfied: bool
    solved: bool | None
    speed: int | None
    attitude: int | None
    comment: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseReopened(CaseEvent):
    """An unsatisfied callback sent the case back to its team (rework), with the verdict."""

    callback_id: int
    method: str
    reason: str
    solved: bool | None
    speed: int | None
    attitude: int | None
    comment: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseSurveyed(CaseEvent):
    """A satisfied callback archived the case."""

    callback_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SpotChecked(CaseEvent):
    callback_id: int
    level: str
    finding: str
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticesMuted(Event):
    owner_id: int
    muted: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class LanguageChanged(Event):
    channel: str
    user_id: str
    locale: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffChatsRevoked(Event):
    """A staff member's chat identities were removed (they left, or a phone was lost)."""

    staff_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatBound(Event):
    """A chat was bound to an owner after the owner proved who they are."""

    owner_id: int
    channel: str
    user_id: str
    chat_id: str
    previous_owner: int | None
    how: str  # "contact" | "words"


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseTakenForOwner(CaseEvent):
    """The office opened the case for an owner (a call, a visit, a patrol; services.office):
    an owner bound in a chat hears its number there."""

    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelledForOwner(CaseEvent):
    """The office cancelled the case on the owner's word (by phone, at the desk)."""

    reason: str


# ----------------------------------------------------------------- dispatch modes, consent, chasing (issue 20)
@dataclass(frozen=True, slots=True, kw_only=True)
class CaseOffered(CaseEvent):
    """A dispatched case offered to one person (cases.dispatch_modes): it waits for them
    until `until`, then falls back to the team's group."""

    staff_id: int
    mode: str
    until: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferLapsed(CaseEvent):
    """Nobody answered the offer in time: the team's group may grab the case."""

    staff_id: int
    mode: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeProposed(CaseEvent):
    """Staff propose a change of plan the owner must agree to (cases.plan_change)."""

    staff_id: int
    proposal: dict[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeAnswered(CaseEvent):
    proposal: dict[str, object]
    agreed: bool
    how: str  # chat | phone


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseChased(CaseEvent):
    """The owner chased the case (催一下); `told`: the assignee and supervisor hear of it now."""

    count: int
    told: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CasePaused(CaseEvent):
    reason: str
    until: datetime
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseResumed(CaseEvent):
    pass


@dataclass(frozen=True, slots=True)
class DutySpan:
    """One person put on duty (`on`) or taken off for [start, end), local time of the community."""

    staff_id: int
    name: str
    team: str
    on: bool
    start: datetime  # naive, the community's local time
    end: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class DutyChanged(Event):
    """A supervisor changed the duty roster (chat or console); saved, who and when with it."""

    by: int
    by_name: str
    spans: tuple[DutySpan, ...]
