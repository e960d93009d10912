"""/spotcheck: the three-level spot check of callbacks (回访抽查).

The customer-service supervisor, the engineering manager and the quality inspector
each draw a sample of recent answered callbacks not yet checked at their level, review
them one by one in a private chat, and record a finding: confirmed, or a discrepancy
with a note.  The sample lives in the conversation state, so a restart resumes it.
"""

from __future__ import annotations

import random
from datetime import timedelta
from enum import StrEnum

from cases.errors import NotFound
from cases.permissions import SPOT_CHECK_LEVELS
from handlers.kit import flow as flows
from handlers.kit.acting import actor_of
from handlers.aftercare.callback_outcome import verdict
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import code_name, local_time
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Inbound
from handlers.aftercare.survey import what
from services import aftercare
from services.errors import SurveyClosed

WINDOW = timedelta(days=30)
MAX_NOTE = 500
FINDINGS = ("confirmed", "discrepancy")


class S(StrEnum):
    REVIEW = "review"
    NOTE = "note"


async def _level(ctx: Ctx) -> str | None:
    staff = await ctx.staff()
    return SPOT_CHECK_LEVELS.get(staff.role) if staff else None


async def spot_check(ctx: Ctx, _: str) -> None:
    """Draw this checker's sample and show the first callback."""
    level = await _level(ctx)
    if level is None:
        ctx.say(ctx.t("spot_check.not_allowed"))
        return
    recent = await ctx.uow.callbacks.recent_answered(ctx.now - WINDOW)
    done = await ctx.uow.callbacks.checked_at_level([r.id for r in recent], level)
    pool = [r.id for r in recent if r.id not in done]
    if not pool:
        ctx.say(ctx.t("spot_check.nothing", days=WINDOW.days))
        return
    # A fresh random draw each time: a predictable sample could be prepared for.
    sample = sorted(random.sample(pool, min(ctx.policy.spot_check_sample, len(pool))), reverse=True)
    await flows.begin(ctx, FLOW, ids=sample, index=0, level=level, confirmed=0, discrepancy=0, skipped=0)


async def ask_review(ctx: Ctx) -> None:
    """One callback: the case, the owner, the answers; confirm, flag or skip."""
    ids, index = ctx.data["ids"], int(ctx.data["index"])
    record = await ctx.uow.callbacks.get(ids[index])
    case = await ctx.uow.cases.get(record.case_id) if record else None
    if record is None or case is None:
        await _next(ctx)
        return
    owner = await ctx.uow.directory.owner(case.owner_id) if case.owner_id else None
    where = case.place or "-"
    if case.room_id:
        room = await ctx.uow.directory.room_by_id(case.room_id)
        where = room.code if room else where
    recorder = await ctx.uow.directory.staff(record.recorded_by_id) if record.recorded_by_id else None
    loc = ctx.locale
    # The checker sees the owner's full number: verifying a callback means calling the owner again.
    text = ctx.t(
        "spot_check.item", n=index + 1, total=len(ids), level=ctx.t(f"spot_check.level_{ctx.data['level']}"),
        id=case.id, kind=code_name(loc, "kind", case.kind), category=code_name(loc, "category", case.category),
        what=what(case, 80), owner=owner.name if owner else "-", phone=owner.phone if owner else "-", where=where,
        round=record.round, method=ctx.t(f"survey.method_{record.method}"),
        by=recorder.name if recorder else ctx.t("spot_check.by_owner"), at=local_time(record.answered_at, ctx.policy, loc),
        verdict=verdict(record.solved, record.speed_score, record.attitude_score, loc),
        comment=record.comment or "-", status=code_name(loc, "status", case.status),
    )
    ctx.say(text, ((choice(ctx, ctx.t("spot_check.confirmed"), "confirmed"),
                    choice(ctx, ctx.t("spot_check.discrepancy"), "discrepancy")),
                   (choice(ctx, ctx.t("spot_check.skip"), "skip"),), nav_row(ctx, back=False)))


async def answer_review(ctx: Ctx, inbound: Inbound) -> None:
    """Confirmed is recorded at once; a discrepancy asks for a note; skip moves on."""
    if ctx.picked == "confirmed":
        await _record(ctx, "confirmed", "")
    elif ctx.picked == "discrepancy":
        await flows.goto(ctx, FLOW, S.NOTE)
    elif ctx.picked == "skip":
        ctx.data["skipped"] = int(ctx.data["skipped"]) + 1
        await _next(ctx)
    else:
        ctx.say(ctx.t("spot_check.use_buttons"))


async def ask_note(ctx: Ctx) -> None:
    """What did not match."""
    ctx.say(ctx.t("spot_check.ask_note"), (nav_row(ctx),))


async def answer_note(ctx: Ctx, inbound: Inbound) -> None:
    """The note makes the discrepancy finding."""
    note = text_of(ctx, inbound, max_len=MAX_NOTE)
    if note is not None:
        await _record(ctx, "discrepancy", note)


async def _record(ctx: Ctx, finding: str, note: str) -> None:
    staff = await ctx.staff()
    level = await _level(ctx)
    if staff is None or level != ctx.data["level"]:
        # The checker's role changed since the sample was drawn.
        flows.end(ctx)
        ctx.say(ctx.t("spot_check.not_allowed"))
        return
    callback_id = ctx.data["ids"][int(ctx.data["index"])]
    try:
        await aftercare.spot_check(ctx.uow, ctx.community, callback_id, actor_of(ctx), ctx.now, finding=finding,
                                   note=note)
        ctx.data[finding] = int(ctx.data[finding]) + 1
    except (NotFound, SurveyClosed):
        pass  # gone from the sample meanwhile: on to the next
    await _next(ctx)


async def _next(ctx: Ctx) -> None:
    ctx.data["index"] = int(ctx.data["index"]) + 1
    if ctx.data["index"] >= len(ctx.data["ids"]):
        d = ctx.data
        flows.end(ctx)
        ctx.say(ctx.t("spot_check.finished", total=len(d["ids"]), confirmed=d["confirmed"],
                      discrepancy=d["discrepancy"], skipped=d["skipped"]))
        return
    # Each callback is a fresh review: "back" does not lead into the previous one.
    ctx.data["_history"] = []
    ctx.state.step = S.REVIEW
    await ask_review(ctx)


FLOW = Flow("spot_check", S.REVIEW, {
    S.REVIEW: Step(ask_review, answer_review),
    S.NOTE: Step(ask_note, answer_note),
}, needs_owner=False)
