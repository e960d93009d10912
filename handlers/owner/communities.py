"""Which community a person is talking about, when the deployment serves several.

`/community` (`/xiaoqu`, or the words 切换小区) lists the communities the person is an owner
or staff member in, with a button each; a typed name, code or number is read too.  The
choice is kept in the conversation (`handlers.kit.whereabouts` starts every next message
there).  A deep link `/start c_<code>` (a Telegram start parameter, a WeChat QR scene)
picks the community for a stranger before binding.
"""

from __future__ import annotations

from enum import StrEnum

from cases.records import Community
from handlers.kit import flow as flows
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Inbound
from handlers.kit.numbers import parse_int

# The start parameter of a community's deep link or QR code: `/start c_dongyuan`.
DEEP_LINK_PREFIX = "c_"


class S(StrEnum):
    PICK = "pick"


async def choices(ctx: Ctx) -> list[Community]:
    """The person's own communities; someone bound nowhere may choose among them all."""
    mine = await ctx.uow.directory.communities_of(ctx.inbound.channel, ctx.inbound.user_id)
    return mine or await ctx.uow.directory.communities()


async def undecided(ctx: Ctx) -> list[Community]:
    """The communities a stranger with no hint (no link, no binding, no choice) may be in,
    when the deployment serves several; empty when the community is known or only one."""
    if ctx.community_known:
        return []
    every = await ctx.uow.directory.communities()
    return every if len(every) > 1 else []


def find(communities: list[Community], typed: str) -> Community | None:
    """A community by its number in the list, its code or its name (or a unique part of it)."""
    typed = typed.strip()
    number = parse_int(typed, lo=1, hi=len(communities))
    if number is not None:
        return communities[number - 1]
    exact = [c for c in communities if typed.lower() in (c.code.lower(), c.name.lower())]
    if exact:
        return exact[0]
    partial = [c for c in communities if typed and typed in c.name]
    return partial[0] if len(partial) == 1 else None


async def community_command(ctx: Ctx, arg: str) -> None:
    """/community [name|code|number]: switch at once, or list the person's communities."""
    if ctx.inbound.is_group:
        return  # a group's community is its team's; staff switch in their private chat
    listed = await choices(ctx)
    if arg and (chosen := find(listed, arg)) is not None:
        await _switched(ctx, chosen)
        return
    if len(listed) <= 1:
        ctx.say(ctx.t("communities.only_one", community=ctx.community.name))
        return
    await flows.begin(ctx, FLOW)


async def ask(ctx: Ctx) -> None:
    listed = await choices(ctx)
    rows = [(choice(ctx, f"{i}. {c.name}", c.code),) for i, c in enumerate(listed, 1)]
    mine = await ctx.uow.directory.communities_of(ctx.inbound.channel, ctx.inbound.user_id)
    text = ctx.t("communities.choose_yours", current=ctx.community.name) if mine else ctx.t("communities.choose")
    ctx.say(text, (*rows, nav_row(ctx, back=False)))


async def answer(ctx: Ctx, inbound: Inbound) -> None:
    listed = await choices(ctx)
    if ctx.picked is not None:
        chosen = next((c for c in listed if c.code == ctx.picked), None)
        if chosen is None:  # a community no longer theirs, or a forged button
            ctx.say(ctx.t("common.expired"))
            return
    else:
        typed = text_of(ctx, inbound, max_len=200)
        if typed is None:
            return
        chosen = find(listed, typed)
        if chosen is None:
            ctx.say(ctx.t("communities.unknown", typed=typed[:40]))
            return
    await _switched(ctx, chosen)


async def _switched(ctx: Ctx, community: Community) -> None:
    # A flow under way belongs to the community it started in: it ends here.
    flows.end(ctx)
    await ctx.enter(community)
    ctx.say(ctx.t("communities.switched", community=community.name), ctx.routes.menu(ctx))


async def from_deep_link(ctx: Ctx, arg: str) -> bool:
    """`/start c_<code>`: go on in that community; False (and the person told) when no such
    community exists.  Without the prefix there is nothing to do (True)."""
    if not arg.startswith(DEEP_LINK_PREFIX):
        return True
    community = await ctx.uow.directory.community(arg.removeprefix(DEEP_LINK_PREFIX)[:64] or "-")
    if community is None:
        ctx.say(ctx.t("communities.deep_link_unknown"))
        return False
    if community.id != ctx.community.id:
        await ctx.enter(community)
    return True


FLOW = Flow("community", S.PICK, {S.PICK: Step(ask, answer)}, needs_owner=False)
