"""The cases an owner may see and act on: their own, and those this chat reported before binding.

Shared by the owner's case list, additions to a case and the emergency follow-up."""

from __future__ import annotations

from cases.errors import NotAllowed, NotFound
from cases.lifecycle import Case
from handlers.kit.context import Ctx

LIST_SIZE = 20


async def owned_case(ctx: Ctx, case_id: int) -> Case:
    """The case, if the person asking is the one it belongs to; otherwise a refusal."""
    case = await ctx.uow.cases.get(case_id)
    if case is None or case.community_id != ctx.community.id:
        raise NotFound(f"case {case_id}")
    owner = await ctx.owner()
    if case.owner_id is not None:
        if owner is None or owner.id != case.owner_id:
            raise NotAllowed(f"case {case_id} is another owner's")
    elif (case.reporter_channel, case.reporter_chat_id) != (ctx.inbound.channel, ctx.identity.chat_id):
        raise NotAllowed(f"case {case_id} was reported from another chat")
    return case


async def my_cases(ctx: Ctx) -> list[Case]:
    """The owner's cases — of their homes in every community — and those this chat reported
    before binding, newest first."""
    mine = {i.owner_id for i in await ctx.uow.directory.identities(ctx.inbound.channel, ctx.inbound.user_id)
            if i.owner_id is not None}
    found = {c.id: c for c in await ctx.uow.cases.for_reporter(ctx.inbound.channel, ctx.identity.chat_id, LIST_SIZE)
             if c.owner_id is None or c.owner_id in mine}
    for owner_id in sorted(mine):
        found.update({c.id: c for c in await ctx.uow.cases.for_owner(owner_id, LIST_SIZE)})
    return sorted(found.values(), key=lambda c: c.id or 0, reverse=True)[:LIST_SIZE]
