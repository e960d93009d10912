"""Staff commands for dispatch and consent (issue 20), in the private chat:

    /assign 12 王强              a supervisor gives case 12 to a named person
    /pause 12 3 配件 [说明]      pause case 12 for 3 days, waiting for parts (配件 | 业主 | 其他)
    /resume 12                   resume it now
    /change 12 时间 120 说明     propose a change the owner must agree to:
                                 时间 (extra minutes) | 费用 (yuan) | 新问题 | 方案
    /agreed 12  /declined 12     the owner answered the proposal on the phone

(`/duty`, the roster, is `handlers.staff.duty`.)  Each is parse → service (which authorises) →
announce → say, through `handlers.staff.common.act`.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from cases.errors import InvalidInput
from handlers.kit.cards import staff_name
from handlers.kit.context import Ctx
from handlers.kit.numbers import CASE_NUMBER_MAX, parse_int
from handlers.staff.common import act
from services import consent, dispatch, holding
from services.events import CaseAccepted, CaseAssigned

PAUSE_REASONS = {"配件": "parts", "parts": "parts", "业主": "owner", "owner": "owner", "其他": "other", "other": "other"}
CHANGES = {"时间": "extra_time", "time": "extra_time", "费用": "fee", "fee": "fee", "新问题": "new_problem",
           "problem": "new_problem", "方案": "different_fix", "fix": "different_fix"}
MAX_PAUSE_DAYS = 90


def _case_and_rest(arg: str) -> tuple[int | None, list[str]]:
    parts = arg.split()
    if not parts:
        return None, []
    return parse_int(parts[0].lstrip("#"), lo=1, hi=CASE_NUMBER_MAX), parts[1:]


async def assign_command(ctx: Ctx, arg: str) -> None:
    case_id, rest = _case_and_rest(arg)
    if case_id is None or not rest:
        ctx.say(ctx.t("dispatch.assign_usage"))
        return
    try:
        events = await act(ctx, dispatch.assign, case_id, say=True, to=" ".join(rest)[:100])
    except InvalidInput:
        ctx.say(ctx.t("dispatch.assign_usage"))
        return
    for event in events or ():
        if isinstance(event, CaseAccepted | CaseAssigned):
            ctx.say(ctx.t("dispatch.assigned", id=case_id, name=await staff_name(ctx.uow, event.staff_id)))


async def pause_command(ctx: Ctx, arg: str) -> None:
    case_id, rest = _case_and_rest(arg)
    days = parse_int(rest[0], lo=1, hi=MAX_PAUSE_DAYS) if rest else None
    reason = PAUSE_REASONS.get(rest[1].lower()) if len(rest) > 1 else None
    if case_id is None or days is None or reason is None:
        ctx.say(ctx.t("dispatch.pause_usage"))
        return
    if await act(ctx, holding.pause, case_id, say=True, reason=reason, until=ctx.now + timedelta(days=days),
                 note=" ".join(rest[2:])) is not None:
        ctx.say(ctx.t("dispatch.paused_staff", id=case_id, days=days))


async def resume_command(ctx: Ctx, arg: str) -> None:
    case_id, _ = _case_and_rest(arg)
    if case_id is None:
        ctx.say(ctx.t("dispatch.resume_usage"))
        return
    try:
        if await act(ctx, holding.resume, case_id, say=True) is not None:
            ctx.say(ctx.t("dispatch.resumed_staff", id=case_id))
    except InvalidInput:
        ctx.say(ctx.t("dispatch.not_paused", id=case_id))


async def change_command(ctx: Ctx, arg: str) -> None:
    case_id, rest = _case_and_rest(arg)
    change = CHANGES.get(rest[0].lower()) if rest else None
    extra, fee, words = 0, 0, rest[1:]
    if change in ("extra_time", "fee") and words:
        amount = words[0]
        words = words[1:]
        if change == "extra_time":
            extra = parse_int(amount, lo=1, hi=consent.MAX_EXTRA_MINUTES) or 0
        else:
            try:
                fee = int(Decimal(amount) * 100) if Decimal(amount) >= 0 else -1
            except InvalidOperation:
                fee = -1
        if (change == "extra_time" and not extra) or fee < 0 or (change == "fee" and not fee):
            change = None
    note = " ".join(words)
    if case_id is None or change is None or not note:
        ctx.say(ctx.t("dispatch.change_usage"))
        return
    try:
        events = await act(ctx, consent.propose, case_id, say=True, change=change, note=note, extra_minutes=extra,
                           fee_cents=fee)
    except InvalidInput:
        ctx.say(ctx.t("dispatch.change_refused", id=case_id))
        return
    if events is not None:
        ctx.say(ctx.t("dispatch.change_sent", id=case_id))


async def _phone_answer(ctx: Ctx, arg: str, agreed: bool) -> None:
    case_id, rest = _case_and_rest(arg)
    case = await ctx.uow.cases.get(case_id) if case_id is not None else None
    waiting = (case.details.get("plan_change") or {}) if case is not None else {}
    if case_id is None or waiting.get("state") != "proposed":
        ctx.say(ctx.t("dispatch.change_gone"))
        return
    if await act(ctx, consent.answer, case_id, say=True, number=int(waiting["no"]), agreed=agreed,
                 reason=" ".join(rest)) is not None:
        ctx.say(ctx.t("dispatch.phone_recorded", id=case_id))


async def agreed_command(ctx: Ctx, arg: str) -> None:
    await _phone_answer(ctx, arg, True)


async def declined_command(ctx: Ctx, arg: str) -> None:
    await _phone_answer(ctx, arg, False)

