"""The small state machine every conversation flow is built from.

A flow is a `StrEnum` of steps and, for each step, an `ask` (send the question) and
an `answer` (take the owner's input and move on).  The state — flow, step, collected
data and the way back — lives in the database, so a restart resumes where the owner
was.  `data["_nonce"]` numbers flow instances, so buttons of an abandoned flow expire.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from handlers.kit.context import Ctx
from handlers.kit.messages import Button, Inbound
from handlers.kit.payloads import Pick

Ask = Callable[[Ctx], Awaitable[None]]
Answer = Callable[[Ctx, Inbound], Awaitable[None]]


@dataclass(frozen=True)
class Step:
    ask: Ask
    answer: Answer


@dataclass(frozen=True)
class Flow:
    name: str
    first: str
    steps: Mapping[str, Step]
    # Reporting, complaining, booking and case lists need a bound owner; asking does not.
    needs_owner: bool = True
    # The pieces of an account told so far (`_pieces`) stay while this flow runs (choosing a kind,
    # a question without an answer); any other flow begun has taken them, or left them behind.
    keeps_pieces: bool = False


_META = ("_nonce", "_history", "_paused", "_emergency", "_said", "_ahead", "_wants_person", "_pieces")
# Kept across flows: the flow an emergency interrupted (to resume), the emergency the
# owner's next messages belong to, what the owner said lately (for a hand-over), that the
# message in hand follows a request for a person ("人工", then the question), and the
# pieces of an account not yet made into a request.
_CARRIED = ("_paused", "_emergency", "_said", "_wants_person", "_pieces")


def nonce(ctx: Ctx) -> int:
    return int(ctx.data.get("_nonce", 0))


def carried(ctx: Ctx) -> dict[str, Any]:
    """The conversation's memory that outlives any one flow."""
    return {k: ctx.data[k] for k in _CARRIED if k in ctx.data}


async def begin(ctx: Ctx, flow: Flow, *, at: str | None = None, **data: Any) -> None:
    """Start `flow` afresh (dropping any flow in progress) and ask its first question (or
    the question of step `at`, when typed words already answered the ones before it)."""
    ctx.state.flow = flow.name
    ctx.state.step = at or flow.first
    kept = carried(ctx)
    if not flow.keeps_pieces:
        kept.pop("_pieces", None)
    ctx.state.data = {**kept, "_nonce": nonce(ctx) + 1, "_history": [], **data}
    await ask(ctx, flow)


async def goto(ctx: Ctx, flow: Flow, step: str) -> None:
    """Move to `step`, remembering where we came from for "返回"."""
    ctx.data.setdefault("_history", []).append(ctx.state.step)
    ctx.state.step = step
    await ask(ctx, flow)


async def ask(ctx: Ctx, flow: Flow) -> None:
    """Ask the current step's question — unless the owner already answered it ahead of time
    (`data["_ahead"]`: step → {"picked": button value} or {"text": their words}, said at an
    earlier step: "不太急 这两天来就行" at the photo step).  That answer is given to the step as
    if typed (or pressed) there; one the step cannot take gets the step's reason and its question."""
    ahead = ctx.data.get("_ahead")
    given = ahead.pop(ctx.state.step, None) if isinstance(ahead, dict) else None
    if not isinstance(given, dict):
        await flow.steps[ctx.state.step].ask(ctx)
        return
    step, inbound, picked = ctx.state.step, ctx.inbound, ctx.picked
    ctx.inbound = replace(inbound, text=given.get("text"), payload=None, photo=None)
    ctx.picked = given.get("picked")
    try:
        await flow.steps[step].answer(ctx, ctx.inbound)
    finally:
        ctx.inbound, ctx.picked = inbound, picked
    if (ctx.state.flow, ctx.state.step) == (flow.name, step):
        # Not an answer here after all: what the step said about it ("这个时间已经过去了…"), then
        # its question with its buttons.
        await flow.steps[step].ask(ctx)


async def back(ctx: Ctx, flow: Flow) -> bool:
    """Go back one step; False when already at the first one."""
    history = ctx.data.get("_history") or []
    if not history:
        return False
    ctx.state.step = history.pop()
    await flow.steps[ctx.state.step].ask(ctx)
    return True


async def again(ctx: Ctx, flow: Flow) -> None:
    """Ask the current step's question once more (after an invalid answer)."""
    await flow.steps[ctx.state.step].ask(ctx)


async def cancel(ctx: Ctx) -> None:
    """Drop whatever flow is in progress and show the main menu."""
    if ctx.state.flow:
        end(ctx)
        ctx.say(ctx.t("common.cancelled"), ctx.routes.menu(ctx))
    else:
        ctx.say(ctx.t("common.nothing_to_cancel"), ctx.routes.menu(ctx))


def end(ctx: Ctx) -> None:
    """Leave the flow; the nonce survives so the old buttons stay expired."""
    ctx.state.flow, ctx.state.step = "", ""
    ctx.state.data = {**carried(ctx), "_nonce": nonce(ctx)}


def collected(ctx: Ctx) -> dict[str, Any]:
    return {k: v for k, v in ctx.data.items() if k not in _META}


def choice(ctx: Ctx, label: str, value: str) -> Button:
    """A button answering the current step of the current flow."""
    return ctx.button(label, Pick(ctx.state.flow, ctx.state.step, nonce(ctx), value))
