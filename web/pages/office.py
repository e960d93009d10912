"""The service centre's other desks: callbacks waiting for a phone call, statistics with
their chart and downloads, and notices to owners (compose, preview, send, delivery)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from services.reports.statistics import build_report, fmt_text, period_summary, write_report
from cases.errors import DeskError, NotAllowed
from cases.permissions import SPOT_CHECK_LEVELS
from cases.privacy import mask_name, mask_phone
from handlers.kit.announcers import announce
from handlers.office.notice_service import NoticeScope, compose, send, status
from handlers.aftercare.spot_check import WINDOW as SPOT_CHECK_WINDOW
from services.actors import CONSOLE, Actor
from services.aftercare import record_phone_callback, spot_check
from services.errors import SurveyClosed
from storage.console import ConsoleStore
from web.app import COMMUNITY, FORM, SIGNED, console_of
from web.roles import may_record_callbacks, may_see_statistics, may_send

OPEN_CALLBACKS = ("scheduled", "sent", "reminded", "phone")


# ----------------------------------------------------------------- callbacks (回访)
async def callbacks(request: web.Request) -> web.StreamResponse:
    """Calls for a butler: those the owner did not answer in chat, and those of owners with no
    chat; and for a checker, a fresh random sample of answered callbacks to spot-check."""
    console = console_of(request)
    staff = request[SIGNED].staff
    level = SPOT_CHECK_LEVELS.get(staff.role)  # type: ignore[call-overload]
    if not may_record_callbacks(staff) and level is None:
        raise NotAllowed("neither a caller nor a checker")
    now = console.app.now()
    rows: list[dict[str, object]] = []
    checks: list[dict[str, object]] = []
    async with console.uow() as uow:
        if level is not None:
            recent = await uow.callbacks.recent_answered(now - SPOT_CHECK_WINDOW, community_id=request[COMMUNITY].id)
            done = await uow.callbacks.checked_at_level([r.id for r in recent], level)
            pool = [r for r in recent if r.id not in done]
            # A fresh random draw each time: a predictable sample could be prepared for.
            for record in random.sample(pool, min(request[COMMUNITY].policy.spot_check_sample, len(pool))):
                case = await uow.cases.get(record.case_id)
                if case is not None:
                    checks.append({"record": record, "case": case})
        for state in OPEN_CALLBACKS if may_record_callbacks(staff) else ():
            for record in await uow.callbacks.in_state(state, due_before=now if state != "phone" else None, limit=200,
                                                       community_id=request[COMMUNITY].id):
                case = await uow.cases.get(record.case_id)
                if case is None or (state != "phone" and case.reporter_chat_id):
                    continue
                owner = await uow.directory.owner(case.owner_id) if case.owner_id else None
                room = await uow.directory.room_by_id(case.room_id) if case.room_id else None
                rows.append({"record": record, "case": case, "room": room.code if room else case.place,
                             "owner": f"{mask_name(owner.name)} {mask_phone(owner.phone)}" if owner else "-"})
    return console.render(request, "callbacks.html", rows=rows, checks=checks, level=level)


def _score(raw: str) -> int:
    if raw not in {"1", "2", "3", "4", "5"}:
        raise web.HTTPBadRequest(text="score 1-5")
    return int(raw)


async def record_callback(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    staff = request[SIGNED].staff
    if not may_record_callbacks(staff):
        raise NotAllowed("not a caller")
    raw = request.match_info["callback_id"]
    form = request[FORM]
    now = console.app.now()
    community = request[COMMUNITY]
    async with console.uow() as uow:
        record = await uow.callbacks.get(int(raw)) if raw.isdigit() else None
        if record is None:
            raise web.HTTPNotFound()
        try:
            events = await record_phone_callback(
                uow, community, record.id, Actor.staff(staff.id, via=CONSOLE), now, solved=form.get("solved") == "yes",
                speed=_score(form.get("speed", "")), attitude=_score(form.get("attitude", "")),
                comment=form.get("note", "").strip()[:500])
        except SurveyClosed:
            raise web.HTTPSeeOther("/callbacks?msg=callback_too_late") from None
        await console.post(uow, await announce(uow, community, events, now))
        await ConsoleStore(uow.session).audit(now, staff.id, "callback_recorded", case_id=record.case_id,
                                              remote=console.remote(request))
        await uow.commit()
    console.wake_delivery()
    raise web.HTTPSeeOther(f"/callbacks?msg=callback_recorded&case={record.case_id}")


async def record_spot_check(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    staff = request[SIGNED].staff
    raw = request.match_info["callback_id"]
    form = request[FORM]
    now = console.app.now()
    async with console.uow() as uow:
        try:
            events = await spot_check(uow, request[COMMUNITY], int(raw), Actor.staff(staff.id, via=CONSOLE), now,
                                      finding=form.get("finding", ""), note=form.get("note", ""))
        except DeskError as refusal:
            await uow.rollback()
            raise web.HTTPSeeOther(f"/callbacks?msg=refused_{refusal.code}") from None
        case_id = events[0].case_id  # type: ignore[attr-defined]
        await ConsoleStore(uow.session).audit(now, staff.id, "spot_checked", case_id=case_id,
                                              remote=console.remote(request), finding=form.get("finding", ""))
        await uow.commit()
    raise web.HTTPSeeOther("/callbacks?msg=spot_checked")


# ----------------------------------------------------------------- statistics
def _period(request: web.Request, zone: ZoneInfo, now: datetime) -> tuple[date, date]:
    today = now.astimezone(zone).date()
    try:
        start = date.fromisoformat(request.query.get("from", ""))
        end = date.fromisoformat(request.query.get("to", ""))
    except ValueError:
        start, end = today - timedelta(days=29), today + timedelta(days=1)
    if end <= start or (end - start).days > 400:
        start, end = today - timedelta(days=29), today + timedelta(days=1)
    return start, end


def _may_see_stats(request: web.Request) -> None:
    if not may_see_statistics(request[SIGNED].staff):
        raise NotAllowed("not a reader of statistics")


async def statistics(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    _may_see_stats(request)
    community = request[COMMUNITY]
    start, end = _period(request, ZoneInfo(community.policy.timezone), console.app.now())
    report = await build_report(console.uow(), start, end, community.code, now=console.app.now())
    tables = [{"title": table.title, "columns": [c.title for c in table.columns],
               "rows": [[fmt_text(v, c.fmt) for v, c in zip(row, table.columns)] for row in table.rows[:200]]}
              for table in report.tables]
    return console.render(request, "stats.html", tables=tables, start=start, end=end, meta=report.meta)


async def chart(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    _may_see_stats(request)
    community = request[COMMUNITY]
    start, end = _period(request, ZoneInfo(community.policy.timezone), console.app.now())
    async with console.uow() as uow:
        _, png = await period_summary(uow.session, community, start, end, console.app.now(),
                                      locale=console.locale(request))
    return web.Response(body=png, content_type="image/png")


async def export(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    _may_see_stats(request)
    fmt = request.match_info["fmt"]
    if fmt not in ("csv", "xlsx"):
        raise web.HTTPNotFound()
    community = request[COMMUNITY]
    start, end = _period(request, ZoneInfo(community.policy.timezone), console.app.now())
    data = write_report(await build_report(console.uow(), start, end, community.code, now=console.app.now()), fmt)
    await console.audit(request, "statistics_exported", fmt=fmt)
    kind = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return web.Response(body=data, content_type=kind, headers={
        "Content-Disposition": f'attachment; filename="wuye-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"'})


# ----------------------------------------------------------------- notices (信息发布)
def _scope(form: dict[str, str]) -> NoticeScope:
    building = form.get("building", "").strip()
    units = tuple(u for u in form.get("units", "").replace("，", ",").split(",") if u.strip())
    if not building:
        return NoticeScope.community()
    if units:
        return NoticeScope.of_units(building, *(u.strip() for u in units))
    return NoticeScope.of_building(building)


async def notices(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    staff = request[SIGNED].staff
    if not may_send(staff):
        raise NotAllowed("not a notice sender")
    async with console.uow() as uow:
        recent = await uow.notices.recent(request[COMMUNITY].id, 20)
        states = {n.id: await status(uow, n.id) for n in recent}
    return console.render(request, "notices.html", recent=recent, states=states, draft=None, form={}, error="")


async def notice_post(request: web.Request) -> web.StreamResponse:
    """Preview (counts who it reaches, writes nothing) or send."""
    console = console_of(request)
    staff = request[SIGNED].staff
    if not may_send(staff):
        raise NotAllowed("not a notice sender")
    form = request[FORM]
    now = console.app.now()
    sending = form.get("do") == "send"
    async with console.uow() as uow:
        try:
            # The notice service authorises the author (again at sending) and counts who it reaches.
            draft = await compose(uow, author_id=staff.id, text=form.get("text", ""), scope=_scope(form),
                                  urgent=form.get("urgent") == "on")
            if sending:
                sent = await send(uow, draft, now)
                await ConsoleStore(uow.session).audit(now, staff.id, "notice_sent", remote=console.remote(request),
                                                      notice=sent.notice_id, messages=sent.messages)
                await uow.commit()
        except DeskError as refusal:
            await uow.rollback()
            recent = await uow.notices.recent(request[COMMUNITY].id, 20)
            return console.render(request, "notices.html", status=400, recent=recent, states={}, draft=None,
                                  form=form, error=f"console.refused_{refusal.code}")
        if not sending:
            recent = await uow.notices.recent(request[COMMUNITY].id, 20)
            states = {n.id: await status(uow, n.id) for n in recent}
            return console.render(request, "notices.html", recent=recent, states=states, draft=draft, form=form,
                                  error="")
    console.wake_delivery()
    raise web.HTTPSeeOther("/notices?msg=notice_sent")
