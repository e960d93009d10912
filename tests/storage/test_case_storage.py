"""Cases, timelines and concurrency on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.bootstrap import App, build_app
from cases.errors import DeskError
from cases.lifecycle import TOP_ESCALATION, Actor, Case, Status
from storage import models as m
from storage.conversations import ConversationState
from tests.conftest import make_settings


async def open_case(app: App, description: str = "卫生间漏水") -> int:
    async with app.uow() as uow:
        community = await uow.directory.community()
        owner = await uow.directory.owner_by_phone(community.id, "13800000001")
        case = Case.open(kind="report", urgency="urgent", category="plumbing", area="home", now=app.now(),
                         by=Actor("owner", owner.id), description=description, owner_id=owner.id,
                         community_id=community.id, room_id=owner.rooms[0].id, photos=["p1", "p2"])
        case.dispatch("engineering", app.now(), community.policy)
        case_id = await uow.cases.add(case)
        await uow.commit()
    return case_id


async def staff_id(app: App, name: str) -> int:
    async with app.uow() as uow:
        community = await uow.directory.community()
        member = await uow.directory.staff_by_name(community.id, name)
        return member.id


async def test_case_and_timeline_survive_a_restart(app: App, database_url: str, clock) -> None:
    case_id = await open_case(app)
    wang = await staff_id(app, "王强")
    async with app.uow() as uow:
        case = await uow.cases.get(case_id)
        clock.advance(timedelta(minutes=20))
        case.accept(wang, clock.now())
        case.finish(wang, clock.now() + timedelta(hours=1), note="换了角阀", fee_cents=3500)
        await uow.cases.save(case)
        await uow.commit()
    await app.close()

    restarted = await build_app(make_settings(database_url), clock, run_migrations=True)
    try:
        async with restarted.uow() as uow:
            case = await uow.cases.get(case_id)
            timeline = await uow.cases.timeline(case_id)
        assert case.status == Status.DONE and case.assignee_id == wang and case.fee_cents == 3500
        assert case.photos == ["p1", "p2"] and case.description == "卫生间漏水"
        assert case.created_at.tzinfo is not None and case.response_due_at == case.created_at + timedelta(hours=2)
        assert [t.action for t in timeline] == ["opened", "dispatched", "accepted", "done"]
        assert timeline[-1].note == "换了角阀" and timeline[-1].data == {"fee_cents": 3500}
        assert timeline[2].actor_kind == "staff" and timeline[2].actor_id == wang
    finally:
        await restarted.close()


async def test_two_staff_accept_at_once_exactly_one_wins(app: App) -> None:
    case_id = await open_case(app)
    first, second = await staff_id(app, "王强"), await staff_id(app, "刘洋")

    async def accept(member: int) -> bool:
        async with app.uow() as uow:
            case = await uow.cases.get(case_id)
            await asyncio.sleep(0)  # let the other press run as far as it can
            try:
                case.accept(member, app.now())
                await uow.cases.save(case)
                await uow.commit()
                return True
            except DeskError:  # StaleCase on PostgreSQL; on SQLite the loser waits, then sees it taken
                return False

    results = await asyncio.gather(accept(first), accept(second))
    assert sorted(results) == [False, True]
    async with app.uow() as uow:
        case = await uow.cases.get(case_id)
        timeline = await uow.cases.timeline(case_id)
    winner = first if results[0] else second
    assert case.assignee_id == winner and case.first_responder_id == winner
    assert [t.action for t in timeline].count("accepted") == 1


async def test_rollback_leaves_nothing(app: App) -> None:
    async with app.uow() as uow:
        community = await uow.directory.community()
        case = Case.open(kind="complaint", urgency="normal", category="general", area="", now=app.now(),
                         by=Actor.system(), description="x", community_id=community.id)
        await uow.cases.add(case)
        # no commit
    async with app.uow() as uow:
        assert await uow.cases.count() == 0


async def test_lists_for_owner_team_and_deadlines(app: App, clock) -> None:
    ids = [await open_case(app, f"问题{i}") for i in range(3)]
    async with app.uow() as uow:
        community = await uow.directory.community()
        owner = await uow.directory.owner_by_phone(community.id, "13800000001")
        assert [c.id for c in await uow.cases.for_owner(owner.id)] == ids[::-1]
        assert len(await uow.cases.open_for_team("engineering")) == 3
        assert await uow.cases.open_for_team("security") == []
        assert await uow.cases.past_deadline(clock.now()) == []
        late = await uow.cases.past_deadline(clock.now() + timedelta(hours=2))
        assert [c.id for c in late] == ids



async def test_cases_at_the_top_level_do_not_hide_newer_late_ones(app: App, clock) -> None:
    ids = [await open_case(app, f"问题{i}") for i in range(3)]
    async with app.uow() as uow:
        await uow.session.execute(update(m.Case).where(m.Case.id.in_(ids[:2])).values(escalation_level=TOP_ESCALATION))
        await uow.commit()
    async with app.uow() as uow:
        # The manager already knows of the two oldest; an answer of one is the newest late case.
        late = await uow.cases.past_deadline(clock.now() + timedelta(days=30), limit=1)
    assert [c.id for c in late] == ids[2:]


async def test_cases_escalated_once_do_not_hide_newer_late_ones_until_their_next_level(app: App, clock) -> None:
    ids = [await open_case(app, f"问题{i}") for i in range(3)]
    async with app.uow() as uow:
        await uow.session.execute(update(m.Case).where(m.Case.id.in_(ids[:2])).values(escalation_level=1))
        await uow.commit()
    async with app.uow() as uow:
        policy = (await uow.directory.community()).policy
        period = policy.response["urgent"]
        # The supervisor heard of the two oldest; the manager hears only a whole period later.
        late = await uow.cases.past_deadline(clock.now() + period + timedelta(minutes=1), limit=1, policy=policy)
        assert [c.id for c in late] == ids[2:]
        late = await uow.cases.past_deadline(clock.now() + 2 * period + timedelta(minutes=1), policy=policy)
        assert [c.id for c in late] == ids


async def test_conversation_state_and_update_dedup(app: App, clock) -> None:
    async with app.uow() as uow:
        await uow.conversations.store("telegram", "42", "42", ConversationState("report", "place", {"room": "1-1-101"}), clock.now())
        assert await uow.conversations.first_time("telegram", "1001", clock.now())
        assert not await uow.conversations.first_time("telegram", "1001", clock.now())
        await uow.commit()
    async with app.uow() as uow:
        state = await uow.conversations.load("telegram", "42", "42")
        assert (state.flow, state.step, state.data) == ("report", "place", {"room": "1-1-101"})
        assert not await uow.conversations.first_time("telegram", "1001", clock.now())
        assert await uow.conversations.first_time("console", "1001", clock.now())


@pytest.mark.parametrize("round_", [1, 2])
async def test_callback_claim_is_exclusive(app: App, clock, round_: int) -> None:
    case_id = await open_case(app)
    async with app.uow() as uow:
        cb = await uow.callbacks.schedule(case_id, round_, clock.now())
        await uow.commit()
    async with app.uow() as a, app.uow() as b:
        won_a = await a.callbacks.claim(cb, "scheduled", state="sent", sent_at=clock.now())
        await a.commit()
        won_b = await b.callbacks.claim(cb, "scheduled", state="sent", sent_at=clock.now())
        await b.commit()
    assert (won_a, won_b) == (True, False)
