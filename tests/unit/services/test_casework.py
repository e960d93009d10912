"""The case services on the in-memory unit of work: what they change, the events they
report, and every refusal (which changes nothing)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases.errors import IllegalTransition, InvalidInput, NotAllowed, NotFound
from cases.lifecycle import Status
from services import casework
from services.actors import Actor
from services.errors import MovedMeanwhile, PriceChanged, TooSoon, WrongStatus
from services.events import (
    CaseAccepted, CaseCancelled, CaseConfirmed, CaseDone, CaseHandedBack, CaseOpened, CaseRejected, CaseRemarked,
    CaseStarted, CaseTransferred, FalseAlarm, HelpRequested, NoteAdded, PlaceAdded,
)
from tests.unit.fakes import Desk
from tests.unit.services.conftest import T0, open_repair, owner, staff


async def run(d: Desk, service, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Call a service in its own unit of work and commit, as a front end does."""
    async with d.uow() as uow:
        events = await service(uow, d.community, *args, **kwargs)
        await uow.commit()
    return events


async def stored(d: Desk, case_id: int):  # type: ignore[no-untyped-def]
    async with d.uow() as uow:
        return await uow.cases.get(case_id), await uow.cases.timeline(case_id)


async def direct(d: Desk, call, *args, **kwargs):  # type: ignore[no-untyped-def]
    """For `refused(..., via=direct)`: a test's own helper that takes the desk first."""
    return await call(d, *args, **kwargs)


async def refused(d: Desk, error: type[Exception], service, *args, via=run, **kwargs) -> Exception:  # type: ignore[no-untyped-def]
    """The service refuses, and the database is exactly as before."""
    before = repr(d.db.tables)
    with pytest.raises(error) as caught:
        await via(d, service, *args, **kwargs)
    assert repr(d.db.tables) == before
    return caught.value


async def accepted(d: Desk, name: str = "王强") -> int:
    case_id = await open_repair(d)
    await run(d, casework.accept, case_id, staff(d, name), T0 + timedelta(minutes=5))
    return case_id


async def done(d: Desk) -> int:
    case_id = await accepted(d)
    await run(d, casework.finish, case_id, staff(d, "王强"), T0 + timedelta(hours=1), note="换了密封圈", fee_cents=3000)
    return case_id


# ----------------------------------------------------------------- opening
async def test_an_owner_opens_a_case_and_it_is_dispatched_to_its_team(d: Desk) -> None:
    case_id = await open_repair(d)
    case, timeline = await stored(d, case_id)
    assert case.status == Status.DISPATCHED and case.team_code == "engineering"
    assert case.owner_id == d.owner_id and (case.reporter_channel, case.reporter_chat_id) == ("telegram", "o1")
    assert [(i.action, i.actor_kind, i.actor_id) for i in timeline] == [
        ("opened", "owner", d.owner_id), ("dispatched", "system", None)]
    assert case.response_due_at == T0 + timedelta(hours=24)


async def test_an_unbound_reporter_opens_a_case_for_their_chat(d: Desk) -> None:
    stranger = Actor.owner(None, channel="telegram", chat_id="x9")
    [event] = await run(d, casework.open_case, stranger, T0, kind="inquiry", urgency="normal", description="几点停水？")
    case, timeline = await stored(d, event.case_id)
    assert isinstance(event, CaseOpened) and case.owner_id is None
    assert (case.reporter_channel, case.reporter_chat_id) == ("telegram", "x9")
    assert timeline[0].actor_kind == "system"  # as before: nobody bound, the desk opened it


async def test_staff_at_the_console_open_a_case_for_an_owner_who_phoned(d: Desk) -> None:
    [event] = await run(d, casework.open_case, staff(d, "陈客服", via="console"), T0, kind="complaint",
                        urgency="normal", category="neighbor", description="楼上装修太吵", owner_id=d.owner_id)
    case, timeline = await stored(d, event.case_id)
    assert case.owner_id == d.owner_id and case.team_code == "customer_service"
    assert timeline[0].actor_kind == "staff" and timeline[0].actor_id == d.staff["陈客服"]
    assert all(item.data.get("via") == "console" for item in timeline)


@pytest.mark.parametrize(("fields", "error"), [
    ({"room_id": 999}, InvalidInput),
    ({"category": "catering"}, InvalidInput),
])
async def test_bad_cases_are_refused_and_nothing_is_stored(d: Desk, fields: dict, error: type[Exception]) -> None:
    values = {"kind": "report", "urgency": "normal", "category": "plumbing", "area": "home",
              "description": "厨房水管漏水", **fields}
    await refused(d, error, casework.open_case, owner(d), T0, **values)


async def test_an_inactive_staff_member_cannot_open_cases(d: Desk) -> None:
    error = await refused(d, NotAllowed, casework.open_case, staff(d, "冯离职"), T0, kind="inquiry", urgency="normal",
                          description="?")
    assert error.details["reason"] == "inactive"


async def test_a_booking_is_made_only_at_the_price_the_owner_saw(d: Desk) -> None:
    error = await refused(d, PriceChanged, casework.book_service, owner(d), T0, item=d.item, price_seen=5000,
                          slot="明天上午", room_id=d.room_id)
    assert error.details["price_cents"] == 8000
    [event] = await run(d, casework.book_service, owner(d), T0, item=d.item, price_seen=8000, slot="明天上午",
                        room_id=d.room_id, details={"item": d.item.name_zh})
    case, _ = await stored(d, event.case_id)
    assert case.kind == "service" and case.category == "home_repair" and case.description == "疏通下水道"
    assert [(b["case_id"], b["price_cents"], b["slot"]) for b in d.db.tables.bookings] == [(event.case_id, 8000, "明天上午")]


# ----------------------------------------------------------------- accept
async def test_the_first_accept_wins_and_makes_the_first_responder(d: Desk) -> None:
    case_id = await open_repair(d)
    [event] = await run(d, casework.accept, case_id, staff(d, "王强"), T0 + timedelta(minutes=5))
    assert isinstance(event, CaseAccepted) and event.staff_id == d.staff["王强"]
    error = await refused(d, WrongStatus, casework.accept, case_id, staff(d, "李明"), T0 + timedelta(minutes=6))
    assert error.case.assignee_id == d.staff["王强"]  # the refusal can say who has it
    case, timeline = await stored(d, case_id)
    assert case.status == Status.ACCEPTED and case.first_responder_id == d.staff["王强"]
    assert [i.action for i in timeline].count("accepted") == 1


@pytest.mark.parametrize(("who", "reason"), [
    ("stranger", "not_staff"), ("赵军", "other_team"), ("冯离职", "inactive"), ("ghost", "inactive"),
])
async def test_who_may_not_accept(d: Desk, who: str, reason: str) -> None:
    case_id = await open_repair(d)
    actor = {"stranger": owner(d), "ghost": Actor.staff(4040)}.get(who) or staff(d, who)
    error = await refused(d, NotAllowed, casework.accept, case_id, actor, T0)
    assert error.details["reason"] == reason


async def test_a_supervisor_over_the_team_may_accept(d: Desk) -> None:
    case_id = await open_repair(d)
    await run(d, casework.accept, case_id, staff(d, "孙工"), T0)
    case, _ = await stored(d, case_id)
    assert case.assignee_id == d.staff["孙工"]


async def test_an_unknown_or_foreign_case_number_is_not_found(d: Desk) -> None:
    await refused(d, NotFound, casework.accept, 999, staff(d, "王强"), T0)


async def test_two_accepts_racing_the_loser_hears_who_won(d: Desk) -> None:
    """Both read the case before either saved: the second save is stale, and the refusal
    carries the case as the winner left it."""
    case_id = await open_repair(d)
    async with d.uow() as loser:
        real_get = loser.cases.get

        async def get_then_lose_the_race(wanted: int):  # type: ignore[no-untyped-def]
            case = await real_get(wanted)
            if case is not None and case.status == Status.DISPATCHED:
                async with d.uow() as winner:
                    await casework.accept(winner, d.community, case_id, staff(d, "李明"), T0)
                    await winner.commit()
            return case

        loser.cases.get = get_then_lose_the_race  # type: ignore[method-assign]
        with pytest.raises(WrongStatus) as caught:
            await casework.accept(loser, d.community, case_id, staff(d, "王强"), T0)
    assert caught.value.case.assignee_id == d.staff["李明"]
    case, timeline = await stored(d, case_id)
    assert case.assignee_id == d.staff["李明"] and [i.action for i in timeline].count("accepted") == 1


# ----------------------------------------------------------------- start, finish
async def test_only_the_worker_or_a_supervisor_starts(d: Desk) -> None:
    case_id = await accepted(d)
    error = await refused(d, NotAllowed, casework.start, case_id, staff(d, "李明"), T0)
    assert error.details["reason"] == "not_assignee"
    [event] = await run(d, casework.start, case_id, staff(d, "孙工"), T0 + timedelta(minutes=30))
    assert isinstance(event, CaseStarted)
    case, timeline = await stored(d, case_id)
    assert case.status == Status.IN_PROGRESS and case.assignee_id == d.staff["王强"]
    assert (timeline[-1].action, timeline[-1].actor_id) == ("started", d.staff["孙工"])


async def test_start_twice_is_refused_with_the_case_as_it_is(d: Desk) -> None:
    case_id = await accepted(d)
    await run(d, casework.start, case_id, staff(d, "王强"), T0)
    error = await refused(d, WrongStatus, casework.start, case_id, staff(d, "王强"), T0)
    assert error.case.status == Status.IN_PROGRESS


async def test_finishing_records_note_fee_and_photos(d: Desk) -> None:
    case_id = await accepted(d)
    [event] = await run(d, casework.finish, case_id, staff(d, "王强"), T0 + timedelta(hours=1), note=" 换了密封圈 ",
                        fee_cents=3500, photos=["p1", "p2"])
    assert isinstance(event, CaseDone) and (event.note, event.fee_cents, event.photos) == ("换了密封圈", 3500, ("p1", "p2"))
    case, timeline = await stored(d, case_id)
    assert case.status == Status.DONE and case.fee_cents == 3500
    assert timeline[-1].data == {"fee_cents": 3500, "photos": ["p1", "p2"]} and timeline[-1].note == "换了密封圈"


@pytest.mark.parametrize(("note", "fee"), [("", 0), ("好" * 301, 0), ("ok", -1), ("ok", 10_000_001)])
async def test_a_bad_finish_is_refused(d: Desk, note: str, fee: int) -> None:
    case_id = await accepted(d)
    await refused(d, InvalidInput, casework.finish, case_id, staff(d, "王强"), T0, note=note, fee_cents=fee)


async def test_a_waiting_case_cannot_be_finished(d: Desk) -> None:
    case_id = await open_repair(d)
    await refused(d, WrongStatus, casework.finish, case_id, staff(d, "王强"), T0, note="done")


# ----------------------------------------------------------------- hand back, transfer, help
async def test_a_supervisor_hands_back_for_the_worker(d: Desk) -> None:
    case_id = await accepted(d)
    [event] = await run(d, casework.hand_back, case_id, staff(d, "孙工"), T0, reason="他病了")
    assert isinstance(event, CaseHandedBack) and event.previous_assignee == d.staff["王强"]
    case, timeline = await stored(d, case_id)
    assert case.status == Status.DISPATCHED and case.assignee_id is None
    assert (timeline[-1].action, timeline[-1].note, timeline[-1].actor_id) == ("handed_back", "他病了", d.staff["孙工"])


async def test_a_transfer_moves_the_case_and_keeps_the_first_responder(d: Desk) -> None:
    case_id = await accepted(d)
    [event] = await run(d, casework.transfer, case_id, staff(d, "王强"), T0, to_team="security", reason="是门禁的问题",
                        from_team="engineering")
    assert isinstance(event, CaseTransferred)
    assert (event.from_team, event.to_team, event.previous_assignee) == ("engineering", "security", d.staff["王强"])
    case, _ = await stored(d, case_id)
    assert (case.team_code, case.status, case.assignee_id) == ("security", Status.DISPATCHED, None)
    assert case.first_responder_id == d.staff["王强"]


async def test_a_case_moved_while_the_worker_typed_is_not_moved_again(d: Desk) -> None:
    case_id = await accepted(d)
    await run(d, casework.transfer, case_id, staff(d, "孙工"), T0, to_team="environment", reason="是保洁的事")
    error = await refused(d, MovedMeanwhile, casework.transfer, case_id, staff(d, "王强"), T0, to_team="security",
                          reason="门禁", from_team="engineering")
    assert error.details["team"] == "environment"


@pytest.mark.parametrize(("team", "reason", "error"), [
    ("security", "", InvalidInput), ("engineering", "同一个组", InvalidInput), ("kitchen", "?", InvalidInput),
    ("security", "长" * 201, InvalidInput),
])
async def test_a_bad_transfer_is_refused(d: Desk, team: str, reason: str, error: type[Exception]) -> None:
    case_id = await accepted(d)
    await refused(d, error, casework.transfer, case_id, staff(d, "王强"), T0, to_team=team, reason=reason)


async def test_help_is_asked_once_per_ten_minutes(d: Desk) -> None:
    case_id = await accepted(d)
    [event] = await run(d, casework.ask_for_help, case_id, staff(d, "王强"), T0)
    assert isinstance(event, HelpRequested)
    await refused(d, TooSoon, casework.ask_for_help, case_id, staff(d, "王强"), T0 + timedelta(minutes=9))
    await run(d, casework.ask_for_help, case_id, staff(d, "王强"), T0 + timedelta(minutes=10))
    _, timeline = await stored(d, case_id)
    assert [i.action for i in timeline].count("help_requested") == 2


# ----------------------------------------------------------------- the owner
async def test_the_owner_confirms_and_the_callback_is_booked(d: Desk) -> None:
    case_id = await done(d)
    [event] = await run(d, casework.confirm, case_id, owner(d), T0 + timedelta(hours=2))
    assert isinstance(event, CaseConfirmed) and not event.auto and event.callback_booked
    case, _ = await stored(d, case_id)
    assert case.status == Status.CLOSED and case.confirmed_by == "owner"
    [callback] = d.db.tables.callbacks.values()
    assert (callback.case_id, callback.round, callback.state) == (case_id, 1, "scheduled")


@pytest.mark.parametrize("who", ["other owner", "engineer", "same chat other person"])
async def test_only_the_owner_confirms(d: Desk, who: str) -> None:
    case_id = await done(d)
    actor = {"other owner": Actor.owner(d.other_owner_id), "engineer": staff(d, "王强"),
             "same chat other person": Actor.owner(None, channel="telegram", chat_id="o1")}[who]
    error = await refused(d, NotAllowed, casework.confirm, case_id, actor, T0)
    assert error.details["reason"] == "not_owner"


async def test_unfinished_work_cannot_be_confirmed(d: Desk) -> None:
    case_id = await accepted(d)
    await refused(d, IllegalTransition, casework.confirm, case_id, owner(d), T0)


async def test_the_owner_rejects_with_a_reason_and_it_goes_back_for_rework(d: Desk) -> None:
    case_id = await done(d)
    await refused(d, InvalidInput, casework.reject, case_id, owner(d), T0, reason="  ")
    [event] = await run(d, casework.reject, case_id, owner(d), T0 + timedelta(hours=3), reason="还在滴水")
    assert isinstance(event, CaseRejected)
    case, timeline = await stored(d, case_id)
    assert (case.status, case.team_code, case.rework_round, case.assignee_id) == (Status.DISPATCHED, "engineering", 1, None)
    assert timeline[-1].data["previous_assignee"] == d.staff["王强"] and timeline[-1].note == "还在滴水"


async def test_the_owner_cancels_only_before_acceptance(d: Desk) -> None:
    waiting = await open_repair(d)
    [event] = await run(d, casework.cancel, waiting, owner(d), T0, reason="自己修好了")
    assert isinstance(event, CaseCancelled)
    taken = await accepted(d)
    error = await refused(d, WrongStatus, casework.cancel, taken, owner(d), T0)
    assert error.case.status == Status.ACCEPTED


async def test_an_unbound_reporter_acts_on_their_own_case_from_their_chat(d: Desk) -> None:
    stranger = Actor.owner(None, channel="telegram", chat_id="x9")
    [event] = await run(d, casework.open_case, stranger, T0, kind="inquiry", urgency="normal", description="几点停水？")
    await refused(d, NotAllowed, casework.cancel, event.case_id, Actor.owner(None, channel="telegram", chat_id="x8"), T0)
    await run(d, casework.cancel, event.case_id, stranger, T0)


async def test_the_owner_adds_words_and_photos_to_an_open_case(d: Desk) -> None:
    case_id = await accepted(d)
    [event] = await run(d, casework.add_to_case, case_id, owner(d), T0, text="水越来越大了", photo="ph1")
    assert isinstance(event, NoteAdded) and event.photo == "ph1"
    case, timeline = await stored(d, case_id)
    assert case.details["added"] == ["水越来越大了"] and case.photos == ["ph1"]
    assert [i.action for i in timeline][-2:] == ["owner_added", "owner_added_photo"]
    await refused(d, NotAllowed, casework.add_to_case, case_id, Actor.owner(d.other_owner_id), T0, text="我的")
    await refused(d, InvalidInput, casework.add_to_case, case_id, owner(d), T0)


async def test_nothing_is_added_to_a_closed_case(d: Desk) -> None:
    case_id = await done(d)
    await run(d, casework.confirm, case_id, owner(d), T0)
    await refused(d, WrongStatus, casework.add_to_case, case_id, owner(d), T0, text="还有")


async def test_place_and_false_alarm(d: Desk) -> None:
    case_id = await open_repair(d, urgency="emergency", category="security", area="public", description="闻到煤气味")
    [event] = await run(d, casework.set_place, case_id, owner(d), T0, room_id=d.room_id)
    assert isinstance(event, PlaceAdded) and event.where == "1-101"
    [alarm] = await run(d, casework.false_alarm, case_id, owner(d), T0)
    assert isinstance(alarm, FalseAlarm)
    assert await run(d, casework.false_alarm, case_id, owner(d), T0) == []  # said twice: nothing new
    case, timeline = await stored(d, case_id)
    assert case.room_id == d.room_id and case.details["false_alarm"] is True
    assert [i.action for i in timeline].count("false_alarm") == 1


# ----------------------------------------------------------------- notes and remarks
async def test_staff_notes_and_remarks_may_not_pose_as_a_change_of_state(d: Desk) -> None:
    case_id = await accepted(d)
    [event] = await run(d, casework.add_staff_note, case_id, staff(d, "王强", via="console"), T0, note="已约明早")
    assert isinstance(event, CaseRemarked) and event.action == "staff_note"
    _, timeline = await stored(d, case_id)
    assert (timeline[-1].action, timeline[-1].note, timeline[-1].data) == ("staff_note", "已约明早", {"via": "console"})
    for forged in ("confirmed", "Accepted", "a b", ""):
        await refused(d, InvalidInput, casework.remark, case_id, staff(d, "王强"), T0, action=forged)
    error = await refused(d, NotAllowed, casework.add_staff_note, case_id, staff(d, "赵军"), T0, note="?")
    assert error.details["reason"] == "other_team"
