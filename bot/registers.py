"""Applying an owner register for the operator's command line: the plan written, and every
chat it unbinds told why (through the outbox, so a bot process delivers it)."""

from __future__ import annotations

from datetime import datetime

from cases.policy import DeskPolicy
from handlers.kit.i18n import t
from handlers.kit.messages import Reply, reply_to_dict
from storage import models as m
from storage.register_changes import RegisterPlan, apply
from storage.uow import UnitOfWork


async def apply_register(uow: UnitOfWork, plan: RegisterPlan, now: datetime) -> int:
    """Write the plan in the unit of work (the caller commits); returns the chats unbound."""
    community = await uow.session.get(m.Community, plan.community_id)
    hotline = (DeskPolicy.from_json(community.policy).hotline if community else "") or "-"
    unbound = await apply(uow.session, plan, now)
    for owner_id, channel, chat_id, locale in unbound:
        rooms = "、".join(dict.fromkeys(c.room for c in plan.moved_out if c.owner_id == owner_id))
        reply = Reply(channel, chat_id, t(locale, "household.removed_notice", room=rooms, hotline=hotline))
        await uow.outbox.add(channel, chat_id, reply_to_dict(reply), None, now)
    return len(unbound)
