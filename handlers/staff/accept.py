"""Staff on a dispatch card: accept (grab), arrived, ask for help.

Finishing, transferring and handing back need a few words from the worker, so they are
short private-chat flows of their own (`staff_finish`, `staff_transfer`, `staff_handback`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from cases.codes import Area, Kind, Urgency
from cases.errors import StaleCase
from cases.lifecycle import Actor, Case, Status
from cases.when import Span, When
from handlers.kit.answers import when_label
from handlers.kit.cards import alert_replies, card_buttons, card_replies, card_text, staff_name, where_of
from handlers.kit.context import Ctx
from handlers.kit.formatting import code_name
from handlers.kit.messages import rows
from handlers.kit.payloads import CaseAction
from handlers.staff.casework import owner_replies
from handlers.staff.common import (
    acting_on, at, supervisors, team_name, tell_first_responder, to_staff, working_case, wrong_status,
)

log = logging.getLogger("wuye.staff")

# One call for help is enough; pressing again within this time only says it was sent.
HELP_COOLDOWN = timedelta(minutes=10)


# ----------------------------------------------------------------- what the owner hears, per kind of case
def accepted_key(case: Case, now: datetime) -> str:
    """The owner's "accepted" message fits the case: immediate dispatch for an emergency, a
    visit for a home repair or a service (at the owner's window when they gave one), someone on
    site for a shared area, a call back for a complaint, a question or a suggestion."""
    if case.urgency == Urgency.EMERGENCY:
        return "progress.accepted_emergency"
    if case.kind in (Kind.COMPLAINT, Kind.INQUIRY, Kind.SUGGESTION):
        return f"progress.accepted_{case.kind}"
    window = When.from_json(case.details.get("window"))
    if window is not None and window.span == Span.WINDOW and window.end and window.end > now:
        return "progress.accepted_window"
    if case.kind == Kind.SERVICE:
        return "progress.accepted_service"
    if case.kind == Kind.REPORT and case.area == Area.PUBLIC:
        return "progress.accepted_public"
    return "progress.accepted"


def started_key(case: Case) -> str:
    """"Arrived" for work on site; "working on it" for a complaint, a question or a suggestion."""
    return "progress.started_handling" if case.kind in (Kind.COMPLAINT, Kind.INQUIRY, Kind.SUGGESTION) \
        else "progress.started"


async def accept(ctx: Ctx, pressed: CaseAction) -> None:
    """First press wins; the winner gets the owner's contact privately, the owner hears who is coming."""
    found = await acting_on(ctx, pressed.case_id)
    if found is None:
        return
    case, staff = found
    if case.status != Status.DISPATCHED:
        await wrong_status(ctx, case, staff)
        return
    case.accept(staff.id, ctx.now)
    try:
        await ctx.uow.cases.save(case)
    except StaleCase:
        # Both read the case before either saved (PostgreSQL lets two presses overlap):
        # the other save landed first, so say who has it rather than "try again".
        fresh = await ctx.uow.cases.get(case.id or 0)
        if fresh is None or fresh.status == Status.DISPATCHED:
            raise
        await wrong_status(ctx, fresh, staff)
        return
    log.info("case %s accepted by staff %s", case.id, staff.id)
    for reply in await card_replies(ctx.uow, ctx.community, case, ctx.now):
        ctx.send(reply)
    contact = await card_text(ctx.uow, case, ctx.policy, ctx.now, private=True)
    ctx.say(ctx.t("staff.accepted_private", id=case.id, card=contact), card_buttons(case))
    phone = await ctx.uow.directory.staff_phone(staff.id)
    assert case.accepted_at is not None
    contact_by = case.accepted_at + ctx.policy.response[case.urgency]
    window = When.from_json(case.details.get("window"))
    for reply in await owner_replies(ctx.uow, case, accepted_key(case, ctx.now), name=staff.name, phone=phone or "-",
                                     team=team_name(case.team_code), by=at(contact_by, ctx.policy),
                                     window=lambda locale: when_label(window, locale) if window else "-"):
        ctx.send(reply)
    await tell_first_responder(ctx, case, "staff.fr_accepted", name=staff.name,
                               team=code_name(ctx.locale, "team", case.team_code))
    ctx.answer = ctx.t("staff.accepted_toast", id=case.id)


async def start(ctx: Ctx, pressed: CaseAction) -> None:
    """The worker has arrived and started; the owner is told."""
    found = await acting_on(ctx, pressed.case_id, worker=True)
    if found is None:
        return
    case, staff = found
    if case.status != Status.ACCEPTED:
        await wrong_status(ctx, case, staff)
        return
    case.start(staff.id, ctx.now)
    await ctx.uow.cases.save(case)
    log.info("case %s started by staff %s", case.id, staff.id)
    for reply in await card_replies(ctx.uow, ctx.community, case, ctx.now):
        ctx.send(reply)
    worker = await staff_name(ctx.uow, case.assignee_id)
    for reply in await owner_replies(ctx.uow, case, started_key(case), name=worker,
                                     kind=lambda locale: code_name(locale, "kind", case.kind)):
        ctx.send(reply)
    ctx.answer = ctx.t("staff.started_toast", id=case.id)


async def ask_for_help(ctx: Ctx, pressed: CaseAction) -> None:
    """The worker calls for help, in the team's group and to the team's supervisors."""
    found = await working_case(ctx, pressed.case_id)
    if found is None:
        return
    case, staff = found
    last = case.details.get("last_help_at")
    if last and ctx.now - datetime.fromisoformat(last) < HELP_COOLDOWN:
        ctx.answer = ctx.t("staff.help_recent", id=case.id)
        return
    case.details["last_help_at"] = ctx.now.isoformat()
    case.remark("help_requested", ctx.now, Actor("staff", staff.id))
    await ctx.uow.cases.save(case)
    log.info("help requested on case %s by staff %s", case.id, staff.id)
    fields = dict(id=case.id, name=staff.name, category=code_name(ctx.locale, "category", case.category),
                  where=await where_of(ctx.uow, case) or "-")
    for reply in await alert_replies(ctx.uow, ctx.community, case.team_code, "staff.help_group", **fields):
        ctx.send(reply)
    view = rows([ctx.button(ctx.t("staff.btn_show", id=case.id), CaseAction("show", case.id or 0))])
    for boss in await supervisors(ctx.uow, ctx.community, case.team_code):
        if boss.id != staff.id:
            for reply in await to_staff(ctx.uow, boss.id, "staff.help_supervisor", view,
                                        team=code_name(ctx.locale, "team", case.team_code), **fields):
                ctx.send(reply)
    ctx.answer = ctx.t("staff.help_sent", id=case.id)
