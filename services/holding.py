"""Chasing and pausing a case (issue 20; `cases.pausing` holds the rules).

An owner chases their own open case; the worker (or a supervisor over them) pauses it for a
reason until a date and resumes it; the scheduler resumes the pauses whose date came.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from cases import pausing
from cases.errors import InvalidInput, StaleCase
from cases.records import Community
from services import access
from services.actors import SYSTEM, Actor
from services.events import CaseChased, CasePaused, CaseResumed, Event
from services.saving import save
from storage.uow import UnitOfWork

log = logging.getLogger("wuye.pausing")

MAX_PAUSE = timedelta(days=90)
MAX_NOTE = 200


async def chase(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime) -> list[Event]:
    case = await access.owners_case(uow, community, case_id, actor)
    told = pausing.chase(case, by=actor.recorded, now=now)
    await save(uow, case, actor)
    return [CaseChased(actor=actor, at=now, case=case, count=int(case.details["chases"]), told=told)]


async def pause(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                reason: str, until: datetime, note: str = "") -> list[Event]:
    case, _ = await access.working_case(uow, community, case_id, actor, "pause")
    if until - now > MAX_PAUSE:
        raise InvalidInput("a pause of more than 90 days", until=until.isoformat())
    pausing.pause(case, reason=reason, until=until, by=actor.recorded, now=now, note=note[:MAX_NOTE])
    await save(uow, case, actor)
    return [CasePaused(actor=actor, at=now, case=case, reason=reason, until=until, note=note[:MAX_NOTE])]


async def resume(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime) -> list[Event]:
    case, _ = await access.working_case(uow, community, case_id, actor, "resume")
    pausing.resume(case, now=now, by=actor.recorded)
    await save(uow, case, actor)
    return [CaseResumed(actor=actor, at=now, case=case)]


async def resume_due(uow: UnitOfWork, community: Community, now: datetime) -> list[Event]:
    """Pauses whose date has come end: the deadline clock runs again (scheduler job)."""
    events: list[Event] = []
    for case in await uow.cases.paused(community.id):
        if not pausing.resume_due(case, now):
            continue
        pausing.resume(case, now=now)
        try:
            await uow.cases.save(case)
        except StaleCase:
            log.info("case %s changed while resuming its pause; left for the next run", case.id)
            continue
        events.append(CaseResumed(actor=SYSTEM, at=now, case=case))
    return events
