"""The photo step, one widget for every flow that collects photos (the owner's report, the
worker's finished job): optional, several welcome up to MAX_PHOTOS, ended by its button or a
typed "完成" / "没有照片" / "跳过".  The photos are kept in the flow's `data["photos"]`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from handlers.kit.answers import is_done
from handlers.kit.context import Ctx
from handlers.kit.flow import Step, choice
from handlers.kit.inputs import nav_row
from handlers.kit.messages import Inbound

MAX_PHOTOS = 9
# The value of the step's one button.
DONE = "done"


@dataclass(frozen=True)
class PhotoTexts:
    """The catalogue keys one flow's photo step speaks with (`n`: photos so far)."""

    ask: str  # the question, before any photo
    received: str  # after each photo
    skip: str  # the button before any photo
    done: str  # the button once photos came
    full: str  # one photo too many (`n`: the limit)
    hint: str  # neither a photo nor "done"


def photo_step(texts: PhotoTexts, after: Callable[[Ctx], Awaitable[None]]) -> Step:
    """The step's ask and answer; `after` moves the flow on once the photos are done."""

    async def ask(ctx: Ctx) -> None:
        count = len(ctx.data.get("photos", []))
        button = choice(ctx, ctx.t(texts.done if count else texts.skip), DONE)
        ctx.say(ctx.t(texts.received if count else texts.ask, n=count), ((button,), nav_row(ctx)))

    async def answer(ctx: Ctx, inbound: Inbound) -> None:
        if inbound.photo:
            photos = ctx.data.setdefault("photos", [])
            if len(photos) >= MAX_PHOTOS:
                ctx.say(ctx.t(texts.full, n=MAX_PHOTOS))
                return
            photos.append(inbound.photo)
            await ask(ctx)
            return
        if ctx.picked == DONE or is_done(inbound.text):
            await after(ctx)
            return
        ctx.say(ctx.t(texts.hint))

    return Step(ask, answer)
