"""Transferring a case to another team, in the private chat: which team (buttons), why.

The first responder stays responsible (首问责任制) and is told; the new team gets the
card; the old team's card is edited to say where the case went; the owner hears which
team has it now.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from handlers.kit import flow as flows
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import code_name
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Inbound
from handlers.kit.payloads import CaseAction
from handlers.staff.common import act, may_act
from services import casework
from services.errors import MovedMeanwhile
from services.events import CaseTransferred

log = logging.getLogger("wuye.staff")

MAX_REASON = casework.MAX_REASON
MOVABLE = casework.MOVABLE


class S(StrEnum):
    TEAM = "team"
    REASON = "reason"


async def transfer_pressed(ctx: Ctx, pressed: CaseAction) -> None:
    """Anyone of the team while the case waits; once taken, its worker or a supervisor."""
    found = await may_act(ctx, pressed.case_id, worker=True, allowed=MOVABLE)
    if found is None:
        return
    case, _ = found
    await flows.begin(ctx, FLOW, case_id=case.id, from_team=case.team_code)
    ctx.answer = ctx.t("staff.continue_private")


async def _other_teams(ctx: Ctx) -> list[str]:
    return [info.code for info in await ctx.uow.directory.teams(ctx.community.id) if info.code != ctx.data["from_team"]]


async def ask_team(ctx: Ctx) -> None:
    """Which team takes it over."""
    buttons = [choice(ctx, code_name(ctx.locale, "team", code), code) for code in await _other_teams(ctx)]
    grid = tuple(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2))
    ctx.say(ctx.t("staff.transfer_ask_team", id=ctx.data["case_id"],
                  team=code_name(ctx.locale, "team", ctx.data["from_team"])), (*grid, nav_row(ctx, back=False)))


async def answer_team(ctx: Ctx, inbound: Inbound) -> None:
    """Only the buttons answer."""
    if ctx.picked not in await _other_teams(ctx):
        ctx.say(ctx.t("staff.use_buttons"))
        return
    ctx.data["to_team"] = ctx.picked
    await flows.goto(ctx, FLOW, S.REASON)


async def ask_reason(ctx: Ctx) -> None:
    """Why (both teams read it on the card)."""
    ctx.say(ctx.t("staff.transfer_ask_reason", team=code_name(ctx.locale, "team", ctx.data["to_team"])),
            (nav_row(ctx),))


async def answer_reason(ctx: Ctx, inbound: Inbound) -> None:
    """The reason; the transfer happens."""
    reason = text_of(ctx, inbound, max_len=MAX_REASON)
    if reason is None:
        return
    d = ctx.data
    flows.end(ctx)
    try:
        events = await act(ctx, casework.transfer, d["case_id"], say=True, to_team=d["to_team"], reason=reason,
                           from_team=d["from_team"])
    except MovedMeanwhile as moved:
        # Someone moved it while this person was typing.
        ctx.say(ctx.t("staff.transfer_moved_meanwhile", id=moved.case.id,
                      team=code_name(ctx.locale, "team", moved.case.team_code)))
        return
    if events is None:
        return
    [moved_event] = events
    assert isinstance(moved_event, CaseTransferred)
    case = moved_event.case
    log.info("case %s transferred from %s to %s by staff %s", case.id, d["from_team"], d["to_team"],
             ctx.identity.staff_id)
    new_team = code_name(ctx.locale, "team", case.team_code)
    key = "staff.transfer_done_fr" if case.first_responder_id == ctx.identity.staff_id else "staff.transfer_done"
    ctx.say(ctx.t(key, id=case.id, team=new_team))


FLOW = Flow("staff_transfer", S.TEAM, {
    S.TEAM: Step(ask_team, answer_team),
    S.REASON: Step(ask_reason, answer_reason),
}, needs_owner=False)
