"""Who may do what to a case: every service asks here, once, on the server.

A button, a console click or a phone note proves nothing by itself: each service loads
the case afresh and checks the actor against it (`cases.permissions` holds the rules).
A refusal raises a `cases.errors` error whose details say why, and nothing is changed;
the front end picks its words from `reason`.
"""

from __future__ import annotations

from cases.codes import SUPERVISOR_ROLES
from cases.errors import NotAllowed, NotFound
from cases.lifecycle import MOVABLE_ELSEWHERE, WORKING, Case, Status
from cases.permissions import StaffMember, may_work_on
from cases.records import Community
from services.actors import Actor
from services.errors import WrongStatus
from storage.uow import UnitOfWork

# NotAllowed.details["reason"]: why the person may not act.
NOT_STAFF = "not_staff"  # not a staff member at all
INACTIVE = "inactive"  # a staff member no longer active
OTHER_TEAM = "other_team"  # staff of a team the case is not with
NOT_ASSIGNEE = "not_assignee"  # someone else works on it, and the actor does not oversee them
NOT_OWNER = "not_owner"  # another owner's case, or another chat's
NOT_SUPERVISOR = "not_supervisor"
ROLE = "role"  # the actor's role may not do this
NOT_THERE = "not_there"  # no row in the other community, or not for the team that would take the case there


def oversees(staff: StaffMember, team: str) -> bool:
    """A supervisor over the team: may act for the assignee."""
    return staff.role in SUPERVISOR_ROLES and may_work_on(staff, team)


async def staff_of(uow: UnitOfWork, actor: Actor) -> StaffMember:
    """The active staff member acting, or NotAllowed."""
    if actor.kind != "staff" or actor.id is None:
        raise NotAllowed("only staff may do this", reason=NOT_STAFF)
    member = await uow.directory.staff(actor.id)
    if member is None or not member.active:  # removed from the register, or no longer active
        raise NotAllowed(f"staff member {actor.id} is no longer active", reason=INACTIVE)
    return member


async def case_of(uow: UnitOfWork, community: Community, case_id: int) -> Case:
    """The case, if it exists in this community (another community's number reads as unknown)."""
    case = await uow.cases.get(case_id)
    if case is None or case.community_id != community.id:
        raise NotFound(f"case {case_id}", case_id=case_id)
    return case


async def staff_here(uow: UnitOfWork, community: Community, staff_id: int) -> bool:
    """Whether this staff row is one of this community's (a person serving several communities
    has one row in each, and acts in a community only through that community's row)."""
    return await uow.directory.community_id_of(staff_id=staff_id) == community.id


def check_worker(staff: StaffMember, case: Case, *, worker: bool) -> None:
    """Staff of the case's team (or their supervisors); `worker`: once someone has the case,
    only they or a supervisor (start, finish, transfer, hand back)."""
    if not may_work_on(staff, case.team_code):
        raise NotAllowed(f"case {case.id} is with {case.team_code}", reason=OTHER_TEAM, case=case, team=case.team_code)
    if worker and case.assignee_id not in (None, staff.id) and not oversees(staff, case.team_code):
        raise NotAllowed(f"case {case.id} is {case.assignee_id}'s", reason=NOT_ASSIGNEE, case=case,
                         assignee=case.assignee_id)


async def staff_on_case(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, *,
                        worker: bool = False) -> tuple[Case, StaffMember]:
    """The case and the staff member entitled to act on it, or a refusal."""
    staff = await staff_of(uow, actor)
    case = await case_of(uow, community, case_id)
    check_worker(staff, case, worker=worker)
    return case, staff


def require(action: str, case: Case, staff: StaffMember | None, *allowed: Status) -> None:
    if case.status not in allowed:
        raise WrongStatus(action, case, staff)


def owns(case: Case, actor: Actor) -> bool:
    """A case belongs to its owner; when nobody was bound (an emergency from a stranger, a
    question), to the chat that reported it."""
    if actor.kind != "owner":
        return False
    if case.owner_id is not None:
        return actor.id == case.owner_id
    return bool(actor.chat_id) and (actor.channel, actor.chat_id) == (case.reporter_channel, case.reporter_chat_id)


async def owners_case(uow: UnitOfWork, community: Community, case_id: int, actor: Actor) -> Case:
    case = await case_of(uow, community, case_id)
    if not owns(case, actor):
        raise NotAllowed(f"case {case_id} is not this person's", reason=NOT_OWNER)
    return case


async def working_case(uow: UnitOfWork, community: Community, case_id: int, actor: Actor,
                       action: str) -> tuple[Case, StaffMember]:
    """`staff_on_case` for the worker, on a case still being worked (accepted or started)."""
    case, staff = await staff_on_case(uow, community, case_id, actor, worker=True)
    require(action, case, staff, *WORKING)
    return case, staff


# ----------------------------------------------------------------- moving a case to another community
async def staff_moving(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, target: Community,
                       team: str) -> tuple[Case, StaffMember, StaffMember]:
    """Staff move a case to another community only with the right to transfer it in both:
    here as for a transfer (its team while it waits, then its worker or a supervisor), and
    there through their own row for the team that will take it (a regional or head-office
    person; a butler of one community cannot push cases into another)."""
    case, staff = await staff_on_case(uow, community, case_id, actor, worker=True)
    require("move", case, staff, *MOVABLE_ELSEWHERE)
    there = await uow.directory.staff_in(target.id, staff.id)
    if there is None or not may_work_on(there, team):
        raise NotAllowed(f"staff {staff.id} may not take {team} cases in {target.code}", reason=NOT_THERE,
                         community=target.name, team=team)
    return case, staff, there


async def owner_moving(uow: UnitOfWork, community: Community, case_id: int, actor: Actor, target: Community,
                       room_id: int | None) -> tuple[Case, int | None]:
    """An owner moves their own case to a home of theirs in another community (their owner
    row there is returned); a reporter who never bound (a stranger's emergency) to a place
    there, never to a room."""
    case = await owners_case(uow, community, case_id, actor)
    require("move", case, None, *MOVABLE_ELSEWHERE)
    if case.owner_id is None and room_id is None:
        return case, None
    there = await uow.directory.identity(actor.channel, actor.user_id, target.id)
    owner = await uow.directory.owner(there.owner_id) if there is not None and there.owner_id is not None else None
    if case.owner_id is None or owner is None or room_id not in {r.id for r in owner.rooms}:
        raise NotAllowed(f"room {room_id} is not this person's home in {target.code}", reason=NOT_OWNER)
    return case, owner.id
