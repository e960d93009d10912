"""The new-case form for hotline calls, walk-ins and patrols: find the owner by room,
phone or name, describe the problem, see the classification suggested as you type."""

from __future__ import annotations

from aiohttp import web

from cases.codes import CATEGORIES, Kind, Urgency
from cases.errors import DeskError, NotAllowed
from cases.privacy import mask_name, mask_phone
from handlers.kit.announcers import announce
from handlers.kit.formatting import code_name
from handlers.kit.i18n import t
from services.actors import CONSOLE, Actor
from services.events import CaseOpened
from services.office import OFFICE_SOURCES, at_the_desk, open_for_owner
from storage.console import ConsoleStore
from web.app import COMMUNITY, FORM, SIGNED, console_of


async def new_form(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    staff = request[SIGNED].staff
    if not at_the_desk(staff):
        raise NotAllowed("not office staff")
    query = request.query.get("owner", "")[:40]
    found = []
    if query:
        async with console.uow() as uow:
            for owner, rooms in await ConsoleStore(uow.session).find_owners(request[COMMUNITY].id, query):
                found.append({"id": owner.id, "name": mask_name(owner.name), "phone": mask_phone(owner.phone),
                              "rooms": [(r.id, r.code) for r in rooms]})
        await console.audit(request, "owner_lookup", found=len(found))
    return console.render(request, "new.html", query=query, found=found, sources=OFFICE_SOURCES,
                          kinds=[k.value for k in Kind], urgencies=[u.value for u in Urgency],
                          categories=sorted({c for cs in CATEGORIES.values() for c in cs}),
                          form={}, error="")


async def suggest(request: web.Request) -> web.StreamResponse:
    """The classifier's reading of the description, for the form to show as it is typed."""
    console = console_of(request)
    locale = console.locale(request)
    text = request.query.get("text", "")[:500]
    if not text.strip():
        return web.json_response({})
    found = console.app.desk.classifier.classify(text)
    return web.json_response({
        "kind": found.kind, "urgency": found.urgency, "category": found.category, "area": found.area,
        "label": t(locale, "console.suggested", kind=code_name(locale, "kind", found.kind),
                   category=code_name(locale, "category", found.category),
                   urgency=code_name(locale, "urgency", found.urgency)),
    })


def _room_choice(raw: str) -> tuple[int | None, int | None]:
    """'owner:room' from the lookup's radio buttons."""
    owner, _, room = raw.partition(":")
    return (int(owner) if owner.isdigit() else None, int(room) if room.isdigit() else None)


async def create(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    staff = request[SIGNED].staff
    if not at_the_desk(staff):
        raise NotAllowed("not office staff")
    form = request[FORM]
    community = request[COMMUNITY]
    now = console.app.now()
    owner_id, room_id = _room_choice(form.get("owner_room", ""))
    kind = form.get("kind", "")
    category = form.get("category", "")
    area = form.get("area", "") if kind == Kind.REPORT else ""
    if kind == Kind.REPORT and not area:
        area = "home" if room_id else "public"
    async with console.uow() as uow:
        try:
            events = await open_for_owner(
                uow, community, Actor.staff(staff.id, via=CONSOLE), now, source=form.get("source", ""), kind=kind,
                urgency=form.get("urgency", ""), category=category if category in CATEGORIES.get(kind, ()) else "",
                area=area, description=form.get("description", "")[:2000], owner_id=owner_id, room_id=room_id,
                place=form.get("place", "")[:200])
        except DeskError as refusal:
            await uow.rollback()
            return console.render(request, "new.html", status=400, query="", found=[], sources=OFFICE_SOURCES,
                                  kinds=[k.value for k in Kind], urgencies=[u.value for u in Urgency],
                                  categories=sorted({c for cs in CATEGORIES.values() for c in cs}),
                                  form=form, error=f"console.refused_{refusal.code}")
        opened = events[0]
        assert isinstance(opened, CaseOpened)
        case = opened.case
        replies = await announce(uow, community, events, now)
        await console.post(uow, replies)
        await ConsoleStore(uow.session).audit(now, staff.id, "case_opened", case_id=case.id,
                                              remote=console.remote(request), source=case.source)
        await uow.commit()
    console.wake_delivery()
    raise web.HTTPSeeOther(f"/cases/{case.id}?msg=done_opened")
