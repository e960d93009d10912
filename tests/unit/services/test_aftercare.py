"""Surveys, phone callbacks, spot checks and auto-confirmation on the in-memory unit of work."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta


from cases.errors import InvalidInput, NotAllowed, NotFound
from cases.lifecycle import Status
from services import aftercare, casework
from services.actors import Actor
from services.errors import AlreadyAnswered, SurveyClosed
from services.events import (
    CallbackAnswered, CaseConfirmed, CaseReopened, CaseSurveyed, SpotChecked, SurveyAnswerRecorded,
)
from tests.unit.fakes import Desk
from tests.unit.services.conftest import T0, open_repair, owner, staff
from tests.unit.services.test_casework import direct, refused, run, stored


async def surveyed_case(d: Desk) -> tuple[int, int]:
    """A repair done, confirmed, and its callback sent to the owner: (case, callback)."""
    case_id = await open_repair(d)
    await run(d, casework.accept, case_id, staff(d, "王强"), T0)
    await run(d, casework.finish, case_id, staff(d, "王强"), T0 + timedelta(hours=1), note="换了阀门")
    await run(d, casework.confirm, case_id, owner(d), T0 + timedelta(hours=2))
    [callback_id] = d.db.tables.callbacks
    async with d.uow() as uow:
        assert await uow.callbacks.claim(callback_id, "scheduled", state="sent", sent_at=T0 + timedelta(hours=4))
        await uow.commit()
    return case_id, callback_id


async def answer(d: Desk, callback_id: int, question: str, value: bool | int, actor: Actor | None = None) -> list:
    return await run(d, aftercare.answer_survey, callback_id, actor or owner(d), T0 + timedelta(hours=5),
                     question=question, value=value)


async def test_the_owner_answers_in_order_and_a_satisfied_survey_archives_the_case(d: Desk) -> None:
    case_id, callback_id = await surveyed_case(d)
    [event] = await answer(d, callback_id, "solved", True)
    assert isinstance(event, SurveyAnswerRecorded) and (event.question, event.value) == ("solved", True)
    await answer(d, callback_id, "speed", 5)
    await answer(d, callback_id, "attitude", 4)
    answered, surveyed = await run(d, aftercare.submit_survey, callback_id, owner(d), T0 + timedelta(hours=6),
                                   comment="很好")
    assert isinstance(answered, CallbackAnswered) and answered.satisfied and answered.method == "chat"
    assert isinstance(surveyed, CaseSurveyed)
    case, timeline = await stored(d, case_id)
    assert case.status == Status.SURVEYED
    record = d.db.tables.callbacks[callback_id]
    assert (record.state, record.solved, record.speed_score, record.attitude_score, record.comment) == (
        "answered", True, 5, 4, "很好")
    assert timeline[-2].action == "callback_answered" and timeline[-2].actor_kind == "owner"


async def test_answers_out_of_order_twice_or_out_of_range_are_refused(d: Desk) -> None:
    _, callback_id = await surveyed_case(d)
    await refused(d, InvalidInput, answer, callback_id, "speed", 5, via=direct)  # not asked yet
    await refused(d, InvalidInput, answer, callback_id, "solved", 1, via=direct)  # a star is no yes/no
    await answer(d, callback_id, "solved", True)
    await refused(d, AlreadyAnswered, answer, callback_id, "solved", False, via=direct)
    await refused(d, InvalidInput, answer, callback_id, "speed", 6, via=direct)
    await refused(d, InvalidInput, answer, callback_id, "speed", True, via=direct)
    await refused(d, InvalidInput, run, aftercare.submit_survey, callback_id, owner(d), T0, via=direct)  # not all answered


async def test_only_the_owner_answers_and_only_an_open_survey(d: Desk) -> None:
    _, callback_id = await surveyed_case(d)
    error = await refused(d, NotAllowed, answer, callback_id, "solved", True, Actor.owner(d.other_owner_id), via=direct)
    assert error.details["reason"] == "not_owner"
    await refused(d, NotFound, answer, 4040, "solved", True, via=direct)
    async with d.uow() as uow:
        assert await uow.callbacks.claim(callback_id, "sent", state="skipped")
        await uow.commit()
    await refused(d, SurveyClosed, answer, callback_id, "solved", True, via=direct)


async def test_an_unsatisfied_survey_reopens_the_case_with_the_verdict_as_reason(d: Desk) -> None:
    case_id, callback_id = await surveyed_case(d)
    for question, value in (("solved", False), ("speed", 3), ("attitude", 4)):
        await answer(d, callback_id, question, value)
    answered, reopened = await run(d, aftercare.submit_survey, callback_id, owner(d), T0 + timedelta(hours=6))
    assert not answered.satisfied and isinstance(reopened, CaseReopened)
    assert reopened.reason == "未解决 · 速度 3⭐ · 态度 4⭐"
    case, timeline = await stored(d, case_id)
    assert (case.status, case.rework_round, case.team_code) == (Status.DISPATCHED, 1, "engineering")
    assert (timeline[-1].action, timeline[-1].note) == ("reopened", "未解决 · 速度 3⭐ · 态度 4⭐")


async def test_a_butler_records_a_phone_callback_and_the_owner_then_finds_it_closed(d: Desk) -> None:
    case_id, callback_id = await surveyed_case(d)
    error = await refused(d, NotAllowed, aftercare.record_phone_callback, callback_id, staff(d, "王强"), T0,
                          solved=True, speed=5, attitude=5)
    assert error.details["reason"] == "role"
    await refused(d, InvalidInput, aftercare.record_phone_callback, callback_id, staff(d, "吴管家"), T0,
                  solved=True, speed=0, attitude=5)
    answered, reopened = await run(d, aftercare.record_phone_callback, callback_id, staff(d, "吴管家", via="phone"),
                                   T0, solved=True, speed=2, attitude=5, comment="来得太慢")
    assert answered.method == "phone" and reopened.reason == "来得太慢"
    record = d.db.tables.callbacks[callback_id]
    assert (record.method, record.recorded_by_id) == ("phone", d.staff["吴管家"])
    _, timeline = await stored(d, case_id)
    assert timeline[-1].data["via"] == "phone" and timeline[-2].actor_id == d.staff["吴管家"]
    error = await refused(d, SurveyClosed, answer, callback_id, "solved", True, via=direct)
    assert error.details["state"] == "answered"
    error = await refused(d, SurveyClosed, aftercare.record_phone_callback, callback_id, staff(d, "陈客服"), T0,
                          solved=True, speed=5, attitude=5)
    assert error.details["method"] == "phone"


async def test_spot_checks_by_level(d: Desk) -> None:
    case_id, callback_id = await surveyed_case(d)
    await refused(d, SurveyClosed, aftercare.spot_check, callback_id, staff(d, "郑质检"), T0, finding="confirmed")
    for question, value in (("solved", True), ("speed", 5), ("attitude", 5)):
        await answer(d, callback_id, question, value)
    await run(d, aftercare.submit_survey, callback_id, owner(d), T0)
    error = await refused(d, NotAllowed, aftercare.spot_check, callback_id, staff(d, "王强"), T0, finding="confirmed")
    assert error.details["reason"] == "role"
    await refused(d, InvalidInput, aftercare.spot_check, callback_id, staff(d, "郑质检"), T0, finding="discrepancy")
    await refused(d, InvalidInput, aftercare.spot_check, callback_id, staff(d, "郑质检"), T0, finding="fine")
    [event] = await run(d, aftercare.spot_check, callback_id, staff(d, "郑质检"), T0, finding="discrepancy",
                        note="业主说其实没修好")
    assert isinstance(event, SpotChecked) and event.level == "quality"
    assert [(s["level"], s["finding"]) for s in d.db.tables.spot_checks] == [("quality", "discrepancy")]
    _, timeline = await stored(d, case_id)
    assert (timeline[-1].action, timeline[-1].data["finding"]) == ("callback_spot_checked", "discrepancy")


async def test_auto_confirm_only_when_due_and_only_once(d: Desk) -> None:
    case_id = await open_repair(d)
    await run(d, casework.accept, case_id, staff(d, "王强"), T0)
    await run(d, casework.finish, case_id, staff(d, "王强"), T0, note="修好了")
    after = d.community.policy.auto_confirm_after
    async with d.uow() as uow:
        assert await aftercare.auto_confirm(uow, d.community, case_id, T0 + after - timedelta(minutes=1)) == []
        [event] = await aftercare.auto_confirm(uow, d.community, case_id, T0 + after)
        assert await aftercare.auto_confirm(uow, d.community, case_id, T0 + after) == []
        await uow.commit()
    assert isinstance(event, CaseConfirmed) and event.auto and event.callback_booked
    case, timeline = await stored(d, case_id)
    assert (case.status, case.confirmed_by) == (Status.CLOSED, "auto")
    assert (timeline[-1].action, timeline[-1].actor_kind) == ("auto_confirmed", "system")


async def test_auto_confirm_books_no_callback_where_the_policy_samples_none(d: Desk) -> None:
    d.community = replace(d.community, policy=replace(d.community.policy, repair_callback_rate=0.9))
    booked = []
    for n in range(12):
        case_id = await open_repair(d, description=f"漏水 {n}")
        await run(d, casework.accept, case_id, staff(d, "王强"), T0)
        await run(d, casework.finish, case_id, staff(d, "王强"), T0, note="修好了")
        async with d.uow() as uow:
            [event] = await aftercare.auto_confirm(uow, d.community, case_id, T0 + timedelta(days=4))
            await uow.commit()
        booked.append(event.callback_booked)
    assert len(d.db.tables.callbacks) == sum(booked)
