"""Routing rules: government referrals go to a department head, complaints about staff to
customer service — never to the team complained about, which cannot even touch them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases.clock import FakeClock
from cases.codes import CATEGORIES, Kind, Role, Team, Urgency
from cases.routing import supervisor_role_for, team_for
from handlers.kit.payloads import CaseAction, encode
from handlers.staff.escalation import check_deadlines
from tests.harness import People
from tests.staff.conftest import CUSTOMER_SERVICE, ENGINEERING, MANAGEMENT, SECURITY, Crew, open_direct, run_scheduled

OPERATING_TEAMS = {Team.ENGINEERING, Team.SECURITY, Team.ENVIRONMENT}


def test_referrals_and_complaints_about_staff_skip_the_operating_teams() -> None:
    assert team_for(Kind.COMPLAINT, "government") == Team.MANAGEMENT
    assert team_for(Kind.COMPLAINT, "government", Urgency.EMERGENCY) == Team.MANAGEMENT
    # Staff attitude, unanswered calls, tickets closed without a visit: the service desk.
    for category in ("general", "common"):
        assert team_for(Kind.COMPLAINT, category) == Team.CUSTOMER_SERVICE
        assert team_for(Kind.COMPLAINT, category) not in OPERATING_TEAMS
    assert supervisor_role_for(Team.CUSTOMER_SERVICE) == Role.CS_SUPERVISOR
    assert supervisor_role_for(Team.MANAGEMENT) == Role.MANAGER
    assert supervisor_role_for(Team.ENGINEERING) == Role.ENGINEERING_MANAGER


@pytest.mark.parametrize("category", CATEGORIES[Kind.COMPLAINT])
def test_an_emergency_complaint_goes_to_a_team_on_duty(category: str) -> None:
    """"The neighbour's flat smells of gas" must not wait for the service desk to open."""
    team = team_for(Kind.COMPLAINT, category, Urgency.EMERGENCY)
    assert team != Team.CUSTOMER_SERVICE
    if team_for(Kind.COMPLAINT, category) in OPERATING_TEAMS:
        assert team == team_for(Kind.COMPLAINT, category)  # the team that can act on it still does


async def test_complaint_about_a_repairman_is_out_of_engineerings_hands(app, people: People,  # type: ignore[no-untyped-def]
                                                                        crew: Crew) -> None:
    case_id = await open_direct(app, people, kind="complaint", category="general", owner_phone="13800000001",
                                description="昨天来修水管的师傅态度很差，还乱收费", details={"want": "道歉并退费"})
    assert CUSTOMER_SERVICE in people.chats and ENGINEERING not in people.chats
    assert "业主诉求：道歉并退费" in people.last(CUSTOMER_SERVICE)
    for user in ("wq", "mjg"):  # an engineer, and the engineering manager
        outcome = await people.raw_press(user, encode(CaseAction("accept", case_id)), chat=CUSTOMER_SERVICE, group=True)
        assert outcome.answer == f"工单 #{case_id} 归客服中心处理，只有客服中心的同事或主管可以操作。"
    await people.raw_press("zl", encode(CaseAction("accept", case_id)), chat=CUSTOMER_SERVICE, group=True)
    assert "已接单（赵丽）" in people.last(CUSTOMER_SERVICE)


async def test_government_referral_goes_to_the_manager(app, clock: FakeClock, people: People,  # type: ignore[no-untyped-def]
                                                       crew: Crew) -> None:
    case_id = await open_direct(app, people, kind="complaint", category="government", owner_phone="13800000003",
                                description="12345转来：小区北门夜间施工噪音扰民")
    assert list(people.chats) == [MANAGEMENT]
    outcome = await people.raw_press("zl", encode(CaseAction("accept", case_id)), chat=MANAGEMENT, group=True)
    assert "归管理处处理" in (outcome.answer or "")
    clock.advance(timedelta(hours=24, minutes=1))
    replies = await run_scheduled(app, people, check_deadlines)
    assert sorted(r.chat_id for r in replies) == sorted([MANAGEMENT, MANAGEMENT, "lzy"])


async def test_neighbour_gas_complaint_goes_to_the_duty_team(app, people: People, crew: Crew) -> None:  # type: ignore[no-untyped-def]
    await open_direct(app, people, kind="complaint", category="neighbor", urgency="emergency",
                      owner_phone="13800000002", description="隔壁家一直有煤气味，敲门没人应")
    assert SECURITY in people.chats and CUSTOMER_SERVICE not in people.chats
