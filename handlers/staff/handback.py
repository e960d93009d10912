"""Handing a case back to the team's queue, in the private chat: a reason if the worker
wants to give one.  The card goes back to "waiting" with its accept button."""

from __future__ import annotations

import logging
from enum import StrEnum

from handlers.kit import flow as flows
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Inbound
from handlers.kit.payloads import CaseAction
from handlers.staff.common import act, may_act
from services import casework

log = logging.getLogger("wuye.staff")

MAX_REASON = casework.MAX_REASON


class S(StrEnum):
    REASON = "reason"


async def handback_pressed(ctx: Ctx, pressed: CaseAction) -> None:
    """Only the worker (or a supervisor) gives a case back."""
    found = await may_act(ctx, pressed.case_id, worker=True, working=True)
    if found is None:
        return
    case, _ = found
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
    case_id = ctx.data["case_id"]
    flows.end(ctx)
    if await act(ctx, casework.hand_back, case_id, say=True, reason=reason) is None:
        return
    log.info("case %s handed back by staff %s", case_id, ctx.identity.staff_id)
    ctx.say(ctx.t("staff.handback_done", id=case_id))


FLOW = Flow("staff_handback", S.REASON, {
    S.REASON: Step(ask_reason, answer_reason),
}, needs_owner=False)
