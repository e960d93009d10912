"""Transferring a case to another team, in the private chat: which team (buttons), why.

The first responder stays responsible (首问责任制) and is told; the new team gets the
card; the old team's card is edited to say where the case went; the owner hears which
team has it now.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from cases.lifecycle import Actor, Status
from handlers.kit import flow as flows
from handlers.kit.cards import alert_replies, card_replies, moved_card_replies, staff_name
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import code_name
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Inbound
from handlers.kit.payloads import CaseAction
from handlers.staff.casework import owner_replies
from handlers.staff.common import acting_on, team_name, tell_first_responder, to_staff, wrong_status

log = logging.getLogger("wuye.staff")

MAX_REASON = 200
MOVABLE = (Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS)


class S(StrEnum):
    TEAM = "team"
    REASON = "reason"


async def transfer_pressed(ctx: Ctx, pressed: CaseAction) -> None:
    """Anyone of the team while the case waits; once taken, its worker or a supervisor."""
    found = await acting_on(ctx, pressed.case_id, worker=True)
    if found is None:
        return
    case, staff = found
    if case.status not in MOVABLE:
        await wrong_status(ctx, case, staff)
        return
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
    # Someone may have moved, taken or closed it while this person was typing.
    current = await ctx.uow.cases.get(d["case_id"])
    if current is not None and current.team_code != d["from_team"]:
        ctx.say(ctx.t("staff.transfer_moved_meanwhile", id=current.id,
                      team=code_name(ctx.locale, "team", current.team_code)))
        flows.end(ctx)
        return
    found = await acting_on(ctx, d["case_id"], worker=True, say=True)
    if found is None:
        flows.end(ctx)
        return
    case, staff = found
    if case.status not in MOVABLE:
        await wrong_status(ctx, case, staff, say=True)
        flows.end(ctx)
        return
    previous = case.assignee_id
    case.transfer(d["to_team"], ctx.now, ctx.policy, Actor("staff", staff.id), reason)
    await ctx.uow.cases.save(case)
    flows.end(ctx)
    log.info("case %s transferred from %s to %s by staff %s", case.id, d["from_team"], d["to_team"], staff.id)
    for reply in await card_replies(ctx.uow, ctx.community, case, ctx.now, with_photos=True):
        ctx.send(reply)
    for reply in await moved_card_replies(ctx.uow, ctx.community, case, d["from_team"], ctx.now):
        ctx.send(reply)
    new_team = code_name(ctx.locale, "team", case.team_code)
    for reply in await alert_replies(ctx.uow, ctx.community, d["from_team"], "staff.transfer_group",
                                     id=case.id, name=staff.name, team=new_team):
        ctx.send(reply)
    first = await staff_name(ctx.uow, case.first_responder_id) if case.first_responder_id else ""
    key = "progress.transferred_fr" if first else "progress.transferred"
    for reply in await owner_replies(ctx.uow, case, key, team=team_name(case.team_code), name=first):
        ctx.send(reply)
    await tell_first_responder(ctx, case, "staff.fr_transferred", name=staff.name, team=new_team, reason=reason)
    if previous not in (None, staff.id, case.first_responder_id):
        for reply in await to_staff(ctx.uow, previous, "staff.unassigned_by_transfer", id=case.id, name=staff.name,
                                    team=new_team):
            ctx.send(reply)
    key = "staff.transfer_done_fr" if case.first_responder_id == staff.id else "staff.transfer_done"
    ctx.say(ctx.t(key, id=case.id, team=new_team))


FLOW = Flow("staff_transfer", S.TEAM, {
    S.TEAM: Step(ask_team, answer_team),
    S.REASON: Step(ask_reason, answer_reason),
}, needs_owner=False)
