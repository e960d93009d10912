"""/household: an owner adds and removes family members and tenants of their home (issue 19).

The owner adds a person by phone and name (the safer of the two ways: the owner vouches
for the person, the person proves they hold that phone when they bind, and the owner is
told when they have).  Members report and follow cases for that home like its owner;
they cannot add anyone.  Every press is re-authorised in `storage.households`: only an
owner of record of the room may add or remove, whatever the button says.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from cases.privacy import mask_phone
from handlers.kit import flow as flows
from handlers.kit import homes
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.i18n import t
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Inbound, Reply
from handlers.kit.numbers import parse_int
from storage.community_file import normalise_phone
from storage.households import HouseholdRefused, Households, Refusal
from storage.register import Role

log = logging.getLogger("wuye.household")
MAX_NAME = 20


class S(StrEnum):
    OVERVIEW = "overview"
    PHONE = "phone"
    NAME = "name"
    CONFIRM = "confirm"
    REMOVE = "remove"


def _role(ctx: Ctx, role: str) -> str:
    return ctx.t(f"household.role_{role}")


async def _owned(ctx: Ctx) -> list[tuple[int, str]]:
    """(room id, label) of the homes the person talking owns (not merely lives in), in every
    community (labelled with it when there are several)."""
    households = Households(ctx.uow.session)
    owned: set[int] = set()
    for identity in await ctx.uow.directory.identities(ctx.inbound.channel, ctx.inbound.user_id):
        if identity.owner_id is not None:
            owned |= set(await households.owned_rooms(identity.owner_id))
    return [(home.room.id, label) for home, label in await homes.offered(ctx) if home.room.id in owned]


async def household(ctx: Ctx, _: str) -> None:
    """Show the household of each home the owner owns, with add and remove buttons."""
    if await ctx.staff() is not None:
        ctx.say(ctx.t("household.staff"))
        return
    if await ctx.owner() is None:
        ctx.say(ctx.t("household.not_bound"))
        return
    if not await _owned(ctx):
        ctx.say(ctx.t("household.not_owner", hotline=ctx.policy.hotline or "-"))
        return
    await flows.begin(ctx, FLOW)


async def ask_overview(ctx: Ctx) -> None:
    """One message: each home's family members and tenants, then add and remove buttons.
    The owner's own private chat: the names of the people they added are theirs to see."""
    households = Households(ctx.uow.session)
    owned = await _owned(ctx)
    if not owned:  # moved out or unbound since the flow began
        flows.end(ctx)
        ctx.say(ctx.t("household.not_owner", hotline=ctx.policy.hotline or "-"))
        return
    lines: list[str] = []
    rows = []
    for room_id, code in owned:
        members = await households.members(room_id)
        lines.append(ctx.t("household.overview" if members else "household.nobody", room=code))
        lines += [ctx.t("household.member_line", name=mb.name, role=_role(ctx, mb.role.value),
                        phone=mask_phone(mb.phone),
                        state=ctx.t("household.state_bound" if mb.bound else "household.state_waiting"))
                  for mb in members]
        rows.append((choice(ctx, ctx.t("household.add_family_button", room=code), f"add:{Role.FAMILY.value}:{room_id}"),
                     choice(ctx, ctx.t("household.add_tenant_button", room=code), f"add:{Role.TENANT.value}:{room_id}")))
        rows += [(choice(ctx, ctx.t("household.remove_button", name=mb.name), f"rm:{room_id}:{mb.owner_id}"),)
                 for mb in members]
    rows.append((choice(ctx, ctx.t("household.done_button"), "done"),))
    ctx.say("\n".join(lines), tuple(rows))


async def answer_overview(ctx: Ctx, inbound: Inbound) -> None:
    picked = ctx.picked or ""
    if picked == "done":
        flows.end(ctx)
        ctx.say(ctx.t("household.cancelled"))
        return
    parts = picked.split(":")
    owned = dict(await _owned(ctx))
    if len(parts) == 3 and parts[0] == "add" and parts[1] in (Role.FAMILY.value, Role.TENANT.value):
        room_id = parse_int(parts[2])
        if room_id in owned and await homes.choose(ctx, room_id) is not None:  # that home's community
            ctx.data.update(room_id=room_id, room=owned[room_id], role=parts[1])
            await flows.goto(ctx, FLOW, S.PHONE)
            return
    elif len(parts) == 3 and parts[0] == "rm":
        room_id, member_id = parse_int(parts[1]), parse_int(parts[2])
        if room_id in owned and member_id is not None and await homes.choose(ctx, room_id) is not None:
            member = next((mb for mb in await Households(ctx.uow.session).members(room_id)
                           if mb.owner_id == member_id), None)
            if member is not None:
                ctx.data.update(room_id=room_id, room=owned[room_id], member_id=member_id, name=member.name,
                                role=member.role.value)
                await flows.goto(ctx, FLOW, S.REMOVE)
                return
    # Typed words, a forged button or one about a home or person no longer there: show it afresh.
    await flows.again(ctx, FLOW)


async def ask_phone(ctx: Ctx) -> None:
    ctx.say(ctx.t("household.ask_phone", role=_role(ctx, ctx.data["role"])), (nav_row(ctx),))


async def answer_phone(ctx: Ctx, inbound: Inbound) -> None:
    try:
        phone = normalise_phone(inbound.text or inbound.contact_phone or "")
    except ValueError:
        ctx.say(ctx.t("household.bad_phone"))
        return
    ctx.data["phone"] = phone
    await flows.goto(ctx, FLOW, S.NAME)


async def ask_name(ctx: Ctx) -> None:
    ctx.say(ctx.t("household.ask_name", role=_role(ctx, ctx.data["role"])), (nav_row(ctx),))


async def answer_name(ctx: Ctx, inbound: Inbound) -> None:
    name = text_of(ctx, inbound, max_len=MAX_NAME)
    if name is None:
        return
    if any(ch.isspace() for ch in name):  # binding by words reads "room name digits" split at spaces
        name = "".join(name.split())
    ctx.data["name"] = name
    await flows.goto(ctx, FLOW, S.CONFIRM)


async def ask_confirm(ctx: Ctx) -> None:
    d = ctx.data
    ctx.say(ctx.t("household.confirm", name=d["name"], phone=mask_phone(d["phone"]), room=d["room"],
                  role=_role(ctx, d["role"])),
            ((choice(ctx, ctx.t("household.confirm_button"), "yes"),
              choice(ctx, ctx.t("household.cancel_button"), "no")), nav_row(ctx)))


async def answer_confirm(ctx: Ctx, inbound: Inbound) -> None:
    if ctx.picked != "yes":
        flows.end(ctx)
        ctx.say(ctx.t("household.cancelled"))
        return
    d = ctx.data
    owner = await ctx.owner()
    flows.end(ctx)
    if owner is None:  # unbound since the flow began (moved out, or "这不是我")
        ctx.say(ctx.t("household.not_bound"))
        return
    try:
        member = await Households(ctx.uow.session).add(ctx.community.id, d["room_id"], by_owner_id=owner.id,
                                                       name=d["name"], phone=d["phone"], role=Role(d["role"]),
                                                       now=ctx.now)
    except HouseholdRefused as refused:
        ctx.say(_refusal(ctx, refused.refusal, d))
        return
    log.info("household: owner %d added a %s to room %d (member %d)", owner.id, member.role.value,
             d["room_id"], member.owner_id)
    ctx.say(ctx.t("household.added", name=member.name, room=d["room"], role=_role(ctx, d["role"])))


async def ask_remove(ctx: Ctx) -> None:
    d = ctx.data
    ctx.say(ctx.t("household.confirm_remove", name=d["name"], room=d["room"], role=_role(ctx, d["role"])),
            ((choice(ctx, ctx.t("household.remove_confirm_button"), "yes"),
              choice(ctx, ctx.t("household.cancel_button"), "no")),))


async def answer_remove(ctx: Ctx, inbound: Inbound) -> None:
    d = ctx.data
    flows.end(ctx)
    if ctx.picked != "yes":
        ctx.say(ctx.t("household.cancelled"))
        return
    owner = await ctx.owner()
    if owner is None:
        ctx.say(ctx.t("household.not_bound"))
        return
    try:
        gone = await Households(ctx.uow.session).remove(d["room_id"], d["member_id"], by_owner_id=owner.id)
    except HouseholdRefused as refused:
        ctx.say(_refusal(ctx, refused.refusal, d))
        return
    log.info("household: owner %d removed member %d from room %d (%d chats unbound)", owner.id, d["member_id"],
             d["room_id"], len(gone.unbound))
    hotline = ctx.policy.hotline or "-"
    for channel, chat_id, locale in gone.unbound:
        ctx.send(Reply(channel, chat_id, t(locale, "household.removed_notice", room=d["room"], hotline=hotline)))
    ctx.say(ctx.t("household.removed", name=d["name"], room=d["room"]))


def _refusal(ctx: Ctx, refusal: Refusal, d: dict) -> str:  # type: ignore[type-arg]
    return ctx.t(f"household.{refusal.value}", room=d.get("room", ""), name=d.get("name", ""),
                 hotline=ctx.policy.hotline or "-")


FLOW = Flow("household", S.OVERVIEW, {
    S.OVERVIEW: Step(ask_overview, answer_overview),
    S.PHONE: Step(ask_phone, answer_phone),
    S.NAME: Step(ask_name, answer_name),
    S.CONFIRM: Step(ask_confirm, answer_confirm),
    S.REMOVE: Step(ask_remove, answer_remove),
})
