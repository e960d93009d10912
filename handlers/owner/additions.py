"""More from the owner for a case already open: words, photos, the place, "it was a false
alarm" (补充说明).  Whatever the owner adds lands on the case (its timeline, its card) and
reaches the people working on it — the team's group, the duty group for an emergency,
and the assignee in private — so nothing the owner gave is lost."""

from __future__ import annotations

from cases.codes import Urgency
from cases.lifecycle import Case, Status
from handlers.kit.acting import as_owner
from handlers.kit.announcers import announce
from handlers.kit.context import Ctx
from services import casework
from services.events import Event
from handlers.owner.owned import my_cases

WORKING = casework.ADDABLE


async def latest_open(ctx: Ctx, *, emergency_only: bool = False) -> Case | None:
    """The owner's (or this chat's) newest case still being worked on."""
    for case in await my_cases(ctx):
        if case.status in WORKING and (not emergency_only or case.urgency == Urgency.EMERGENCY):
            return case
    return None


async def waiting_confirmation(ctx: Ctx) -> Case | None:
    """The owner's newest case whose work is done and waits for their 验收."""
    return next((c for c in await my_cases(ctx) if c.status == Status.DONE), None)


async def _announced(ctx: Ctx, events: list[Event]) -> None:
    for reply in await announce(ctx.uow, ctx.community, events, ctx.now):
        ctx.send(reply)


async def add_to_case(ctx: Ctx, case: Case, *, text: str = "", photo: str | None = None) -> None:
    """The owner's words and/or photo join the case; its card is edited and staff are told."""
    if not text.strip() and not photo:
        return
    await _announced(ctx, await casework.add_to_case(ctx.uow, ctx.community, case.id or 0, as_owner(ctx), ctx.now,
                                                     text=text, photo=photo))


async def set_place(ctx: Ctx, case: Case, *, place: str = "", room_id: int | None = None) -> None:
    """Where the emergency is, as the owner says after the alarm went out."""
    await _announced(ctx, await casework.set_place(ctx.uow, ctx.community, case.id or 0, as_owner(ctx), ctx.now,
                                                   place=place, room_id=room_id))


async def false_alarm(ctx: Ctx, case: Case) -> None:
    """The owner says all is well: staff see it on the card and decide (they may still check)."""
    await _announced(ctx, await casework.false_alarm(ctx.uow, ctx.community, case.id or 0, as_owner(ctx), ctx.now))
