"""The board: every open case the signed-in person may see, soonest deadline first,
overdue and emergencies marked, with filters, search and counts per team."""

from __future__ import annotations

from aiohttp import web

from cases.codes import Kind, Team, Urgency
from cases.lifecycle import ACTIVE
from cases.privacy import mask_name, mask_phone
from services.office import Source, at_the_desk
from storage.console import BoardFilter, ConsoleStore
from web.app import COMMUNITY, SIGNED, console_of
from web.roles import visible_teams

PAGE = 100


def board_filter(query: dict[str, str]) -> BoardFilter:
    """Filters from the query string; values we do not know are ignored, not searched for."""
    def pick(name: str, allowed: set[str]) -> str:
        value = query.get(name, "")
        return value if value in allowed else ""

    return BoardFilter(
        team=pick("team", {t.value for t in Team}), kind=pick("kind", {k.value for k in Kind}),
        urgency=pick("urgency", {u.value for u in Urgency}), status=pick("status", {str(s) for s in ACTIVE}),
        source=pick("source", {s.value for s in Source}), building=query.get("building", "")[:16],
        search=query.get("q", "")[:40])


async def board(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    staff = request[SIGNED].staff
    community = request[COMMUNITY]
    now = console.app.now()
    teams = visible_teams(staff)
    chosen = board_filter(dict(request.query))
    page = max(0, int(request.query.get("page", "0"))) if request.query.get("page", "0").isdigit() else 0
    async with console.uow() as uow:
        store = ConsoleStore(uow.session)
        counts = await store.counts_per_team(community.id, now, teams)
        unfiltered = sum(n for n, _ in counts.values()) if chosen == BoardFilter() else None
        cases, total = await store.board(community.id, chosen, teams, PAGE, page * PAGE, total=unfiltered)
        rooms = await store.room_codes({c.room_id for c in cases if c.room_id})
        names = await store.staff_names({c.assignee_id for c in cases if c.assignee_id})
        owners = await store.owner_names({c.owner_id for c in cases if c.owner_id})
        buildings = await store.buildings(community.id)
    rows = []
    for case in cases:
        owner = owners.get(case.owner_id or 0)
        rows.append({
            "case": case, "overdue": case.overdue(now), "where": rooms.get(case.room_id or 0) or case.place,
            "assignee": names.get(case.assignee_id or 0, ""),
            "owner": f"{mask_name(owner[0])} {mask_phone(owner[1])}" if owner else "",
            "due": case.response_due_at if case.status in ("open", "dispatched") else case.completion_due_at,
        })
    return console.render(
        request, "board.html", rows=rows, total=total, counts=sorted(counts.items()), chosen=chosen,
        teams=[t.value for t in Team] if teams is None else sorted(teams), kinds=[k.value for k in Kind],
        urgencies=[u.value for u in Urgency], statuses=[str(s) for s in ACTIVE], sources=[s.value for s in Source],
        buildings=buildings, page=page, pages=(total + PAGE - 1) // PAGE, may_open=at_the_desk(staff))
