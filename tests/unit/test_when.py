"""Everyday Chinese times → windows in the community's zone (cases.when), with a fixed clock:
Monday 1 June 2026, 09:00 in Shanghai."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from cases.when import Problem, Span, When, cn_number, deadlines_within, read_when

ZONE = "Asia/Shanghai"
NOW = datetime(2026, 6, 1, 1, 0, tzinfo=timezone.utc)  # 09:00 local, a Monday


def window(text: str, *, past: bool = False, now: datetime = NOW) -> tuple[str, str] | str:
    got = read_when(text, now, ZONE, past=past)
    if isinstance(got, Problem):
        return str(got)
    assert got.span == Span.WINDOW, got
    assert got.start is not None and got.end is not None
    assert got.start.tzinfo is not None and got.start.utcoffset() == timedelta(hours=8)
    return got.start.strftime("%m-%d %H:%M"), got.end.strftime("%m-%d %H:%M")


@pytest.mark.parametrize("text, expected", [
    ("今天下午", ("06-01 13:00", "06-01 18:00")),
    ("周六上午", ("06-06 08:00", "06-06 12:00")),
    ("星期六上午", ("06-06 08:00", "06-06 12:00")),
    ("礼拜六早上", ("06-06 08:00", "06-06 12:00")),
    ("明早8点", ("06-02 08:00", "06-02 09:00")),
    ("明天早上八点", ("06-02 08:00", "06-02 09:00")),
    ("下班后", ("06-01 18:00", "06-01 21:00")),
    ("明天下班以后", ("06-02 18:00", "06-02 21:00")),
    ("后天晚上7点半", ("06-03 19:30", "06-03 20:30")),
    ("后天晚上七点半", ("06-03 19:30", "06-03 20:30")),
    ("这周末", ("06-06 08:00", "06-07 20:00")),
    ("周末", ("06-06 08:00", "06-07 20:00")),
    ("下周末", ("06-13 08:00", "06-14 20:00")),
    ("下周一", ("06-08 08:00", "06-08 20:00")),
    ("下个星期三下午", ("06-10 13:00", "06-10 18:00")),
    ("周一", ("06-08 08:00", "06-08 20:00")),  # said on a Monday: next Monday
    ("今天", ("06-01 09:00", "06-01 20:00")),  # today's window starts now
    ("今晚", ("06-01 18:00", "06-01 21:00")),
    ("明晚7点", ("06-02 19:00", "06-02 20:00")),
    ("明天上午10点", ("06-02 10:00", "06-02 11:00")),
    ("6月5日下午3点", ("06-05 15:00", "06-05 16:00")),
    ("6月5号", ("06-05 08:00", "06-05 20:00")),
    ("15号", ("06-15 08:00", "06-15 20:00")),
    ("下个月5号上午", ("07-05 08:00", "07-05 12:00")),
    ("2026年6月9日", ("06-09 08:00", "06-09 20:00")),
    ("明天晚上12点", ("06-02 23:00", "06-03 00:00")),
    ("6/3", ("06-03 08:00", "06-03 20:00")),
    ("大后天早上9点", ("06-04 09:00", "06-04 10:00")),
    ("两天后", ("06-03 08:00", "06-03 20:00")),
    ("下午两点到四点", ("06-01 14:00", "06-01 16:00")),
    ("２点到４点", ("06-01 14:00", "06-01 16:00")),  # full-width digits
    ("9点-11点", ("06-01 09:00", "06-01 11:00")),
    ("三点以后", ("06-01 15:00", "06-01 21:00")),
    ("10点前", ("06-01 09:00", "06-01 10:00")),
    ("九点半", ("06-01 09:30", "06-01 10:30")),
    ("8点", ("06-02 08:00", "06-02 09:00")),  # 08:00 today is over: tomorrow
    ("中午", ("06-01 11:00", "06-01 14:00")),
    ("中午1点", ("06-01 13:00", "06-01 14:00")),
    ("两小时后", ("06-01 11:00", "06-01 12:00")),
    ("半小时内", ("06-01 09:00", "06-01 09:30")),
    ("下周", ("06-08 08:00", "06-14 20:00")),
    ("tomorrow morning", ("06-02 08:00", "06-02 12:00")),
    ("Saturday afternoon", ("06-06 13:00", "06-06 18:00")),
    ("7pm", ("06-01 19:00", "06-01 20:00")),
    ("周六晚上7点吧🙂", ("06-06 19:00", "06-06 20:00")),
    ("  今天 下午  ", ("06-01 13:00", "06-01 18:00")),
])
def test_ahead(text: str, expected: tuple[str, str]) -> None:
    assert window(text) == expected


@pytest.mark.parametrize("text, span", [
    ("随时", Span.ANYTIME), ("什么时候都行", Span.ANYTIME), ("都可以", Span.ANYTIME), ("不急", Span.ANYTIME),
    ("越快越好", Span.ASAP), ("尽快", Span.ASAP), ("马上", Span.ASAP), ("ASAP", Span.ASAP),
])
def test_words_for_soon_and_any_time(text: str, span: Span) -> None:
    got = read_when(text, NOW, ZONE)
    assert isinstance(got, When) and got.span == span


@pytest.mark.parametrize("text, problem", [
    ("昨天", Problem.PAST), ("这周一早上7点", Problem.PAST), ("12月25日", Problem.TOO_FAR),
    ("", Problem.UNKNOWN), ("🙂🙂", Problem.UNKNOWN), ("厨房漏水", Problem.UNKNOWN), ("\x00", Problem.UNKNOWN),
    ("今天下午" * 100, Problem.UNKNOWN), ("闻到很大的煤气味", Problem.UNKNOWN), ("25点", Problem.UNKNOWN),
])
def test_problems(text: str, problem: Problem) -> None:
    assert read_when(text, NOW, ZONE) == problem


def test_this_afternoon_asked_in_the_afternoon_starts_now() -> None:
    at_three = NOW + timedelta(hours=6)  # 15:00 local
    assert window("今天下午", now=at_three) == ("06-01 15:00", "06-01 18:00")
    assert window("今天上午", now=at_three) == "past"
    assert window("下午", now=NOW + timedelta(hours=10)) == ("06-02 13:00", "06-02 18:00")  # at 19:00: tomorrow's


@pytest.mark.parametrize("text, expected", [
    ("昨晚11点", ("05-31 23:00", "06-01 00:00")),
    ("昨天下午3点左右", ("05-31 15:00", "05-31 16:00")),
    ("前天", ("05-30 00:00", "05-31 00:00")),
    ("上周六下午", ("05-30 13:00", "05-30 18:00")),
    ("周日", ("05-31 00:00", "06-01 00:00")),
    ("11点", ("05-31 11:00", "05-31 12:00")),  # 11:00 today is still to come
    ("刚才", ("06-01 08:00", "06-01 09:00")),
    ("今天早上", ("06-01 08:00", "06-01 09:00")),  # up to now
    ("上个月", ("05-01 00:00", "06-01 00:00")),
    ("3天前", ("05-29 08:00", "05-29 10:00")),
    ("上周", ("05-25 00:00", "06-01 00:00")),
    ("这周", ("06-01 00:00", "06-01 09:00")),  # this week so far
])
def test_looking_back(text: str, expected: tuple[str, str]) -> None:
    assert window(text, past=True) == expected


@pytest.mark.parametrize("text", ["一直这样", "好几次了", "这几天", "两个月了", "最近", "每次去都这样"])
def test_going_on_for_a_while(text: str) -> None:
    got = read_when(text, NOW, ZONE, past=True)
    assert isinstance(got, When) and got.span == Span.ONGOING and got.end == NOW


def test_looking_back_refuses_the_future() -> None:
    assert read_when("明天下午", NOW, ZONE, past=True) == Problem.FUTURE
    assert read_when("今天下午", NOW, ZONE, past=True) == Problem.FUTURE


def test_round_trip_through_json() -> None:
    got = read_when("周六上午", NOW, ZONE)
    assert isinstance(got, When)
    assert When.from_json(got.to_json()) == got
    assert When.from_json({"span": "window", "start": "garbage"}) is None
    assert When.from_json(None) is None and When.from_json({"span": "x"}) is None


@pytest.mark.parametrize("text, n", [("三十五", 35), ("两百", 200), ("三百五", 350), ("一千二", 1200), ("十", 10),
                                     ("十二", 12), ("二十", 20), ("一百零五", 105), ("两万", 20000), ("35", 35),
                                     ("三五", None), ("abc", None), ("", None)])
def test_chinese_numerals(text: str, n: int | None) -> None:
    assert cn_number(text) == n


def test_deadlines_never_fall_after_the_window() -> None:
    zone = ZoneInfo(ZONE)
    afternoon = read_when("今天下午", NOW, ZONE)
    assert isinstance(afternoon, When)
    response, completion = deadlines_within(afternoon, NOW, NOW + timedelta(hours=24), NOW + timedelta(hours=72))
    assert response == datetime(2026, 6, 1, 13, 0, tzinfo=zone)  # call before the window opens
    assert completion == datetime(2026, 6, 1, 18, 0, tzinfo=zone)  # visit done before it closes
    # A whole day already begun: accepted in time to go, done before it ends.
    today = read_when("今天", NOW, ZONE)
    assert isinstance(today, When)
    assert deadlines_within(today, NOW, NOW + timedelta(hours=24), NOW + timedelta(hours=72)) == (
        datetime(2026, 6, 1, 19, 0, tzinfo=zone), datetime(2026, 6, 1, 20, 0, tzinfo=zone))
    # A window far ahead leaves the desk's own deadlines alone.
    later = read_when("下周一", NOW, ZONE)
    assert isinstance(later, When)
    assert deadlines_within(later, NOW, NOW + timedelta(hours=24), NOW + timedelta(hours=72)) == (
        NOW + timedelta(hours=24), NOW + timedelta(hours=72))
    # A window opening at once still gives the team some notice, never past the window's end.
    soon = read_when("半小时内", NOW, ZONE)
    assert isinstance(soon, When)
    response, completion = deadlines_within(soon, NOW, NOW + timedelta(hours=24), NOW + timedelta(hours=72))
    assert response == completion == NOW + timedelta(minutes=30)
    # "As soon as possible", "any time" and no window: the desk's deadlines stand.
    for when in (read_when("越快越好", NOW, ZONE), read_when("随时", NOW, ZONE), None):
        assert deadlines_within(when if isinstance(when, When) else None, NOW, NOW + timedelta(hours=2),
                                NOW + timedelta(hours=24)) == (NOW + timedelta(hours=2), NOW + timedelta(hours=24))


def test_the_communitys_zone_is_used() -> None:
    got = read_when("今天下午", NOW, "Europe/Berlin")  # 03:00 in Berlin
    assert isinstance(got, When) and got.start is not None and got.end is not None
    assert (got.start.isoformat(), got.end.isoformat()) == ("2026-06-01T13:00:00+02:00", "2026-06-01T18:00:00+02:00")


# ----------------------------------------------------------------- "这周X" / "本周X" on every day of the week
# Said at 10:00 on each day of the week of Monday 1 June 2026; what 这周一 … 这周日 name.
# Looking ahead (什么时间上门？): a day already over is asked again (past), except on a Sunday,
# where the week that starts today (Sunday-first calendars) puts it ahead: the coming day.
AHEAD = {
    "06-01": ["06-01*", "06-02", "06-03", "06-04", "06-05", "06-06", "06-07"],  # Monday
    "06-02": ["past", "06-02*", "06-03", "06-04", "06-05", "06-06", "06-07"],
    "06-03": ["past", "past", "06-03*", "06-04", "06-05", "06-06", "06-07"],
    "06-04": ["past", "past", "past", "06-04*", "06-05", "06-06", "06-07"],
    "06-05": ["past", "past", "past", "past", "06-05*", "06-06", "06-07"],
    "06-06": ["past", "past", "past", "past", "past", "06-06*", "06-07"],  # Saturday
    "06-07": ["06-08", "06-09", "06-10", "06-11", "06-12", "06-13", "06-07*"],  # Sunday
}
# Looking back (什么时候发生的？): the Monday-first week, a day still to come is refused.
BEHIND = {
    "06-01": ["06-01*", "future", "future", "future", "future", "future", "future"],
    "06-04": ["06-01", "06-02", "06-03", "06-04*", "future", "future", "future"],
    "06-07": ["06-01", "06-02", "06-03", "06-04", "06-05", "06-06", "06-07*"],  # Sunday: 这周六 is yesterday
}
DAY_NAMES = "一二三四五六日"


def _at_ten(day: str) -> datetime:
    return datetime(2026, int(day[:2]), int(day[3:]), 10, 0, tzinfo=ZoneInfo(ZONE))


def _expected(cell: str, past: bool) -> tuple[str, str] | str:
    """A cell: a problem, a whole day (ahead: visiting hours 08:00-20:00; behind: midnight to
    midnight), or today ('*': from 10:00 on, or up to 10:00)."""
    if cell in ("past", "future"):
        return cell
    day = cell.rstrip("*")
    if past:
        after = (datetime.strptime(f"2026-{day}", "%Y-%m-%d") + timedelta(days=1)).strftime("%m-%d")
        return (f"{day} 00:00", f"{day} 10:00" if cell.endswith("*") else f"{after} 00:00")
    return (f"{day} 10:00" if cell.endswith("*") else f"{day} 08:00", f"{day} 20:00")


@pytest.mark.parametrize("today", sorted(AHEAD))
@pytest.mark.parametrize("this", ["这周", "本周", "这个星期", "本礼拜"])
def test_this_week_day_looking_ahead_on_every_day_of_the_week(today: str, this: str) -> None:
    now = _at_ten(today)
    got = [window(f"{this}{name}", now=now) for name in DAY_NAMES]
    assert got == [_expected(cell, past=False) for cell in AHEAD[today]]
    # Never a window that is over: what is stored as a visit time is still ahead.
    for name in DAY_NAMES:
        when = read_when(f"{this}{name}上午", now, ZONE)
        assert isinstance(when, Problem) or (when.end is not None and when.end > now), (today, name, when)


@pytest.mark.parametrize("today", sorted(BEHIND))
def test_this_week_day_looking_back_keeps_the_monday_week(today: str) -> None:
    got = [window(f"这周{name}", now=_at_ten(today), past=True) for name in DAY_NAMES]
    assert got == [_expected(cell, past=True) for cell in BEHIND[today]]


def test_saturday_said_on_a_sunday_with_a_time() -> None:
    sunday = _at_ten("06-07")
    assert window("这周六上午10点", now=sunday) == ("06-13 10:00", "06-13 11:00")
    assert window("this saturday afternoon", now=sunday) == ("06-13 13:00", "06-13 18:00")
    assert window("这周六晚上", now=sunday, past=True) == ("06-06 18:00", "06-06 21:00")
    # Today's hours already over: asked again, not moved a week.
    assert window("这周日上午", now=_at_ten("06-07") + timedelta(hours=5)) == "past"


def test_the_weekend_said_when_it_is_nearly_over() -> None:
    sunday_night = _at_ten("06-07") + timedelta(hours=11)  # 21:00: this weekend's hours are over
    assert window("这周末", now=sunday_night) == ("06-13 08:00", "06-14 20:00")
    assert window("周末上午", now=sunday_night) == ("06-13 08:00", "06-14 12:00")
    assert window("下周末", now=sunday_night) == ("06-13 08:00", "06-14 20:00")
    # Still hours left today: today's, from now.
    assert window("这周末", now=_at_ten("06-07")) == ("06-07 10:00", "06-07 20:00")
    # Saturday night: Sunday's hours, not the rest of Saturday night.
    assert window("这周末", now=_at_ten("06-06") + timedelta(hours=11)) == ("06-07 08:00", "06-07 20:00")
    # Looking back the Monday week stands, and 上周末 is never moved.
    assert window("周末", now=sunday_night, past=True) == ("06-06 00:00", "06-07 21:00")
    assert window("上周末", now=sunday_night) == "past"


@pytest.mark.parametrize("text, expected", [
    ("3-1-101 明天上午", ("06-02 08:00", "06-02 12:00")),  # "3-1" was read as 03:00 to 13:00
    ("帮我约一下 3-1-101 明天上午擦玻璃", ("06-02 08:00", "06-02 12:00")),
    ("5-3-1808 周六下午", ("06-06 13:00", "06-06 18:00")),
    ("2-1-101 下午3点到5点", ("06-01 15:00", "06-01 17:00")),
    ("1-2-301", "unknown"),
    ("2026-6-9 上午", ("06-09 08:00", "06-09 12:00")),  # a date keeps its dashes
])
def test_a_room_code_in_the_words_is_not_a_time(text: str, expected: tuple[str, str] | str) -> None:
    assert window(text) == expected
