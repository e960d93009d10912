"""Finishing a job, in the worker's private chat: what was done, photos (optional), the fee
for paid work (prefilled with the booked price), a summary to confirm.  The owner is then
asked to accept the work (验收) with "confirm" / "not solved" buttons."""

from __future__ import annotations

import logging
from dataclasses import replace
from enum import StrEnum

from cases.callbacks import auto_confirm_due
from cases.codes import Area, Kind
from cases.lifecycle import Case
from cases.records import ServiceItem
from handlers.kit import flow as flows
from handlers.kit.answers import read_fee
from handlers.kit.cards import card_replies
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import duration, money
from handlers.kit.i18n import t
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Button, Inbound
from handlers.kit.payloads import CaseAction, encode
from handlers.kit.photos import PhotoTexts, photo_step
from handlers.staff.casework import owner_replies
from handlers.staff.common import tell_first_responder, working_case

log = logging.getLogger("wuye.staff")

MAX_NOTE = 300
# ¥100,000: a bigger number for a household job is a typo, not a price.
MAX_FEE_CENTS = 10_000_000


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
    found = await working_case(ctx, pressed.case_id)
    if found is None:
        return
    case, staff = found
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


# Photos of the finished work, optional (the kit's photo step, as in the owner's report).
PHOTOS = PhotoTexts(ask="staff.finish_ask_photos", received="staff.finish_photos_received", skip="staff.photos_skip",
                    done="staff.photos_done", full="staff.photos_full", hint="staff.photos_hint")


async def after_photos(ctx: Ctx) -> None:
    await flows.goto(ctx, FLOW, S.FEE if ctx.data["charges"] else S.CONFIRM)


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
    found = await working_case(ctx, d["case_id"], say=True)
    if found is None:
        flows.end(ctx)
        return
    case, staff = found
    photos = list(d.get("photos", []))
    case.finish(staff.id, ctx.now, note=d["note"], fee_cents=int(d.get("fee_cents", 0)), photos=photos)
    await ctx.uow.cases.save(case)
    flows.end(ctx)
    log.info("case %s finished by staff %s", case.id, staff.id)
    for reply in await card_replies(ctx.uow, ctx.community, case, ctx.now):
        ctx.send(reply)
    await _ask_owner_to_confirm(ctx, case, d["note"], photos)
    await tell_first_responder(ctx, case, "staff.fr_done", name=staff.name)
    ctx.say(ctx.t("staff.finish_done", id=case.id))


async def _ask_owner_to_confirm(ctx: Ctx, case: Case, note: str, photos: list[str]) -> None:
    booked = await ctx.uow.cases.booked_item(case.id or 0)
    item = booked[0] if booked else None

    def fee_line(locale: str) -> str:
        return _fee_line(locale, case.fee_cents, item)

    def buttons(locale: str) -> tuple[tuple[Button, ...], ...]:
        return ((Button(t(locale, "progress.btn_confirm"), encode(CaseAction("confirm", case.id or 0))),
                 Button(t(locale, "progress.btn_reject"), encode(CaseAction("reject", case.id or 0)))),)

    # The owner's wait before the desk confirms for them (longer when it would end in quiet hours).
    done_at = case.done_at or ctx.now
    auto_minutes = (auto_confirm_due(done_at, ctx.policy) - done_at).total_seconds() / 60
    for reply in await owner_replies(ctx.uow, case, "progress.done", buttons=buttons, note=note, fee=fee_line,
                                     auto=lambda locale: duration(auto_minutes, locale)):
        # Photo ids belong to the channel they were sent on.
        ctx.send(replace(reply, photos=tuple(photos)) if reply.channel == ctx.inbound.channel else reply)


def _fee_line(locale: str, fee: int, item: ServiceItem | None) -> str:
    """The fee, shown against the published price list when the work was a catalogue service."""
    if not fee:
        return t(locale, "progress.fee_none")
    if item is not None:
        name, unit = (item.name_en, item.unit_en) if locale == "en" else (item.name_zh, item.unit_zh)
        return t(locale, "progress.fee_listed", fee=money(fee, locale), item=name,
                 price=money(item.price_cents, locale), unit=unit)
    return t(locale, "progress.fee", fee=money(fee, locale))


FLOW = Flow("staff_finish", S.NOTE, {
    S.NOTE: Step(ask_note, answer_note),
    S.PHOTOS: photo_step(PHOTOS, after_photos),
    S.FEE: Step(ask_fee, answer_fee),
    S.CONFIRM: Step(ask_confirm, answer_confirm),
}, needs_owner=False)
