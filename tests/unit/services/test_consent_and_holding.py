"""Plan changes, chases and pauses on the in-memory unit of work: who may do each, and a
refusal changes nothing (issue 20)."""

from __future__ import annotations

from datetime import timedelta

from cases.errors import IllegalTransition, InvalidInput, NotAllowed
from cases.lifecycle import Status
from services import casework, consent, holding
from services.actors import Actor
from services.events import CaseChased, CasePaused, CaseResumed, ChangeAnswered, ChangeProposed
from services.errors import WrongStatus
from tests.unit.fakes import Desk
from tests.unit.services.conftest import T0, open_repair, owner, staff
from tests.unit.services.test_casework import refused, run, stored


def other_owner(d: Desk) -> Actor:
    return Actor.owner(d.other_owner_id, channel="telegram", chat_id="o2", user_id="o2")


async def accepted(d: Desk) -> int:
    case_id = await open_repair(d)
    await run(d, casework.accept, case_id, staff(d, "王强"), T0)
    return case_id


async def test_only_the_worker_proposes_and_only_the_owner_answers_in_chat(d: Desk) -> None:
    case_id = await accepted(d)
    await refused(d, NotAllowed, consent.propose, case_id, staff(d, "李明"), T0, change="fee", note="换阀", fee_cents=5000)
    await refused(d, NotAllowed, consent.propose, case_id, staff(d, "赵军"), T0, change="fee", note="换阀", fee_cents=5000)
    await refused(d, InvalidInput, consent.propose, case_id, staff(d, "王强"), T0, change="bribe", note="x")
    [proposed] = await run(d, consent.propose, case_id, staff(d, "王强"), T0, change="fee", note="换阀", fee_cents=5000)
    assert isinstance(proposed, ChangeProposed) and proposed.proposal["no"] == 1
    await refused(d, NotAllowed, consent.answer, case_id, other_owner(d), T0, number=1, agreed=True)
    await refused(d, InvalidInput, consent.answer, case_id, owner(d), T0, number=2, agreed=True)
    await refused(d, IllegalTransition, casework.start, case_id, staff(d, "王强"), T0)
    [answered] = await run(d, consent.answer, case_id, owner(d), T0, number=1, agreed=True)
    assert isinstance(answered, ChangeAnswered) and answered.agreed and answered.how == "chat"
    case, timeline = await stored(d, case_id)
    assert case.details["agreed_fee_cents"] == 5000 and timeline[-1].action == "change_agreed"
    # The supervisor over the worker may record a phone answer; it says "phone".
    await run(d, consent.propose, case_id, staff(d, "王强"), T0, change="new_problem", note="墙内渗漏")
    [by_phone] = await run(d, consent.answer, case_id, staff(d, "孙工"), T0, number=2, agreed=False)
    assert isinstance(by_phone, ChangeAnswered) and by_phone.how == "phone" and not by_phone.agreed


async def test_chase_is_the_owners_and_pause_the_workers(d: Desk) -> None:
    case_id = await accepted(d)
    await refused(d, NotAllowed, holding.chase, case_id, other_owner(d), T0)
    await refused(d, NotAllowed, holding.chase, case_id, staff(d, "王强"), T0)
    [chased] = await run(d, holding.chase, case_id, owner(d), T0)
    assert isinstance(chased, CaseChased) and chased.told and chased.count == 1
    await refused(d, NotAllowed, holding.pause, case_id, staff(d, "李明"), T0, reason="parts", until=T0 + timedelta(days=1))
    await refused(d, InvalidInput, holding.pause, case_id, staff(d, "王强"), T0, reason="parts",
                  until=T0 + timedelta(days=91))
    [paused] = await run(d, holding.pause, case_id, staff(d, "王强"), T0, reason="parts", until=T0 + timedelta(days=1))
    assert isinstance(paused, CasePaused)
    assert not await run(d, holding.resume_due, T0 + timedelta(hours=23))
    [resumed] = await run(d, holding.resume_due, T0 + timedelta(days=1))
    assert isinstance(resumed, CaseResumed)
    assert not await run(d, holding.resume_due, T0 + timedelta(days=2))  # once
    case, _ = await stored(d, case_id)
    assert case.status == Status.ACCEPTED and "pause" not in case.details


async def test_a_closed_case_cannot_be_chased_or_paused(d: Desk) -> None:
    case_id = await accepted(d)
    await run(d, casework.finish, case_id, staff(d, "王强"), T0, note="好了")
    await refused(d, IllegalTransition, holding.chase, case_id, owner(d), T0)
    await refused(d, WrongStatus, holding.pause, case_id, staff(d, "王强"), T0, reason="parts",
                  until=T0 + timedelta(days=1))
