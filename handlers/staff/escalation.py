"""Deadlines and escalation, run periodically by the scheduler.

A case nobody accepted, or nobody finished, by its deadline is flagged in its team's
group and escalated to the team's supervisor (level 1, `cases.routing.supervisor_role_for`);
a full deadline period later to the manager and the management group (level 2).  An
emergency nobody has accepted is re-announced every `policy.emergency_repeat`.

The rules and the changes are `services.dispatch`'s; what people see is
`handlers.announcers`'.  Both functions are safe to call as often as the scheduler likes.
They change cases through `uow` and return the messages; the caller writes those to the
outbox and commits, in the same unit of work:

    async with app.uow() as uow:
        community = await uow.directory.community()
        replies = await check_deadlines(uow, community, now) + await repeat_emergencies(uow, community, now)
        for reply in replies:
            await uow.outbox.add(reply.channel, reply.chat_id, reply_to_dict(reply), reply.replace_key, now)
        await uow.commit()
"""

from __future__ import annotations

from datetime import datetime

from cases.records import Community
from handlers.kit.announcers import announce
from handlers.kit.messages import Reply
from services import dispatch, holding
from storage.uow import UnitOfWork


async def check_deadlines(uow: UnitOfWork, community: Community, now: datetime) -> list[Reply]:
    """Escalate every case that newly reached a level; their cards show how late they are."""
    return await announce(uow, community, await dispatch.escalate_overdue(uow, community, now), now)


async def repeat_emergencies(uow: UnitOfWork, community: Community, now: datetime) -> list[Reply]:
    """Re-announce each unaccepted emergency once per `policy.emergency_repeat`."""
    return await announce(uow, community, await dispatch.repeat_emergencies(uow, community, now), now)


async def lapse_offers(uow: UnitOfWork, community: Community, now: datetime) -> list[Reply]:
    """Offers to one person unanswered in time go back to the team's group (issue 20)."""
    return await announce(uow, community, await dispatch.lapse_offers(uow, community, now), now)


async def resume_pauses(uow: UnitOfWork, community: Community, now: datetime) -> list[Reply]:
    """Paused cases whose date came: the deadline clock runs again and the owner is told."""
    return await announce(uow, community, await holding.resume_due(uow, community, now), now)
