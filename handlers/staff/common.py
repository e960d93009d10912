"""What every staff action shares: re-authorising the press, polite refusals, and messages
to staff members' private chats.

A button proves nothing about who pressed it: every press loads the case afresh and asks
`cases.permissions` whether this person may act on it now.  A refusal changes nothing
and says why, as the button's toast (a group chat is no place to answer a stranger).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cases.codes import SUPERVISOR_ROLES
from cases.lifecycle import WORKING, Case, Status
from cases.permissions import StaffMember, may_work_on
from cases.policy import DeskPolicy
from cases.records import Community
from cases.routing import supervisor_role_for
from handlers.kit.cards import staff_name
from handlers.kit.context import Ctx
from handlers.kit.formatting import code_name, local_time
from handlers.kit.i18n import t
from handlers.kit.messages import Button, Reply
from storage.uow import UnitOfWork

Keyboard = tuple[tuple[Button, ...], ...]


def refuse(ctx: Ctx, key: str, *, say: bool = False, **fields: object) -> None:
    """Tell the person why not: the toast of a press, a message for a typed command (or `say`)."""
    text = ctx.t(key, **fields)
    if ctx.inbound.payload is not None:
        ctx.answer = text
    if say or ctx.inbound.payload is None:
        ctx.say(text)


def oversees(staff: StaffMember, team: str) -> bool:
    """A supervisor over the team: may act for the assignee."""
    return staff.role in SUPERVISOR_ROLES and may_work_on(staff, team)


async def acting_on(ctx: Ctx, case_id: int, *, worker: bool = False, say: bool = False) -> tuple[Case, StaffMember] | None:
    """The case and the staff member acting on it, or None after a refusal.

    Registered, active staff of the team the case is with (or their supervisors) may act;
    `worker`: once someone has the case, only they or a supervisor (start, finish,
    transfer, hand back).  Checked again at the moment of change, not only at the press.
    """
    staff = await ctx.staff()
    if staff is None:
        refuse(ctx, "staff.inactive" if ctx.identity.staff_id is not None else "staff.only_staff", say=say)
        return None
    case = await ctx.uow.cases.get(case_id)
    if case is None or case.community_id != ctx.community.id:
        refuse(ctx, "staff.no_case", say=say, id=case_id)
        return None
    if not may_work_on(staff, case.team_code):
        refuse(ctx, "staff.other_team", say=say, id=case.id, team=code_name(ctx.locale, "team", case.team_code))
        return None
    if worker and case.assignee_id not in (None, staff.id) and not oversees(staff, case.team_code):
        refuse(ctx, "staff.not_assignee", say=say, id=case.id, name=await staff_name(ctx.uow, case.assignee_id))
        return None
    return case, staff


async def wrong_status(ctx: Ctx, case: Case, staff: StaffMember, *, say: bool = False) -> None:
    """The button no longer fits the case (pressed twice, an old card, someone was quicker)."""
    if case.status in WORKING and case.assignee_id == staff.id:
        key = "staff.state_mine" if case.status == Status.ACCEPTED else "staff.state_mine_started"
        refuse(ctx, key, say=say, id=case.id)
    elif case.status in WORKING:
        refuse(ctx, "staff.state_taken", say=say, id=case.id, name=await staff_name(ctx.uow, case.assignee_id))
    elif case.status in (Status.OPEN, Status.DISPATCHED):
        refuse(ctx, "staff.state_waiting", say=say, id=case.id)
    elif case.status == Status.DONE:
        refuse(ctx, "staff.state_done", say=say, id=case.id)
    elif case.status == Status.CANCELLED:
        refuse(ctx, "staff.state_cancelled", say=say, id=case.id)
    else:
        refuse(ctx, "staff.state_ended", say=say, id=case.id)


async def working_case(ctx: Ctx, case_id: int, *, say: bool = False) -> tuple[Case, StaffMember] | None:
    """`acting_on` for the worker, on a case still being worked (accepted or started);
    None after telling the person why not."""
    found = await acting_on(ctx, case_id, worker=True, say=say)
    if found is None:
        return None
    case, staff = found
    if case.status not in WORKING:
        await wrong_status(ctx, case, staff, say=say)
        return None
    return found


# ----------------------------------------------------------------- telling people
def team_name(code: str) -> Callable[[str], str]:
    """A team's display name in whichever language the reader uses (for `owner_replies`)."""
    return lambda locale: code_name(locale, "team", code)


def at(when: datetime | None, policy: DeskPolicy) -> Callable[[str], str]:
    return lambda locale: local_time(when, policy, locale)


async def to_staff(uow: UnitOfWork, staff_id: int, key: str, buttons: Keyboard = (), /, **fields: object) -> list[Reply]:
    """A private message to a staff member, in each chat they use and in their language."""
    return [Reply(i.channel, i.chat_id, t(i.locale, key, **fields), buttons)
            for i in await uow.directory.chats_of(staff_id=staff_id)]


async def supervisors(uow: UnitOfWork, community: Community, team: str) -> list[StaffMember]:
    """Who a team's late or stuck case goes to first (`cases.routing.supervisor_role_for`)."""
    return await uow.directory.staff_list(community.id, role=supervisor_role_for(team))


async def tell_first_responder(ctx: Ctx, case: Case, key: str, **fields: object) -> None:
    """首问责任制: whoever took the case first follows it to the end, even in another team's hands."""
    acting = await ctx.staff()
    if case.first_responder_id is None or (acting is not None and acting.id == case.first_responder_id):
        return
    for reply in await to_staff(ctx.uow, case.first_responder_id, key, id=case.id, **fields):
        ctx.send(reply)
