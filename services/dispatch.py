"""Who works on a case: dispatching an open case to a team, a supervisor assigning it to
a named staff member (or accepting on someone's behalf), and the escalation of late cases
that the scheduler runs.

Escalation is safe to run as often as the scheduler likes: a level is recorded once
(`case.escalation_level`), an emergency's repeat once per period (`details["last_alert_at"]`);
a case someone changes at that very moment is left for the next run.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from cases import assignment
from cases.dispatch_modes import Decision, Member, choose
from cases.errors import InvalidInput, NotAllowed, StaleCase
from cases.lifecycle import WORKING, Case, Status
from cases.permissions import may_work_on
from cases.records import Community
from cases.roster import Roster
from services import access, roster
from services.actors import SYSTEM, Actor
from services.events import (
    CaseAccepted, CaseAssigned, CaseDispatched, CaseEscalated, CaseOffered, EmergencyRepeated, Event, OfferLapsed,
)
from services.saving import save
from storage.uow import UnitOfWork

log = logging.getLogger("wuye.escalation")


async def dispatch(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                   team: str) -> list[Event]:
    """Hand a case still open (taken at the office, not yet routed) to a team: a supervisor's call."""
    staff = await access.staff_of(uow, actor)
    case = await access.case_of(uow, community, case_id)
    if not access.oversees(staff, team):
        raise NotAllowed(f"{staff.role} does not oversee {team}", reason=access.NOT_SUPERVISOR, team=team)
    if team not in {info.code for info in await uow.directory.teams(community.id)}:
        raise InvalidInput(f"no team {team!r}", team=team)
    access.require("dispatch", case, staff, Status.OPEN)
    case.dispatch(team, now, community.policy, by=actor.recorded)
    await save(uow, case, actor)
    return [CaseDispatched(actor=actor, at=now, case=case, team=team)]


async def assign(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                 to: str | int) -> list[Event]:
    """"Assign case N to 王强": a supervisor over the case's team gives it to a named member
    of staff who may work on it.  A waiting case is accepted on their behalf (they become
    its first responder if nobody was); a case someone else works on is handed back first."""
    boss = await access.staff_of(uow, actor)
    case = await access.case_of(uow, community, case_id)
    if not access.oversees(boss, case.team_code):
        raise NotAllowed(f"{boss.role} does not oversee {case.team_code}", reason=access.NOT_SUPERVISOR,
                         team=case.team_code)
    target = (await uow.directory.staff(to) if isinstance(to, int)
              else await uow.directory.staff_by_name(community.id, to))
    if target is not None and isinstance(to, int) and not await access.staff_here(uow, community, target.id):
        target = None  # another community's member of staff (a forged form) reads as unknown
    if target is None or not target.active:
        raise InvalidInput(f"no active staff member {to!r}", staff=str(to))
    if not may_work_on(target, case.team_code):
        raise NotAllowed(f"{target.name} is not of {case.team_code}", reason=access.OTHER_TEAM, team=case.team_code)
    access.require("assign", case, boss, Status.DISPATCHED, *WORKING)
    previous = case.assignee_id
    if previous == target.id:
        return []
    if case.status in WORKING:
        case.hand_back(now, actor.recorded, reason="")
    case.accept(target.id, now)
    await save(uow, case, actor, by=boss.id)
    if previous is None:
        return [CaseAccepted(actor=actor, at=now, case=case, staff_id=target.id, on_behalf=True)]
    return [CaseAssigned(actor=actor, at=now, case=case, staff_id=target.id, previous_assignee=previous)]


async def accept_on_behalf(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, now: datetime, *,
                           of: str | int) -> list[Event]:
    """A supervisor accepts a waiting case for someone (who was phoned, say): only a waiting case."""
    case = await access.case_of(uow, community, case_id)
    access.require("accept", case, None, Status.DISPATCHED)
    return await assign(uow, community, case_id, actor, now, to=of)


async def escalate_overdue(uow: UnitOfWork, community: Community, now: datetime) -> list[Event]:
    """Escalate every case that newly reached a level (1: the team's supervisor, 2: the manager)."""
    events: list[Event] = []
    for case in await uow.cases.past_deadline(now, community_id=community.id, policy=community.policy):
        if case.community_id != community.id or not case.team_code:
            continue
        level = case.escalation_due(now, community.policy)
        if level <= case.escalation_level:
            continue
        late = case.overdue(now) or ""
        # After downtime a case may jump straight to level 2: each level's people still hear of it.
        reached = tuple(range(case.escalation_level + 1, level + 1))
        case.escalate(level, now, reason=late)
        if not await _saved(uow, case):
            continue
        log.warning("case %s overdue (%s): escalated to level %s", case.id, late, level)
        events.append(CaseEscalated(actor=SYSTEM, at=now, case=case, level=level, late=late, levels=reached))
    return events


async def repeat_emergencies(uow: UnitOfWork, community: Community, now: datetime) -> list[Event]:
    """Each unaccepted emergency is announced again once per `policy.emergency_repeat`."""
    events: list[Event] = []
    every = community.policy.emergency_repeat
    for case in await uow.cases.unaccepted_emergencies(community_id=community.id):
        if case.community_id != community.id or not case.team_code or case.created_at is None:
            continue
        last = case.details.get("last_alert_at")
        if now - (datetime.fromisoformat(last) if last else case.created_at) < every:
            continue
        count = int(case.details.get("alerts", 1)) + 1  # the first alert went out when the case opened
        case.details.update(last_alert_at=now.isoformat(), alerts=count)
        case.remark("emergency_repeated", now, SYSTEM.recorded, count=count)
        if not await _saved(uow, case):
            continue
        log.warning("emergency case %s still unaccepted: alert %s", case.id, count)
        events.append(EmergencyRepeated(actor=SYSTEM, at=now, case=case, count=count))
    return events


# ----------------------------------------------------------------- offers (issue 20)
async def decide(uow: UnitOfWork, community: Community, case: Case, now: datetime,
                 duty: Roster | None = None) -> Decision:
    """Whom the community's dispatch rules offer this freshly dispatched case to, by the
    roster as it stands now (`duty`: already read in this unit of work)."""
    building = ""
    if case.room_id is not None and (room := await uow.directory.room_by_id(case.room_id)) is not None:
        building = room.building
    members = [Member(s.id, s.code, s.team, s.role, s.active) for s in await uow.directory.staff_list(community.id)]
    config = replace(community.policy.dispatch, roster=duty if duty is not None else await roster.roster_at(uow, community, now))
    return choose(config, kind=case.kind, category=case.category, urgency=case.urgency,
                  team=case.team_code, building=building, members=members,
                  load=await uow.cases.open_load(community.id), now=now, zone=community.policy.timezone)


async def offer_new(uow: UnitOfWork, community: Community, case: Case, now: datetime) -> list[Event]:
    """Record the offer on a case just dispatched (before it is first saved); the event to
    announce once it has its number, or none when the group grabs it as before."""
    duty = await roster.roster_at(uow, community, now)
    if community.policy.dispatch.rules or not duty.empty:
        if assignment.offer(case, await decide(uow, community, case, now, duty), now):
            offer_ = case.details["offer"]
            return [CaseOffered(actor=SYSTEM, at=now, case=case, staff_id=int(offer_["staff"]), mode=offer_["mode"],
                                until=datetime.fromisoformat(offer_["until"]))]
    return []


async def lapse_offers(uow: UnitOfWork, community: Community, now: datetime) -> list[Event]:
    """Offers nobody answered in time go back to the team's group; a duty offer escalates
    (the scheduler runs this like the deadline check; safe to run as often as it likes)."""
    events: list[Event] = []
    for case in await uow.cases.waiting(community.id):
        if not assignment.lapsed(case, now):
            continue
        offer_ = assignment.lapse(case, now)
        if not await _saved(uow, case):
            continue
        log.warning("case %s: offer to staff %s (%s) unanswered; back to the group", case.id, offer_["staff"],
                    offer_["mode"])
        # A duty offer's lapse is recorded as escalation level 1 (cases.assignment.lapse) and its
        # announcer tells the supervisors; the deadline check then only adds level 2 in time.
        events.append(OfferLapsed(actor=SYSTEM, at=now, case=case, staff_id=int(offer_["staff"]),
                                  mode=str(offer_["mode"])))
    return events


async def _saved(uow: UnitOfWork, case: Case) -> bool:
    try:
        await uow.cases.save(case)
    except StaleCase:
        # Someone acted on it this very moment; the next run sees the new state.
        log.info("case %s changed during the deadline check; left for the next run", case.id)
        return False
    return True
