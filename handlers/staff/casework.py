"""Opening a case from a chat flow — the submit tail every intake shares (report,
complaint, booking, question, suggestion, emergency): the owner's words go to
`services.casework.open_case` and what follows is announced (`handlers.announcers`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cases.lifecycle import Case
from cases.records import Community
from handlers.kit.acting import as_owner
from handlers.kit.announcers import announce
from handlers.kit.context import Ctx
from handlers.kit.messages import Reply
from services import casework
from services.actors import SYSTEM
from services.events import CaseConfirmed, CaseOpened, Event
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
    events = await casework.open_case(
        ctx.uow, ctx.community, as_owner(ctx), ctx.now, kind=kind, urgency=urgency, category=category, area=area,
        description=description, room_id=room_id, place=place, photos=photos or (), details=details, team=team,
    )
    return await opened(ctx, events)


async def opened(ctx: Ctx, events: list[Event]) -> Case:
    """Announce a case just opened (or booked) and hand it to the step that asked."""
    for reply in await announce(ctx.uow, ctx.community, events, ctx.now):
        ctx.send(reply)
    first = events[0]
    assert isinstance(first, CaseOpened)
    return first.case


async def after_close(uow: UnitOfWork, community: Community, case: Case, now: datetime) -> list[Reply]:
    """For a case closed outside the services (a test's or a tool's): its callback is booked
    and the team's card shows it finished, as `services.casework.confirm` would have."""
    booked = await casework.book_callback(uow, community, case)
    event = CaseConfirmed(actor=SYSTEM, at=now, case=case, auto=False, callback_booked=booked)
    return await announce(uow, community, [event], now)
