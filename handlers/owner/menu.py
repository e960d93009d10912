"""/start, /help, the main menu and /lang."""

from __future__ import annotations

from dataclasses import replace

from cases.errors import InvalidInput
from handlers.kit import flow as flows
from handlers.kit.acting import actor_of
from handlers.kit.announcers import announce
from handlers.kit.context import Ctx
from handlers.kit.i18n import LOCALES
from handlers.kit.messages import Button
from handlers.kit.payloads import Menu
from handlers.owner import communities
from handlers.owner.pause import pause, resume_button
from services import directory

# Menu entry → flow that serves it.
ENTRIES = (("report", "report"), ("complaint", "complaint"), ("service", "booking"),
           ("inquiry", "inquiry"), ("mycases", "my_cases"))
# The flows whose case takes the photos sent during them.
PHOTO_FLOWS = frozenset({"report", "complaint", "booking"})


def main_menu(ctx: Ctx) -> tuple[tuple[Button, ...], ...]:
    buttons = [ctx.button(ctx.t(f"menu.{item}"), Menu(item)) for item, flow in ENTRIES if flow in ctx.routes.flows]
    buttons.append(ctx.button(ctx.t("menu.lang"), Menu("lang")))
    rows = tuple(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2))
    back = resume_button(ctx)
    # What an emergency or a question interrupted, one tap away.
    return ((back,), *rows) if back is not None else rows


async def start(ctx: Ctx, arg: str) -> None:
    """Greet; strangers are invited to bind their phone number first.  A deep link's
    `c_<code>` (Telegram start parameter, WeChat QR scene) picks the community first."""
    flows.end(ctx)
    if not await communities.from_deep_link(ctx, arg.strip()):
        return
    if await ctx.staff() is not None:
        ctx.say(ctx.t("menu.welcome_staff", name=(await ctx.staff()).name))  # type: ignore[union-attr]
        return
    owner = await ctx.owner()
    if owner is None:
        await flows.begin(ctx, ctx.routes.flows["binding"])
        return
    ctx.say(ctx.t("menu.welcome", name=owner.name, community=ctx.community.name), main_menu(ctx))


async def show_help(ctx: Ctx, _: str) -> None:
    """What the bot can do, with the menu; whatever was in progress is set aside (the menu
    offers it back), so the next message is read afresh, never as that step's answer."""
    key = "menu.help_staff" if await ctx.staff() is not None else "menu.help"
    if ctx.state.flow and await ctx.staff() is None:
        pause(ctx)
        flows.end(ctx)
    ctx.say(ctx.t(key, hotline=ctx.policy.hotline or "-"), main_menu(ctx))


async def cancel_command(ctx: Ctx, _: str) -> None:
    await flows.cancel(ctx)


async def switch_language(ctx: Ctx, arg: str) -> None:
    """/lang en, /lang zh, or /lang alone to toggle."""
    wanted = {"en": "en", "english": "en", "zh": "zh-CN", "zh-cn": "zh-CN", "中文": "zh-CN"}.get(arg.lower())
    if wanted is None:
        wanted = LOCALES[1] if ctx.locale == LOCALES[0] else LOCALES[0]
    try:
        events = await directory.set_language(ctx.uow, actor_of(ctx), ctx.now, locale=wanted)
    except InvalidInput:
        events = []  # a front end without a person's id has no chat to remember it for: this answer only
    for reply in await announce(ctx.uow, ctx.community, events, ctx.now):
        ctx.send(reply)
    ctx.identity = replace(ctx.identity, locale=wanted)
    ctx.say(ctx.t("menu.lang_set"), main_menu(ctx))


async def lang_button(ctx: Ctx, _: Menu) -> None:
    await switch_language(ctx, "")


async def start_entry(ctx: Ctx, flow_name: str, **prefill: object) -> None:
    """Start a flow from the menu or the router; owners-only flows go through binding first."""
    flow = ctx.routes.flows[flow_name]
    if flow.needs_owner and await ctx.owner() is None:
        ctx.say(ctx.t("binding.needed"))
        await flows.begin(ctx, ctx.routes.flows["binding"], then=flow_name, prefill=prefill)
        return
    await flows.begin(ctx, flow, **prefill)


async def menu_entry(ctx: Ctx, pressed: Menu) -> None:
    flow_name = dict(ENTRIES)[pressed.item]
    if flow_name not in ctx.routes.flows:
        ctx.say(ctx.t("common.expired"))
        return
    # A photo sent first, then "报事报修" tapped on the menu above it: the photos go with the
    # flow started, never dropped with the one it replaces.
    photos = list(ctx.data.get("photos") or []) if ctx.state.flow in PHOTO_FLOWS and flow_name in PHOTO_FLOWS else []
    await start_entry(ctx, flow_name, **({"photos": photos} if photos else {}))
