"""Plain records the storage layer hands to handlers (never live ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cases.callbacks import CallbackState
from cases.policy import DeskPolicy


@dataclass(frozen=True, slots=True)
class Community:
    id: int
    code: str
    name: str
    policy: DeskPolicy


@dataclass(frozen=True, slots=True)
class Room:
    id: int
    code: str
    building: str


@dataclass(frozen=True, slots=True)
class Owner:
    id: int
    name: str
    phone: str
    rooms: tuple[Room, ...] = ()
    muted_notices: bool = False


@dataclass(frozen=True, slots=True)
class Identity:
    channel: str
    user_id: str
    chat_id: str
    locale: str
    owner_id: int | None = None
    staff_id: int | None = None
    # The community this identity is bound in (None: nowhere yet).
    community_id: int | None = None


@dataclass(frozen=True, slots=True)
class TeamInfo:
    code: str
    name: str
    chats: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ServiceItem:
    id: int
    code: str
    category: str
    name_zh: str
    name_en: str
    price_cents: int
    unit_zh: str
    unit_en: str


@dataclass(frozen=True, slots=True)
class Faq:
    code: str
    keywords: tuple[str, ...]
    question_zh: str
    answer_zh: str
    question_en: str
    answer_en: str


@dataclass(frozen=True, slots=True)
class TimelineItem:
    at: datetime
    action: str
    actor_kind: str
    actor_id: int | None
    note: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallbackRecord:
    id: int
    case_id: int
    round: int
    state: CallbackState
    due_at: datetime
    sent_at: datetime | None
    reminded_at: datetime | None
    answered_at: datetime | None
    solved: bool | None
    speed_score: int | None
    attitude_score: int | None
    comment: str
    method: str
    recorded_by_id: int | None


@dataclass(frozen=True, slots=True)
class Booking:
    """A booked paid service: the item, the agreed time and the price the owner confirmed."""

    id: int
    case_id: int
    item_id: int
    slot: str
    price_cents: int
    price_confirmed_at: datetime
    window_start: datetime | None = None  # the time asked for, when it is a window
    window_end: datetime | None = None


def next_question(record: CallbackRecord) -> str:
    """The first unanswered question: the survey is always answered in order."""
    if record.solved is None:
        return "solved"
    if record.speed_score is None:
        return "speed"
    if record.attitude_score is None:
        return "attitude"
    return "comment"
