"""Moving a case to another community of the company, in the private chat:

    /move 12                      which community (a button for each other one the person serves), then why
    /move 12 dongyuan [原因]       straight to that community (code, name or number), asking why if not said

The case must have been filed in the wrong community (an owner picked the wrong home, the
counter typed it into the wrong one).  `services.casework.move_to_community` re-checks the
right to transfer it here and to work on it there on every step; the new case's team and
duty group are alerted there, the old card says where it went, the owner hears the new number.
"""

from __future__ import annotations

from enum import StrEnum

from cases.errors import InvalidInput
from cases.lifecycle import MOVABLE_ELSEWHERE
from cases.records import Community
from handlers.kit import flow as flows
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Inbound
from handlers.kit.numbers import CASE_NUMBER_MAX, parse_int
from handlers.owner.communities import find
from handlers.staff.common import act, may_act
from services import casework
from services.events import CaseMoved


class S(StrEnum):
    COMMUNITY = "community"
    REASON = "reason"


async def move_command(ctx: Ctx, arg: str) -> None:
    parts = arg.split(maxsplit=2)
    case_id = parse_int(parts[0].lstrip("#＃"), lo=1, hi=CASE_NUMBER_MAX) if parts else None
    if case_id is None:
        ctx.say(ctx.t("movecase.usage"))
        return
    if await may_act(ctx, case_id, worker=True, allowed=tuple(MOVABLE_ELSEWHERE), say=True) is None:
        return
    targets = await _targets(ctx)
    if not targets:
        ctx.say(ctx.t("movecase.nowhere", id=case_id))
        return
    if len(parts) == 1:
        await flows.begin(ctx, FLOW, case_id=case_id)
        return
    target = find(targets, parts[1])
    if target is None:
        ctx.say(ctx.t("movecase.unknown_community", names="、".join(f"{c.name}（{c.code}）" for c in targets)))
        return
    if len(parts) == 3:
        await _move(ctx, case_id, target.code, parts[2][:casework.MAX_REASON])
        return
    await flows.begin(ctx, FLOW, at=S.REASON, case_id=case_id, to=target.code, name=target.name)


async def _targets(ctx: Ctx) -> list[Community]:
    """The other communities this person is staff in (the service decides the rest)."""
    me = ctx.identity.staff_id
    if me is None:
        return []
    return [c for c in await ctx.uow.directory.communities()
            if c.id != ctx.community.id and await ctx.uow.directory.staff_in(c.id, me) is not None]


async def _in_case_community(ctx: Ctx) -> None:
    """Answers typed in the private chat arrive in the community the conversation is in;
    the move acts in the case's, as the person's row there."""
    community = await ctx.uow.directory.community_of_case(int(ctx.data["case_id"]))
    if community is not None and community.id != ctx.community.id:
        await ctx.enter(community)


async def ask_community(ctx: Ctx) -> None:
    buttons = [choice(ctx, c.name, c.code) for c in await _targets(ctx)]
    grid = tuple(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2))
    ctx.say(ctx.t("movecase.ask_community", id=ctx.data["case_id"]), (*grid, nav_row(ctx, back=False)))


async def answer_community(ctx: Ctx, inbound: Inbound) -> None:
    await _in_case_community(ctx)
    targets = await _targets(ctx)
    target = next((c for c in targets if c.code == ctx.picked), None) if ctx.picked else \
        find(targets, (inbound.text or "")[:100])
    if target is None:
        ctx.say(ctx.t("staff.use_buttons"))
        return
    ctx.data.update(to=target.code, name=target.name)
    await flows.goto(ctx, FLOW, S.REASON)


async def ask_reason(ctx: Ctx) -> None:
    ctx.say(ctx.t("movecase.ask_reason", id=ctx.data["case_id"], community=ctx.data["name"]), (nav_row(ctx),))


async def answer_reason(ctx: Ctx, inbound: Inbound) -> None:
    reason = text_of(ctx, inbound, max_len=casework.MAX_REASON)
    if reason is None:
        return
    await _in_case_community(ctx)
    case_id, to = int(ctx.data["case_id"]), str(ctx.data["to"])
    flows.end(ctx)
    await _move(ctx, case_id, to, reason)


async def _move(ctx: Ctx, case_id: int, to: str, reason: str) -> None:
    try:
        events = await act(ctx, casework.move_to_community, case_id, say=True, to=to, reason=reason)
    except InvalidInput as refusal:
        key = "movecase.no_service" if "kind" in refusal.details else "movecase.usage"
        ctx.say(ctx.t(key, id=case_id))
        return
    moved = next((e for e in events or () if isinstance(e, CaseMoved)), None)
    if moved is not None:
        ctx.say(ctx.t("movecase.done", id=case_id, to_id=moved.to_case.id, community=moved.to.name))


FLOW = Flow("staff_move", S.COMMUNITY, {
    S.COMMUNITY: Step(ask_community, answer_community),
    S.REASON: Step(ask_reason, answer_reason),
}, needs_owner=False)
