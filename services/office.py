"""The office desk's own business actions: a case opened by staff for an owner (a hotline
call, a walk-in, a patrol's finding), with the same routing, deadlines and dispatch as a
chat case.  The member of staff who took it is its first responder (首问责任制)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from cases.errors import InvalidInput, NotAllowed
from cases.lifecycle import Actor, Case, Event
from cases.permissions import StaffMember
from cases.records import Community
from cases.routing import team_for
from storage.uow import UnitOfWork


class Source(StrEnum):
    CHAT = "chat"
    PHONE = "phone"
    WALK_IN = "walk_in"
    PATROL = "patrol"
    STAFF = "staff"


# Staff-opened cases come from anywhere but a chat (the chat opens its own).
OFFICE_SOURCES = tuple(s.value for s in Source if s is not Source.CHAT)


def via(case: Case, front_end: str) -> None:
    """Mark the case's new timeline entries with the front end they were done through."""
    for event in case.events:
        event.data.setdefault("via", front_end)


async def open_for_owner(
    uow: UnitOfWork, community: Community, *, staff: StaffMember, source: str, kind: str, urgency: str,
    category: str, area: str, description: str, owner_id: int | None, room_id: int | None, place: str,
    team: str | None, now: datetime, front_end: str = "console",
) -> tuple[Case, list[Event]]:
    """Record and dispatch a case staff took for an owner (or for a shared area, no owner).

    The owner's own chat, if they have bound one, becomes the reporter's chat: they follow
    the case and confirm the work there; otherwise staff confirm and call back by phone."""
    if not staff.active:
        raise NotAllowed("inactive staff")
    if source not in OFFICE_SOURCES:
        raise InvalidInput(f"unknown source {source!r}")
    if not description.strip():
        raise InvalidInput("a case needs a description")
    if owner_id is not None and await uow.directory.owner(owner_id) is None:
        raise InvalidInput("no such owner")
    if room_id is None and not place.strip():
        raise InvalidInput("a case needs a room or a place")
    chats = await uow.directory.chats_of(owner_id=owner_id) if owner_id is not None else []
    case = Case.open(
        kind=kind, urgency=urgency, category=category, area=area, now=now, by=Actor("staff", staff.id),
        description=description, community_id=community.id, owner_id=owner_id, room_id=room_id,
        place=place.strip(), reporter_channel=chats[0].channel if chats else "",
        reporter_chat_id=chats[0].chat_id if chats else "", source=source,
        details={"taken_by": staff.id}, first_responder_id=staff.id,
    )
    case.dispatch(team or team_for(case.kind, case.category, case.urgency), now, community.policy)
    via(case, front_end)
    events = list(case.events)
    await uow.cases.add(case)
    return case, events
