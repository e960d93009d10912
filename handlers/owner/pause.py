"""Keeping an interrupted flow, and going back to it.

An emergency (or a question asked in between) must not cost the owner the report, the
booking or the survey they were in the middle of: the flow is set aside in the
conversation's data (`_paused`, carried by `handlers.kit.flow`) and a "↩ continue" button
brings it back at the same step with everything collected so far.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.aftercare import survey
from handlers.kit import flow as flows
from handlers.kit.context import Ctx
from handlers.kit.formatting import code_name
from handlers.kit.messages import Button
from handlers.kit.payloads import Menu

# Flows not worth coming back to: the emergency follow-up itself, the yes/no danger
# question, and the router's "what did you mean?".
NOT_KEPT = frozenset({"emergency", "danger", "router"})
KEEP_HOURS = 24
# What the resume button calls each flow.
_FLOW_KIND = {"report": "report", "complaint": "complaint", "booking": "service", "inquiry": "inquiry"}


def pause(ctx: Ctx) -> None:
    """Set the current flow aside (if it is worth coming back to)."""
    if not ctx.state.flow or ctx.state.flow in NOT_KEPT or ctx.state.flow not in ctx.routes.flows:
        return
    data = {k: v for k, v in ctx.data.items() if k not in ("_paused", "_emergency", "_said", "_nonce")}
    ctx.data["_paused"] = {"flow": ctx.state.flow, "step": ctx.state.step, "data": data, "at": ctx.now.isoformat()}


def paused(ctx: Ctx) -> dict | None:  # type: ignore[type-arg]
    kept = ctx.data.get("_paused")
    if not isinstance(kept, dict) or kept.get("flow") not in ctx.routes.flows:
        return None
    try:
        at = datetime.fromisoformat(kept["at"])
    except (KeyError, TypeError, ValueError):
        return None
    if ctx.now - at > timedelta(hours=KEEP_HOURS):
        return None
    return kept


def label(ctx: Ctx, flow_name: str) -> str:
    kind = _FLOW_KIND.get(flow_name)
    if kind:
        return code_name(ctx.locale, "kind", kind)
    return ctx.t(f"talk.flow_{flow_name}") if flow_name in ("survey", "my_cases", "binding") else ctx.t("talk.flow_other")


def resume_button(ctx: Ctx) -> Button | None:
    kept = paused(ctx)
    if kept is None:
        return None
    return ctx.button(ctx.t("talk.resume", what=label(ctx, kept["flow"])), Menu("resume"))


async def resume(ctx: Ctx, *, ask: bool = True) -> bool:
    """Bring the paused flow back at its step and ask that step's question again."""
    kept = paused(ctx)
    ctx.data.pop("_paused", None)
    if kept is None:
        return False
    flow = ctx.routes.flows[kept["flow"]]
    step = kept["step"] if kept["step"] in flow.steps else flow.first
    ctx.state.flow, ctx.state.step = flow.name, step
    # A fresh nonce: the buttons shown during the interruption expire, the step's new ones work.
    ctx.state.data = {**flows.carried(ctx), **kept["data"], "_nonce": flows.nonce(ctx) + 1}
    ctx.data.pop("_paused", None)
    if ask:
        await flow.steps[step].ask(ctx)
    return True


async def resume_quietly(ctx: Ctx) -> bool:
    """Back to the paused flow without asking again: the owner's message answers its step."""
    return await resume(ctx, ask=False)


async def resume_pressed(ctx: Ctx, _: Menu) -> None:
    """"↩ 回到刚才的…": the paused flow, else a survey still waiting for its answer."""
    if ctx.state.flow in ("emergency", "danger"):
        flows.end(ctx)
    if await resume(ctx) or await survey.resume(ctx):
        return
    ctx.say(ctx.t("talk.nothing_to_resume"), ctx.routes.menu(ctx))
