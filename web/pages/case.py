"""One case: details, photos, timeline with names and local times, fees, callbacks; the
actions staff take from the office; the full phone number on request (recorded); the
work order printed for the worker to sign (派工单)."""

from __future__ import annotations

from aiohttp import web

from bot import media
from cases.errors import DeskError, NotAllowed, NotFound
from cases.lifecycle import Case
from cases.privacy import mask_name, mask_phone
from storage.console import ConsoleStore
from storage.uow import UnitOfWork
from web.actions import Doing, offered, run
from web.app import COMMUNITY, FORM, SIGNED, console_of
from web.roles import may_call_owner, may_see


def _case_id(request: web.Request) -> int:
    raw = request.match_info["case_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound()
    return int(raw)


async def _visible(request: web.Request, uow: UnitOfWork, case_id: int) -> Case:
    staff = request[SIGNED].staff
    case = await uow.cases.get(case_id)
    if case is None or case.community_id != request[COMMUNITY].id:
        raise NotFound(f"no case {case_id}")
    if not may_see(staff, case.team_code):
        raise NotAllowed("another team's case")
    return case


async def _view(request: web.Request, case_id: int, *, reveal: bool = False) -> dict[str, object]:
    console = console_of(request)
    staff = request[SIGNED].staff
    async with console.uow() as uow:
        case = await _visible(request, uow, case_id)
        timeline = await uow.cases.timeline(case_id)
        store = ConsoleStore(uow.session)
        ids = {i.actor_id for i in timeline if i.actor_kind == "staff" and i.actor_id}
        ids |= {i.data.get("by") for i in timeline if isinstance(i.data.get("by"), int)}
        ids |= {x for x in (case.assignee_id, case.first_responder_id) if x}
        names = await store.staff_names(ids)
        owner = await uow.directory.owner(case.owner_id) if case.owner_id else None
        room = await uow.directory.room_by_id(case.room_id) if case.room_id else None
        callbacks = await uow.callbacks.for_case(case_id)
        team = [s for s in await uow.directory.staff_list(case.community_id, team=case.team_code)]
        teams = await uow.directory.teams(case.community_id)
        chats = await uow.directory.chats_of(owner_id=case.owner_id) if case.owner_id else []
        # Where this person could move the case: the other communities they are staff in.
        elsewhere = [c for c in await uow.directory.communities()
                     if c.id != case.community_id and await uow.directory.staff_in(c.id, staff.id) is not None]
    photos, missing = await console.photos.local(case.reporter_channel, case.photos, case_id)
    fees = [(i.at, i.data.get("fee_cents", 0), names.get(i.actor_id or 0, "")) for i in timeline if i.action == "done"]
    owner_line = ""
    if owner is not None:
        owner_line = f"{owner.name} {owner.phone}" if reveal else f"{mask_name(owner.name)} {mask_phone(owner.phone)}"
    return dict(
        case=case, timeline=timeline, names=names, owner=owner, owner_line=owner_line, revealed=reveal,
        room=room.code if room else "", callbacks=callbacks, fees=fees, team_staff=team,
        teams=[i for i in teams if i.code != case.team_code],
        offered=offered(staff, case, elsewhere=bool(elsewhere)), elsewhere=elsewhere,
        moved_to=case.details.get("moved_to"), moved_from=case.details.get("moved_from"),
        may_call=owner is not None and may_call_owner(staff, case.assignee_id), owner_in_chat=bool(chats),
        photos=photos, other_photos=missing,
        overdue=case.overdue(console.app.now()))


async def show(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    return console.render(request, "case.html", **await _view(request, _case_id(request)))


async def print_view(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    return console.render(request, "print.html", **await _view(request, _case_id(request)))


async def reveal_phone(request: web.Request) -> web.StreamResponse:
    """The owner's full number, for those who must call them; every reveal is audited."""
    console = console_of(request)
    case_id = _case_id(request)
    staff = request[SIGNED].staff
    view = await _view(request, case_id, reveal=False)
    if not view["may_call"]:
        raise NotAllowed("may not see the owner's number")
    await console.audit(request, "phone_revealed", case_id=case_id)
    view = await _view(request, case_id, reveal=True)
    view["revealed_by"] = staff.name
    return console.render(request, "case.html", **view)


async def act(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    case_id, name = _case_id(request), request.match_info["action"]
    staff = request[SIGNED].staff
    now = console.app.now()
    async with console.uow() as uow:
        await _visible(request, uow, case_id)
        try:
            replies = await run(name, Doing(uow, request[COMMUNITY], case_id, staff, request[FORM], now))
        except DeskError as refusal:
            await uow.rollback()
            refused = True
            code = refusal.code
        else:
            refused = False
            await console.post(uow, replies)
            await ConsoleStore(uow.session).audit(now, staff.id, f"case_{name}", case_id=case_id,
                                                  remote=console.remote(request))
            await uow.commit()
    if refused:
        # Refusals by the services' rules are audited too, and the page says why.
        await console.audit(request, "refused", case_id=case_id, action=name, code=code)
        raise web.HTTPSeeOther(f"/cases/{case_id}?msg=refused_{code}")
    console.wake_delivery()
    raise web.HTTPSeeOther(f"/cases/{case_id}?msg=done_{name}")


async def photo(request: web.Request) -> web.StreamResponse:
    """A photo of a case this person may see: another community's or team's case, or a name
    that is not one of this case's photos, reads as not found (and bot.media never reads a
    path outside the media store)."""
    console = console_of(request)
    case_id = _case_id(request)
    async with console.uow() as uow:
        case = await _visible(request, uow, case_id)
    names, _ = await console.photos.local(case.reporter_channel, case.photos, case_id)
    if request.match_info["name"] not in names:
        raise web.HTTPNotFound()
    try:
        upload = media.read(console.app.settings.media_dir, media.PREFIX + request.match_info["name"])
    except media.MediaRefused:
        raise web.HTTPNotFound() from None
    kind = "image/png" if upload.filename.endswith(".png") else "image/jpeg"
    return web.Response(body=upload.data, content_type=kind)
