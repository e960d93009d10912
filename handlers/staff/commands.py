"""Staff commands in the private chat: /my (my open cases), /team (my team's open cases),
/case N (one case with its timeline), each with buttons to act.

Answers always go to the private chat, even when typed in a group: a case's owner
details are for the people working on it.
"""

from __future__ import annotations

from datetime import datetime

from cases.codes import SUPERVISOR_ROLES
from cases.lifecycle import WORKING, Case, Status
from cases.permissions import StaffMember, may_work_on
from cases.records import TimelineItem
from handlers.kit.cards import card_buttons, card_text, staff_status, time_left, where_of
from handlers.kit.context import Ctx
from handlers.kit.formatting import code_name, local_time, money
from handlers.kit.messages import Button
from handlers.kit.numbers import CASE_NUMBER_MAX, parse_int
from handlers.kit.payloads import CaseAction
from handlers.staff.common import in_each_community, refuse

MAX_LISTED = 20
MAX_TIMELINE = 20


async def _staff_or_refuse(ctx: Ctx) -> StaffMember | None:
    staff = await ctx.staff()
    if staff is None:
        refuse(ctx, "staff.inactive" if ctx.identity.staff_id is not None else "staff.only_staff")
    return staff


async def my_cases(ctx: Ctx, _: str) -> None:
    """The cases I work on, and the ones I took first and still answer for (首问), in every
    community I work in."""
    if await ctx.staff() is None and await ctx.owner() is not None and "my_cases" in ctx.routes.flows:
        # An owner typing /my means their own cases.
        await ctx.routes.start_entry(ctx, "my_cases")
        return
    await in_each_community(ctx, _my_cases, all_mine=True)


async def _my_cases(ctx: Ctx) -> None:
    staff = await _staff_or_refuse(ctx)
    if staff is None:
        return
    mine = await ctx.uow.cases.assigned_to(staff.id)
    seen = {c.id for c in mine}
    followed = [c for c in await ctx.uow.cases.first_responded_by(staff.id) if c.id not in seen]
    if not mine and not followed:
        ctx.say(ctx.t("staff.my_none"))
        return
    lines = [ctx.t("staff.my_title", n=len(mine))]
    lines += [await _line(ctx, c) for c in mine[:MAX_LISTED]]
    if followed:
        lines.append(ctx.t("staff.my_followed", n=len(followed)))
        lines += [await _line(ctx, c, team=True) for c in followed[:MAX_LISTED]]
    ctx.say("\n".join(lines), _show_buttons(ctx, [*mine[:MAX_LISTED], *followed[:MAX_LISTED]]))


async def team_cases(ctx: Ctx, arg: str) -> None:
    """My team's open cases; a supervisor may name another team they oversee (/team 秩序部).
    Typed in a regional team's group: for each community it serves."""
    await in_each_community(ctx, lambda each: _team_cases(each, arg))


async def _team_cases(ctx: Ctx, arg: str) -> None:
    staff = await _staff_or_refuse(ctx)
    if staff is None:
        return
    team = staff.team
    if arg:
        teams = {info.code: info.name for info in await ctx.uow.directory.teams(ctx.community.id)}
        wanted = next((code for code, name in teams.items()
                       if arg.strip().lower() in (code, name.lower(), code_name(ctx.locale, "team", code).lower())), None)
        if wanted is None:
            ctx.say(ctx.t("staff.team_unknown", name=arg.strip()[:30],
                          teams="、".join(code_name(ctx.locale, "team", c) for c in teams)))
            return
        if not may_work_on(staff, wanted):
            refuse(ctx, "staff.team_not_yours", team=code_name(ctx.locale, "team", wanted))
            return
        team = wanted
    cases = await ctx.uow.cases.open_for_team(team, community_id=ctx.community.id)
    name = code_name(ctx.locale, "team", team)
    if not cases:
        ctx.say(ctx.t("staff.team_none", team=name))
        return
    waiting = sum(1 for c in cases if c.status == Status.DISPATCHED)
    lines = [ctx.t("staff.team_title", team=name, n=len(cases), waiting=waiting)]
    lines += [await _line(ctx, c, worker=True) for c in cases[:MAX_LISTED]]
    ctx.say("\n".join(lines), _show_buttons(ctx, cases[:MAX_LISTED]))


async def case_command(ctx: Ctx, arg: str) -> None:
    """/case 12: the case, its timeline, and the buttons to act."""
    if await _staff_or_refuse(ctx) is None:
        return
    number = arg.strip().lstrip("#")
    case_id = parse_int(number, hi=CASE_NUMBER_MAX)
    if case_id is None:
        ctx.say(ctx.t("staff.case_usage"))
        return
    await show_case(ctx, case_id)


async def show_pressed(ctx: Ctx, pressed: CaseAction) -> None:
    """A "#12" button of a list: the same view as /case 12, in the private chat."""
    if await _staff_or_refuse(ctx) is None:
        return
    ctx.answer = ""
    await show_case(ctx, pressed.case_id)


async def show_case(ctx: Ctx, case_id: int) -> None:
    staff = await ctx.staff()
    assert staff is not None
    case = await ctx.uow.cases.get(case_id)
    if case is None or case.community_id != ctx.community.id:
        refuse(ctx, "staff.no_case", id=case_id)
        return
    works_on = may_work_on(staff, case.team_code)
    # Supervisors and managers look at any case; others at their team's and the ones they took first.
    if not (works_on or staff.role in SUPERVISOR_ROLES or case.first_responder_id == staff.id):
        refuse(ctx, "staff.other_team", id=case.id, team=code_name(ctx.locale, "team", case.team_code))
        return
    # The owner's full contact only for whoever answers for the case.
    private = staff.id in (case.assignee_id, case.first_responder_id) or staff.role in SUPERVISOR_ROLES
    text = await card_text(ctx.uow, case, ctx.policy, ctx.now, private=private)
    timeline = (await ctx.uow.cases.timeline(case.id or 0))[-MAX_TIMELINE:]
    lines = [text, ctx.t("staff.timeline_title")] + [await _event(ctx, item) for item in timeline]
    ctx.say("\n".join(lines), card_buttons(case) if works_on else ())


# ----------------------------------------------------------------- formatting
async def _line(ctx: Ctx, case: Case, *, team: bool = False, worker: bool = False) -> str:
    due = case.response_due_at if case.status == Status.DISPATCHED else case.completion_due_at
    left = time_left(due, ctx.now) if case.status == Status.DISPATCHED or case.status in WORKING else ""
    parts = [f"#{case.id}", code_name(ctx.locale, "category", case.category) if case.category
             else code_name(ctx.locale, "kind", case.kind), await where_of(ctx.uow, case) or "-", staff_status(case.status)]
    if team:
        parts.append(code_name(ctx.locale, "team", case.team_code))
    if worker and case.assignee_id:
        member = await ctx.uow.directory.staff(case.assignee_id)
        parts.append(member.name if member else "?")
    if left:
        parts.append(left)
    mark = "🚨 " if case.urgency == "emergency" else ""
    return mark + " · ".join(parts)


def _show_buttons(ctx: Ctx, cases: list[Case]) -> tuple[tuple[Button, ...], ...]:
    buttons = [ctx.button(ctx.t("staff.btn_show", id=c.id), CaseAction("show", c.id or 0)) for c in cases]
    return tuple(tuple(buttons[i:i + 4]) for i in range(0, len(buttons), 4))


async def _event(ctx: Ctx, item: TimelineItem) -> str:
    try:
        action = ctx.t(f"staff.tl_{item.action}")
    except KeyError:
        action = item.action  # an entry another part of the desk added; its code is still readable
    if item.actor_kind == "staff" and item.actor_id is not None:
        member = await ctx.uow.directory.staff(item.actor_id)
        who = member.name if member else "?"
    else:
        who = ctx.t(f"staff.actor_{item.actor_kind}") if item.actor_kind in ("owner", "system") else item.actor_kind
    extra = _event_detail(ctx, item)
    return ctx.t("staff.timeline_line", at=_short(ctx, item.at), action=action, who=who, extra=extra)


def _event_detail(ctx: Ctx, item: TimelineItem) -> str:
    bits = []
    if item.action == "transferred":
        bits.append(ctx.t("staff.tl_route", src=code_name(ctx.locale, "team", item.data.get("from", "")),
                          dst=code_name(ctx.locale, "team", item.data.get("to", ""))))
    elif item.action == "dispatched":
        bits.append(code_name(ctx.locale, "team", item.data.get("team", "")))
    elif item.action == "escalated":
        bits.append(ctx.t("staff.tl_level", level=item.data.get("level", "?")))
    elif item.action == "done" and item.data.get("fee_cents"):
        bits.append(ctx.t("staff.tl_fee", fee=money(int(item.data["fee_cents"]), ctx.locale)))
    if item.note:
        bits.append(item.note[:120])
    return ctx.t("staff.tl_extra", text=ctx.t("staff.tl_join").join(bits)) if bits else ""


def _short(ctx: Ctx, when: datetime) -> str:
    return local_time(when, ctx.policy, ctx.locale)
