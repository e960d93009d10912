"""The owner's own cases: the list, one case with its timeline, and what the owner may do
to a case — cancel it before anyone accepted it, confirm finished work (验收), or reject
it with a reason so it goes back to the team.

Every press is re-authorised against the case itself: a case belongs to its owner, or,
when nobody was bound (an emergency from a stranger, a question), to the chat that
reported it.  Anyone else — another owner with a typed or forged case number, a staff
member — is refused and nothing changes.
"""

from __future__ import annotations

from enum import StrEnum

from cases.lifecycle import Case, Status
from cases.privacy import scrub
from cases.records import TimelineItem
from handlers.kit import flow as flows
from handlers.kit.acting import as_owner
from handlers.kit.announcers import announce
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import code_name, local_time, money
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Button, Inbound
from handlers.kit.numbers import CASE_NUMBER_MAX, parse_int
from handlers.kit.payloads import CaseAction, Menu
from services import casework
from services.events import CaseConfirmed, Event
from handlers.owner.additions import add_to_case
from handlers.owner.owned import my_cases, owned_case

TIMELINE_SIZE = 15
CANCELLABLE = casework.CANCELLABLE
ADDABLE = casework.ADDABLE
# Timeline actions with a catalogued sentence; anything else reads as "progress update".
KNOWN_EVENTS = frozenset({
    "opened", "dispatched", "accepted", "started", "done", "confirmed", "auto_confirmed", "rejected",
    "reopened", "cancelled", "transferred", "handed_back", "surveyed", "escalated", "moved", "moved_in",
})
# Notes owners may read: their own reasons and the worker's completion note.
SHOWN_NOTES = frozenset({"done", "rejected", "reopened", "cancelled"})
DETAILS = ("when", "who", "want", "preferred_time", "item", "slot", "price")
YES_WORDS = {"是", "是的", "确定", "确认", "好", "yes", "y"}
NO_WORDS = {"不", "否", "不取消", "no", "n"}
DONE_WORDS = {"完成", "好了", "没了", "就这些", "done", "that's all"}


class S(StrEnum):
    LIST = "list"
    CANCEL = "cancel"
    REJECT = "reject"
    ADD = "add"


# ----------------------------------------------------------------- whose case is it
async def _announced(ctx: Ctx, events: list[Event]) -> list[Event]:
    for reply in await announce(ctx.uow, ctx.community, events, ctx.now):
        ctx.send(reply)
    return events


# ----------------------------------------------------------------- reading a case
def _headline(ctx: Ctx, case: Case) -> str:
    kind = code_name(ctx.locale, "kind", case.kind)
    what = f"{kind}·{code_name(ctx.locale, 'category', case.category)}" if case.category else kind
    return ctx.t("my_cases.line", id=case.id, what=what, status=code_name(ctx.locale, "status", case.status))


async def _where(ctx: Ctx, case: Case) -> str:
    if case.room_id:
        room = await ctx.uow.directory.room_by_id(case.room_id)
        if room:
            return room.code
    return case.place


async def _event_line(ctx: Ctx, case: Case, item: TimelineItem, names: dict[int, str]) -> str:
    if item.actor_kind == "staff" and item.actor_id is not None:
        if item.actor_id not in names:
            member = await ctx.uow.directory.staff(item.actor_id)
            names[item.actor_id] = member.name if member else "?"
        who = names[item.actor_id]
    elif item.actor_kind == "owner":
        who = ctx.t("my_cases.you")
    else:
        who = ctx.t("my_cases.system")
    team = code_name(ctx.locale, "team", str(item.data.get("to") or item.data.get("team") or case.team_code))
    key = f"my_cases.event_{item.action}" if item.action in KNOWN_EVENTS else "my_cases.event_other"
    went, came = case.details.get("moved_to") or {}, case.details.get("moved_from") or {}
    line = ctx.t(key, who=who, team=team, to=went.get("name", ""), to_id=went.get("case", ""),
                 came=came.get("name", ""), came_id=came.get("case", ""))
    if item.action == "done" and item.data.get("fee_cents"):
        line += ctx.t("my_cases.event_fee", fee=money(int(item.data["fee_cents"]), ctx.locale))
    if item.note and item.action in SHOWN_NOTES:
        line += ctx.t("my_cases.event_note", note=scrub(item.note)[:200])
    return ctx.t("my_cases.event", at=local_time(item.at, ctx.policy, ctx.locale), text=line)


async def case_text(ctx: Ctx, case: Case) -> str:
    """One case as its owner reads it: what, where, state, promises, and the timeline."""
    lines = [_headline(ctx, case), ctx.t("my_cases.created", at=local_time(case.created_at, ctx.policy, ctx.locale))]
    where = await _where(ctx, case)
    if where:
        lines.append(ctx.t("my_cases.where", where=where))
    lines.append(ctx.t("my_cases.description", text=case.description))
    lines += [ctx.t(f"my_cases.detail_{k}", value=case.details[k]) for k in DETAILS if case.details.get(k)]
    if case.status in CANCELLABLE:
        lines.append(ctx.t("my_cases.respond_by", team=code_name(ctx.locale, "team", case.team_code),
                           at=local_time(case.response_due_at, ctx.policy, ctx.locale)))
    elif case.status in (Status.ACCEPTED, Status.IN_PROGRESS):
        lines.append(ctx.t("my_cases.finish_by", at=local_time(case.completion_due_at, ctx.policy, ctx.locale)))
    elif case.status == Status.DONE:
        lines.append(ctx.t("my_cases.please_confirm"))
    if case.fee_cents:
        lines.append(ctx.t("my_cases.fee", fee=money(case.fee_cents, ctx.locale)))
    assert case.id is not None
    timeline = (await ctx.uow.cases.timeline(case.id))[-TIMELINE_SIZE:]
    names: dict[int, str] = {}
    lines.append(ctx.t("my_cases.timeline"))
    lines += [await _event_line(ctx, case, item, names) for item in timeline]
    return "\n".join(lines)


def case_buttons(ctx: Ctx, case: Case) -> tuple[tuple[Button, ...], ...]:
    """What the owner can do with the case in its present state."""
    assert case.id is not None
    rows: list[tuple[Button, ...]] = []
    if case.status in CANCELLABLE:
        rows.append((ctx.button(ctx.t("my_cases.btn_cancel"), CaseAction("cancel", case.id)),))
    elif case.status == Status.DONE:
        rows.append((ctx.button(ctx.t("my_cases.btn_confirm"), CaseAction("confirm", case.id)),
                     ctx.button(ctx.t("my_cases.btn_reject"), CaseAction("reject", case.id))))
    if case.status in ADDABLE:
        rows.append((ctx.button(ctx.t("my_cases.btn_add"), CaseAction("add", case.id)),))
    if case.status in (Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS):  # 催一下 (handlers.owner.chasing)
        rows.append((ctx.button(ctx.t("dispatch.btn_chase"), CaseAction("chase", case.id)),))
    rows.append((ctx.button(ctx.t("my_cases.btn_list"), Menu("mycases")),))
    return tuple(rows)


async def show_case(ctx: Ctx, case_id: int) -> None:
    case = await owned_case(ctx, case_id)
    ctx.say(await case_text(ctx, case), case_buttons(ctx, case))


# ----------------------------------------------------------------- the list
async def ask_list(ctx: Ctx) -> None:
    """The owner's cases, newest first, each a button."""
    cases = await my_cases(ctx)
    if not cases:
        flows.end(ctx)
        ctx.say(ctx.t("my_cases.none"), ctx.routes.menu(ctx))
        return
    # Cases of homes in several communities say whose each is.
    names = {c.id: c.name for c in await ctx.uow.directory.communities()} \
        if len({c.community_id for c in cases}) > 1 else {}
    rows = tuple((ctx.button(ctx.t("communities.board_of", community=names[c.community_id]) + _headline(ctx, c)
                             if names else _headline(ctx, c), CaseAction("view", c.id or 0)),) for c in cases)
    ctx.say(ctx.t("my_cases.list", n=len(cases)), (*rows, nav_row(ctx, back=False)))


async def answer_list(ctx: Ctx, inbound: Inbound) -> None:
    """A typed case number opens that case (if it is the owner's); anything else is a new
    request, so the owner is never stuck in the list."""
    number = (inbound.text or "").strip().lstrip("#＃").strip()
    case_id = parse_int(number, hi=CASE_NUMBER_MAX)
    if case_id is not None and not inbound.photo:
        await show_case(ctx, case_id)
        return
    flows.end(ctx)
    await ctx.routes.idle(ctx, (inbound.text or "").strip() or None)


async def my_cases_command(ctx: Ctx, arg: str) -> None:
    """/mycases lists; /mycases 42 shows case 42."""
    number = arg.lstrip("#＃").strip()
    if not number:
        await ctx.routes.start_entry(ctx, FLOW.name)
    elif (case_id := parse_int(number, hi=CASE_NUMBER_MAX)) is not None:
        await show_case(ctx, case_id)
    else:
        ctx.say(ctx.t("my_cases.bad_number", text=arg[:20]))


async def view(ctx: Ctx, pressed: CaseAction) -> None:
    ctx.answer = ""
    await show_case(ctx, pressed.case_id)


# ----------------------------------------------------------------- cancel
async def _enter(ctx: Ctx, step: str, **data: object) -> None:
    """Start this flow at `step` (a case button leads straight to a question about that case)."""
    ctx.state.flow, ctx.state.step = FLOW.name, step
    ctx.state.data = {**flows.carried(ctx), "_nonce": flows.nonce(ctx) + 1, "_history": [], **data}
    await FLOW.steps[step].ask(ctx)


async def cancel_pressed(ctx: Ctx, pressed: CaseAction) -> None:
    """Withdrawing is only possible before acceptance; ask before doing it."""
    ctx.answer = ""
    case = await owned_case(ctx, pressed.case_id)
    if case.status not in CANCELLABLE:
        ctx.say(ctx.t("my_cases.cannot_cancel", id=case.id, status=code_name(ctx.locale, "status", case.status),
                      hotline=ctx.policy.hotline or "-"))
        return
    await _enter(ctx, S.CANCEL, case_id=case.id)


async def ask_cancel(ctx: Ctx) -> None:
    """Are you sure?"""
    case = await owned_case(ctx, int(ctx.data["case_id"]))
    ctx.say(ctx.t("my_cases.ask_cancel", id=case.id, text=case.description[:40]),
            ((choice(ctx, ctx.t("my_cases.cancel_yes"), "yes"), choice(ctx, ctx.t("my_cases.cancel_no"), "no")),))


async def answer_cancel(ctx: Ctx, inbound: Inbound) -> None:
    """Yes withdraws the case and the team's card shows it; no keeps it."""
    typed = (inbound.text or "").strip().lower()
    answer = ctx.picked or ("yes" if typed in YES_WORDS else "no" if typed in NO_WORDS else None)
    if answer is None:
        ctx.say(ctx.t("my_cases.yes_or_no"))
        return
    case_id = int(ctx.data["case_id"])
    flows.end(ctx)
    if answer != "yes":
        ctx.say(ctx.t("my_cases.kept", id=case_id))
        return
    await owned_case(ctx, case_id)
    # Raises IllegalTransition if staff accepted it meanwhile: the owner hears someone acted first.
    await _announced(ctx, await casework.cancel(ctx.uow, ctx.community, case_id, as_owner(ctx), ctx.now,
                                                reason=ctx.t("my_cases.cancel_reason")))
    ctx.say(ctx.t("my_cases.cancelled", id=case_id))


# ----------------------------------------------------------------- confirm or reject the work
async def confirm_pressed(ctx: Ctx, pressed: CaseAction) -> None:
    """验收: the owner accepts the finished work; the callback is booked."""
    ctx.answer = ""
    case = await owned_case(ctx, pressed.case_id)
    if case.status != Status.DONE:
        _not_waiting(ctx, case)
        return
    [confirmed] = await _announced(ctx, await casework.confirm(ctx.uow, ctx.community, pressed.case_id,
                                                               as_owner(ctx), ctx.now))
    assert isinstance(confirmed, CaseConfirmed)
    # Only promise a callback (回访) the policy actually books.
    key = "my_cases.confirmed" if confirmed.callback_booked else "my_cases.confirmed_plain"
    ctx.say(ctx.t(key, id=case.id))


async def reject_pressed(ctx: Ctx, pressed: CaseAction) -> None:
    """The owner is not satisfied: ask why before sending it back."""
    ctx.answer = ""
    case = await owned_case(ctx, pressed.case_id)
    if case.status != Status.DONE:
        _not_waiting(ctx, case)
        return
    await _enter(ctx, S.REJECT, case_id=case.id)


def _not_waiting(ctx: Ctx, case: Case) -> None:
    key = "my_cases.already_confirmed" if case.status in (Status.CLOSED, Status.SURVEYED) else "my_cases.not_done"
    ctx.say(ctx.t(key, id=case.id, status=code_name(ctx.locale, "status", case.status)))


async def ask_reject(ctx: Ctx) -> None:
    """What is still wrong."""
    ctx.say(ctx.t("my_cases.ask_reject", id=ctx.data["case_id"]), (nav_row(ctx, back=False),))


async def answer_reject(ctx: Ctx, inbound: Inbound) -> None:
    """The reason goes with the case back to the team, whose card is re-sent."""
    reason = text_of(ctx, inbound, max_len=500)
    if reason is None:
        return
    case_id = int(ctx.data["case_id"])
    await owned_case(ctx, case_id)
    [rejected] = await _announced(ctx, await casework.reject(ctx.uow, ctx.community, case_id, as_owner(ctx), ctx.now,
                                                             reason=reason))
    flows.end(ctx)
    case = rejected.case
    ctx.say(ctx.t("my_cases.rejected", id=case.id, round=case.rework_round,
                  team=code_name(ctx.locale, "team", case.team_code),
                  due=local_time(case.response_due_at, ctx.policy, ctx.locale)))


# ----------------------------------------------------------------- 补充说明: more for an open case
async def add_pressed(ctx: Ctx, pressed: CaseAction) -> None:
    ctx.answer = ""
    case = await owned_case(ctx, pressed.case_id)
    await enter_add(ctx, case)


async def enter_add(ctx: Ctx, case: Case) -> None:
    """Words and photos the owner sends next join this case, until "完成"."""
    if case.status not in ADDABLE:
        ctx.say(ctx.t("my_cases.cannot_add", id=case.id, status=code_name(ctx.locale, "status", case.status)))
        return
    await _enter(ctx, S.ADD, case_id=case.id)


async def ask_add(ctx: Ctx) -> None:
    """What to add: words or photos."""
    ctx.say(ctx.t("my_cases.ask_add", id=ctx.data["case_id"]),
            ((choice(ctx, ctx.t("my_cases.add_done"), "done"),), nav_row(ctx, back=False)))


async def answer_add(ctx: Ctx, inbound: Inbound) -> None:
    """Each message or photo is added at once; the team's card and the assignee get it."""
    case_id = int(ctx.data["case_id"])
    typed = (inbound.text or "").strip()
    if ctx.picked == "done" or not inbound.photo and typed.lower() in DONE_WORDS:
        flows.end(ctx)
        ctx.say(ctx.t("my_cases.add_finished", id=case_id))
        return
    if not inbound.photo and text_of(ctx, inbound, max_len=1000) is None:
        return
    case = await owned_case(ctx, case_id)
    if case.status not in ADDABLE:
        flows.end(ctx)
        ctx.say(ctx.t("my_cases.cannot_add", id=case.id, status=code_name(ctx.locale, "status", case.status)))
        return
    await add_to_case(ctx, case, text=typed[:1000], photo=inbound.photo)
    ctx.say(ctx.t("my_cases.added", id=case_id),
            ((choice(ctx, ctx.t("my_cases.add_done"), "done"),),))


FLOW = Flow("my_cases", S.LIST, {
    S.LIST: Step(ask_list, answer_list),
    S.CANCEL: Step(ask_cancel, answer_cancel),
    S.REJECT: Step(ask_reject, answer_reject),
    S.ADD: Step(ask_add, answer_add),
}, needs_owner=False)
