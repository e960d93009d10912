"""More from the owner for a case already open: words, photos, the place, "it was a false
alarm" (补充说明).  Whatever the owner adds lands on the case (its timeline, its card) and
reaches the people working on it — the team's group, the duty group for an emergency,
and the assignee in private — so nothing the owner gave is lost."""

from __future__ import annotations

from cases.codes import Area, Kind, Team, Urgency
from cases.lifecycle import Actor, Case, Status
from handlers.kit.cards import STAFF_LOCALE, card_replies, group_safe, team_chats
from handlers.kit.context import Ctx
from handlers.kit.i18n import t
from handlers.kit.messages import Reply
from handlers.owner.owned import my_cases

MAX_ADDED = 10  # notes kept on the case for the card; the timeline keeps all
MAX_PHOTOS = 18
WORKING = (Status.OPEN, Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS)


async def _actor(ctx: Ctx) -> Actor:
    owner = await ctx.owner()
    return Actor("owner", owner.id if owner else None)


async def latest_open(ctx: Ctx, *, emergency_only: bool = False) -> Case | None:
    """The owner's (or this chat's) newest case still being worked on."""
    for case in await my_cases(ctx):
        if case.status in WORKING and (not emergency_only or case.urgency == Urgency.EMERGENCY):
            return case
    return None


async def waiting_confirmation(ctx: Ctx) -> Case | None:
    """The owner's newest case whose work is done and waits for their 验收."""
    return next((c for c in await my_cases(ctx) if c.status == Status.DONE), None)


async def _tell_staff(ctx: Ctx, case: Case, key: str, photo: str | None = None, **fields: object) -> None:
    """The case's team group (and the duty group for an emergency), and the assignee privately."""
    owner = await ctx.owner()
    fields = {k: group_safe(v, owner) if isinstance(v, str) else v for k, v in fields.items()}
    text = t(STAFF_LOCALE, key, id=case.id, **fields)
    photos = (photo,) if photo else ()
    teams = [case.team_code]
    if case.urgency == Urgency.EMERGENCY and Team.MANAGEMENT not in teams:
        teams.append(Team.MANAGEMENT)
    for team in teams:
        for channel, chat_id in (await team_chats(ctx.uow, ctx.community, team)).items():
            ctx.send(Reply(channel, chat_id, text, photos=photos if channel == ctx.inbound.channel else ()))
    if case.assignee_id is not None:
        for identity in await ctx.uow.directory.chats_of(staff_id=case.assignee_id):
            ctx.send(Reply(identity.channel, identity.chat_id, text,
                           photos=photos if identity.channel == ctx.inbound.channel else ()))


async def add_to_case(ctx: Ctx, case: Case, *, text: str = "", photo: str | None = None) -> None:
    """The owner's words and/or photo join the case; its card is edited and staff are told."""
    actor = await _actor(ctx)
    if text:
        added = [*case.details.get("added", []), text[:300]][-MAX_ADDED:]
        case.details = {**case.details, "added": added}
        case.remark("owner_added", ctx.now, actor, note=text[:1000])
    if photo and len(case.photos) < MAX_PHOTOS:
        case.photos = [*case.photos, photo]
        case.remark("owner_added_photo", ctx.now, actor, photo=photo)
    await ctx.uow.cases.save(case)
    for reply in await card_replies(ctx.uow, ctx.community, case, ctx.now):
        ctx.send(reply)
    await _tell_staff(ctx, case, "card.owner_added_photo" if photo and not text else "card.owner_added",
                      photo=photo, text=text[:200])


async def set_place(ctx: Ctx, case: Case, *, place: str = "", room_id: int | None = None) -> None:
    """Where the emergency is, as the owner says after the alarm went out."""
    actor = await _actor(ctx)
    if room_id is not None:
        case.room_id = room_id
        if case.kind == Kind.REPORT:
            case.area = Area.HOME
        room = await ctx.uow.directory.room_by_id(room_id)
        where = room.code if room else ""
    else:
        case.place = place[:200]
        where = case.place
    case.remark("place_added", ctx.now, actor, note=where)
    await ctx.uow.cases.save(case)
    for reply in await card_replies(ctx.uow, ctx.community, case, ctx.now):
        ctx.send(reply)
    await _tell_staff(ctx, case, "card.place_added", where=where)


async def false_alarm(ctx: Ctx, case: Case) -> None:
    """The owner says all is well: staff see it on the card and decide (they may still check)."""
    if not case.details.get("false_alarm"):
        case.details = {**case.details, "false_alarm": True}
        case.remark("false_alarm", ctx.now, await _actor(ctx))
        await ctx.uow.cases.save(case)
        for reply in await card_replies(ctx.uow, ctx.community, case, ctx.now):
            ctx.send(reply)
        await _tell_staff(ctx, case, "card.false_alarm_alert")
