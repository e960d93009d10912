"""A case's life, for every front end: open (the submit tail every intake shares, and a
booking), accept, start, finish, hand back, transfer, move to another community, call for
help, confirm, reject, cancel, the owner's additions, staff notes and remarks.

Each function loads the case, authorises the actor (`services.access`), changes the case
through `cases.lifecycle`, saves it in the caller's unit of work and returns the events;
the caller commits, and its front end announces them.  Nothing here produces chat text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from cases.callbacks import callback_due, needs_callback
from cases.codes import Area, Kind
from cases.errors import InvalidInput, StaleCase
from cases.lifecycle import SYSTEM as RECORDED_SYSTEM
from cases.lifecycle import Case, Status
from cases.records import Community, ServiceItem
from cases.routing import team_for
from services import access, dispatch
from services.actors import Actor
from services.errors import MovedMeanwhile, PriceChanged, TooSoon, WrongStatus
from services.events import (
    CaseAccepted, CaseCancelled, CaseConfirmed, CaseDone, CaseHandedBack, CaseMoved, CaseOpened, CaseRejected,
    CaseRemarked, CaseStarted, CaseTransferred, Event, FalseAlarm, HelpRequested, NoteAdded, PlaceAdded,
)
from services.saving import add, save
from storage.uow import UnitOfWork

CANCELLABLE = (Status.OPEN, Status.DISPATCHED)
ADDABLE = (Status.OPEN, Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS)
MOVABLE = (Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS)
# One call for help is enough; a second within this time is refused with TooSoon.
HELP_COOLDOWN = timedelta(minutes=10)
MAX_NOTE = 300  # a completion note (the owner reads it)
MAX_REASON = 200  # a transfer or hand-back reason
MAX_REJECT = 500  # the owner's words when rejecting
# ¥100,000: a bigger number for a household job is a typo, not a price.
MAX_FEE_CENTS = 10_000_000
MAX_ADDED = 10  # owner's notes kept on the case for the card; the timeline keeps all
MAX_PHOTOS = 18
# Timeline actions a remark may not use: they would read as a change of state that never happened.
STATE_ACTIONS = frozenset({
    "opened", "dispatched", "accepted", "started", "done", "confirmed", "auto_confirmed", "rejected",
    "reopened", "cancelled", "transferred", "handed_back", "surveyed", "escalated", "moved", "moved_in",
})
# What a case's details hold for the desk that works it (offers, pauses, proposals, chases,
# alerts): promises of the community it leaves, so they do not travel with a moved case.
DESK_DETAILS = frozenset({
    "offer", "pause", "pauses", "plan_change", "plan_changes", "agreed_fee_cents", "chases", "last_chase_at",
    "last_help_at", "last_alert_at", "alerts", "moved_to", "moved_from",
})
REMARK_ACTION = re.compile(r"[a-z][a-z_]{0,39}")


# ----------------------------------------------------------------- opening
async def open_case(
    uow: UnitOfWork, community: Community, actor: Actor, now: datetime, *,
    kind: str, urgency: str, description: str, category: str = "", area: str = "",
    room_id: int | None = None, place: str = "", photos: Sequence[str] = (),
    details: dict[str, Any] | None = None, team: str | None = None, owner_id: int | None = None,
) -> list[Event]:
    """Record a case and dispatch it to its team (the routing table's, or `team`).

    An owner opens their own (an unbound one, for the chat they write from); a staff member
    may open one for an owner who phoned or came to the office (`owner_id`)."""
    if actor.kind == "owner":
        owner = await uow.directory.owner(actor.id) if actor.id is not None else None
        owner_id = owner.id if owner else None
        by = actor.recorded if owner else RECORDED_SYSTEM
        reporter = (actor.channel, actor.chat_id)
    elif actor.kind == "staff":
        await access.staff_of(uow, actor)
        if owner_id is not None and await uow.directory.owner(owner_id) is None:
            raise InvalidInput(f"no owner {owner_id}")
        by, reporter = actor.recorded, ("", "")
    else:
        by, reporter = RECORDED_SYSTEM, (actor.channel, actor.chat_id)
    if room_id is not None and await uow.directory.room_by_id(room_id) is None:
        raise InvalidInput(f"no room {room_id}")
    case = Case.open(
        kind=kind, urgency=urgency, category=category, area=area, now=now, by=by, description=description,
        community_id=community.id, owner_id=owner_id, room_id=room_id, place=place,
        reporter_channel=reporter[0], reporter_chat_id=reporter[1], photos=list(photos), details=dict(details or {}),
    )
    case.dispatch(team or team_for(kind, category, urgency), now, community.policy)
    offered = await dispatch.offer_new(uow, community, case, now)
    await add(uow, case, actor)
    return [CaseOpened(actor=actor, at=now, case=case), *offered]


async def book_service(
    uow: UnitOfWork, community: Community, actor: Actor, now: datetime, *,
    item: ServiceItem, price_seen: int, slot: str, description: str = "", room_id: int | None = None,
    details: dict[str, Any] | None = None, window: tuple[datetime, datetime] | None = None,
    photos: Sequence[str] = (),
) -> list[Event]:
    """A paid service at the price the owner saw: if the catalogue changed meanwhile,
    PriceChanged and nothing is booked (the owner must see the new price first)."""
    current = {i.id: i for i in await uow.directory.catalogue(community.id)}.get(item.id)
    if current is None:
        raise InvalidInput(f"service item {item.id} is no longer offered")
    if current.price_cents != price_seen:
        raise PriceChanged(f"item {item.id} now costs {current.price_cents}", price_cents=current.price_cents)
    events = await open_case(
        uow, community, actor, now, kind="service", urgency="normal", category=current.category,
        description=description or current.name_zh, room_id=room_id, details=details, photos=photos,
    )
    opened = events[0]
    assert isinstance(opened, CaseOpened)
    await uow.bookings.add(opened.case_id, current.id, slot, current.price_cents, now, window)
    return events


# ----------------------------------------------------------------- staff on the case
async def accept(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime) -> list[Event]:
    """First accept wins; the first ever to accept becomes the first responder (首问责任制)."""
    case, staff = await access.staff_on_case(uow, community, case_id, actor)
    access.require("accept", case, staff, Status.DISPATCHED)
    case.accept(staff.id, now)
    try:
        await save(uow, case, actor)
    except StaleCase:
        # Both read the case before either saved (PostgreSQL lets two presses overlap): the
        # other save landed first, so the refusal says who has it rather than "try again".
        fresh = await uow.cases.get(case_id)
        if fresh is None or fresh.status == Status.DISPATCHED:
            raise
        raise WrongStatus("accept", fresh, staff) from None
    return [CaseAccepted(actor=actor, at=now, case=case, staff_id=staff.id)]


async def start(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime) -> list[Event]:
    """The worker arrived / started."""
    case, staff = await access.staff_on_case(uow, community, case_id, actor, worker=True)
    access.require("start", case, staff, Status.ACCEPTED)
    case.start(staff.id, now)
    await save(uow, case, actor)
    return [CaseStarted(actor=actor, at=now, case=case, staff_id=staff.id)]


async def finish(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                 note: str, fee_cents: int = 0, photos: Sequence[str] = ()) -> list[Event]:
    """The job is done; the owner is to confirm it (验收)."""
    note = note.strip()
    if not note:
        raise InvalidInput("say what was done")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"a note is at most {MAX_NOTE} characters")
    if fee_cents > MAX_FEE_CENTS:
        raise InvalidInput("that fee is not a household price", fee_cents=fee_cents)
    case, staff = await access.working_case(uow, community, case_id, actor, "finish")
    case.finish(staff.id, now, note=note, fee_cents=fee_cents, photos=list(photos))
    await save(uow, case, actor)
    return [CaseDone(actor=actor, at=now, case=case, staff_id=staff.id, note=note, fee_cents=fee_cents,
                     photos=tuple(photos))]


async def hand_back(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                    reason: str = "") -> list[Event]:
    """The worker (or a supervisor) gives the case back to the team's queue."""
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"a reason is at most {MAX_REASON} characters")
    case, staff = await access.working_case(uow, community, case_id, actor, "hand back")
    previous = case.assignee_id
    case.hand_back(now, actor.recorded, reason)
    await save(uow, case, actor)
    return [CaseHandedBack(actor=actor, at=now, case=case, reason=reason, previous_assignee=previous)]


async def transfer(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                   to_team: str, reason: str, from_team: str | None = None) -> list[Event]:
    """Pass the case to another team; the first responder stays responsible.

    `from_team`: the team the actor saw it with; if it moved meanwhile, MovedMeanwhile."""
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"a reason is at most {MAX_REASON} characters")
    if from_team is not None:
        current = await uow.cases.get(case_id)
        if current is not None and current.community_id == community.id and current.team_code != from_team:
            raise MovedMeanwhile(current)
    case, staff = await access.staff_on_case(uow, community, case_id, actor, worker=True)
    access.require("transfer", case, staff, *MOVABLE)
    if to_team not in {info.code for info in await uow.directory.teams(community.id)}:
        raise InvalidInput(f"no team {to_team!r}", team=to_team)
    previous, old_team = case.assignee_id, case.team_code
    case.transfer(to_team, now, community.policy, actor.recorded, reason)
    await save(uow, case, actor)
    return [CaseTransferred(actor=actor, at=now, case=case, from_team=old_team, to_team=to_team, reason=reason,
                            previous_assignee=previous)]


async def move_to_community(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                            to: str, reason: str, room_id: int | None = None, place: str | None = None) -> list[Event]:
    """The case belongs to another community of the company (`to`, its code): an owner
    picked a home there, a counter typed it into the wrong community.  A new case there —
    that community's number, team, deadlines, policy and figures — carries the description,
    photos, reporter, urgency, category and the owner's words, with a link back; this one
    ends as moved (off the board, never escalated, no callback, out of this community's
    figures).  Both timelines say who moved it, when and why.

    Who may: the owner, for a home of theirs there (`room_id`; a reporter who never bound,
    a `place`); staff with the right to transfer it here and to work on it there
    (`services.access.staff_moving`).  A booked service is not moved: its price is this
    community's catalogue's, so it is booked again there."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("say why the case moves")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"a reason is at most {MAX_REASON} characters")
    target = await uow.directory.community(to) if to else None
    if target is None or target.id == community.id:
        raise InvalidInput(f"no other community {to!r}", community=to)
    current = await access.case_of(uow, community, case_id)
    team = team_for(current.kind, current.category, current.urgency)
    if actor.kind == "staff":
        case, _, there = await access.staff_moving(uow, community, case_id, actor, target, team)
        actor_there = replace(actor, id=there.id)
        owner_id = await _owner_there(uow, case, target)
    else:
        case, owner_id = await access.owner_moving(uow, community, case_id, actor, target, room_id)
        actor_there = replace(actor, id=owner_id)
    if case.kind == Kind.SERVICE:
        raise InvalidInput("a booked service is booked again in its own community", kind=case.kind)
    if room_id is None and place is None and owner_id is not None:
        owner = await uow.directory.owner(owner_id)
        room_id = owner.rooms[0].id if owner is not None and len(owner.rooms) == 1 else None
    if room_id is not None:
        room = await uow.directory.room_by_id(room_id)
        if room is None or await uow.directory.room(target.id, room.code) != room:
            raise InvalidInput(f"no room {room_id} in {target.code}", room=room_id)
        place = ""
    elif place is None:
        # The first community's room means nothing there: its number stays as words for staff.
        old_room = await uow.directory.room_by_id(case.room_id) if case.room_id else None
        place = case.place or (old_room.code if old_room else "")
    by = actor_there.recorded if actor_there.kind == "staff" or owner_id is not None else RECORDED_SYSTEM
    area = Area.HOME if room_id is not None and case.kind == Kind.REPORT else case.area
    moved = Case.open(
        kind=case.kind, urgency=case.urgency, category=case.category, area=area, now=now, by=by,
        description=case.description, community_id=target.id, owner_id=owner_id, room_id=room_id,
        place=place.strip()[:200], reporter_channel=case.reporter_channel, reporter_chat_id=case.reporter_chat_id,
        photos=list(case.photos), source=case.source,
        details={**{k: v for k, v in case.details.items() if k not in DESK_DETAILS},
                 "moved_from": {"case": case.id, "community": community.code, "name": community.name}},
    )
    moved.dispatch(team, now, target.policy)
    moved.remark("moved_in", now, by, note=reason, from_case=case.id, community=community.code)
    offered = await dispatch.offer_new(uow, target, moved, now)
    new_id = await add(uow, moved, actor)
    previous = case.assignee_id
    case.move_away(now, actor.recorded, to_case=new_id, community=target.code, name=target.name, reason=reason)
    await save(uow, case, actor)
    return [CaseMoved(actor=actor, at=now, case=case, to=target, to_case=moved, reason=reason,
                      previous_assignee=previous),
            CaseOpened(actor=actor_there, at=now, case=moved), *offered]


async def _owner_there(uow: UnitOfWork, case: Case, target: Community) -> int | None:
    """The case's owner as the other community knows them (same phone, living there), if so."""
    owner = await uow.directory.owner(case.owner_id) if case.owner_id is not None else None
    there = await uow.directory.owner_by_phone(target.id, owner.phone) if owner is not None and owner.phone else None
    return there.id if there is not None else None


async def ask_for_help(uow: UnitOfWork, community: Community, case_id: int, actor: Actor,
                       now: datetime) -> list[Event]:
    """The worker calls for help (once per HELP_COOLDOWN)."""
    case, staff = await access.working_case(uow, community, case_id, actor, "ask for help")
    last = case.details.get("last_help_at")
    if last and now - datetime.fromisoformat(last) < HELP_COOLDOWN:
        raise TooSoon(f"help on case {case_id} was asked at {last}", case_id=case_id)
    case.details["last_help_at"] = now.isoformat()
    case.remark("help_requested", now, actor.recorded)
    await save(uow, case, actor)
    return [HelpRequested(actor=actor, at=now, case=case, staff_id=staff.id)]


async def add_staff_note(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                         note: str) -> list[Event]:
    """A note for the timeline by staff of the case's team (the owner does not read it)."""
    return await remark(uow, community, case_id, actor, now, action="staff_note", note=note)


async def remark(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                 action: str, note: str = "") -> list[Event]:
    """A timeline entry that changes no state (owner phoned, parts ordered…), by staff of the
    case's team or the desk itself.  It may not pose as a change of state."""
    if not REMARK_ACTION.fullmatch(action) or action in STATE_ACTIONS:
        raise InvalidInput(f"{action!r} is not a remark")
    note = note.strip()
    if len(note) > MAX_REJECT:
        raise InvalidInput(f"a note is at most {MAX_REJECT} characters")
    if actor.kind == "system":
        case = await access.case_of(uow, community, case_id)
    else:
        case, _ = await access.staff_on_case(uow, community, case_id, actor)
    case.remark(action, now, actor.recorded, note=note)
    await save(uow, case, actor)
    return [CaseRemarked(actor=actor, at=now, case=case, action=action, note=note)]


# ----------------------------------------------------------------- the owner
async def confirm(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime) -> list[Event]:
    """验收: the owner accepts the finished work; its callback (回访) is booked per the policy."""
    case = await access.owners_case(uow, community, case_id, actor)
    access.require("confirm", case, None, Status.DONE)
    case.confirm(now, actor.recorded)
    await save(uow, case, actor)
    booked = await book_callback(uow, community, case)
    return [CaseConfirmed(actor=actor, at=now, case=case, auto=False, callback_booked=booked)]


async def reject(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                 reason: str) -> list[Event]:
    """The owner does not accept the work: back to the team, with their words, for rework."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("say what is still wrong")
    if len(reason) > MAX_REJECT:
        raise InvalidInput(f"a reason is at most {MAX_REJECT} characters")
    case = await access.owners_case(uow, community, case_id, actor)
    access.require("reject", case, None, Status.DONE)
    case.reject(now, actor.recorded, reason, community.policy)
    await save(uow, case, actor)
    return [CaseRejected(actor=actor, at=now, case=case, reason=reason)]


async def cancel(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                 reason: str = "") -> list[Event]:
    """The owner withdraws the case, only before anyone accepted it."""
    case = await access.owners_case(uow, community, case_id, actor)
    access.require("cancel", case, None, *CANCELLABLE)
    case.cancel(now, actor.recorded, reason=reason)
    await save(uow, case, actor)
    return [CaseCancelled(actor=actor, at=now, case=case, reason=reason)]


async def add_to_case(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                      text: str = "", photo: str | None = None) -> list[Event]:
    """补充说明: the owner's words and/or photo join a case still being worked on."""
    case = await access.owners_case(uow, community, case_id, actor)
    access.require("add to", case, None, *ADDABLE)
    text = text.strip()
    if not text and not photo:
        raise InvalidInput("nothing to add")
    if text:
        case.details = {**case.details, "added": [*case.details.get("added", []), text[:300]][-MAX_ADDED:]}
        case.remark("owner_added", now, actor.recorded, note=text[:1000])
    kept_photo = None
    if photo and len(case.photos) < MAX_PHOTOS:
        case.photos = [*case.photos, photo]
        case.remark("owner_added_photo", now, actor.recorded, photo=photo)
        kept_photo = photo
    await save(uow, case, actor)
    return [NoteAdded(actor=actor, at=now, case=case, text=text, photo=kept_photo)]


async def set_place(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                    place: str = "", room_id: int | None = None) -> list[Event]:
    """Where it is, as the owner says after reporting (an emergency's place question)."""
    case = await access.owners_case(uow, community, case_id, actor)
    if room_id is not None:
        room = await uow.directory.room_by_id(room_id)
        if room is None:
            raise InvalidInput(f"no room {room_id}")
        case.room_id = room_id
        if case.kind == "report":
            case.area = "home"
        where = room.code
    else:
        case.place = place.strip()[:200]
        where = case.place
    case.remark("place_added", now, actor.recorded, note=where)
    await save(uow, case, actor)
    return [PlaceAdded(actor=actor, at=now, case=case, where=where)]


async def false_alarm(uow: UnitOfWork, community: Community, case_id: int, actor: Actor,
                      now: datetime) -> list[Event]:
    """The owner says all is well: staff see it and decide.  Said twice, nothing new happens."""
    case = await access.owners_case(uow, community, case_id, actor)
    if case.details.get("false_alarm"):
        return []
    case.details = {**case.details, "false_alarm": True}
    case.remark("false_alarm", now, actor.recorded)
    await save(uow, case, actor)
    return [FalseAlarm(actor=actor, at=now, case=case)]


# ----------------------------------------------------------------- shared
async def book_callback(uow: UnitOfWork, community: Community, case: Case) -> bool:
    """After a case closes, book its callback (回访) per the coverage policy; True if booked.

    Each rework round gets its own callback (round = rework_round + 1), so the second
    callback after rework is a new row and the first one's answer is kept."""
    assert case.id is not None and case.closed_at is not None
    if not needs_callback(case.kind, case.id, community.policy):
        return False
    await uow.callbacks.schedule(case.id, case.rework_round + 1, callback_due(case.closed_at, community.policy))
    return True

