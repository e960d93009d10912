"""The star-rating step: one to five stars as buttons, or the score in words as typed
("3", "两星", "还行", "非常满意"); the score is kept in the flow's data under its field."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers.kit.answers import read_stars
from handlers.kit.context import Ctx
from handlers.kit.flow import Step, choice
from handlers.kit.inputs import nav_row
from handlers.kit.messages import Button, Inbound

STARS = ("1", "2", "3", "4", "5")


def star_buttons(ctx: Ctx) -> tuple[tuple[Button, ...], ...]:
    return (tuple(choice(ctx, ctx.t("survey.stars", n=n), n) for n in STARS), nav_row(ctx))


def picked_star(ctx: Ctx, inbound: Inbound) -> int | None:
    """A star button, or a score in words."""
    if ctx.picked is not None:
        return int(ctx.picked) if ctx.picked in STARS else None
    return read_stars(inbound.text)


def star_step(question: str, field: str, hint: str, after: Callable[[Ctx], Awaitable[None]]) -> Step:
    """Ask `question` (a catalogue key) with the star buttons; keep the score in
    `data[field]` and go on with `after`; anything else gets `hint`."""

    async def ask(ctx: Ctx) -> None:
        ctx.say(ctx.t(question), star_buttons(ctx))

    async def answer(ctx: Ctx, inbound: Inbound) -> None:
        score = picked_star(ctx, inbound)
        if score is None:
            ctx.say(ctx.t(hint))
            return
        ctx.data[field] = score
        await after(ctx)

    return Step(ask, answer)
