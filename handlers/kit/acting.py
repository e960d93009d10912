"""Who the person in a chat is, for the services: `services.actors.Actor` from the step's context."""

from __future__ import annotations

from handlers.kit.context import Ctx
from services.actors import Actor


def _chat(ctx: Ctx) -> dict[str, str]:
    return dict(channel=ctx.inbound.channel, chat_id=ctx.identity.chat_id, user_id=ctx.inbound.user_id)


def actor_of(ctx: Ctx) -> Actor:
    """A staff member if this chat is one's, else the owner (bound or not) writing from it."""
    if ctx.identity.staff_id is not None:
        return Actor.staff(ctx.identity.staff_id, **_chat(ctx))
    return as_owner(ctx)


def as_owner(ctx: Ctx) -> Actor:
    """The person as an owner, whatever else they are: the owner flows report for the chat."""
    return Actor.owner(ctx.identity.owner_id, **_chat(ctx))
