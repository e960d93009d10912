"""Deadlines and escalation, run periodically by the scheduler.

A case nobody accepted, or nobody finished, by its deadline is flagged in its team's
group and escalated to the team's supervisor (level 1, `cases.routing.supervisor_role_for`);
a full deadline period later to the manager and the management group (level 2).  An
emergency nobody has accepted is re-announced every `policy.emergency_repeat`.

Both functions are safe to call as often as the scheduler likes: a level is announced
once (`case.escalation_level`), a repeat once per period (`details["last_alert_at"]`).
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

import logging
from datetime import datetime

from cases.codes import Role, Team
from cases.errors import StaleCase
from cases.lifecycle import SYSTEM, Case
from cases.records import Community
from handlers.kit.cards import STAFF_LOCALE, alert_replies, card_buttons, card_replies, group_safe, staff_name, where_of
from handlers.kit.formatting import code_name, duration
from handlers.kit.i18n import t
from handlers.kit.messages import URGENT, Button, Reply
from handlers.kit.payloads import CaseAction, encode
from handlers.staff.common import supervisors, to_staff
from storage.uow import UnitOfWork

log = logging.getLogger("wuye.escalation")


async def check_deadlines(uow: UnitOfWork, community: Community, now: datetime) -> list[Reply]:
    """Escalate every case that newly reached a level; their cards show how late they are."""
    replies: list[Reply] = []
    for case in await uow.cases.past_deadline(now):
        if case.community_id != community.id or not case.team_code:
            continue
        level = case.escalation_due(now, community.policy)
        if level <= case.escalation_level:
            continue
        late = case.overdue(now) or ""
        # After downtime a case may jump straight to level 2: each level's people still hear of it.
        reached = range(case.escalation_level + 1, level + 1)
        case.escalate(level, now, reason=late)
        if not await _saved(uow, case):
            continue
        log.warning("case %s overdue (%s): escalated to level %s", case.id, late, level)
        for each in reached:
            replies += await _escalation_notices(uow, community, case, each, late, now)
        replies += await card_replies(uow, community, case, now)
    return replies


async def repeat_emergencies(uow: UnitOfWork, community: Community, now: datetime) -> list[Reply]:
    """Re-announce each unaccepted emergency once per `policy.emergency_repeat`."""
    replies: list[Reply] = []
    every = community.policy.emergency_repeat
    for case in await uow.cases.unaccepted_emergencies():
        if case.community_id != community.id or not case.team_code or case.created_at is None:
            continue
        last = case.details.get("last_alert_at")
        if now - (datetime.fromisoformat(last) if last else case.created_at) < every:
            continue
        count = int(case.details.get("alerts", 1)) + 1  # the first alert went out when the case opened
        case.details.update(last_alert_at=now.isoformat(), alerts=count)
        case.remark("emergency_repeated", now, SYSTEM, count=count)
        if not await _saved(uow, case):
            continue
        log.warning("emergency case %s still unaccepted: alert %s", case.id, count)
        owner = await uow.directory.owner(case.owner_id) if case.owner_id else None
        fields = dict(id=case.id, count=count, waiting=duration((now - case.created_at).total_seconds() / 60, STAFF_LOCALE),
                      where=await where_of(uow, case) or "-", text=group_safe(case.description, owner)[:200],
                      team=code_name(STAFF_LOCALE, "team", case.team_code))
        replies += await alert_replies(uow, community, Team.MANAGEMENT, "escalation.emergency_repeat",
                                       priority=URGENT, **fields)
        if case.team_code != Team.MANAGEMENT:
            # Fresh buttons at the bottom of the duty group's chat: no scrolling up in an emergency.
            replies += await alert_replies(uow, community, case.team_code, "escalation.emergency_repeat",
                                           buttons=card_buttons(case), priority=URGENT, **fields)
        replies += await card_replies(uow, community, case, now)
    return replies


async def _saved(uow: UnitOfWork, case: Case) -> bool:
    try:
        await uow.cases.save(case)
    except StaleCase:
        # Someone acted on it this very moment; the next run sees the new state.
        log.info("case %s changed during the deadline check; left for the next run", case.id)
        return False
    return True


async def _escalation_notices(uow: UnitOfWork, community: Community, case: Case, level: int, late: str,
                              now: datetime) -> list[Reply]:
    assert case.id is not None
    due = case.response_due_at if late == "response" else case.completion_due_at
    assert due is not None
    fields = dict(
        id=case.id, team=code_name(STAFF_LOCALE, "team", case.team_code),
        category=code_name(STAFF_LOCALE, "category", case.category) if case.category else code_name(STAFF_LOCALE, "kind", case.kind),
        where=await where_of(uow, case) or "-", late=t(STAFF_LOCALE, f"escalation.late_{late}"),
        span=duration((now - due).total_seconds() / 60, STAFF_LOCALE),
        worker=await staff_name(uow, case.assignee_id) if case.assignee_id else t(STAFF_LOCALE, "escalation.nobody"),
    )
    view = ((Button(t(STAFF_LOCALE, "staff.btn_show", id=case.id), encode(CaseAction("show", case.id))),),)
    replies: list[Reply] = []
    if level == 1:
        replies += await alert_replies(uow, community, case.team_code, "escalation.team_overdue", **fields)
        for boss in await supervisors(uow, community, case.team_code):
            replies += await to_staff(uow, boss.id, "escalation.supervisor", view, **fields)
    else:
        replies += await alert_replies(uow, community, Team.MANAGEMENT, "escalation.management", **fields)
        for boss in await uow.directory.staff_list(community.id, role=Role.MANAGER):
            replies += await to_staff(uow, boss.id, "escalation.manager", view, **fields)
    return replies
