"""/team lists the team's open cases by the deadline each works against now (issue 16.6):
an emergency reported last comes first; a case waiting only for the owner comes last."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App
from cases.clock import FakeClock
from cases.lifecycle import Actor, Case
from tests.harness import People
from tests.staff.conftest import Crew


async def _open(app: App, urgency: str, description: str) -> int:
    async with app.uow() as uow:
        community = await uow.directory.community()
        case = Case.open(kind="report", urgency=urgency, category="plumbing", area="home", now=app.now(),
                         by=Actor("system"), description=description, community_id=community.id)
        case.dispatch("engineering", app.now(), community.policy)
        case_id = await uow.cases.add(case)
        await uow.commit()
        return case_id


async def test_team_cases_come_by_deadline_not_by_number(app: App, people: People, crew: Crew,
                                                         clock: FakeClock) -> None:
    normal = await _open(app, "normal", "水龙头滴水")
    clock.advance(timedelta(hours=1))
    working = await _open(app, "normal", "下水道堵了")
    async with app.uow() as uow:  # accepted at once: now against its completion deadline (days)
        case = await uow.cases.get(working)
        case.accept(crew["wq"], app.now())
        await uow.cases.save(case)
        await uow.commit()
    clock.advance(timedelta(hours=1))
    urgent = await _open(app, "urgent", "厨房水管漏水")
    clock.advance(timedelta(hours=1))
    emergency = await _open(app, "emergency", "水管爆裂，水漫进电梯井")

    async with app.uow() as uow:
        due = {c.id: c.deadline for c in await uow.cases.open_for_team("engineering")}
    assert due[emergency] < due[urgent] < due[normal] < due[working]  # the story the order must follow

    await people.say("ly", "/team")
    listing = people.chats["ly"][-1].text
    positions = [listing.index(f"#{case_id} ·") for case_id in (emergency, urgent, normal, working)]
    assert positions == sorted(positions), listing
