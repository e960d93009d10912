"""After the work: the owner's survey answers, a callback recorded by phone, spot checks of
callbacks, and the desk's confirmation of done work the owner left unconfirmed.

A callback's verdict acts on the case the same way whoever gave it: satisfied archives
it; unsatisfied (not solved, or a score of 2 or less) reopens it for rework with the
owner's words, back to its team.  Exactly one of the owner (chat) and a butler (phone)
concludes a survey; the other gets SurveyClosed and nothing changes.
"""

from __future__ import annotations

from datetime import datetime

from cases import lifecycle
from cases.callbacks import OPEN_STATES, CallbackState, auto_confirm_due, unsatisfied
from cases.codes import Role
from cases.errors import InvalidInput, NotAllowed, NotFound
from cases.lifecycle import Status
from cases.permissions import SPOT_CHECK_LEVELS, StaffMember
from cases.records import CallbackRecord, Community, next_question
from handlers.kit.i18n import DEFAULT_LOCALE, t
from services import access
from services.actors import SYSTEM, Actor
from services.casework import book_callback
from services.errors import AlreadyAnswered, SurveyClosed
from services.events import (
    CallbackAnswered, CaseConfirmed, CaseReopened, CaseSurveyed, Event, SpotChecked, SurveyAnswerRecorded,
)
from services.saving import save
from storage.uow import UnitOfWork

QUESTIONS = ("solved", "speed", "attitude", "comment")
SCORED = {"solved": "solved", "speed": "speed_score", "attitude": "attitude_score"}
MAX_COMMENT = 500
# Customer service (the butlers first) calls owners back; the manager may stand in.
RECORDERS = frozenset({Role.BUTLER, Role.CS_AGENT, Role.CS_SUPERVISOR, Role.MANAGER})
FINDINGS = ("confirmed", "discrepancy")


def may_record(staff: StaffMember | None) -> bool:
    return staff is not None and staff.active and staff.role in RECORDERS


async def _callback(uow: UnitOfWork, community: Community, callback_id: int) -> tuple[CallbackRecord, lifecycle.Case]:
    record = await uow.callbacks.get(callback_id)
    case = await uow.cases.get(record.case_id) if record else None
    if record is None or case is None or case.community_id != community.id:
        raise NotFound(f"callback {callback_id}", callback_id=callback_id)
    return record, case


def _valid(question: str, value: bool | int | None) -> bool:
    if question == "solved":
        return isinstance(value, bool)
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5


async def answer_survey(uow: UnitOfWork, community: Community, callback_id: int, actor: Actor, now: datetime, *,
                        question: str, value: bool | int | None) -> list[Event]:
    """One answer of the owner's survey (solved, then speed and attitude stars), in order."""
    record, case = await _callback(uow, community, callback_id)
    if not access.owns(case, actor):
        raise NotAllowed(f"callback {callback_id} is not this person's", reason=access.NOT_OWNER)
    if record.state not in OPEN_STATES:
        raise SurveyClosed(state=record.state, method=record.method, case_id=case.id)
    if question not in SCORED:
        raise InvalidInput(f"{question!r} is not a question with an answer", question=question)
    due = next_question(record)
    if question != due:
        if QUESTIONS.index(question) < QUESTIONS.index(due):
            raise AlreadyAnswered(f"{question} was answered", question=question)
        raise InvalidInput(f"{question} is not asked yet", question=question)
    # A press on an answered question says so, whatever its value (a second press, an old card).
    if not _valid(question, value):
        raise InvalidInput(f"{question}={value!r} is not an answer", question=question)
    if not await uow.callbacks.record_answer(record.id, SCORED[question], value):
        raise AlreadyAnswered(f"{question} was answered a moment ago", question=question)
    return [SurveyAnswerRecorded(actor=actor, at=now, case=case, callback_id=record.id, question=question,
                                 value=value)]


async def submit_survey(uow: UnitOfWork, community: Community, callback_id: int, actor: Actor, now: datetime, *,
                        comment: str = "") -> list[Event]:
    """The owner makes their answers final, with a comment or none."""
    record, case = await _callback(uow, community, callback_id)
    if not access.owns(case, actor):
        raise NotAllowed(f"callback {callback_id} is not this person's", reason=access.NOT_OWNER)
    if record.state in OPEN_STATES and next_question(record) != "comment":
        raise InvalidInput("the survey's questions are not all answered", question=next_question(record))
    return await conclude(uow, community, record, actor, now, solved=record.solved, speed=record.speed_score,
                          attitude=record.attitude_score, comment=comment, method="chat")


async def record_phone_callback(uow: UnitOfWork, community: Community, callback_id: int, actor: Actor,
                                now: datetime, *, solved: bool, speed: int, attitude: int,
                                comment: str = "") -> list[Event]:
    """A butler (or customer service, or the manager) phoned the owner and records the answers."""
    staff = await access.staff_of(uow, actor)
    if not may_record(staff):
        raise NotAllowed(f"{staff.role} does not record callbacks", reason=access.ROLE)
    for question, value in (("solved", solved), ("speed", speed), ("attitude", attitude)):
        if not _valid(question, value):
            raise InvalidInput(f"{question}={value!r} is not an answer", question=question)
    record, _ = await _callback(uow, community, callback_id)
    return await conclude(uow, community, record, actor, now, solved=solved, speed=speed, attitude=attitude,
                          comment=comment, method="phone")


async def conclude(uow: UnitOfWork, community: Community, record: CallbackRecord, actor: Actor, now: datetime, *,
                   solved: bool | None, speed: int | None, attitude: int | None, comment: str,
                   method: str) -> list[Event]:
    """Record a callback's final answers and apply the verdict to the case (whoever gave it:
    the callers above authorise).  SurveyClosed if it was concluded already."""
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"a comment is at most {MAX_COMMENT} characters")
    recorded_by = actor.id if actor.kind == "staff" else None
    closed = await uow.callbacks.conclude(
        record.id, solved=solved, speed_score=speed, attitude_score=attitude, comment=comment,
        method=method, recorded_by_id=recorded_by, answered_at=now,
    )
    if not closed:
        fresh = await uow.callbacks.get(record.id)
        raise SurveyClosed(state=fresh.state if fresh else "", method=fresh.method if fresh else "",
                           case_id=record.case_id)
    case = await uow.cases.get(record.case_id)
    assert case is not None
    bad = unsatisfied(solved, speed, attitude)
    # An owner nobody bound answers as the desk (as before the services).
    by = actor.recorded if actor.kind == "staff" or actor.id is not None else lifecycle.SYSTEM
    case.remark("callback_answered", now, by, note=comment, callback_id=record.id, round=record.round,
                method=method, solved=solved, speed=speed, attitude=attitude, satisfied=not bad)
    reason = comment or _verdict_words(solved, speed, attitude)
    case.surveyed(now, satisfied=not bad, policy=community.policy, reason=reason)
    await save(uow, case, actor)
    answered = CallbackAnswered(actor=actor, at=now, case=case, callback_id=record.id, method=method,
                                satisfied=not bad, solved=solved, speed=speed, attitude=attitude, comment=comment)
    if bad:
        return [answered, CaseReopened(actor=actor, at=now, case=case, callback_id=record.id, method=method,
                                       reason=reason, solved=solved, speed=speed, attitude=attitude, comment=comment)]
    return [answered, CaseSurveyed(actor=actor, at=now, case=case, callback_id=record.id)]


def _verdict_words(solved: bool | None, speed: int | None, attitude: int | None) -> str:
    """The rework reason when the owner gave no words: the verdict as staff read it
    (未解决 · 速度 2⭐ · 态度 4⭐), in the staff's language, from the catalogue."""
    return t(DEFAULT_LOCALE, "survey.verdict",
             solved=t(DEFAULT_LOCALE, "survey.solved_word" if solved else "survey.unsolved_word"),
             speed=speed if speed is not None else "-", attitude=attitude if attitude is not None else "-")


async def spot_check(uow: UnitOfWork, community: Community, callback_id: int, actor: Actor, now: datetime, *,
                     finding: str, note: str = "") -> list[Event]:
    """A checker (customer-service supervisor, engineering manager, quality inspector) reviews
    an answered callback at their level: it matches, or there is a discrepancy (with a note)."""
    staff = await access.staff_of(uow, actor)
    level = SPOT_CHECK_LEVELS.get(staff.role)  # type: ignore[call-overload]
    if level is None:
        raise NotAllowed(f"{staff.role} does no spot checks", reason=access.ROLE)
    if finding not in FINDINGS:
        raise InvalidInput(f"{finding!r} is not a finding")
    note = note.strip()
    if finding == "discrepancy" and not note:
        raise InvalidInput("say what differs")
    if len(note) > MAX_COMMENT:
        raise InvalidInput(f"a note is at most {MAX_COMMENT} characters")
    record, case = await _callback(uow, community, callback_id)
    if record.state != CallbackState.ANSWERED:
        raise SurveyClosed(f"callback {callback_id} is {record.state}, not answered", state=record.state)
    await uow.callbacks.add_spot_check(callback_id, level, staff.id, finding, note, now)
    case.remark("callback_spot_checked", now, actor.recorded, note=note, callback_id=callback_id, level=level,
                finding=finding)
    await save(uow, case, actor)
    return [SpotChecked(actor=actor, at=now, case=case, callback_id=callback_id, level=level, finding=finding,
                        note=note)]


async def auto_confirm(uow: UnitOfWork, community: Community, case_id: int, now: datetime) -> list[Event]:
    """Done work the owner ignored until `auto_confirm_due` is accepted by the desk, and its
    callback booked as for any closed case.  Not yet due (or no longer done): no events.
    A concurrent confirmation by the owner makes the save raise StaleCase; the caller rolls back."""
    case = await uow.cases.get(case_id)
    if case is None or case.community_id != community.id:
        return []
    if case.status != Status.DONE or case.done_at is None or auto_confirm_due(case.done_at, community.policy) > now:
        return []
    case.confirm(now, SYSTEM.recorded)
    await save(uow, case, SYSTEM)
    booked = await book_callback(uow, community, case)
    return [CaseConfirmed(actor=SYSTEM, at=now, case=case, auto=True, callback_booked=booked)]
