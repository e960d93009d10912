"""Dispatching, assigning and escalating, on the in-memory unit of work."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from cases.errors import InvalidInput, NotAllowed
from cases.lifecycle import Actor as Recorded
from cases.lifecycle import Case, Status
from services import casework, dispatch
from services.errors import WrongStatus
from services.events import CaseAccepted, CaseAssigned, CaseDispatched, CaseEscalated, EmergencyRepeated
from tests.unit.fakes import Desk
from tests.unit.services.conftest import T0, open_repair, staff
from tests.unit.services.test_casework import refused, run, stored


async def open_but_not_dispatched(d: Desk) -> int:
    """A case taken at the office and left for a supervisor to route (no service leaves one so)."""
    async with d.uow() as uow:
        case = Case.open(kind="report", urgency="normal", category="facility", area="public", now=T0,
                         by=Recorded("staff", d.staff["陈客服"]), description="路灯不亮", community_id=d.community.id)
        case_id = await uow.cases.add(case)
        await uow.commit()
    return case_id


async def test_a_supervisor_dispatches_an_open_case(d: Desk) -> None:
    case_id = await open_but_not_dispatched(d)
    error = await refused(d, NotAllowed, dispatch.dispatch, case_id, staff(d, "王强"), T0, team="engineering")
    assert error.details["reason"] == "not_supervisor"
    await refused(d, NotAllowed, dispatch.dispatch, case_id, staff(d, "孙工"), T0, team="security")
    [event] = await run(d, dispatch.dispatch, case_id, staff(d, "周经理", via="console"), T0, team="engineering")
    assert isinstance(event, CaseDispatched)
    case, timeline = await stored(d, case_id)
    assert (case.status, case.team_code) == (Status.DISPATCHED, "engineering")
    assert (timeline[-1].action, timeline[-1].actor_id, timeline[-1].data["via"]) == (
        "dispatched", d.staff["周经理"], "console")
    await refused(d, WrongStatus, dispatch.dispatch, case_id, staff(d, "周经理"), T0, team="engineering")


async def test_assign_case_n_to_a_named_staff_member(d: Desk) -> None:
    case_id = await open_repair(d)
    [event] = await run(d, dispatch.assign, case_id, staff(d, "孙工", via="console"), T0, to="王强")
    assert isinstance(event, CaseAccepted) and event.on_behalf and event.staff_id == d.staff["王强"]
    case, timeline = await stored(d, case_id)
    assert (case.status, case.assignee_id, case.first_responder_id) == (
        Status.ACCEPTED, d.staff["王强"], d.staff["王强"])
    # The timeline says who it was accepted for, who did it, and where.
    assert (timeline[-1].action, timeline[-1].actor_id) == ("accepted", d.staff["王强"])
    assert timeline[-1].data == {"by": d.staff["孙工"], "via": "console"}


async def test_reassigning_hands_back_first_and_keeps_the_first_responder(d: Desk) -> None:
    case_id = await open_repair(d)
    await run(d, casework.accept, case_id, staff(d, "王强"), T0)
    [event] = await run(d, dispatch.assign, case_id, staff(d, "孙工"), T0, to=d.staff["李明"])
    assert isinstance(event, CaseAssigned) and event.previous_assignee == d.staff["王强"]
    case, timeline = await stored(d, case_id)
    assert (case.assignee_id, case.first_responder_id) == (d.staff["李明"], d.staff["王强"])
    assert [i.action for i in timeline][-2:] == ["handed_back", "accepted"]
    assert await run(d, dispatch.assign, case_id, staff(d, "孙工"), T0, to="李明") == []  # already theirs


@pytest.mark.parametrize(("boss", "to", "error", "reason"), [
    ("王强", "李明", NotAllowed, "not_supervisor"),  # an engineer is no supervisor
    ("郑质检", "王强", NotAllowed, "not_supervisor"),  # a quality inspector checks, does not assign…
    ("孙工", "赵军", NotAllowed, "other_team"),  # …and a guard cannot work on a plumbing case
    ("孙工", "冯离职", InvalidInput, None),  # no longer active
    ("孙工", "无名氏", InvalidInput, None),
])
async def test_who_may_assign_to_whom(d: Desk, boss: str, to: str, error: type[Exception], reason: str | None) -> None:
    case_id = await open_repair(d)
    refusal = await refused(d, error, dispatch.assign, case_id, staff(d, boss), T0, to=to)
    if reason:
        assert refusal.details["reason"] == reason


async def test_accept_on_behalf_only_of_a_waiting_case(d: Desk) -> None:
    case_id = await open_repair(d)
    await run(d, dispatch.accept_on_behalf, case_id, staff(d, "周经理"), T0, of="李明")
    await refused(d, WrongStatus, dispatch.accept_on_behalf, case_id, staff(d, "周经理"), T0, of="王强")


async def test_a_late_case_is_escalated_once_per_level(d: Desk) -> None:
    case_id = await open_repair(d)  # normal: 24 h to respond
    async with d.uow() as uow:
        assert await dispatch.escalate_overdue(uow, d.community, T0 + timedelta(hours=23)) == []
        [first] = await dispatch.escalate_overdue(uow, d.community, T0 + timedelta(hours=24))
        assert await dispatch.escalate_overdue(uow, d.community, T0 + timedelta(hours=30)) == []
        [second] = await dispatch.escalate_overdue(uow, d.community, T0 + timedelta(hours=48))
        await uow.commit()
    assert isinstance(first, CaseEscalated) and (first.level, first.late, first.levels) == (1, "response", (1,))
    assert (second.level, second.levels) == (2, (2,))
    case, timeline = await stored(d, case_id)
    assert case.escalation_level == 2 and [i.action for i in timeline].count("escalated") == 2


async def test_after_downtime_a_case_jumps_levels_and_each_is_reported(d: Desk) -> None:
    await open_repair(d)
    async with d.uow() as uow:
        [event] = await dispatch.escalate_overdue(uow, d.community, T0 + timedelta(hours=60))
    assert (event.level, event.levels) == (2, (1, 2))


async def test_work_late_to_finish_is_escalated_as_completion(d: Desk) -> None:
    case_id = await open_repair(d)
    await run(d, casework.accept, case_id, staff(d, "王强"), T0 + timedelta(minutes=5))
    async with d.uow() as uow:
        [event] = await dispatch.escalate_overdue(uow, d.community, T0 + timedelta(hours=72, minutes=1))
    assert event.late == "completion" and event.level == 1


async def test_an_unaccepted_emergency_is_announced_again_each_period(d: Desk) -> None:
    case_id = await open_repair(d, urgency="emergency", category="security", area="public", description="闻到煤气味")
    async with d.uow() as uow:
        assert await dispatch.repeat_emergencies(uow, d.community, T0 + timedelta(minutes=4)) == []
        [again] = await dispatch.repeat_emergencies(uow, d.community, T0 + timedelta(minutes=5))
        assert await dispatch.repeat_emergencies(uow, d.community, T0 + timedelta(minutes=9)) == []
        [third] = await dispatch.repeat_emergencies(uow, d.community, T0 + timedelta(minutes=10))
        await uow.commit()
    assert isinstance(again, EmergencyRepeated) and (again.count, third.count) == (2, 3)
    await run(d, casework.accept, case_id, staff(d, "赵军"), T0 + timedelta(minutes=11))
    async with d.uow() as uow:
        assert await dispatch.repeat_emergencies(uow, d.community, T0 + timedelta(minutes=20)) == []


async def test_assigning_to_another_communitys_member_of_staff_is_refused(d: Desk) -> None:
    """A forged console form naming a staff row of another community (an engineer there with
    the same team) reads as an unknown member of staff; the case is not touched."""
    case_id = await open_repair(d)
    staff_rows = d.db.tables.staff
    elsewhere = max(staff_rows) + 1
    member, _, phone = staff_rows[d.staff["王强"]]
    staff_rows[elsewhere] = (replace(member, id=elsewhere), d.community.id + 1, phone)
    await refused(d, InvalidInput, dispatch.assign, case_id, staff(d, "孙工", via="console"), T0, to=elsewhere)
    case, _ = await stored(d, case_id)
    assert (case.status, case.assignee_id) == (Status.DISPATCHED, None)
