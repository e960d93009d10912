"""Binding: a stranger proves which owner they are, by sharing their phone number or by
room + name + the last four digits of the registered phone.  No match is never a guess:
the person is told so and customer service is asked to help."""

from __future__ import annotations

import re
from dataclasses import replace
from enum import StrEnum

from cases.codes import Team
from cases.privacy import mask_phone
from handlers import flow as flows
from handlers.cards import alert_replies
from handlers.context import Ctx
from handlers.flow import Flow, Step
from handlers.messages import Inbound
from handlers.registry import register_flow
from storage.community_file import normalise_phone

MAX_TRIES = 3
_BY_TEXT = re.compile(r"^\s*(\S+)\s+(\S+)\s+(\d{4})\s*$")


class S(StrEnum):
    CONTACT = "contact"


async def ask_contact(ctx: Ctx) -> None:
    """Ask for the phone number (a share button where the channel has one) or room + name + last 4."""
    # Telegram cannot show the share-contact keyboard and inline buttons on one message;
    # the contact button matters more here, and "取消" can be typed.
    ctx.say(ctx.t("binding.ask"), contact_button=ctx.t("binding.share_button"))


async def answer_contact(ctx: Ctx, inbound: Inbound) -> None:
    """Match the shared contact or the typed room/name/digits against the owner register."""
    if inbound.contact_phone:
        if inbound.contact_user_id and inbound.contact_user_id != inbound.user_id:
            ctx.say(ctx.t("binding.not_own_contact"))
            return
        try:
            phone = normalise_phone(inbound.contact_phone)
        except ValueError:
            phone = ""
        owner = await ctx.uow.directory.owner_by_phone(ctx.community.id, phone) if phone else None
        if owner is None:
            await _no_match(ctx, mask_phone(inbound.contact_phone))
            return
        await _bound(ctx, owner.id)
        return
    match = _BY_TEXT.match(inbound.text or "")
    if not match:
        ctx.say(ctx.t("binding.format"))
        return
    room_code, name, last4 = match.groups()
    room = await ctx.uow.directory.room(ctx.community.id, room_code)
    owners = await ctx.uow.directory.owners_of_room(room.id) if room else []
    found = [o for o in owners if o.name == name and o.phone.endswith(last4)]
    if len(found) != 1:
        await _no_match(ctx, room_code if room else "?")
        return
    await _bound(ctx, found[0].id)


async def _bound(ctx: Ctx, owner_id: int) -> None:
    await ctx.uow.directory.bind(ctx.inbound.channel, ctx.inbound.user_id, ctx.identity.chat_id,
                                 now=ctx.now, owner_id=owner_id)
    ctx.identity = replace(ctx.identity, owner_id=owner_id)
    owner = await ctx.owner()
    assert owner is not None
    then, prefill = ctx.data.get("then"), ctx.data.get("prefill") or {}
    flows.end(ctx)
    rooms = "、".join(r.code for r in owner.rooms)
    from handlers.menu import main_menu, start_entry

    if then:
        ctx.say(ctx.t("binding.done", name=owner.name, rooms=rooms))
        await start_entry(ctx, then, **prefill)
    else:
        ctx.say(ctx.t("binding.done", name=owner.name, rooms=rooms), main_menu(ctx))


async def _no_match(ctx: Ctx, masked: str) -> None:
    tries = int(ctx.data.get("tries", 0)) + 1
    ctx.data["tries"] = tries
    if tries == 1:
        # One hand-off per attempt to bind: customer service calls the person back.
        for reply in await alert_replies(ctx.uow, ctx.community, Team.CUSTOMER_SERVICE, "binding.cs_handoff",
                                         who=masked, channel=ctx.inbound.channel):
            ctx.send(reply)
    if tries >= MAX_TRIES:
        flows.end(ctx)
        ctx.say(ctx.t("binding.gave_up", hotline=ctx.policy.hotline or "-"))
        return
    ctx.say(ctx.t("binding.no_match", hotline=ctx.policy.hotline or "-"))


FLOW = register_flow(Flow("binding", S.CONTACT, {S.CONTACT: Step(ask_contact, answer_contact)}, needs_owner=False))
