"""Finishing a job, in the worker's private chat: what was done, photos (optional), the fee
for paid work (prefilled with the booked price), a summary to confirm.  The owner is then
asked to accept the work (验收) with "confirm" / "not solved" buttons."""

from __future__ import annotations

import logging
from enum import StrEnum

from cases.codes import Area, Kind
from cases.lifecycle import Case
from handlers.kit import flow as flows
from handlers.kit.answers import is_done, read_fee
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import money
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Inbound
from handlers.kit.payloads import CaseAction
from handlers.staff.common import act, may_act
from services import casework

log = logging.getLogger("wuye.staff")

MAX_PHOTOS = 9
MAX_NOTE = casework.MAX_NOTE
MAX_FEE_CENTS = casework.MAX_FEE_CENTS


class S(StrEnum):
    NOTE = "note"
    PHOTOS = "photos"
    FEE = "fee"
    CONFIRM = "confirm"


def charges(case: Case) -> bool:
    """Paid services, and in-home repairs (which may be paid); shared areas and complaints never are."""
    return case.kind == Kind.SERVICE or (case.kind == Kind.REPORT and case.area == Area.HOME)


async def booked_price(ctx: Ctx, case: Case) -> int | None:
    """The price agreed when the service was booked, if it was."""
    if case.id is not None and (booked := await ctx.uow.cases.booked_item(case.id)):
        return booked[1]
    price = case.details.get("price_cents")
    return price if isinstance(price, int) else None


def parse_fee(text: str) -> int | None:
    """"50", "80.5", "¥120", "材料费35元", "收了三十五块", "免费" → cents; None if it is not an amount
    (or several amounts without a total: the worker is asked again)."""
    return read_fee(text)


async def finish_pressed(ctx: Ctx, pressed: CaseAction) -> None:
    """Only the worker (or a supervisor) finishes; the questions follow in the private chat."""
    found = await may_act(ctx, pressed.case_id, worker=True, working=True)
    if found is None:
        return
    case, _ = found
    await flows.begin(ctx, FLOW, case_id=case.id, charges=charges(case), booked=await booked_price(ctx, case))
    ctx.answer = ctx.t("staff.continue_private")


async def ask_note(ctx: Ctx) -> None:
    """What was done (the owner reads it)."""
    ctx.say(ctx.t("staff.finish_ask_note", id=ctx.data["case_id"]), (nav_row(ctx, back=False),))


async def answer_note(ctx: Ctx, inbound: Inbound) -> None:
    """A short text."""
    note = text_of(ctx, inbound, max_len=MAX_NOTE)
    if note is not None:
        ctx.data["note"] = note
        await flows.goto(ctx, FLOW, S.PHOTOS)


async def ask_photos(ctx: Ctx) -> None:
    """Photos of the finished work, optional."""
    count = len(ctx.data.get("photos", []))
    done = choice(ctx, ctx.t("staff.photos_done") if count else ctx.t("staff.photos_skip"), "done")
    ctx.say(ctx.t("staff.finish_photos_received" if count else "staff.finish_ask_photos", n=count),
            ((done,), nav_row(ctx)))


async def answer_photos(ctx: Ctx, inbound: Inbound) -> None:
    """Collect photos until done."""
    if inbound.photo:
        photos = ctx.data.setdefault("photos", [])
        if len(photos) >= MAX_PHOTOS:
            ctx.say(ctx.t("staff.photos_full", n=MAX_PHOTOS))
            return
        photos.append(inbound.photo)
        await flows.again(ctx, FLOW)
        return
    if ctx.picked == "done" or is_done(inbound.text):
        await flows.goto(ctx, FLOW, S.FEE if ctx.data["charges"] else S.CONFIRM)
        return
    ctx.say(ctx.t("staff.photos_hint"))


async def ask_fee(ctx: Ctx) -> None:
    """The fee, with the booked price and "free" as buttons."""
    buttons = []
    if ctx.data.get("booked"):
        buttons.append((choice(ctx, ctx.t("staff.fee_booked", fee=money(ctx.data["booked"], ctx.locale)), "booked"),))
    buttons.append((choice(ctx, ctx.t("staff.fee_free"), "free"),))
    ctx.say(ctx.t("staff.finish_ask_fee"), (*buttons, nav_row(ctx)))


async def answer_fee(ctx: Ctx, inbound: Inbound) -> None:
    """A button or a typed amount in yuan."""
    if ctx.picked == "booked" and ctx.data.get("booked"):
        fee = int(ctx.data["booked"])
    elif ctx.picked == "free":
        fee = 0
    else:
        text = text_of(ctx, inbound, max_len=60)
        if text is None:
            return
        fee = parse_fee(text)
        if fee is None:
            ctx.say(ctx.t("staff.fee_invalid"))
            return
        if fee > MAX_FEE_CENTS:
            ctx.say(ctx.t("staff.fee_too_high", fee=money(fee, ctx.locale)))
            return
    ctx.data["fee_cents"] = fee
    await flows.goto(ctx, FLOW, S.CONFIRM)


async def ask_confirm(ctx: Ctx) -> None:
    """The summary, to submit."""
    d = ctx.data
    fee = money(d.get("fee_cents", 0), ctx.locale) if d["charges"] else ctx.t("staff.fee_none")
    ctx.say(ctx.t("staff.finish_summary", id=d["case_id"], note=d["note"], photos=len(d.get("photos", [])), fee=fee),
            ((choice(ctx, ctx.t("staff.finish_submit"), "submit"),), nav_row(ctx)))


async def answer_confirm(ctx: Ctx, inbound: Inbound) -> None:
    """Submit: the case is done and the owner is asked to confirm."""
    # Staff confirm a finished job with the word for it, not a passing "好的" (it tells the owner).
    if ctx.picked != "submit" and (inbound.text or "").strip().lower() not in {"确认", "提交", "submit", "yes"}:
        ctx.say(ctx.t("report.use_buttons"))
        return
    d = ctx.data
    flows.end(ctx)
    events = await act(ctx, casework.finish, d["case_id"], say=True, note=d["note"], fee_cents=int(d.get("fee_cents", 0)),
                       photos=list(d.get("photos", [])))
    if events is None:
        return
    log.info("case %s finished by staff %s", d["case_id"], ctx.identity.staff_id)
    ctx.say(ctx.t("staff.finish_done", id=d["case_id"]))


FLOW = Flow("staff_finish", S.NOTE, {
    S.NOTE: Step(ask_note, answer_note),
    S.PHOTOS: Step(ask_photos, answer_photos),
    S.FEE: Step(ask_fee, answer_fee),
    S.CONFIRM: Step(ask_confirm, answer_confirm),
}, needs_owner=False)
