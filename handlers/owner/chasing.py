"""The owner chases a case (催一下) and answers a proposed change of plan (issue 20).

"催一下" is a button on the owner's case, and also understood in free text while the
owner has a case in progress ("催一下", "怎么还没人来"): the newest one is chased.
"""

from __future__ import annotations

import re

from cases.errors import InvalidInput
from cases.lifecycle import Status
from handlers.kit.acting import as_owner
from handlers.kit.announcers import announce
from handlers.kit.context import Ctx
from handlers.kit.payloads import CaseAction
from handlers.owner.owned import my_cases, owned_case
from services import consent, holding
from services.events import CaseChased, Event

# Short messages that only chase: longer text is read as usual (it may be a new problem), and
# progress questions ("什么时候上门", "进度") still show the owner's cases (handlers.owner.talk).
CHASE_WORDS = re.compile(r"^\s*(催一?下|帮我催一?下|催单|催办|催促一下|快点|怎么还没(人)?来|还没(人)?来|还没修|"
                         r"怎么还没(处理|修|好)|hurry( up)?|please hurry)[\s!！?？。.~～吧啊呀呢]*$", re.IGNORECASE)
CHASABLE = (Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS)


async def _announced(ctx: Ctx, events: list[Event]) -> list[Event]:
    for reply in await announce(ctx.uow, ctx.community, events, ctx.now):
        ctx.send(reply)
    return events


async def _chase(ctx: Ctx, case_id: int) -> None:
    [chased] = await _announced(ctx, await holding.chase(ctx.uow, ctx.community, case_id, as_owner(ctx), ctx.now))
    assert isinstance(chased, CaseChased)
    ctx.say(ctx.t("dispatch.chased_owner" if chased.told else "dispatch.chased_owner_again", id=case_id))


async def chase_pressed(ctx: Ctx, pressed: CaseAction) -> None:
    ctx.answer = ""
    case = await owned_case(ctx, pressed.case_id)
    if case.status not in CHASABLE:
        ctx.say(ctx.t("dispatch.chase_nothing"))
        return
    await _chase(ctx, pressed.case_id)


async def chase_from_text(ctx: Ctx, text: str | None) -> bool:
    """True when the words were a chase (and were answered)."""
    if not text or not CHASE_WORDS.match(text):
        return False
    waiting = [c for c in await my_cases(ctx) if c.status in CHASABLE]
    if not waiting:
        ctx.say(ctx.t("dispatch.chase_nothing"))
        return True
    assert waiting[0].id is not None
    await _chase(ctx, waiting[0].id)
    return True


async def _answer(ctx: Ctx, pressed: CaseAction, agreed: bool) -> None:
    ctx.answer = ""
    case = await owned_case(ctx, pressed.case_id)
    waiting = (case.details.get("plan_change") or {})
    if waiting.get("state") != "proposed":
        ctx.say(ctx.t("dispatch.change_gone"))
        return
    try:
        await _announced(ctx, await consent.answer(ctx.uow, ctx.community, pressed.case_id, as_owner(ctx), ctx.now,
                                                   number=int(waiting["no"]), agreed=agreed))
    except InvalidInput:
        ctx.say(ctx.t("dispatch.change_gone"))
        return
    ctx.say(ctx.t("dispatch.change_agreed_owner" if agreed else "dispatch.change_declined_owner", id=case.id))


async def agree_pressed(ctx: Ctx, pressed: CaseAction) -> None:
    await _answer(ctx, pressed, True)


async def decline_pressed(ctx: Ctx, pressed: CaseAction) -> None:
    await _answer(ctx, pressed, False)
