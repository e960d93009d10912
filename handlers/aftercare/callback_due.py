"""What happens when a callback or a confirmation falls due; the scheduler calls these.

Each function works inside the caller's unit of work and first *claims* its row with a
conditional update (callbacks: `state`; cases: the optimistic `version`), then returns
the replies for the caller to put in the outbox in the same transaction.  A process that
loses the claim gets None (or StaleCase) and rolls back, so every survey, reminder,
phone request and auto-confirmation happens exactly once however many processes tick.
"""

from __future__ import annotations

from datetime import datetime

from cases.lifecycle import SYSTEM, Case, Status
from cases.records import CallbackRecord, Community
from handlers.kit.announcers import announce
from handlers.kit.messages import Reply
from handlers.aftercare.phone_callback import request_replies
from handlers.aftercare.survey import survey_replies
from services import aftercare
from storage.uow import UnitOfWork


async def send_survey(uow: UnitOfWork, community: Community, record: CallbackRecord, now: datetime) -> list[Reply] | None:
    """The survey goes to the owner's chats; with no chat to reach, straight to a butler's phone."""
    case = await uow.cases.get(record.case_id)
    if case is None or case.status != Status.CLOSED:
        # Reopened (or gone) before the survey went out: there is no finished job to ask about.
        return await _skip(uow, record, case, now, "not_closed")
    head = "survey.intro" if record.round == 1 else "survey.intro_again"
    replies = await survey_replies(uow, case, record, head)
    if replies:
        if not await uow.callbacks.claim(record.id, "scheduled", state="sent", sent_at=now):
            return None
        await _remark(uow, case, "callback_sent", record, now)
        return replies
    if case.owner_id is None:
        # An unbound reporter with no chat left and no number on file cannot be called back.
        return await _skip(uow, record, case, now, "unreachable")
    if not await uow.callbacks.claim(record.id, "scheduled", state="phone", sent_at=now, reminded_at=now):
        return None
    await _remark(uow, case, "callback_phone_requested", record, now)
    return await request_replies(uow, community, case, record, now)


async def send_reminder(uow: UnitOfWork, community: Community, record: CallbackRecord, now: datetime) -> list[Reply] | None:
    """One reminder, showing the question the owner stopped at."""
    if not await uow.callbacks.claim(record.id, "sent", state="reminded", reminded_at=now):
        return None
    fresh = await uow.callbacks.get(record.id)
    case = await uow.cases.get(record.case_id)
    if fresh is None or case is None:
        return []
    await _remark(uow, case, "callback_reminded", fresh, now)
    return await survey_replies(uow, case, fresh, "survey.reminder")


async def request_phone(uow: UnitOfWork, community: Community, record: CallbackRecord, now: datetime) -> list[Reply] | None:
    """Still no answer after the reminder: a butler is asked to phone the owner."""
    if not await uow.callbacks.claim(record.id, "reminded", state="phone"):
        return None
    case = await uow.cases.get(record.case_id)
    if case is None:
        return []
    await _remark(uow, case, "callback_phone_requested", record, now)
    return await request_replies(uow, community, case, record, now)


async def auto_confirm(uow: UnitOfWork, community: Community, case_id: int, now: datetime) -> list[Reply] | None:
    """Done work the owner ignored for `auto_confirm_after` is accepted by the desk
    (`services.aftercare.auto_confirm`); the callback is then booked as for any closed case.
    A concurrent confirmation by the owner makes `save` raise StaleCase, and the caller
    rolls this back."""
    events = await aftercare.auto_confirm(uow, community, case_id, now)
    if not events:
        return None
    return await announce(uow, community, events, now)


async def _skip(uow: UnitOfWork, record: CallbackRecord, case: Case | None, now: datetime, why: str) -> list[Reply] | None:
    if not await uow.callbacks.claim(record.id, "scheduled", state="skipped"):
        return None
    if case is not None:
        case.remark("callback_skipped", now, SYSTEM, callback_id=record.id, round=record.round, reason=why)
        await uow.cases.save(case)
    return []


async def _remark(uow: UnitOfWork, case: Case, action: str, record: CallbackRecord, now: datetime) -> None:
    case.remark(action, now, SYSTEM, callback_id=record.id, round=record.round)
    await uow.cases.save(case)
