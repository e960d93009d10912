"""Changes of plan the owner must agree to (issue 20; `cases.plan_change` holds the rule).

The worker (or a supervisor over them) proposes; the owner agrees or declines from their
chat, re-authorised here as the case's owner; or the worker records that the owner agreed
(or declined) on the phone.  For a paid service the catalogue price is carried on the
proposal, so the owner sees the fee against it before anything is done.
"""

from __future__ import annotations

from datetime import datetime

from cases import plan_change
from cases.errors import InvalidInput
from cases.records import Community
from services import access
from services.actors import Actor
from services.events import ChangeAnswered, ChangeProposed, Event
from services.saving import save
from storage.uow import UnitOfWork

MAX_NOTE = 300
MAX_EXTRA_MINUTES = 60 * 24 * 60  # sixty days: longer is a typo, or a different case
MAX_FEE_CENTS = 10_000_000


async def propose(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                  change: str, note: str, extra_minutes: int = 0, fee_cents: int = 0) -> list[Event]:
    case, staff = await access.working_case(uow, community, case_id, actor, "propose a change to")
    if len(note) > MAX_NOTE or not 0 <= extra_minutes <= MAX_EXTRA_MINUTES or not 0 <= fee_cents <= MAX_FEE_CENTS:
        raise InvalidInput("change out of range", note=len(note), extra=extra_minutes, fee=fee_cents)
    booked = await uow.cases.booked_item(case_id)
    catalogue = booked[0].price_cents if booked else None
    proposal = plan_change.propose(case, change=change, note=note, by=actor.recorded, now=now,
                                   extra_minutes=extra_minutes, fee_cents=fee_cents, catalogue_cents=catalogue)
    await save(uow, case, actor)
    return [ChangeProposed(actor=actor, at=now, case=case, staff_id=staff.id, proposal=dict(proposal))]


async def answer(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                 number: int, agreed: bool, reason: str = "") -> list[Event]:
    """The owner's answer from chat, or the worker recording the owner's answer by phone."""
    if actor.kind == "owner":
        case, how = await access.owners_case(uow, community, case_id, actor), "chat"
    else:
        case, _ = await access.working_case(uow, community, case_id, actor, "record the owner's answer on")
        how = "phone"
    if agreed:
        proposal = plan_change.agree(case, number, by=actor.recorded, now=now, how=how)
    else:
        proposal = plan_change.decline(case, number, by=actor.recorded, now=now, reason=reason[:MAX_NOTE])
    await save(uow, case, actor)
    return [ChangeAnswered(actor=actor, at=now, case=case, proposal=dict(proposal), agreed=agreed, how=how)]
