"""The duty roster in the console (值班): the week as it stands — the community file's
pattern with the changes supervisors made — and, for supervisors, the same changes as in
chat, through the same service (`services.roster.change_duty`, which checks again that
they oversee everyone moved).  A change is previewed, then confirmed; the saving is
written to the audit log and told to the team groups like any chat change."""

from __future__ import annotations

from datetime import date, datetime, time

from aiohttp import web

from cases.errors import InvalidInput, NotAllowed
from cases.permissions import StaffMember, may_change_duty
from cases.records import Community
from cases.roster import DAYTIME, NIGHT, WHOLE_DAY, Roster
from handlers.kit.announcers import announce
from handlers.kit.answers import day_label
from handlers.kit.duty import change_line, week_view
from services import access, roster
from services.actors import CONSOLE, Actor
from services.roster import OPS, Edit, edits_for
from storage.console import ConsoleStore
from storage.uow import UnitOfWork
from web.app import COMMUNITY, FORM, SIGNED, console_of

FIELDS = ("op", "day", "shift", "who", "with")


async def duty_page(request: web.Request) -> web.StreamResponse:
    return await _render(request, {}, [], "")


async def duty_post(request: web.Request) -> web.StreamResponse:
    """Preview (writes nothing) or save (`do=save`) one change."""
    console = console_of(request)
    staff = request[SIGNED].staff
    if not may_change_duty(staff):
        raise NotAllowed("not a supervisor")  # the gate audits the refusal
    form = {k: request[FORM].get(k, "") for k in FIELDS}
    community = request[COMMUNITY]
    now = console.app.now()
    # One unit of work at a time (SQLite has one writer): the page is rendered after it ends.
    async with console.uow() as uow:
        edits = await _edits_of(uow, community, form)
        saving = edits is not None and request[FORM].get("do") == "save"
        error = await _save(request, uow, edits or [], now) if saving else ""
    if edits is None:
        return await _render(request, form, [], "duty.console_incomplete", status=400)
    if not saving:  # a preview: nothing was written
        return await _render(request, form, edits, "")
    if error:
        return await _render(request, form, [], error, status=400)
    console.wake_delivery()
    raise web.HTTPSeeOther("/duty?msg=duty_saved")


async def _save(request: web.Request, uow: UnitOfWork, edits: list[Edit], now: datetime) -> str:
    """Save through the service, audit and announce in one transaction; the refusal's key, or ""."""
    console = console_of(request)
    staff = request[SIGNED].staff
    community = request[COMMUNITY]
    try:
        events = await roster.change_duty(uow, community, Actor.staff(staff.id, via=CONSOLE), now, edits=edits)
    except InvalidInput:
        return "duty.refused"
    await ConsoleStore(uow.session).audit(
        now, staff.id, "duty_changed", remote=request.remote or "",
        spans=[{"staff": e.staff_id, "on": e.on, "start": e.start.isoformat(), "end": e.end.isoformat()}
               for e in edits])
    await console.post(uow, await announce(uow, community, events, now))
    await uow.commit()
    return ""


async def _edits_of(uow: UnitOfWork, community: Community, form: dict[str, str]) -> list[Edit] | None:
    """The edits the form asks for, or None when it does not say enough (the service judges the rest)."""
    try:
        day = date.fromisoformat(form["day"])
        who = int(form["who"])
        replacement = int(form["with"]) if form["op"] == "swap" else None
    except ValueError:
        return None
    span = (await roster.roster_of_day(uow, community, day)).span_of(day, form["shift"])
    if span is None or form["op"] not in OPS:
        return None
    try:
        return edits_for(form["op"], who, *span, replacement)
    except InvalidInput:
        return None


async def _render(request: web.Request, form: dict[str, str], preview: list[Edit], error: str, *,
                  status: int = 200) -> web.StreamResponse:
    console = console_of(request)
    staff: StaffMember = request[SIGNED].staff
    community = request[COMMUNITY]
    locale = console.locale(request)
    now = console.app.now()
    async with console.uow() as uow:
        view = await week_view(uow, community, now, locale)
        members = await uow.directory.staff_list(community.id)
    by_id = {m.id: m for m in members}
    editable = may_change_duty(staff)
    return console.render(
        request, "duty.html", status=status, view=view, editable=editable,
        people=[m for m in members if m.active and access.oversees(staff, m.team)] if editable else [],
        days=[(d.isoformat(), day_label(datetime.combine(d, time()), locale)) for d in view.dates],
        shifts=_shift_choices(view.roster, view.dates), form=form, error=error,
        preview=[change_line(locale, by_id[e.staff_id].name if e.staff_id in by_id else "-", e.on, e.start, e.end)
                 for e in preview])


def _shift_choices(week: Roster, days: list[date]) -> list[tuple[str, str]]:
    """The week's shifts by their hours, then the words that name one on any day."""
    hours = sorted({f"{s.start:%H:%M}-{s.end:%H:%M}" for d in days for s in week.shifts_on(d)})
    return [(WHOLE_DAY, "duty.btn_whole_day"), *((h, h) for h in hours), (NIGHT, "duty.console_night"),
            (DAYTIME, "duty.console_daytime")]
