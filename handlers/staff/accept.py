"""Staff on a dispatch card: accept (grab), arrived, ask for help.

Finishing, transferring and handing back need a few words from the worker, so they are
short private-chat flows of their own (`staff_finish`, `staff_transfer`, `staff_handback`).
Each press is parse → service (`services.casework`, which authorises) → announce → say.
"""

from __future__ import annotations

import logging

from handlers.kit.announcers import accepted_key, started_key
from handlers.kit.cards import card_buttons, card_text
from handlers.kit.context import Ctx
from handlers.kit.payloads import CaseAction
from handlers.staff.common import act
from services import casework
from services.errors import TooSoon
from services.events import CaseAccepted

log = logging.getLogger("wuye.staff")

__all__ = ["accepted_key", "started_key", "accept", "start", "ask_for_help"]


async def accept(ctx: Ctx, pressed: CaseAction) -> None:
    """First press wins; the winner gets the owner's contact privately, the owner hears who is coming."""
    events = await act(ctx, casework.accept, pressed.case_id)
    if events is None:
        return
    [accepted] = events
    assert isinstance(accepted, CaseAccepted)
    case = accepted.case
    log.info("case %s accepted by staff %s", case.id, accepted.staff_id)
    contact = await card_text(ctx.uow, case, ctx.policy, ctx.now, private=True)
    ctx.say(ctx.t("staff.accepted_private", id=case.id, card=contact), card_buttons(case))
    ctx.answer = ctx.t("staff.accepted_toast", id=case.id)


async def start(ctx: Ctx, pressed: CaseAction) -> None:
    """The worker has arrived and started; the owner is told."""
    if await act(ctx, casework.start, pressed.case_id) is None:
        return
    log.info("case %s started by staff %s", pressed.case_id, ctx.identity.staff_id)
    ctx.answer = ctx.t("staff.started_toast", id=pressed.case_id)


async def ask_for_help(ctx: Ctx, pressed: CaseAction) -> None:
    """The worker calls for help, in the team's group and to the team's supervisors."""
    try:
        if await act(ctx, casework.ask_for_help, pressed.case_id) is None:
            return
    except TooSoon:
        ctx.answer = ctx.t("staff.help_recent", id=pressed.case_id)
        return
    log.info("help requested on case %s by staff %s", pressed.case_id, ctx.identity.staff_id)
    ctx.answer = ctx.t("staff.help_sent", id=pressed.case_id)
