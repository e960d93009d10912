"""What a callback's answers do to the case, whether the owner answered in chat or a
butler recorded a phone call: satisfied archives it; unsatisfied (not solved, or a
score of 2 or less) reopens it for rework with the owner's words, back to its team."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cases.lifecycle import Case
from cases.records import CallbackRecord, Community
from handlers.kit.announcers import announce, verdict
from handlers.kit.messages import Reply
from services import aftercare
from services.actors import Actor
from services.errors import SurveyClosed
from services.events import CallbackAnswered
from storage.uow import UnitOfWork

__all__ = ["Outcome", "conclude", "verdict"]


@dataclass
class Outcome:
    case: Case
    satisfied: bool
    replies: list[Reply] = field(default_factory=list)


async def conclude(
    uow: UnitOfWork, community: Community, record: CallbackRecord, *,
    solved: bool | None, speed: int | None, attitude: int | None, comment: str, method: str,
    recorded_by: int | None, by_owner: int | None, now: datetime,
) -> Outcome | None:
    """Record the final answers and apply the verdict (`services.aftercare.conclude`), with
    what people see; None if the survey was already closed (the owner and a butler raced,
    or a second press): then nothing changed."""
    actor = Actor.staff(recorded_by) if recorded_by else Actor.owner(by_owner)
    try:
        events = await aftercare.conclude(uow, community, record, actor, now, solved=solved, speed=speed,
                                          attitude=attitude, comment=comment, method=method)
    except SurveyClosed:
        return None
    answered = events[0]
    assert isinstance(answered, CallbackAnswered)
    return Outcome(answered.case, answered.satisfied, await announce(uow, community, events, now))
