"""The pure dispatch core on a moved clock: modes, the duty roster, offers lapsing, plan
changes needing consent, pausing the deadline, chasing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cases.assignment import lapse, lapsed, offer, offered_to
from cases.dispatch_modes import DispatchConfig, Member, Mode, Rule, choose
from cases.errors import IllegalTransition, InvalidInput
from cases.lifecycle import Actor, Case, Status
from cases.pausing import chase, pause, paused, resume, resume_due
from cases.plan_change import agree, decline, pending, propose
from cases.policy import DeskPolicy
from cases.roster import Roster

ZONE = "Asia/Shanghai"
# Sunday 6 December 2026, 03:00 in Shanghai.
SUNDAY_3AM = datetime(2026, 12, 5, 19, 0, tzinfo=timezone.utc)
# Tuesday 8 December 2026, 10:00 in Shanghai.
TUESDAY_10AM = datetime(2026, 12, 8, 2, 0, tzinfo=timezone.utc)

WANG, LIU, SUN, MA, ZHANG, LI = (
    Member(1, "gc01", "engineering", "engineer"), Member(2, "gc02", "engineering", "engineer"),
    Member(3, "gc03", "engineering", "engineer"), Member(4, "gc09", "engineering", "engineering_manager"),
    Member(5, "ba01", "security", "security"), Member(6, "gj01", "customer_service", "butler"),
)
EVERYONE = [WANG, LIU, SUN, MA, ZHANG, LI]

ROSTER = Roster.from_json({
    "weekly": [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "18:00", "staff": ["gc01", "gc02", "gc03"]},
        {"days": ["sat"], "from": "20:00", "to": "08:00", "staff": ["gc03", "ba01"]},
    ],
    "exceptions": [{"date": "2026-12-08", "away": ["gc02"]}],
})
CONFIG = DispatchConfig(
    rules=(Rule(Mode.BUILDING, kind="complaint"), Rule(Mode.ROUND_ROBIN, kind="report", category="plumbing")),
    responsible={"1": {"customer_service": "gj01", "engineering": "gc01"}},
    cap=2, roster=ROSTER, night=None,
)


def decide(config: DispatchConfig = CONFIG, *, kind: str = "report", category: str = "plumbing",
           urgency: str = "normal", team: str = "engineering", building: str = "1",
           load: dict[int, int] | None = None, now: datetime = TUESDAY_10AM):
    return choose(config, kind=kind, category=category, urgency=urgency, team=team, building=building,
                  members=EVERYONE, load=load or {}, now=now, zone=ZONE)


def test_without_a_dispatch_section_everything_is_grabbed_as_before() -> None:
    assert DeskPolicy().dispatch == DispatchConfig()
    assert DeskPolicy.from_json(DeskPolicy().to_json()) == DeskPolicy()
    for urgency in ("normal", "urgent", "emergency"):
        d = decide(DispatchConfig(), urgency=urgency, now=SUNDAY_3AM)
        assert d.mode is Mode.GRAB and d.assignee_id is None


def test_a_complaint_goes_to_the_butler_of_its_building() -> None:
    d = decide(kind="complaint", category="housing", team="customer_service")
    assert (d.mode, d.assignee_id) == (Mode.BUILDING, LI.id)
    assert d.fallback_at == TUESDAY_10AM + timedelta(minutes=30)
    # Another building has nobody responsible: the group grabs it, and the decision says why.
    other = decide(kind="complaint", category="housing", team="customer_service", building="2")
    assert (other.mode, other.assignee_id, other.why) == (Mode.GRAB, None, "nobody_responsible")
    full = decide(kind="complaint", category="housing", team="customer_service", load={LI.id: 2})
    assert (full.mode, full.why) == (Mode.GRAB, "at_cap")


def test_round_robin_takes_the_lightest_load_under_the_cap_and_skips_who_is_off() -> None:
    # Tuesday: 刘洋 (gc02) is off; 王强 has 1 open case, 孙浩 none → 孙浩.
    assert decide(load={WANG.id: 1}).assignee_id == SUN.id
    # 孙浩 reaches the cap (2): 王强 with 1.
    assert decide(load={WANG.id: 1, SUN.id: 2}).assignee_id == WANG.id
    # Everyone on duty is at the cap: back to the group.
    both_full = decide(load={WANG.id: 2, SUN.id: 2, LIU.id: 0})
    assert (both_full.mode, both_full.assignee_id, both_full.why) == (Mode.GRAB, None, "all_at_cap")
    # Monday 刘洋 is back, and the manager is never in the rotation.
    monday = decide(load={WANG.id: 1, SUN.id: 1}, now=TUESDAY_10AM - timedelta(days=1))
    assert monday.assignee_id == LIU.id
    # Ties go to whoever was offered a case longest ago.
    tie = choose(CONFIG, kind="report", category="plumbing", urgency="normal", team="engineering", building="1",
                 members=EVERYONE, load={}, now=TUESDAY_10AM, zone=ZONE,
                 last_offered={SUN.id: TUESDAY_10AM - timedelta(minutes=5), WANG.id: TUESDAY_10AM - timedelta(hours=2)})
    assert tie.assignee_id == WANG.id


def test_an_inactive_member_is_never_offered_a_case() -> None:
    gone = Member(WANG.id, WANG.code, WANG.team, WANG.role, active=False)
    d = choose(CONFIG, kind="complaint", category="housing", urgency="normal", team="engineering", building="1",
               members=[gone, LIU, SUN], load={}, now=TUESDAY_10AM, zone=ZONE)
    assert (d.mode, d.why) == (Mode.GRAB, "responsible_away")


def test_at_three_on_sunday_an_emergency_goes_to_the_person_on_duty() -> None:
    # Saturday's night shift (20:00 → 08:00) covers Sunday 03:00: 孙浩 of engineering first.
    assert ROSTER.on_duty(SUNDAY_3AM, ZONE) == ("gc03", "ba01")
    d = decide(urgency="emergency", now=SUNDAY_3AM)
    assert (d.mode, d.assignee_id) == (Mode.DUTY, SUN.id)
    assert d.fallback_at == SUNDAY_3AM + timedelta(minutes=10)
    # A security emergency: the guard on duty.
    assert decide(urgency="emergency", team="security", category="security", now=SUNDAY_3AM).assignee_id == ZHANG.id
    # Sunday 09:00 nobody is rostered: the emergency goes by its category's mode (electrical:
    # grabbed by the group as today).
    assert decide(urgency="emergency", category="electrical", now=SUNDAY_3AM + timedelta(hours=6)).mode is Mode.GRAB


def test_night_cases_go_to_duty_when_the_file_says_nights_do() -> None:
    nights = DispatchConfig(roster=ROSTER, night=(datetime.min.time().replace(hour=22), datetime.min.time().replace(hour=8)))
    assert decide(nights, urgency="normal", now=SUNDAY_3AM).assignee_id == SUN.id
    assert decide(nights, urgency="normal", now=TUESDAY_10AM).mode is Mode.GRAB


def test_an_exception_day_replaces_the_pattern() -> None:
    holiday = Roster.from_json({"weekly": ROSTER.to_json()["weekly"],
                                "exceptions": [{"date": "2026-12-05", "shifts": [{"from": "20:00", "to": "08:00", "staff": ["gc01"]}]}]})
    assert holiday.on_duty(SUNDAY_3AM, ZONE) == ("gc01",)
    assert Roster.from_json(holiday.to_json()) == holiday


def dispatched(now: datetime, urgency: str = "normal") -> Case:
    case = Case.open(kind="report", urgency=urgency, category="plumbing", area="home", now=now,
                     by=Actor("owner", 9), description="漏水", id=7)
    case.dispatch("engineering", now, DeskPolicy())
    return case


def test_an_unanswered_offer_falls_back_to_the_group_and_a_duty_offer_escalates() -> None:
    case = dispatched(SUNDAY_3AM, "emergency")
    assert offer(case, decide(urgency="emergency", now=SUNDAY_3AM), SUNDAY_3AM)
    assert offered_to(case) == SUN.id
    assert not lapsed(case, SUNDAY_3AM + timedelta(minutes=9))
    later = SUNDAY_3AM + timedelta(minutes=10)
    assert lapsed(case, later)
    lapse(case, later)
    assert offered_to(case) is None and case.status == Status.DISPATCHED and case.escalation_level == 1
    assert [e.action for e in case.events][-2:] == ["offer_lapsed", "escalated"]
    # Accepting settles an offer.
    other = dispatched(TUESDAY_10AM)
    offer(other, decide(), TUESDAY_10AM)
    other.accept(WANG.id, TUESDAY_10AM + timedelta(minutes=1))
    assert "offer" not in other.details and not lapsed(other, TUESDAY_10AM + timedelta(hours=1))


def working(now: datetime) -> Case:
    case = dispatched(now)
    case.accept(WANG.id, now)
    return case


def test_a_change_waits_for_the_owner_and_agreed_extra_time_moves_the_deadline() -> None:
    case = working(TUESDAY_10AM)
    due = case.completion_due_at
    proposal = propose(case, change="extra_time", note="需要订购配件，延长两天", by=Actor("staff", WANG.id),
                       now=TUESDAY_10AM, extra_minutes=2 * 24 * 60)
    with pytest.raises(IllegalTransition):
        case.start(WANG.id, TUESDAY_10AM)
    with pytest.raises(IllegalTransition):
        case.finish(WANG.id, TUESDAY_10AM)
    with pytest.raises(InvalidInput):
        propose(case, change="fee", note="再收费", by=Actor("staff", WANG.id), now=TUESDAY_10AM, fee_cents=100)
    agree(case, proposal["no"], by=Actor("owner", 9), now=TUESDAY_10AM + timedelta(minutes=5))
    assert case.completion_due_at == due + timedelta(days=2) and pending(case) is None
    case.start(WANG.id, TUESDAY_10AM + timedelta(minutes=6))
    assert [e.action for e in case.events][-3:] == ["change_proposed", "change_agreed", "started"]


def test_a_declined_change_is_not_made() -> None:
    case = working(TUESDAY_10AM)
    due = case.completion_due_at
    proposal = propose(case, change="fee", note="更换整套水龙头", by=Actor("staff", WANG.id), now=TUESDAY_10AM,
                       fee_cents=12000, catalogue_cents=12000)
    decline(case, proposal["no"], by=Actor("owner", 9), now=TUESDAY_10AM, reason="太贵")
    assert case.completion_due_at == due and "agreed_fee_cents" not in case.details
    with pytest.raises(InvalidInput):
        agree(case, proposal["no"], by=Actor("owner", 9), now=TUESDAY_10AM)  # answered already
    case.finish(WANG.id, TUESDAY_10AM + timedelta(hours=1))
    assert case.status == Status.DONE


def test_a_pause_stops_the_deadline_clock_and_resuming_gives_back_what_was_left() -> None:
    case = working(TUESDAY_10AM)
    left = case.completion_due_at - (TUESDAY_10AM + timedelta(hours=1))
    pause(case, reason="parts", until=TUESDAY_10AM + timedelta(days=3), by=Actor("staff", WANG.id),
          now=TUESDAY_10AM + timedelta(hours=1))
    assert paused(case) and case.completion_due_at is None
    # Long past the old deadline, nothing is overdue while paused.
    assert case.overdue(TUESDAY_10AM + timedelta(days=2, hours=23)) is None
    with pytest.raises(IllegalTransition):
        case.finish(WANG.id, TUESDAY_10AM + timedelta(days=1))
    assert not resume_due(case, TUESDAY_10AM + timedelta(days=2))
    back = TUESDAY_10AM + timedelta(days=3)
    assert resume_due(case, back)
    resume(case, now=back)
    assert case.completion_due_at == back + left and case.details["pauses"] == 1
    with pytest.raises(InvalidInput):
        pause(case, reason="lunch", until=back + timedelta(days=1), by=Actor("staff", WANG.id), now=back)


def test_chasing_counts_every_time_and_tells_people_once_per_half_hour() -> None:
    case = dispatched(TUESDAY_10AM)
    owner = Actor("owner", 9)
    assert chase(case, by=owner, now=TUESDAY_10AM + timedelta(hours=3)) is True
    assert chase(case, by=owner, now=TUESDAY_10AM + timedelta(hours=3, minutes=10)) is False
    assert chase(case, by=owner, now=TUESDAY_10AM + timedelta(hours=4)) is True
    assert case.details["chases"] == 3
    case.accept(WANG.id, TUESDAY_10AM + timedelta(hours=5))
    case.finish(WANG.id, TUESDAY_10AM + timedelta(hours=6))
    with pytest.raises(IllegalTransition):
        chase(case, by=owner, now=TUESDAY_10AM + timedelta(hours=7))


def test_a_paused_case_handed_back_runs_its_clock_again() -> None:
    case = working(TUESDAY_10AM)
    left = case.completion_due_at - TUESDAY_10AM
    pause(case, reason="owner", until=TUESDAY_10AM + timedelta(days=2), by=Actor("staff", WANG.id), now=TUESDAY_10AM)
    case.hand_back(TUESDAY_10AM + timedelta(days=1), Actor("staff", WANG.id))
    assert not paused(case) and case.completion_due_at == TUESDAY_10AM + timedelta(days=1) + left


def test_a_duty_person_of_another_team_is_not_offered_what_they_may_not_accept() -> None:
    guard_only = DispatchConfig(roster=Roster.from_json(
        {"weekly": [{"days": ["sat"], "from": "20:00", "to": "08:00", "staff": ["ba01"]}]}))
    d = decide(guard_only, urgency="emergency", category="electrical", now=SUNDAY_3AM)
    assert (d.mode, d.assignee_id) == (Mode.GRAB, None)
