"""The office desk's own business actions: a case opened by staff for an owner (a hotline
call, a walk-in, a patrol's finding) with the same routing, deadlines and dispatch as a
chat case — the member of staff who took it is its first responder (首问责任制) — and what
the desk records on the owner's behalf after a phone call: a note, a changed plan the
owner agreed to, the owner's confirmation, the owner's "not solved", a cancellation.

Authorised here, once: the office desk (butlers, customer service, the manager) for any
case; other staff for the cases of the teams they may work on.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from cases.codes import Role
from cases.errors import InvalidInput, NotAllowed
from cases.lifecycle import Case, Status
from cases.permissions import StaffMember, may_work_on
from cases.records import Community
from cases.routing import team_for
from services import access
from services.actors import Actor
from services.casework import CANCELLABLE, MAX_REJECT, book_callback
from services.events import (
    CancelledForOwner, CaseCancelled, CaseConfirmed, CaseOpened, CaseRejected, CaseRemarked, CaseTakenForOwner, Event,
)
from services.saving import add, save
from storage.uow import UnitOfWork


class Source(StrEnum):
    CHAT = "chat"
    PHONE = "phone"
    WALK_IN = "walk_in"
    PATROL = "patrol"
    STAFF = "staff"


MAX_DESCRIPTION = 2000  # what an agent types while on the phone
# Staff-opened cases come from anywhere but a chat (the chat opens its own).
OFFICE_SOURCES = tuple(s.value for s in Source if s is not Source.CHAT)
# The service centre: they take calls and walk-ins and act for owners on any case.
OFFICE_ROLES = frozenset({Role.BUTLER, Role.CS_AGENT, Role.CS_SUPERVISOR, Role.MANAGER})


def at_the_desk(staff: StaffMember) -> bool:
    return staff.active and staff.role in OFFICE_ROLES


async def _desk_case(uow: UnitOfWork, community: Community, case_id: int, actor: Actor) -> tuple[Case, StaffMember]:
    staff = await access.staff_of(uow, actor)
    case = await access.case_of(uow, community, case_id)
    if not at_the_desk(staff) and not may_work_on(staff, case.team_code):
        raise NotAllowed(f"{staff.role} may not act for owners on {case.team_code}'s cases", reason=access.ROLE)
    return case, staff


async def _owner_and_room_here(uow: UnitOfWork, community: Community, owner_id: int | None,
                               room_id: int | None) -> None:
    """The owner and the room are this community's, and the room is the owner's: a forged form
    naming another community's owner or room reads as one that does not exist."""
    owner = await uow.directory.owner(owner_id) if owner_id is not None else None
    if owner_id is not None and (owner is None or await uow.directory.community_id_of(owner_id=owner_id) != community.id):
        raise InvalidInput("no such owner", field="owner")
    room = await uow.directory.room_by_id(room_id) if room_id is not None else None
    same_code = await uow.directory.room(community.id, room.code) if room is not None else None
    if room_id is not None and (same_code is None or same_code.id != room_id):
        raise InvalidInput("no such room", field="owner")
    if owner is not None and room is not None and room.id not in {r.id for r in owner.rooms}:
        raise InvalidInput("the room is not the owner's", field="owner")


async def open_for_owner(
    uow: UnitOfWork, community: Community, actor: Actor, now: datetime, *, source: str, kind: str, urgency: str,
    category: str, area: str, description: str, owner_id: int | None, room_id: int | None, place: str,
) -> list[Event]:
    """Record and dispatch a case staff took for an owner (or for a shared area, no owner).

    The owner's own chat, if they have bound one, becomes the reporter's chat: they follow
    the case and confirm the work there; otherwise staff confirm and call back by phone."""
    staff = await access.staff_of(uow, actor)
    if not at_the_desk(staff) and source not in (Source.PATROL, Source.STAFF):
        raise NotAllowed(f"{staff.role} does not take calls", reason=access.ROLE)
    if source not in OFFICE_SOURCES:
        raise InvalidInput(f"unknown source {source!r}", field="source")
    description = description.strip()
    if not description or len(description) > MAX_DESCRIPTION:
        raise InvalidInput("a case needs a description", field="description")
    await _owner_and_room_here(uow, community, owner_id, room_id)
    if room_id is None and not place.strip():
        raise InvalidInput("a case needs a room or a place", field="place")
    chats = await uow.directory.chats_of(owner_id=owner_id) if owner_id is not None else []
    case = Case.open(
        kind=kind, urgency=urgency, category=category, area=area, now=now, by=actor.recorded,
        description=description, community_id=community.id, owner_id=owner_id, room_id=room_id,
        place=place.strip(), reporter_channel=chats[0].channel if chats else "",
        reporter_chat_id=chats[0].chat_id if chats else "", source=source, first_responder_id=staff.id,
    )
    case.dispatch(team_for(case.kind, case.category, case.urgency), now, community.policy)
    await add(uow, case, actor, source=source)
    return [CaseOpened(actor=actor, at=now, case=case), CaseTakenForOwner(actor=actor, at=now, case=case, source=source)]


async def note(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
               note: str, plan_changed: bool = False) -> list[Event]:
    """A note on the timeline; `plan_changed`: the plan changed and the owner agreed by phone."""
    note = note.strip()
    if not note or len(note) > MAX_REJECT:
        raise InvalidInput("a note of at most 500 characters", field="note")
    case, _ = await _desk_case(uow, community, case_id, actor)
    action = "plan_changed" if plan_changed else "staff_note"
    case.remark(action, now, actor.recorded, note=note)
    await save(uow, case, actor)
    return [CaseRemarked(actor=actor, at=now, case=case, action=action, note=note)]


async def confirm_by_phone(uow: UnitOfWork, community: Community, case_id: int, actor: Actor,
                           now: datetime) -> list[Event]:
    """The owner said on the phone the work is fine (验收 recorded by staff); the callback is booked."""
    case, staff = await _desk_case(uow, community, case_id, actor)
    access.require("confirm", case, staff, Status.DONE)
    case.confirm(now, actor.recorded)
    await save(uow, case, actor, method="phone")
    booked = await book_callback(uow, community, case)
    return [CaseConfirmed(actor=actor, at=now, case=case, auto=False, callback_booked=booked)]


async def reopen_by_phone(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                          reason: str) -> list[Event]:
    """The owner phoned to say the work reported done is not: back to the team for rework."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REJECT:
        raise InvalidInput("say what is still wrong", field="reason")
    case, staff = await _desk_case(uow, community, case_id, actor)
    access.require("reject", case, staff, Status.DONE)
    case.reject(now, actor.recorded, reason, community.policy)
    await save(uow, case, actor, method="phone")
    return [CaseRejected(actor=actor, at=now, case=case, reason=reason)]


async def cancel_for_owner(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                           reason: str) -> list[Event]:
    """The owner called it off (by phone, at the desk) before anyone accepted it."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REJECT:
        raise InvalidInput("say why", field="reason")
    case, staff = await _desk_case(uow, community, case_id, actor)
    access.require("cancel", case, staff, *CANCELLABLE)
    case.cancel(now, actor.recorded, reason=reason)
    await save(uow, case, actor, method="phone")
    return [CaseCancelled(actor=actor, at=now, case=case, reason=reason),
            CancelledForOwner(actor=actor, at=now, case=case, reason=reason)]
