"""/mute and /unmute: an owner stops (or resumes) receiving the office's ordinary notices.

Stored on the owner (`owners.muted_notices`), so it holds for every chat they use.
Urgent notices (a water or power cut today, a gas leak) still arrive: they are the
owner's business whatever they chose.
"""

from __future__ import annotations

from handlers.kit.acting import as_owner
from handlers.kit.context import Ctx
from services import directory


async def mute(ctx: Ctx, _: str) -> None:
    """No more ordinary notices."""
    await _set(ctx, True)


async def unmute(ctx: Ctx, _: str) -> None:
    """Ordinary notices again."""
    await _set(ctx, False)


async def _set(ctx: Ctx, muted: bool) -> None:
    owner = await ctx.owner()
    if owner is None:
        key = "mute.staff" if await ctx.staff() is not None else "mute.not_bound"
        ctx.say(ctx.t(key))
        return
    if owner.muted_notices == muted:
        ctx.say(ctx.t("mute.already_muted" if muted else "mute.already_unmuted"))
        return
    await directory.set_muted(ctx.uow, as_owner(ctx), ctx.now, muted=muted)
    ctx.say(ctx.t("mute.muted" if muted else "mute.unmuted"))
