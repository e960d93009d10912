"""/moveout ROOM: customer service records that a home's people left (a sale, a lease ended).

Two steps, both typed: the first lists who would leave (names masked, as a staff chat
may be seen over a shoulder), `/moveout ROOM 确认` does it.  Everyone of the home loses
the link — owners, family members, tenants — and whoever has no other home here has
their chats unbound and is told; their cases and surveys stay (`storage.households`).
The new owner comes in through the register (`wuye load-owners`).
"""

from __future__ import annotations

import logging

from cases.permissions import may_record_move_out
from cases.privacy import mask_name
from handlers.kit.context import Ctx
from handlers.kit.i18n import t
from handlers.kit.messages import Reply
from storage.households import Households

log = logging.getLogger("wuye.moveout")
CONFIRM_WORDS = frozenset({"确认", "确定", "confirm", "yes"})


async def move_out(ctx: Ctx, arg: str) -> None:
    staff = await ctx.staff()
    if staff is None or not may_record_move_out(staff):
        ctx.say(ctx.t("moveout.not_allowed"))
        return
    words = arg.split()
    if not words or len(words) > 2:
        ctx.say(ctx.t("moveout.usage"))
        return
    code = words[0][:32]
    room = await ctx.uow.directory.room(ctx.community.id, code)
    if room is None:
        ctx.say(ctx.t("moveout.unknown_room", room=code))
        return
    households = Households(ctx.uow.session)
    people = [(o, await households.role(o.id, room.id)) for o in await ctx.uow.directory.owners_of_room(room.id)]
    if not people:
        ctx.say(ctx.t("moveout.empty", room=room.code))
        return
    if len(words) == 1 or words[1].lower() not in CONFIRM_WORDS:
        listed = "\n".join(ctx.t("moveout.person", name=mask_name(o.name), role=ctx.t(f"moveout.role_{r.value}"))
                           for o, r in people if r is not None)
        ctx.say(ctx.t("moveout.preview", room=room.code, people=listed))
        return
    gone = await households.move_out(room.id)
    hotline = ctx.policy.hotline or "-"
    for channel, chat_id, locale in gone.unbound:
        ctx.send(Reply(channel, chat_id, t(locale, "household.removed_notice", room=room.code, hotline=hotline)))
    log.info("moveout: staff %d recorded a move-out of room %d: %d people left, %d chats unbound",
             staff.id, room.id, len(gone.left), len(gone.unbound))
    ctx.say(ctx.t("moveout.done", room=room.code, count=len(gone.left), chats=len(gone.unbound)))
