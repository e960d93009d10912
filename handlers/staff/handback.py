"""Handing a case back to the team's queue, in the private chat: a reason if the worker
wants to give one.  The card goes back to "waiting" with its accept button."""

from __future__ import annotations

import logging
from enum import StrEnum

from cases.lifecycle import Actor
from handlers.kit import flow as flows
from handlers.kit.cards import alert_replies, card_replies, group_safe_for
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Inbound
from handlers.kit.payloads import CaseAction
from handlers.staff.common import to_staff, working_case

log = logging.getLogger("wuye.staff")

MAX_REASON = 200


class S(StrEnum):
    REASON = "reason"


async def handback_pressed(ctx: Ctx, pressed: CaseAction) -> None:
    """Only the worker (or a supervisor) gives a case back."""
    found = await working_case(ctx, pressed.case_id)
    if found is None:
        return
    case, staff = found
    await flows.begin(ctx, FLOW, case_id=case.id)
    ctx.answer = ctx.t("staff.continue_private")


async def ask_reason(ctx: Ctx) -> None:
    """Why, optionally."""
    ctx.say(ctx.t("staff.handback_ask_reason", id=ctx.data["case_id"]),
            ((choice(ctx, ctx.t("staff.handback_no_reason"), "skip"),), nav_row(ctx, back=False)))


async def answer_reason(ctx: Ctx, inbound: Inbound) -> None:
    """A reason or "no reason"; the case goes back to the queue."""
    if ctx.picked == "skip":
        reason = ""
    else:
        typed = text_of(ctx, inbound, max_len=MAX_REASON)
        if typed is None:
            return
        reason = typed
    found = await working_case(ctx, ctx.data["case_id"], say=True)
    if found is None:
        flows.end(ctx)
        return
    case, staff = found
    worker = case.assignee_id
    case.hand_back(ctx.now, Actor("staff", staff.id), reason)
    await ctx.uow.cases.save(case)
    flows.end(ctx)
    log.info("case %s handed back by staff %s", case.id, staff.id)
    for reply in await card_replies(ctx.uow, ctx.community, case, ctx.now):
        ctx.send(reply)
    # An edited card makes no sound: say it in the group too, so someone picks it up.
    key = "staff.handback_group_reason" if reason else "staff.handback_group"
    for reply in await alert_replies(ctx.uow, ctx.community, case.team_code, key, id=case.id, name=staff.name,
                                     reason=await group_safe_for(ctx.uow, case, reason)):
        ctx.send(reply)
    if worker not in (None, staff.id):
        for reply in await to_staff(ctx.uow, worker, "staff.handed_back_by_supervisor", id=case.id, name=staff.name):
            ctx.send(reply)
    ctx.say(ctx.t("staff.handback_done", id=case.id))


FLOW = Flow("staff_handback", S.REASON, {
    S.REASON: Step(ask_reason, answer_reason),
}, needs_owner=False)
