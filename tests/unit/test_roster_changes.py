"""Supervisors' duty changes layered over the file's roster (cases.roster), pure: the
later change wins, a night shift belongs to the day it starts, away and round robin see
the changes, the week's view shows them."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from cases.dispatch_modes import DispatchConfig, Member, Mode, choose
from cases.roster import DutyChange, Roster

ZONE = "Asia/Shanghai"
ROSTER = Roster.from_json({
    "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "18:00", "staff": ["gc01", "gc02"]},
               {"days": ["sat"], "from": "20:00", "to": "08:00", "staff": ["gc03", "ba01"]}],
    "exceptions": [{"date": "2026-06-07", "away": ["gc03"]}],
})
SATURDAY = date(2026, 6, 6)
SUNDAY_3AM = datetime(2026, 6, 6, 19, 0, tzinfo=timezone.utc)  # 03:00 local, Sunday 7 June
MADE = datetime(2026, 6, 6, 2, 0, tzinfo=timezone.utc)
NIGHT = (datetime(2026, 6, 6, 20, 0), datetime(2026, 6, 7, 8, 0))


def change(staff: str, on: bool, span: tuple[datetime, datetime] = NIGHT, minutes: int = 0, id: int = 0) -> DutyChange:
    return DutyChange(staff, on, *span, made_at=MADE + timedelta(minutes=minutes), made_by=9, id=id)


def test_without_changes_the_file_answers_as_before() -> None:
    # The file's away (gc03 on Sunday) applies on the calendar day of the moment asked.
    assert ROSTER.on_duty(SUNDAY_3AM, ZONE) == ("ba01",)
    assert ROSTER.with_changes([]) == ROSTER


def test_a_swap_puts_one_on_and_takes_the_other_off_for_that_span_only() -> None:
    swapped = Roster.from_json({"weekly": ROSTER.to_json()["weekly"]}).with_changes(
        [change("gc01", True), change("gc03", False)])
    assert swapped.on_duty(SUNDAY_3AM, ZONE) == ("ba01", "gc01")
    assert "gc03" in swapped.away(SUNDAY_3AM, ZONE) and "gc01" not in swapped.away(SUNDAY_3AM, ZONE)
    # The next Saturday night is the file's again.
    week_later = SUNDAY_3AM + timedelta(days=7)
    assert swapped.on_duty(week_later, ZONE) == ("gc03", "ba01")
    # Changes never reach the file's JSON (they live in the database).
    assert "changes" not in swapped.to_json()


def test_the_later_change_wins_whatever_order_they_are_given_in() -> None:
    off_then_on = ROSTER.with_changes([change("ba01", True, minutes=5, id=2), change("ba01", False, id=1)])
    assert "ba01" in off_then_on.on_duty(SUNDAY_3AM, ZONE)
    on_then_off = ROSTER.with_changes([change("ba01", False, minutes=5, id=2), change("ba01", True, id=1)])
    assert "ba01" not in on_then_off.on_duty(SUNDAY_3AM, ZONE)
    # A change putting someone on wins over the file's away for that day.
    back = ROSTER.with_changes([change("gc03", True)])
    assert back.on_duty(SUNDAY_3AM, ZONE) == ("ba01", "gc03") and "gc03" not in back.away(SUNDAY_3AM, ZONE)


def test_an_empty_file_roster_is_not_empty_once_someone_is_put_on() -> None:
    assert Roster().empty and Roster().with_changes([change("gc01", False)]).empty
    assert not Roster().with_changes([change("gc01", True)]).empty


def test_the_week_view_shows_the_changes_at_each_shift_and_a_slot_of_their_own() -> None:
    edited = ROSTER.with_changes([change("gc01", True), change("gc03", False),
                                  change("gc02", True, (datetime(2026, 6, 7, 9), datetime(2026, 6, 7, 17)))])
    [night] = edited.slots(SATURDAY)
    assert (night.start, night.end, night.staff) == (*NIGHT, ("ba01", "gc01"))
    [extra] = edited.slots(SATURDAY + timedelta(days=1))  # Sunday has no shift in the file
    assert extra.staff == ("gc02",) and extra.start == datetime(2026, 6, 7, 9)
    # "All of Saturday" runs to the end of its night shift, so 03:00 on Sunday is in it.
    assert edited.day_span(SATURDAY) == (datetime(2026, 6, 6), datetime(2026, 6, 7, 8))
    assert edited.day_span(date(2026, 6, 8)) == (datetime(2026, 6, 8), datetime(2026, 6, 9))


def test_dispatch_offers_an_emergency_to_the_person_put_on_duty() -> None:
    members = [Member(1, "gc01", "engineering", "engineer"), Member(3, "gc03", "engineering", "engineer"),
               Member(4, "ba01", "security", "security")]
    config = DispatchConfig(roster=Roster.from_json({"weekly": ROSTER.to_json()["weekly"]}))

    def offered(roster: Roster) -> int | None:
        return choose(DispatchConfig(roster=roster), kind="report", category="plumbing", urgency="emergency",
                      team="engineering", building="1", members=members, load={}, now=SUNDAY_3AM,
                      zone=ZONE).assignee_id

    assert offered(config.roster) == 3
    assert offered(config.roster.with_changes([change("gc03", False), change("gc01", True)])) == 1
    # Taken off with nobody put on: the group grabs it.
    decision = choose(DispatchConfig(roster=config.roster.with_changes([change("gc03", False)])), kind="report",
                      category="plumbing", urgency="emergency", team="engineering", building="1", members=members,
                      load={}, now=SUNDAY_3AM, zone=ZONE)
    assert decision.mode is Mode.GRAB


def test_a_shift_named_in_words_or_hours_is_the_span_of_that_day() -> None:
    assert ROSTER.span_of(SATURDAY, "night") == NIGHT
    assert ROSTER.span_of(SATURDAY, "daytime") is None  # Saturday has no day shift
    assert ROSTER.span_of(date(2026, 6, 8), "daytime") == (datetime(2026, 6, 8, 8), datetime(2026, 6, 8, 18))
    assert ROSTER.span_of(SATURDAY, "22:00-06:00") == (datetime(2026, 6, 6, 22), datetime(2026, 6, 7, 6))
    assert ROSTER.span_of(SATURDAY, "day") == (datetime(2026, 6, 6), datetime(2026, 6, 7, 8))
    for nonsense in ("25:00-06:00", "evening", "", "8:00-9:00"):
        assert ROSTER.span_of(SATURDAY, nonsense) is None
