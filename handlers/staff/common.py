"""What every staff action shares: re-authorising the press, polite refusals, and messages
to staff members' private chats.

A button proves nothing about who pressed it: every press loads the case afresh and asks
`cases.permissions` whether this person may act on it now.  A refusal changes nothing
and says why, as the button's toast (a group chat is no place to answer a stranger).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from cases.errors import DeskError, NotAllowed, NotFound
from cases.lifecycle import WORKING, Case, Status
from cases.permissions import StaffMember
from handlers.kit.acting import actor_of
from handlers.kit.announcers import announce
from handlers.kit.cards import staff_name
from handlers.kit.context import Ctx
from handlers.kit.formatting import code_name
from services import access
from services.errors import WrongStatus
from services.events import Event

# A case service: (uow, community, case id, actor, now, **fields) -> events.
Service = Callable[..., Awaitable[list[Event]]]


def refuse(ctx: Ctx, key: str, *, say: bool = False, **fields: object) -> None:
    """Tell the person why not: the toast of a press, a message for a typed command (or `say`)."""
    text = ctx.t(key, **fields)
    if ctx.inbound.payload is not None:
        ctx.answer = text
    if say or ctx.inbound.payload is None:
        ctx.say(text)


async def refused(ctx: Ctx, refusal: DeskError, *, say: bool = False) -> None:
    """Tell a staff member why the services said no, in the words of the catalogue."""
    if isinstance(refusal, WrongStatus) and refusal.staff is not None:
        await wrong_status(ctx, refusal.case, refusal.staff, say=say)
    elif isinstance(refusal, NotFound):
        refuse(ctx, "staff.no_case", say=say, id=refusal.details.get("case_id", "?"))
    elif isinstance(refusal, NotAllowed):
        reason, case = refusal.details.get("reason"), refusal.details.get("case")
        if reason == access.OTHER_TEAM and isinstance(case, Case):
            refuse(ctx, "staff.other_team", say=say, id=case.id, team=code_name(ctx.locale, "team", case.team_code))
        elif reason == access.NOT_ASSIGNEE and isinstance(case, Case):
            refuse(ctx, "staff.not_assignee", say=say, id=case.id, name=await staff_name(ctx.uow, case.assignee_id))
        elif reason == access.NOT_THERE:
            refuse(ctx, "movecase.not_there", say=say, community=refusal.details.get("community", "?"),
                   team=code_name(ctx.locale, "team", str(refusal.details.get("team", ""))))
        elif reason == access.INACTIVE:
            refuse(ctx, "staff.inactive", say=say)
        else:
            refuse(ctx, "staff.only_staff", say=say)
    else:
        raise refusal


async def act(ctx: Ctx, service: Service, case_id: int, /, *, say: bool = False, **fields: Any) -> list[Event] | None:
    """The staff-press preamble, once: the service acts as this person (authorising them
    against the case afresh); a refusal is told politely and None returned; what happened
    is announced (`handlers.announcers`) and the events returned for the step to say its part."""
    try:
        events = await service(ctx.uow, ctx.community, case_id, actor_of(ctx), ctx.now, **fields)
    except (NotAllowed, NotFound, WrongStatus) as refusal:
        await refused(ctx, refusal, say=say)
        return None
    for reply in await announce(ctx.uow, ctx.community, events, ctx.now):
        ctx.send(reply)
    return events


async def may_act(ctx: Ctx, case_id: int, *, worker: bool = False, working: bool = False,
                  allowed: tuple[str, ...] = (), say: bool = False) -> tuple[Case, StaffMember] | None:
    """Before a step asks its questions (finish, hand back, transfer): may this person act
    on the case now?  None after telling them why not.  The service asks again at the end."""
    try:
        case, staff = await access.staff_on_case(ctx.uow, ctx.community, case_id, actor_of(ctx), worker=worker)
        if working or allowed:
            access.require("act on", case, staff, *(allowed or tuple(WORKING)))
    except (NotAllowed, NotFound, WrongStatus) as refusal:
        await refused(ctx, refusal, say=say)
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
    elif case.status == Status.MOVED:
        went = case.details.get("moved_to") or {}
        refuse(ctx, "movecase.state_moved", say=say, id=case.id, community=went.get("name", "?"),
               to_id=went.get("case", "?"))
    else:
        refuse(ctx, "staff.state_ended", say=say, id=case.id)


async def in_each_community(ctx: Ctx, body: Callable[[Ctx], Awaitable[None]], *, all_mine: bool = False) -> None:
    """Run a staff command that names no case in every community it covers: in a group
    serving one team in several communities (a regional team), each of them in which this
    person is staff; with `all_mine` (/my), each community they are staff in, wherever
    typed; otherwise the one the conversation is in.  Each answer is headed by its
    community's name when there is more than one."""
    mine = [c for c in await ctx.uow.directory.communities_of(ctx.inbound.channel, ctx.inbound.user_id)
            if (i := await ctx.uow.directory.identity(ctx.inbound.channel, ctx.inbound.user_id, c.id)) is not None
            and i.staff_id is not None]
    if ctx.inbound.is_group:
        served = {c for c, _ in await ctx.uow.directory.teams_of_chat(ctx.inbound.channel, ctx.inbound.chat_id)}
        covered = [c for c in mine if c.id in served]
    else:
        covered = mine if all_mine else []
    if len(covered) <= 1:
        await body(ctx)
        return
    for community in covered:
        await ctx.enter(community)
        ctx.say(ctx.t("communities.board_of", community=community.name))
        await body(ctx)
