"""The services on the real unit of work, on SQLite and PostgreSQL: what the database holds
afterwards (and after a restart), the race for a case, a refusal leaving nothing behind."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.bootstrap import App, build_app
from cases.errors import NotAllowed
from cases.lifecycle import Status
from services import aftercare, casework, dispatch
from services.actors import Actor
from services.errors import WrongStatus
from tests.conftest import make_settings


async def ids(app: App) -> tuple[object, dict[str, int], int, int]:
    async with app.uow() as uow:
        community = await uow.directory.community()
        staff = {s.name: s.id for s in await uow.directory.staff_list(community.id)}
        owner = await uow.directory.owner_by_phone(community.id, "13800000001")
        return community, staff, owner.id, owner.rooms[0].id


async def test_a_case_worked_from_the_console_reads_so_after_a_restart(app: App, database_url: str, clock) -> None:
    community, staff, owner_id, room_id = await ids(app)
    zhang = Actor.owner(owner_id, channel="telegram", chat_id="9001", user_id="9001")
    async with app.uow() as uow:
        [opened] = await casework.open_case(uow, community, zhang, clock.now(), kind="report", urgency="urgent",
                                           category="plumbing", area="home", description="卫生间漏水", room_id=room_id)
        await uow.commit()
    case_id = opened.case_id
    boss = Actor.staff(staff["马建国"], via="console")
    async with app.uow() as uow:
        await dispatch.assign(uow, community, case_id, boss, clock.now(), to="王强")
        await casework.add_staff_note(uow, community, case_id, boss, clock.now(), note="已约下午两点")
        await casework.finish(uow, community, case_id, Actor.staff(staff["王强"]), clock.now() + timedelta(hours=1),
                              note="换了角阀", fee_cents=3500)
        await uow.commit()
    await app.close()

    restarted = await build_app(make_settings(database_url), clock, run_migrations=True)
    try:
        async with restarted.uow() as uow:
            case = await uow.cases.get(case_id)
            timeline = await uow.cases.timeline(case_id)
        assert (case.status, case.assignee_id, case.fee_cents) == (Status.DONE, staff["王强"], 3500)
        assert [(t.action, t.actor_id) for t in timeline] == [
            ("opened", owner_id), ("dispatched", None), ("accepted", staff["王强"]),
            ("staff_note", staff["马建国"]), ("done", staff["王强"])]
        assert timeline[2].data == {"by": staff["马建国"], "via": "console"}
        assert timeline[3].data == {"via": "console"} and timeline[3].note == "已约下午两点"
        assert timeline[4].data == {"fee_cents": 3500}  # through chat: no "via"
    finally:
        await restarted.close()


async def test_two_staff_accepting_at_once_one_wins_the_other_hears_who(app: App, clock) -> None:
    community, staff, owner_id, room_id = await ids(app)
    async with app.uow() as uow:
        [opened] = await casework.open_case(uow, community, Actor.owner(owner_id), clock.now(), kind="report",
                                           urgency="normal", category="plumbing", area="home", description="漏水",
                                           room_id=room_id)
        await uow.commit()

    async def press(name: str) -> str:
        try:
            async with app.uow() as uow:
                await casework.accept(uow, community, opened.case_id, Actor.staff(staff[name]), clock.now())
                await uow.commit()
            return "won"
        except WrongStatus as refusal:
            assert refusal.case.assignee_id not in (None, staff[name])
            return "lost"

    results = await asyncio.gather(press("王强"), press("刘洋"), press("孙浩"))
    assert sorted(results) == ["lost", "lost", "won"]
    async with app.uow() as uow:
        timeline = await uow.cases.timeline(opened.case_id)
    assert [t.action for t in timeline].count("accepted") == 1


async def test_a_refused_service_leaves_nothing_behind(app: App, clock) -> None:
    community, staff, owner_id, room_id = await ids(app)
    async with app.uow() as uow:
        [opened] = await casework.open_case(uow, community, Actor.owner(owner_id), clock.now(), kind="report",
                                           urgency="normal", category="plumbing", area="home", description="漏水",
                                           room_id=room_id)
        await uow.commit()
    async with app.uow() as uow:
        with pytest.raises(NotAllowed):
            await casework.accept(uow, community, opened.case_id, Actor.staff(staff["张勇"]), clock.now())
        await uow.commit()  # even a careless caller commits nothing: the service changed nothing
    async with app.uow() as uow:
        case = await uow.cases.get(opened.case_id)
        timeline = await uow.cases.timeline(opened.case_id)
    assert case.status == Status.DISPATCHED and len(timeline) == 2


async def test_owner_and_butler_racing_to_conclude_a_callback_only_one_counts(app: App, clock) -> None:
    community, staff, owner_id, room_id = await ids(app)
    zhang = Actor.owner(owner_id)
    async with app.uow() as uow:
        [opened] = await casework.open_case(uow, community, zhang, clock.now(), kind="report", urgency="normal",
                                           category="plumbing", area="home", description="漏水", room_id=room_id)
        await casework.accept(uow, community, opened.case_id, Actor.staff(staff["王强"]), clock.now())
        await casework.finish(uow, community, opened.case_id, Actor.staff(staff["王强"]), clock.now(), note="好了")
        [confirmed] = await casework.confirm(uow, community, opened.case_id, zhang, clock.now())
        [record] = await uow.callbacks.for_case(opened.case_id)
        assert await uow.callbacks.claim(record.id, "scheduled", state="sent", sent_at=clock.now())
        for question, value in (("solved", True), ("speed", 5), ("attitude", 5)):
            await aftercare.answer_survey(uow, community, record.id, zhang, clock.now(), question=question, value=value)
        await uow.commit()
    assert confirmed.callback_booked

    async def owner_submits() -> str:
        async with app.uow() as uow:
            await aftercare.submit_survey(uow, community, record.id, zhang, clock.now(), comment="满意")
            await uow.commit()
        return "chat"

    async def butler_records() -> str:
        async with app.uow() as uow:
            await aftercare.record_phone_callback(uow, community, record.id, Actor.staff(staff["李静"], via="phone"),
                                                  clock.now(), solved=False, speed=1, attitude=1, comment="没修好")
            await uow.commit()
        return "phone"

    outcomes = await asyncio.gather(owner_submits(), butler_records(), return_exceptions=True)
    winners = [o for o in outcomes if isinstance(o, str)]
    assert len(winners) == 1, outcomes
    async with app.uow() as uow:
        stored = await uow.callbacks.get(record.id)
        case = await uow.cases.get(opened.case_id)
    assert stored.method == winners[0]
    assert case.status == (Status.SURVEYED if winners[0] == "chat" else Status.DISPATCHED)
