"""The duty roster in chat (issue 20): `/duty` (or `/值班`) shows who is on duty now and this
week; supervisors change it, with buttons or in words, and confirm before it is saved.

    /duty                          now and the week (every member of staff)
    /duty 王强 替 孙浩 周六夜班     a swap: 王强 on, 孙浩 off for Saturday's night shift
    /duty 孙浩 今晚不在             孙浩 off tonight
    /duty 王强 明天值班             王强 on duty tomorrow (which shift is asked, 全天 among them)

The buttons under the week (`Duty` payloads: 替班, 不在, 加人) start the same flow in the
private chat: which day, which shift, who (and who replaces them), then a confirmation.
Words the supervisor typed fill the steps they answer; the flow asks the rest.  The change
is saved by `services.roster.change_duty` (which checks, again, that this person oversees
the team of everyone moved) and announced to the team groups ("值班变更：…").
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from cases.errors import InvalidInput, NotAllowed
from cases.permissions import StaffMember, may_change_duty
from cases.roster import DAYTIME, NIGHT, WHOLE_DAY, Roster
from cases.when import WEEKDAYS, Problem, normalise, read_when
from handlers.kit import flow as flows
from handlers.kit.acting import actor_of
from handlers.kit.announcers import announce
from handlers.kit.answers import day_label
from handlers.kit.context import Ctx
from handlers.kit.duty import change_line, span_text, week_view
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import code_name
from handlers.kit.inputs import nav_row, said_yes, text_of
from handlers.kit.messages import Button, Inbound
from handlers.kit.payloads import Duty
from handlers.staff.common import refuse
from services import access, roster
from services.roster import OFF, ON, OPS, SWAP, Edit, edits_for

YES = "yes"
DAYS_OFFERED = 7

# Words a supervisor types (Chinese first, a little English).
SWAP_WORDS = ("替换", "替班", "代替", "顶替", "替", "顶", "换", "covers for", "replaces", "instead of")
OFF_WORDS = ("不在", "请假", "休息", "不值班", "不上班", "调休", "病假", "off", "away")
ON_WORDS = ("值班", "上班", "加班", "顶班", "on duty")
NIGHT_WORDS = ("夜班", "晚班", "今晚", "明晚", "后天晚上", "晚上", "夜里", "night", "tonight")
DAYTIME_WORDS = ("白班", "早班", "白天", "day shift")
ALL_DAY_WORDS = ("全天", "整天", "一整天", "all day")
SHIFT_ONLY_WORDS = ("夜班", "晚班", "白班", "早班", "day shift", "night")
_HOURS = re.compile(r"(\d{1,2})[:：](\d{2})\s*[-–~至到]\s*(\d{1,2})[:：](\d{2})")
_WEEKDAY = re.compile(r"(?<![下上])(?:周|星期|礼拜)([1-7一二三四五六日天])")


class S(StrEnum):
    DAY = "day"
    SHIFT = "shift"
    WHO = "who"
    WITH = "with"
    CONFIRM = "confirm"


# ----------------------------------------------------------------- /duty: now and the week
async def duty_command(ctx: Ctx, arg: str) -> None:
    staff = await ctx.staff()
    if staff is None:
        ctx.say(ctx.t("staff.only_staff"))
        return
    if not arg:
        await show_week(ctx, staff)
        return
    if not may_change_duty(staff):
        ctx.say(ctx.t("duty.not_supervisor"))
        return
    await _typed(ctx, staff, arg[:200])


async def show_week(ctx: Ctx, staff: StaffMember) -> None:
    view = await week_view(ctx.uow, ctx.community, ctx.now, ctx.locale)
    lines = [ctx.t("dispatch.on_duty", names=view.now_on) if view.now_on else ctx.t("dispatch.nobody_on_duty"), "",
             ctx.t("duty.week_title")]
    for day, slots in view.days:
        shifts = "；".join(f"{hours} {names}" for hours, names in slots) or ctx.t("duty.no_shift")
        lines.append(ctx.t("duty.week_day", day=day, shifts=shifts))
    if view.changes:
        lines += ["", ctx.t("duty.changes_title"), *view.changes]
    buttons: tuple[tuple[Button, ...], ...] = ()
    if may_change_duty(staff):
        buttons = ((*(ctx.button(ctx.t(f"duty.btn_{op}"), Duty(op)) for op in OPS),),)
    ctx.say("\n".join(lines), buttons)


async def duty_pressed(ctx: Ctx, pressed: Duty) -> None:
    """A button under the week: only a supervisor starts a change (the press proves nothing)."""
    staff = await ctx.staff()
    if staff is None:
        refuse(ctx, "staff.only_staff")
        return
    if not may_change_duty(staff):
        refuse(ctx, "duty.not_supervisor")
        return
    if pressed.op not in OPS:
        refuse(ctx, "common.expired")
        return
    ctx.answer = ""
    await flows.begin(ctx, FLOW, op=pressed.op)


# ----------------------------------------------------------------- typed words
async def _typed(ctx: Ctx, staff: StaffMember, words: str) -> None:
    """"王强 替 孙浩 周六夜班": fill what the words say, ask the rest, confirm."""
    text = normalise(words)
    mine = await _overseen(ctx, staff)
    others = [m for m in await ctx.uow.directory.staff_list(ctx.community.id)
              if m.active and m not in mine and m.name.lower() in text]
    if others:
        ctx.say(ctx.t("duty.not_your_team", name=others[0].name,
                      team=code_name(ctx.locale, "team", others[0].team)))
        return
    named = sorted(((text.find(m.name.lower()), m) for m in mine if m.name.lower() in text), key=lambda p: p[0])
    people = [m for _, m in named]
    for m in people:
        text = text.replace(m.name.lower(), " ")
    data: dict[str, object] = {}
    if any(w in text for w in SWAP_WORDS) and len(people) >= 2:
        data.update(op=SWAP, **{"with": people[0].id, "who": people[1].id})
    elif any(w in text for w in OFF_WORDS) and people:
        data.update(op=OFF, who=people[0].id)
    elif any(w in text for w in ON_WORDS) and people:
        data.update(op=ON, who=people[0].id)
    else:
        ctx.say(ctx.t("duty.usage"))
        return
    day, shift = _day_and_shift(ctx, text)
    if day is not None:
        data["day"] = day.isoformat()
        span = (await _roster_on(ctx, day)).span_of(day, shift) if shift else None
        if span is not None:
            data.update(start=span[0].isoformat(), end=span[1].isoformat())
    await flows.begin(ctx, FLOW, at=_first_missing(data), **data)


def _first_missing(data: dict[str, object]) -> str:
    if "day" not in data:
        return S.DAY
    if "start" not in data:
        return S.SHIFT
    if "who" not in data:
        return S.WHO
    if data.get("op") == SWAP and "with" not in data:
        return S.WITH
    return S.CONFIRM


def _day_and_shift(ctx: Ctx, text: str) -> tuple[date | None, str]:
    """The day named (None: not said) and the shift: "HH:MM-HH:MM", "night", "daytime",
    WHOLE_DAY, or "" when the words leave it open."""
    today = roster.local_now(ctx.community, ctx.now).date()
    shift = ""
    if m := _HOURS.search(text):
        shift = f"{int(m.group(1)):02d}:{m.group(2)}-{int(m.group(3)):02d}:{m.group(4)}"
        text = text.replace(m.group(0), " ")
    elif any(w in text for w in NIGHT_WORDS):
        shift = NIGHT
    elif any(w in text for w in DAYTIME_WORDS):
        shift = DAYTIME
    elif any(w in text for w in ALL_DAY_WORDS):
        shift = WHOLE_DAY
    for w in SHIFT_ONLY_WORDS:  # the rest ("今晚", "晚上") also name the day or its part
        text = text.replace(w, " ")
    # "周六" said on a Saturday is today (the roster's week starts now), not next week.
    if (m := _WEEKDAY.search(text)) and WEEKDAYS[m.group(1)] == today.weekday():
        return today, shift
    when = read_when(text, ctx.now, ctx.policy.timezone)
    if isinstance(when, Problem) or when.start is None:
        return None, shift
    return when.start.date(), shift


async def _roster_on(ctx: Ctx, day: date) -> Roster:
    return await roster.roster_of_day(ctx.uow, ctx.community, day)


async def _overseen(ctx: Ctx, staff: StaffMember) -> list[StaffMember]:
    """The active members of the teams this supervisor oversees (the people they may move)."""
    return [m for m in await ctx.uow.directory.staff_list(ctx.community.id)
            if m.active and access.oversees(staff, m.team)]


# ----------------------------------------------------------------- the flow
async def ask_day(ctx: Ctx) -> None:
    today = roster.local_now(ctx.community, ctx.now).date()
    days = [today + timedelta(days=i) for i in range(DAYS_OFFERED)]
    buttons = [choice(ctx, day_label(datetime.combine(d, time()), ctx.locale), d.isoformat()) for d in days]
    grid = tuple(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2))
    ctx.say(ctx.t("duty.ask_day", what=ctx.t(f"duty.op_{ctx.data['op']}")), (*grid, nav_row(ctx, back=False)))


async def answer_day(ctx: Ctx, inbound: Inbound) -> None:
    day: date | None = None
    if ctx.picked is not None:
        try:
            day = date.fromisoformat(ctx.picked)
        except ValueError:
            day = None
    elif inbound.text:
        day, shift = _day_and_shift(ctx, normalise(inbound.text[:200]))
        if day is not None and shift and (span := (await _roster_on(ctx, day)).span_of(day, shift)) is not None:
            ctx.data.update(start=span[0].isoformat(), end=span[1].isoformat())
    today = roster.local_now(ctx.community, ctx.now).date()
    if day is None or not today - timedelta(days=1) <= day <= today + roster.MAX_AHEAD:
        ctx.say(ctx.t("duty.bad_day"))
        return
    ctx.data["day"] = day.isoformat()
    await flows.goto(ctx, FLOW, _first_missing(ctx.data))


async def ask_shift(ctx: Ctx) -> None:
    day = date.fromisoformat(ctx.data["day"])
    week = await _roster_on(ctx, day)
    buttons = [choice(ctx, f"{s.start:%H:%M}–{s.end:%H:%M}", f"{s.start:%H:%M}-{s.end:%H:%M}")
               for s in week.shifts_on(day)]
    buttons.append(choice(ctx, ctx.t("duty.btn_whole_day"), WHOLE_DAY))
    ctx.say(ctx.t("duty.ask_shift", day=day_label(datetime.combine(day, time()), ctx.locale)),
            (tuple(buttons), nav_row(ctx)))


async def answer_shift(ctx: Ctx, inbound: Inbound) -> None:
    day = date.fromisoformat(ctx.data["day"])
    shift = ctx.picked if ctx.picked is not None else _day_and_shift(ctx, normalise((inbound.text or "")[:200]))[1]
    span = (await _roster_on(ctx, day)).span_of(day, shift or "")
    if span is None:
        ctx.say(ctx.t("duty.bad_shift"))
        return
    ctx.data.update(start=span[0].isoformat(), end=span[1].isoformat())
    await flows.goto(ctx, FLOW, _first_missing(ctx.data))


def _span_of(ctx: Ctx) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(ctx.data["start"]), datetime.fromisoformat(ctx.data["end"])


async def _candidates(ctx: Ctx, step: str) -> list[StaffMember]:
    """Whom the step offers: who is on duty then (to take off), or who could be put on."""
    staff = await ctx.staff()
    mine = await _overseen(ctx, staff) if staff else []
    start, _ = _span_of(ctx)
    on = (await _roster_on(ctx, start.date())).on_duty_local(start)
    if step == S.WHO and ctx.data["op"] != ON:
        return [m for m in mine if m.code in on] or mine
    out = next((m for m in mine if m.id == ctx.data.get("who")), None) if step == S.WITH else None
    return [m for m in mine if m.code not in on and (out is None or m.team == out.team)]


async def _ask_person(ctx: Ctx, step: str, key: str, **fields: object) -> None:
    people = await _candidates(ctx, step)
    buttons = [choice(ctx, m.name, str(m.id)) for m in people]
    grid = tuple(tuple(buttons[i:i + 3]) for i in range(0, len(buttons), 3))
    start, end = _span_of(ctx)
    ctx.say(ctx.t(key, span=span_text(ctx.locale, start, end), **fields), (*grid, nav_row(ctx)))


async def _answer_person(ctx: Ctx, inbound: Inbound, step: str) -> None:
    people = await _candidates(ctx, step)
    staff = await ctx.staff()
    mine = await _overseen(ctx, staff) if staff else []
    said = ctx.picked if ctx.picked is not None else (text_of(ctx, inbound, max_len=100) or "")
    person = next((m for m in people if str(m.id) == said), None) or next(
        (m for m in mine if m.name == said.strip()), None)
    if person is None or (step == S.WITH and person.id == ctx.data.get("who")):
        ctx.say(ctx.t("duty.bad_person"))
        return
    ctx.data["who" if step == S.WHO else "with"] = person.id
    await flows.goto(ctx, FLOW, _first_missing(ctx.data))


async def ask_who(ctx: Ctx) -> None:
    await _ask_person(ctx, S.WHO, "duty.ask_on" if ctx.data["op"] == ON else "duty.ask_off")


async def answer_who(ctx: Ctx, inbound: Inbound) -> None:
    await _answer_person(ctx, inbound, S.WHO)


async def ask_with(ctx: Ctx) -> None:
    out = await ctx.uow.directory.staff(int(ctx.data["who"]))
    await _ask_person(ctx, S.WITH, "duty.ask_with", name=out.name if out else "-")


async def answer_with(ctx: Ctx, inbound: Inbound) -> None:
    await _answer_person(ctx, inbound, S.WITH)


def _edits(data: dict[str, object]) -> list[Edit]:
    return edits_for(str(data["op"]), int(str(data["who"])), datetime.fromisoformat(str(data["start"])),
                     datetime.fromisoformat(str(data["end"])), int(str(data["with"])) if "with" in data else None)


async def ask_confirm(ctx: Ctx) -> None:
    lines = []
    for edit in _edits(ctx.data):
        member = await ctx.uow.directory.staff(edit.staff_id)
        lines.append(change_line(ctx.locale, member.name if member else "-", edit.on, edit.start, edit.end))
    ctx.say(ctx.t("duty.confirm", lines="\n".join(lines)),
            ((choice(ctx, ctx.t("duty.btn_confirm"), YES),), nav_row(ctx)))


async def answer_confirm(ctx: Ctx, inbound: Inbound) -> None:
    if not said_yes(ctx, inbound, YES, "duty.confirm_hint"):
        return
    edits = _edits(ctx.data)
    flows.end(ctx)
    try:
        events = await roster.change_duty(ctx.uow, ctx.community, actor_of(ctx), ctx.now, edits=edits)
    except NotAllowed:
        ctx.say(ctx.t("duty.not_supervisor"))
        return
    except InvalidInput:
        ctx.say(ctx.t("duty.refused"))
        return
    for reply in await announce(ctx.uow, ctx.community, events, ctx.now):
        ctx.send(reply)
    ctx.say(ctx.t("duty.saved"))


FLOW = Flow("staff_duty", S.DAY, {
    S.DAY: Step(ask_day, answer_day),
    S.SHIFT: Step(ask_shift, answer_shift),
    S.WHO: Step(ask_who, answer_who),
    S.WITH: Step(ask_with, answer_with),
    S.CONFIRM: Step(ask_confirm, answer_confirm),
}, needs_owner=False)
