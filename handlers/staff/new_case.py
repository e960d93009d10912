"""/new in the private chat: staff on the move open a case for an owner (a call taken on the
mobile, a neighbour stopping them in the lobby, something seen on patrol) — the same intake
as the console's new-case form (`web.pages.intake`), through the same service
(`services.office.open_for_owner`): the source, the owner found by room or phone (or a
shared area and its place), the description with the classifier's suggestion to accept or
change, a summary to confirm.  The staff member is the first responder; a bound owner is
told the case number in their chat.

Who may: the service centre (butlers, customer service, the manager), as in the console.
Owners' names and phones are masked in every reply and never logged."""

from __future__ import annotations

import logging
import re
from enum import StrEnum

from cases.codes import CATEGORIES, Area, Kind, Urgency
from cases.errors import InvalidInput, NotAllowed
from cases.privacy import mask_name, mask_phone
from cases.records import Owner
from handlers.kit import flow as flows
from handlers.kit.acting import actor_of
from handlers.kit.announcers import announce
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import code_name
from handlers.kit.inputs import nav_row, said_yes, text_of
from handlers.kit.messages import Inbound, Reply
from services.events import CaseOpened
from services.office import MAX_DESCRIPTION, OFFICE_SOURCES, at_the_desk, open_for_owner

log = logging.getLogger("wuye.staff.new_case")

SHARED = "shared"
ACCEPT, CHANGE = "accept", "change"
NO_CATEGORY = "none"
MAX_PLACE = 200


class S(StrEnum):
    SOURCE = "source"
    WHO = "who"
    ROOM = "room"
    PLACE = "place"
    DESCRIBE = "describe"
    SUGGESTION = "suggestion"
    KIND = "kind"
    CATEGORY = "category"
    URGENCY = "urgency"
    CONFIRM = "confirm"


async def new_case(ctx: Ctx, arg: str) -> None:
    """/new: the intake, in the private chat, for the service centre."""
    if ctx.inbound.is_group:
        # In the group: say where to go, in the group itself (the private chat may not exist yet).
        ctx.send(Reply(ctx.inbound.channel, ctx.inbound.chat_id, ctx.t("newcase.private_only")))
        return
    staff = await ctx.staff()
    if staff is None:
        ctx.say(ctx.t("staff.only_staff"))
        return
    if not at_the_desk(staff):
        ctx.say(ctx.t("newcase.not_allowed"))
        return
    await flows.begin(ctx, FLOW)


# ----------------------------------------------------------------- source
async def ask_source(ctx: Ctx) -> None:
    buttons = [choice(ctx, ctx.t(f"newcase.source.{s}"), s) for s in OFFICE_SOURCES]
    ctx.say(ctx.t("newcase.ask_source"), (tuple(buttons[:2]), tuple(buttons[2:]), nav_row(ctx, back=False)))


async def answer_source(ctx: Ctx, inbound: Inbound) -> None:
    if ctx.picked not in OFFICE_SOURCES:
        ctx.say(ctx.t("newcase.use_buttons"))
        return
    ctx.data["source"] = ctx.picked
    await flows.goto(ctx, FLOW, S.WHO)


# ----------------------------------------------------------------- the owner, or a shared area
async def ask_who(ctx: Ctx) -> None:
    ctx.say(ctx.t("newcase.ask_who"), ((choice(ctx, ctx.t("newcase.shared"), SHARED),), nav_row(ctx)))


async def answer_who(ctx: Ctx, inbound: Inbound) -> None:
    """A room code ("1-1-101") or an owner's phone; the shared-area button asks for the place."""
    if ctx.picked == SHARED:
        ctx.data.update(owner_id=None, room_id=None, room="", owner_shown="")
        await flows.goto(ctx, FLOW, S.PLACE)
        return
    text = text_of(ctx, inbound, max_len=40)
    if text is None:
        return
    directory, community_id = ctx.uow.directory, ctx.community.id
    room = await directory.room(community_id, text)
    if room is not None:
        owners = await directory.owners_of_room(room.id)
        owner = owners[0] if owners else None
    elif _is_phone(text):
        owner = await directory.owner_by_phone(community_id, re.sub(r"[\s-]", "", text))
        if owner is None or not owner.rooms:
            ctx.say(ctx.t("newcase.unknown_phone", phone=mask_phone(text)))
            return
        if len(owner.rooms) > 1:  # which of their homes
            ctx.data.update(owner_id=owner.id, room_id=None, room="", place="", owner_shown=_shown(owner))
            await flows.goto(ctx, FLOW, S.ROOM)
            return
        room = owner.rooms[0]
    else:
        ctx.say(ctx.t("newcase.unknown_room", room=text))
        return
    ctx.data.update(owner_id=owner.id if owner else None, room_id=room.id, room=room.code, place="",
                    owner_shown=_shown(owner) if owner else "")
    await flows.goto(ctx, FLOW, S.DESCRIBE)


def _shown(owner: Owner) -> str:
    """How the owner appears in the staff's chat: masked, as a phone screen may be seen."""
    return f"{mask_name(owner.name)}（{mask_phone(owner.phone)}）"


async def _found_owner(ctx: Ctx) -> Owner | None:
    owner_id = ctx.data.get("owner_id")
    return await ctx.uow.directory.owner(owner_id) if owner_id is not None else None


async def ask_room(ctx: Ctx) -> None:
    """The owner found by phone has several homes here: which one is it about?"""
    owner = await _found_owner(ctx)
    rows = [(choice(ctx, r.code, f"room:{r.id}"),) for r in (owner.rooms if owner else ())]
    ctx.say(ctx.t("newcase.ask_room", owner=ctx.data.get("owner_shown") or "-"), (*rows, nav_row(ctx)))


async def answer_room(ctx: Ctx, inbound: Inbound) -> None:
    owner = await _found_owner(ctx)
    rooms = owner.rooms if owner else ()
    room = next((r for r in rooms if ctx.picked == f"room:{r.id}" or inbound.text and inbound.text.strip() == r.code),
                None)
    if room is None:
        ctx.say(ctx.t("newcase.use_buttons"))
        return
    ctx.data.update(room_id=room.id, room=room.code)
    await flows.goto(ctx, FLOW, S.DESCRIBE)


def _is_phone(text: str) -> bool:
    """Digits as said on the line ("138 0000 0001", "+86-138…"); a room code has far fewer."""
    digits = re.sub(r"[\s-]", "", text).removeprefix("+")
    return digits.isdigit() and 7 <= len(digits) <= 15


async def ask_place(ctx: Ctx) -> None:
    ctx.say(ctx.t("newcase.ask_place"), (nav_row(ctx),))


async def answer_place(ctx: Ctx, inbound: Inbound) -> None:
    text = text_of(ctx, inbound, max_len=MAX_PLACE)
    if text is None:
        return
    ctx.data["place"] = text
    await flows.goto(ctx, FLOW, S.DESCRIBE)


# ----------------------------------------------------------------- what is wrong, and its classification
async def ask_describe(ctx: Ctx) -> None:
    ctx.say(ctx.t("newcase.ask_describe"), (nav_row(ctx),))


async def answer_describe(ctx: Ctx, inbound: Inbound) -> None:
    """The description; the classifier suggests kind, category and urgency once per text."""
    text = text_of(ctx, inbound, max_len=MAX_DESCRIPTION)
    if text is None:
        return
    found = ctx.classifier.classify(text)
    kind = found.kind if found.kind in set(Kind) else Kind.REPORT
    ctx.data.update(
        description=text, kind=kind, urgency=found.urgency if found.urgency in set(Urgency) else Urgency.NORMAL,
        category=found.category if found.category in CATEGORIES[Kind(kind)] else "",
        area=found.area if found.area in set(Area) else "",
    )
    await flows.goto(ctx, FLOW, S.SUGGESTION)


def _classification(ctx: Ctx) -> str:
    d = ctx.data
    return ctx.t("newcase.classification", kind=code_name(ctx.locale, "kind", d["kind"]),
                 category=code_name(ctx.locale, "category", d["category"]) if d["category"] else "-",
                 urgency=code_name(ctx.locale, "urgency", d["urgency"]))


async def ask_suggestion(ctx: Ctx) -> None:
    """The classifier's reading, as the console shows it: accept or change."""
    ctx.say(ctx.t("newcase.suggested", classification=_classification(ctx)),
            ((choice(ctx, ctx.t("newcase.accept"), ACCEPT), choice(ctx, ctx.t("newcase.change"), CHANGE)),
             nav_row(ctx)))


async def answer_suggestion(ctx: Ctx, inbound: Inbound) -> None:
    if ctx.picked == ACCEPT:
        await flows.goto(ctx, FLOW, S.CONFIRM)
    elif ctx.picked == CHANGE:
        await flows.goto(ctx, FLOW, S.KIND)
    else:
        ctx.say(ctx.t("newcase.use_buttons"))


async def ask_kind(ctx: Ctx) -> None:
    buttons = [choice(ctx, code_name(ctx.locale, "kind", k), k) for k in Kind]
    ctx.say(ctx.t("newcase.ask_kind"), (tuple(buttons[:3]), tuple(buttons[3:]), nav_row(ctx)))


async def answer_kind(ctx: Ctx, inbound: Inbound) -> None:
    if ctx.picked not in set(Kind):
        ctx.say(ctx.t("newcase.use_buttons"))
        return
    kind = Kind(ctx.picked)
    if kind != ctx.data["kind"]:
        ctx.data.update(kind=kind, category="", area="")
    await flows.goto(ctx, FLOW, S.CATEGORY if CATEGORIES[kind] else S.URGENCY)


async def ask_category(ctx: Ctx) -> None:
    buttons = [choice(ctx, code_name(ctx.locale, "category", c), c) for c in CATEGORIES[Kind(ctx.data["kind"])]]
    rows = [tuple(buttons[i:i + 3]) for i in range(0, len(buttons), 3)]
    ctx.say(ctx.t("newcase.ask_category"), (*rows, nav_row(ctx)))


async def answer_category(ctx: Ctx, inbound: Inbound) -> None:
    if ctx.picked not in CATEGORIES[Kind(ctx.data["kind"])]:
        ctx.say(ctx.t("newcase.use_buttons"))
        return
    ctx.data["category"] = ctx.picked
    await flows.goto(ctx, FLOW, S.URGENCY)


async def ask_urgency(ctx: Ctx) -> None:
    buttons = tuple(choice(ctx, code_name(ctx.locale, "urgency", u), u) for u in Urgency)
    ctx.say(ctx.t("newcase.ask_urgency"), (buttons, nav_row(ctx)))


async def answer_urgency(ctx: Ctx, inbound: Inbound) -> None:
    if ctx.picked not in set(Urgency):
        ctx.say(ctx.t("newcase.use_buttons"))
        return
    ctx.data["urgency"] = ctx.picked
    await flows.goto(ctx, FLOW, S.CONFIRM)


# ----------------------------------------------------------------- confirm and open
async def ask_confirm(ctx: Ctx) -> None:
    d, dash = ctx.data, "-"
    where = d.get("room") or ctx.t("newcase.shared_at", place=d.get("place") or dash)
    ctx.say(ctx.t("newcase.summary", source=ctx.t(f"office.source.{d['source']}"), where=where,
                  owner=d.get("owner_shown") or dash, description=d["description"],
                  classification=_classification(ctx)),
            ((choice(ctx, ctx.t("newcase.submit"), "submit"),), nav_row(ctx)))


def _area(kind: str, suggested: str, room_id: int | None) -> str:
    """Where a repair is: the classifier's reading, else in the home when a room was given."""
    if kind != Kind.REPORT:
        return ""
    if suggested in set(Area) and (room_id or suggested == Area.PUBLIC):
        return suggested
    return Area.HOME if room_id else Area.PUBLIC


async def answer_confirm(ctx: Ctx, inbound: Inbound) -> None:
    """Open the case as this staff member; the team's card and the owner's message are announced."""
    if not said_yes(ctx, inbound, "submit", "newcase.use_buttons"):
        return
    d = dict(ctx.data)
    flows.end(ctx)
    try:
        events = await open_for_owner(
            ctx.uow, ctx.community, actor_of(ctx), ctx.now, source=d["source"], kind=d["kind"], urgency=d["urgency"],
            category=d["category"], area=_area(d["kind"], d.get("area") or "", d.get("room_id")),
            description=d["description"], owner_id=d.get("owner_id"), room_id=d.get("room_id"),
            place=d.get("place") or "",
        )
    except NotAllowed:
        ctx.say(ctx.t("newcase.not_allowed"))
        return
    except InvalidInput as refusal:
        ctx.say(ctx.t("newcase.invalid", field=refusal.details.get("field", "-")))
        return
    opened = events[0]
    assert isinstance(opened, CaseOpened)
    case = opened.case
    for reply in await announce(ctx.uow, ctx.community, events, ctx.now):
        ctx.send(reply)
    # Ids only: no owner's name or phone in the log.
    log.info("case %s opened by staff %s in chat (source %s, owner %s)", case.id, ctx.identity.staff_id,
             d["source"], "yes" if d.get("owner_id") else "none")
    key = "newcase.done_owner_told" if d.get("owner_id") and await _owner_in_chat(ctx, d["owner_id"]) else "newcase.done"
    ctx.say(ctx.t(key, id=case.id, team=code_name(ctx.locale, "team", case.team_code)))


async def _owner_in_chat(ctx: Ctx, owner_id: int) -> bool:
    return bool(await ctx.uow.directory.chats_of(owner_id=owner_id))


FLOW = Flow("staff_new_case", S.SOURCE, {
    S.SOURCE: Step(ask_source, answer_source),
    S.WHO: Step(ask_who, answer_who),
    S.ROOM: Step(ask_room, answer_room),
    S.PLACE: Step(ask_place, answer_place),
    S.DESCRIBE: Step(ask_describe, answer_describe),
    S.SUGGESTION: Step(ask_suggestion, answer_suggestion),
    S.KIND: Step(ask_kind, answer_kind),
    S.CATEGORY: Step(ask_category, answer_category),
    S.URGENCY: Step(ask_urgency, answer_urgency),
    S.CONFIRM: Step(ask_confirm, answer_confirm),
}, needs_owner=False)
