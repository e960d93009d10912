"""The duty roster as it stands, and the changes supervisors make to it in chat or the
console.

The community file gives the weekly pattern and its exceptions; the changes (who is put
on duty or taken off for a span of hours) are kept in the database, per community, and
layered over the file by `cases.roster.Roster.with_changes` (a later change wins).
Whoever asks "who is on duty" — dispatch, `/duty`, the console — reads them afresh in
its own unit of work, so a change made in one process counts in every other at once.
Reloading the community file keeps them (they end with their spans) unless the file says
`roster: {clear_changes: true}`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cases.errors import InvalidInput, NotAllowed
from cases.records import Community
from cases.roster import Roster
from services import access
from services.actors import Actor
from services.events import DutyChanged, DutySpan, Event
from storage.uow import UnitOfWork

log = logging.getLogger("wuye.roster")

# A night shift started the day before still covers the small hours; a change is read
# if it meets this window around the moment asked about.
AROUND = timedelta(days=2)
# How far ahead a change may be made, and how long one change may last.
MAX_AHEAD = timedelta(days=60)
MAX_SPAN = timedelta(days=14)
WEEK = 7


@dataclass(frozen=True, slots=True)
class Edit:
    """What a front end asks for: staff member `staff_id` on (or off) for [start, end), local."""

    staff_id: int
    on: bool
    start: datetime
    end: datetime


# What a supervisor asks for: someone replaced (two edits), someone away, someone added.
SWAP, OFF, ON = "swap", "off", "on"
OPS = (SWAP, OFF, ON)


def edits_for(op: str, who: int, start: datetime, end: datetime, replacement: int | None = None) -> list[Edit]:
    """The edits an operation means: a swap puts `replacement` on and takes `who` off."""
    if op == SWAP:
        if replacement is None or replacement == who:
            raise InvalidInput("a swap needs someone else", field="with")
        return [Edit(replacement, True, start, end), Edit(who, False, start, end)]
    if op not in OPS:
        raise InvalidInput(f"no operation {op!r}", field="op")
    return [Edit(who, op == ON, start, end)]


def local_now(community: Community, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(community.policy.timezone)).replace(tzinfo=None)


async def roster_between(uow: UnitOfWork, community: Community, start: datetime, end: datetime) -> Roster:
    """The file's roster with every change meeting [start, end) (aware times)."""
    changes = await uow.roster.overlapping(community.id, start - AROUND, end + AROUND, community.policy.timezone)
    return community.policy.dispatch.roster.with_changes(changes)


async def roster_at(uow: UnitOfWork, community: Community, now: datetime) -> Roster:
    """The roster to ask about `now` (dispatch and `/duty`)."""
    return await roster_between(uow, community, now, now)


async def roster_of_day(uow: UnitOfWork, community: Community, day: date) -> Roster:
    """The roster with the changes meeting a local calendar day (and the nights around it)."""
    start = datetime.combine(day, time(), tzinfo=ZoneInfo(community.policy.timezone))
    return await roster_between(uow, community, start, start + timedelta(days=1))


async def week_of(uow: UnitOfWork, community: Community, now: datetime) -> tuple[Roster, list[date]]:
    """The roster for the week from today (the community's calendar), and its days."""
    today = local_now(community, now).date()
    return await roster_between(uow, community, now, now + timedelta(days=WEEK + 1)), \
        [today + timedelta(days=i) for i in range(WEEK)]


async def change_duty(uow: UnitOfWork, community: Community, actor: Actor, now: datetime, *,
                      edits: Sequence[Edit]) -> list[Event]:
    """Save the edits (one swap is two) as roster changes: the actor must oversee the team of
    each person moved; each person must be active staff of this community; spans must end
    in the future, within MAX_AHEAD, and last at most MAX_SPAN.  All or nothing."""
    boss = await access.staff_of(uow, actor)
    if not edits:
        raise InvalidInput("no change", field="edits")
    here = local_now(community, now)
    zone = ZoneInfo(community.policy.timezone)
    members = {s.id: s for s in await uow.directory.staff_list(community.id)}
    spans = []
    for edit in edits:
        target = members.get(edit.staff_id)
        if target is None or not target.active:
            raise InvalidInput(f"no active staff member {edit.staff_id}", field="staff", staff=str(edit.staff_id))
        if not access.oversees(boss, target.team):
            raise NotAllowed(f"{boss.role} does not oversee {target.team}", reason=access.NOT_SUPERVISOR,
                             team=target.team)
        if not (edit.start < edit.end and edit.end > here and edit.start < here + MAX_AHEAD
                and edit.end - edit.start <= MAX_SPAN):
            raise InvalidInput(f"span {edit.start}–{edit.end} refused", field="span")
        spans.append(DutySpan(target.id, target.name, target.team, edit.on, edit.start, edit.end))
    for span in spans:
        await uow.roster.add(community.id, staff_id=span.staff_id, on=span.on,
                             start=span.start.replace(tzinfo=zone), end=span.end.replace(tzinfo=zone), made_at=now,
                             made_by=boss.id, via=actor.via)
        # Staff ids only: the log never needs a name.
        log.info("duty change by staff %s via %s: staff %s %s %s–%s", boss.id, actor.via, span.staff_id,
                 "on" if span.on else "off", span.start.isoformat(timespec="minutes"),
                 span.end.isoformat(timespec="minutes"))
    return [DutyChanged(actor=actor, at=now, by=boss.id, by_name=boss.name, spans=tuple(spans))]
