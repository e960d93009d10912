"""Opening cases and telling people about them: shared by the flows, staff actions and
the scheduler, so every path announces a case the same way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from cases.callbacks import callback_due, needs_callback
from cases.codes import Team, Urgency
from cases.lifecycle import SYSTEM, Actor, Case
from cases.records import Community
from cases.routing import team_for
from handlers.kit.cards import STAFF_LOCALE, alert_replies, card_replies, group_safe, where_of
from handlers.kit.context import Ctx
from handlers.kit.formatting import code_name
from handlers.kit.i18n import t
from handlers.kit.messages import URGENT, Button, Reply
from storage.uow import UnitOfWork


async def open_case(
    ctx: Ctx,
    *,
    kind: str,
    urgency: str,
    category: str = "",
    area: str = "",
    description: str,
    room_id: int | None = None,
    place: str = "",
    photos: list[str] | None = None,
    details: dict[str, Any] | None = None,
    team: str | None = None,
) -> Case:
    """Record the case, hand it to its team's group chat and, for an emergency, raise the alarm."""
    owner = await ctx.owner()
    case = Case.open(
        kind=kind, urgency=urgency, category=category, area=area, now=ctx.now,
        by=Actor("owner", owner.id) if owner else SYSTEM, description=description,
        community_id=ctx.community.id, owner_id=owner.id if owner else None, room_id=room_id, place=place,
        reporter_channel=ctx.inbound.channel, reporter_chat_id=ctx.identity.chat_id,
        photos=list(photos or []), details=dict(details or {}),
    )
    case.dispatch(team or team_for(kind, category, urgency), ctx.now, ctx.policy)
    await ctx.uow.cases.add(case)
    for reply in await card_replies(ctx.uow, ctx.community, case, ctx.now, with_photos=True):
        ctx.send(reply)
    if case.urgency == Urgency.EMERGENCY:
        for reply in await emergency_alerts(ctx.uow, ctx.community, case):
            ctx.send(reply)
    return case


async def emergency_alerts(uow: UnitOfWork, community: Community, case: Case) -> list[Reply]:
    """The duty/management group hears of an emergency at once (and again until accepted)."""
    where = await where_of(uow, case)
    owner = await uow.directory.owner(case.owner_id) if case.owner_id else None
    return await alert_replies(
        uow, community, Team.MANAGEMENT, "card.emergency_alert", id=case.id, priority=URGENT,
        text=group_safe(case.description, owner)[:200],
        where=where or "-", team_name=code_name(STAFF_LOCALE, "team", case.team_code),
    )


Keyboard = tuple[tuple[Button, ...], ...]


async def owner_replies(uow: UnitOfWork, case: Case, key: str,
                        buttons: Callable[[str], Keyboard] | None = None, **fields: object) -> list[Reply]:
    """A message to whoever reported the case, in each of their chats and in their language.

    A field may be a function of the locale (a team's name, a time) so each chat gets its own.
    """
    targets = await uow.directory.chats_of(owner_id=case.owner_id) if case.owner_id is not None else []
    if not targets and case.reporter_chat_id:
        reporter = await uow.directory.identity_of_chat(case.reporter_channel, case.reporter_chat_id)
        targets = [reporter] if reporter else []
    return [
        Reply(i.channel, i.chat_id,
              t(i.locale, key, id=case.id, **{k: v(i.locale) if callable(v) else v for k, v in fields.items()}),
              buttons(i.locale) if buttons else ())
        for i in targets
    ]


async def schedule_callback(uow: UnitOfWork, community: Community, case: Case) -> bool:
    """After a case closes, book its callback (回访) per the coverage policy; True if booked.

    Each rework round gets its own callback (round = rework_round + 1), so the second
    callback after rework is a new row and the first one's answer is kept.
    """
    assert case.id is not None and case.closed_at is not None
    if not needs_callback(case.kind, case.id, community.policy):
        return False
    await uow.callbacks.schedule(case.id, case.rework_round + 1, callback_due(case.closed_at, community.policy))
    return True


async def after_close(uow: UnitOfWork, community: Community, case: Case, now: datetime) -> list[Reply]:
    """Everything that follows a confirmation (by the owner or automatic): the callback is
    booked and the team's card shows the case as finished."""
    await schedule_callback(uow, community, case)
    return await card_replies(uow, community, case, now)
