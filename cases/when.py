"""Times in everyday Chinese (and a little English) → a time window in the community's zone.

Owners answer "什么时间上门？" with "今天下午", "周六上午", "明早8点", "下班后",
"后天晚上7点半", "这周末", "下周一", "随时", "越快越好"; and "什么时候发生的？" with
"昨晚11点", "前天", "这几天", "一直这样".  No date library we could install reads these
as windows (the ones tried return a single point, or nothing for 下班后/随时/越快越好), so
this is a small grammar of our own: pure, with the clock and the zone passed in.

`read_when(text, now, zone)` looks ahead (a visit, a booking); `read_when(..., past=True)`
looks back (when a complained-of thing happened).  It returns a `When`, or a `Problem`
saying why the words could not be used (not a time, already over, too far ahead).

"这周X"/"本周X" looking ahead when X of the Monday-first week is already over: two calendars
are in use, weeks from Monday (ours, the usual one) and weeks from Sunday (phone calendars,
礼拜天 as the first day).  The day is read in the week that contains today in either, and of
the two the one not yet over.  They differ only on a Sunday: then "这周六" is the coming
Saturday (six days ahead), never yesterday.  On Monday to Saturday both calendars put a
passed X behind us ("这周一" said on a Wednesday): no calendar reads it ahead, so it is
`Problem.PAST` and the owner is asked again rather than sent a visit on a Monday they did
not say.  Today's X whose hours are over ("这周日上午" on Sunday afternoon) is PAST too.
Looking back (`past=True`, "什么时候发生的？") the Monday-first week stands: on a Sunday
"这周六" is yesterday.  "周末"/"这周末" looking ahead is the weekend not yet over: on Sunday
evening, when today's hours are gone, the coming one; on Saturday night, Sunday.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo


class Span(StrEnum):
    WINDOW = "window"    # between start and end
    ASAP = "asap"        # as soon as possible: the desk's own deadline stands
    ANYTIME = "anytime"  # the owner does not mind when
    ONGOING = "ongoing"  # (past) has been going on for a while, since `start` if known


class Problem(StrEnum):
    UNKNOWN = "unknown"  # no time in these words
    PAST = "past"        # looking ahead, but the window is already over
    FUTURE = "future"    # looking back, but the time is still to come
    TOO_FAR = "too_far"  # more than MAX_AHEAD ahead


@dataclass(frozen=True)
class When:
    span: Span
    start: datetime | None = None  # aware, in the community's zone
    end: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"span": str(self.span), "start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None}

    @classmethod
    def from_json(cls, data: Any) -> When | None:
        """The stored window, or None for anything that is not one (old rows, hand edits)."""
        if not isinstance(data, dict) or data.get("span") not in set(Span):
            return None
        try:
            start = datetime.fromisoformat(data["start"]) if data.get("start") else None
            end = datetime.fromisoformat(data["end"]) if data.get("end") else None
        except (TypeError, ValueError):
            return None
        return cls(Span(data["span"]), start, end)


MAX_INPUT = 120
# A room code (building-unit-room, "3-1-101", "5-3-1808") in the same message is never a time:
# "3-1" in it would read as 3 to 1 o'clock.  A date has a four-digit year first ("2026-6-9").
ROOM_CODE = re.compile(r"(?<![\d-])\d{1,3}-\d{1,3}-\d{3,4}(?![\d-])")
MAX_AHEAD = timedelta(days=60)
# The hours a visit can be made when the owner names only a day.
DAY_START, DAY_END = 8, 20
# Parts of the day → (start hour, end hour); a point time in them is read in that half of the day.
PARTS: tuple[tuple[tuple[str, ...], tuple[float, float]], ...] = (
    (("下班后", "下班以后", "下班之后", "下班了", "下班回家", "after work"), (18, 21)),
    (("上班前", "上班之前", "上班以前", "before work"), (7, 9)),
    (("凌晨", "半夜", "深夜", "午夜", "夜里", "夜间", "后半夜"), (0, 6)),
    (("傍晚", "黄昏"), (17, 19)),
    (("晚上", "晚间", "今晚", "明晚", "昨晚", "前晚", "evening", "tonight"), (18, 21)),
    (("下午", "午后", "afternoon"), (13, 18)),
    (("中午", "午饭", "午休", "noon"), (11, 14)),
    (("上午", "早上", "早晨", "清早", "一早", "大早", "明早", "今早", "昨早", "明晨", "今晨", "morning"), (8, 12)),
    (("白天", "白日"), (8, 18)),
    (("全天", "一整天", "整天", "all day"), (8, 20)),
)
PM_PARTS = {(18, 21), (17, 19), (13, 18)}

ASAP_WORDS = ("越快越好", "越早越好", "尽快", "尽早", "马上", "立刻", "立即", "赶紧", "赶快", "快点", "最快",
              "现在就", "现在", "今天就", "急", "asap", "right now", "now", "soon")
ANYTIME_WORDS = ("不急", "不着急", "不太急", "不是很急", "不怎么急", "没那么急", "不那么急", "不用急", "不紧急", "不赶", "随时", "都行", "都可以", "都可", "什么时候都", "啥时候都", "任何时间", "随便", "无所谓", "不限",
                 "看你们", "你们定", "你们安排", "听你们", "anytime", "any time", "whenever")
# Looking back: it just happened, or it has been going on.
JUST_WORDS = ("刚才", "刚刚", "方才", "就在刚", "刚", "现在", "正在", "此刻", "just now", "now")
ONGOING_WORDS = ("一直", "好久", "很久", "长期", "经常", "总是", "天天", "每天", "老是", "反复", "多次", "好几次", "每次",
                 "每回", "都这样", "一向", "一贯", "从来", "老样子", "每晚", "每周", "几年",
                 "持续", "几个月", "半年", "一年", "always", "for a long time", "every day")
# Looking ahead: "这两天来就行" is a visit within the next days.
NEXT_DAYS_WORDS = ("这两天", "这几天", "近两天", "近几天", "最近两天", "最近几天", "两三天内", "这两日", "三天内", "两天内")
NEXT_DAYS = 2  # today and the two days after
FEW_DAYS_WORDS = ("这几天", "最近几天", "近几天", "这两天", "最近两天", "好几天", "几天了", "最近", "近来",
                  "these days", "recently")

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
EN_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


# ----------------------------------------------------------------- text clean-up (shared with handlers.kit.answers)
def normalise(text: str) -> str:
    """Full-width and other Unicode digits to ASCII, case folded, spaces and filler gone."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text)
    text = text.replace("\x00", "").lower()
    return re.sub(r"\s+", "", text) if not re.search(r"[a-z]\s+[a-z]", text) else re.sub(r"\s+", " ", text).strip()


def cn_number(text: str) -> int | None:
    """"三十五" → 35, "两百" → 200, "三百五" → 350, "一千二" → 1200, "十" → 10, "35" → 35."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if any(c not in _CN_DIGITS and c not in _CN_UNITS for c in text):
        return None
    total, section, digit, last_unit, zero = 0, 0, None, 1, False
    for c in text:
        if c in "零〇":
            zero = True
        if c in _CN_DIGITS:
            if digit is not None and digit != 0:
                return None  # "三五": two digits in a row is not a number we read
            digit = _CN_DIGITS[c]
        else:
            unit = _CN_UNITS[c]
            if unit == 10000:
                total = (total + section + (digit or 0)) * 10000
                section, digit, last_unit = 0, None, 10000
                continue
            section += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
    if digit is not None:
        # "三百五": a trailing digit counts in the next lower unit (colloquial), "二十五": ones.
        # ("一百零五": after a 零 it is ones again.)
        section += digit * (last_unit // 10 if last_unit >= 100 and not zero else 1)
    return total + section


_CN_NUM = "[零〇一二两俩三四五六七八九十百]+"


def _digits_for_times(text: str) -> str:
    """Chinese numerals before a time or date word become digits: "七点半" → "7点半"."""
    def repl(m: re.Match[str]) -> str:
        n = cn_number(m.group(1))
        return (str(n) if n is not None else m.group(1)) + m.group(2)
    return re.sub(f"({_CN_NUM})(点|时|:|号|日|个?月|分|个?小时|个?钟头|天|个?星期|个?礼拜|周)", repl, text)


# ----------------------------------------------------------------- the grammar
@dataclass
class _Parts:
    day: date | None = None
    last_day: date | None = None      # for spans of days: a weekend, a week
    day_exact: bool = False            # "今天", "6月5日": not moved to the next week
    hours: tuple[float, float] | None = None
    part: tuple[float, float] | None = None
    found: bool = False


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _take_day(s: str, today: date, past: bool, p: _Parts) -> str:
    """Find the day(s) named in `s`; return `s` with them removed."""
    rel = (("大后天", 3), ("后天", 2), ("明天", 1), ("明日", 1), ("明儿", 1), ("明早", 1), ("明晚", 1), ("明晨", 1),
           ("大前天", -3), ("前天", -2), ("前晚", -2), ("昨天", -1), ("昨日", -1), ("昨儿", -1), ("昨晚", -1), ("昨早", -1),
           ("今天", 0), ("今日", 0), ("今儿", 0), ("今早", 0), ("今晚", 0), ("今晨", 0), ("当天", 0), ("tomorrow", 1),
           ("yesterday", -1), ("today", 0), ("tonight", 0))
    for word, offset in rel:
        if word in s:
            p.day, p.day_exact, p.found = today + timedelta(days=offset), True, True
            # "明早", "今晚", "昨晚" name the part of the day too.
            p.part = next((hours for words, hours in PARTS if word in words), None)
            return s.replace(word, " ", 1)
    m = re.search(r"(\d{1,2})天(后|以后|之后)|过(\d{1,2})天", s)
    if m:
        p.day, p.day_exact, p.found = today + timedelta(days=int(m.group(1) or m.group(3))), True, True
        return s.replace(m.group(0), " ", 1)
    m = re.search(r"(下|这|本|上)个?月(\d{1,2})[日号]?", s)
    if m:
        step = {"下": 1, "上": -1}.get(m.group(1), 0)
        year, month = today.year + (today.month - 1 + step) // 12, (today.month - 1 + step) % 12 + 1
        p.day = _calendar_day(today, year, month, int(m.group(2)), past)
        p.day_exact, p.found = True, p.day is not None
        return s.replace(m.group(0), " ", 1)
    m = re.search(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?|(\d{1,2})月(\d{1,2})[日号]?|(\d{1,2})/(\d{1,2})"
                  r"|(?<![\d.])(\d{1,2})[日号]", s)
    if m:
        year = int(m.group(1)) if m.group(1) else None
        month = int(m.group(2) or m.group(4) or m.group(6) or 0) or None
        day = int(m.group(3) or m.group(5) or m.group(7) or m.group(8))
        p.day = _calendar_day(today, year, month, day, past)
        p.day_exact, p.found = True, True
        if p.day is None:
            p.found = False
        return s.replace(m.group(0), " ", 1)
    m = re.search(r"(下下|下|这|本|上)?个?(?:周|星期|礼拜)末|(下下|下|这|本|上)?个?weekend|周六日|周六周日|星期六日", s)
    if m:
        which = m.group(1) or m.group(2) or ""
        monday = _monday(today) + timedelta(weeks={"下下": 2, "下": 1, "上": -1}.get(which, 0))
        sat, sun = monday + timedelta(days=5), monday + timedelta(days=6)
        if not which and past and sat > today:
            sat, sun = sat - timedelta(weeks=1), sun - timedelta(weeks=1)
        # "周末"/"这周末" looking ahead is the weekend not yet over: said late on a Sunday, the
        # coming one (read_when moves a span whose last day is over by a week).
        p.day, p.last_day, p.day_exact, p.found = sat, sun, which not in ("", "这", "本"), True
        return s.replace(m.group(0), " ", 1)
    m = re.search(r"(下下|下|这|本|上)?个?(?:周|星期|礼拜)([1-7一二三四五六日天])", s)
    en = re.search(r"(next |this |last )?(mon|tue|wed|thu|fri|sat|sun)[a-z]*", s)
    if m or en:
        which = (m.group(1) or "") if m else {"next ": "下", "this ": "这", "last ": "上"}.get(en.group(1) or "", "")
        weekday = WEEKDAYS[m.group(2)] if m else EN_WEEKDAYS[en.group(2)]
        if which in ("下下", "下", "这", "本", "上"):
            weeks = {"下下": 2, "下": 1, "上": -1}.get(which, 0)
            p.day, p.day_exact = _monday(today) + timedelta(weeks=weeks, days=weekday), True
            if which in ("这", "本") and not past and p.day < today and today.weekday() == 6:
                # Said on a Sunday about the future: the Sunday-first week that starts today
                # (the module's docstring) — the coming day, not yesterday.
                p.day += timedelta(weeks=1)
        else:
            ahead = (weekday - today.weekday()) % 7
            p.day = today - timedelta(days=(today.weekday() - weekday) % 7) if past else today + timedelta(days=ahead or 7)
            p.day_exact = past and p.day == today
        p.found = True
        return s.replace((m or en).group(0), " ", 1)  # type: ignore[union-attr]
    m = re.search(r"(上|这|本|下)个?月(?![\d初中底末])|(last|this|next) month", s)
    if m:
        step = {"上": -1, "last": -1, "下": 1, "next": 1}.get(m.group(1) or m.group(2), 0)
        first = date(today.year + (today.month - 1 + step) // 12, (today.month - 1 + step) % 12 + 1, 1)
        after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        p.day, p.last_day, p.day_exact, p.found = max(first, today) if step >= 0 and not past else first, \
            min(after - timedelta(days=1), today) if past and step == 0 else after - timedelta(days=1), True, True
        return s.replace(m.group(0), " ", 1)
    m = re.search(r"(下下|下|这|本|上)个?(?:周|星期|礼拜)|(next|this|last) week", s)
    if m:
        which = m.group(1) or {"next": "下", "this": "这", "last": "上"}[m.group(2)]
        monday = _monday(today) + timedelta(weeks={"下下": 2, "下": 1, "上": -1}.get(which, 0))
        first = monday if past or which == "上" else max(monday, today)
        p.day, p.last_day, p.day_exact, p.found = first, monday + timedelta(days=6), True, True
        return s.replace(m.group(0), " ", 1)
    return s


def _calendar_day(today: date, year: int | None, month: int | None, day: int, past: bool) -> date | None:
    """A date from its parts, the year (and month) taken to be the nearest one in the right direction."""
    candidates = []
    years = [year] if year else [today.year - 1, today.year, today.year + 1]
    months = [month] if month else list(range(1, 13))
    for y in years:
        for mo in months:
            try:
                candidates.append(date(y, mo, day))
            except ValueError:
                continue
    if not candidates:
        return None
    if year:
        return candidates[0]
    if past:
        before = [c for c in candidates if c <= today]
        return max(before) if before else None
    after = [c for c in candidates if c >= today]
    return min(after) if after else None


def _take_part(s: str, p: _Parts) -> str:
    if p.part is not None:
        return s
    for words, hours in PARTS:
        for word in words:
            if word in s:
                p.part, p.found = hours, True
                return s.replace(word, " ", 1)
    return s


_CLOCK = r"(\d{1,2})(?:(?:点钟?|时|:)(\d{1,2}|半|一刻|三刻)?分?|(?=[到至~—-]))"


def _minutes(hour: str, minute: str | None) -> float | None:
    h = int(hour)
    m = {"半": 30, "一刻": 15, "三刻": 45, None: 0, "": 0}.get(minute, None)
    if m is None:
        m = int(minute)  # type: ignore[arg-type]
    if h > 24 or m >= 60:
        return None
    return h + m / 60


def _in_part(hour: float, part: tuple[float, float] | None, past: bool, pm_bias: bool) -> float:
    """Read a 12-hour clock in the named part of the day ("晚上7点" → 19:00)."""
    if hour >= 13 or hour == 0:
        return hour
    if part is not None:
        if part in PM_PARTS or (part == (11, 14) and hour < 6):
            return hour + 12 if hour < 12 else 23  # "晚上12点": the last hour of the day
        if part == (0, 6) and hour == 12:
            return 0
        return hour
    # No part named: visits are in the day, so "3点" is 15:00 and "8点" 08:00.
    return hour + 12 if pm_bias and 1 <= hour < 7 else hour


def _take_clock(s: str, p: _Parts, past: bool) -> str:
    m = re.search(_CLOCK + r"[到至~—-]+" + _CLOCK, s)
    if m:
        a, b = _minutes(m.group(1), m.group(2)), _minutes(m.group(3), m.group(4))
        if a is not None and b is not None:
            a2 = _in_part(a, p.part, past, True)
            b2 = _in_part(b, p.part, past, True)
            if b2 < a2 and b2 + 12 <= 24:
                b2 += 12
            if b2 > a2:
                p.hours, p.found = (a2, b2), True
                return s.replace(m.group(0), " ", 1)
    m = re.search(r"(\d{1,2})(?:点钟?|时|:)(\d{1,2}|半|一刻|三刻)?分?(以后|之后|后|以前|之前|前|左右|前后)?"
                  r"|(\d{1,2})(?:[:.](\d{2}))?\s?(am|pm|a\.m\.|p\.m\.)", s)
    if m:
        if m.group(6):
            h = int(m.group(4)) % 12 + (12 if m.group(6).startswith("p") else 0)
            at: float | None = h + int(m.group(5) or 0) / 60 if int(m.group(4)) <= 12 else None
            rel = None
        else:
            at = _minutes(m.group(1), m.group(2))
            at = _in_part(at, p.part, past, True) if at is not None else None
            rel = m.group(3)
        if at is None:
            return s
        low, high = p.part or ((0, 24) if past else (DAY_START, 21))
        if rel in ("以后", "之后", "后"):
            p.hours = (at, max(high, at + 1))
        elif rel in ("以前", "之前", "前"):
            p.hours = (min(low, at - 1), at)
        else:
            p.hours = (at, at + 1)
        p.found = True
        return s.replace(m.group(0), " ", 1)
    return s


def _at(day: date, hour: float, zone: ZoneInfo) -> datetime:
    hour = max(0.0, min(hour, 24.0))
    whole = int(hour)
    base = datetime.combine(day, time(0), zone) + timedelta(hours=whole, minutes=round((hour - whole) * 60))
    return base


def _relative(s: str, now: datetime, past: bool) -> When | None:
    """"两小时后", "半小时内", "3天前", "一周了"."""
    m = re.search(r"(\d{1,3}|半)个?(?:小时|钟头)(后|以后|之后|内|以内|之内)?", s) if not past else None
    if m:
        hours = 0.5 if m.group(1) == "半" else float(m.group(1))
        if m.group(2) in ("内", "以内", "之内"):
            return When(Span.WINDOW, now, now + timedelta(hours=hours))
        if m.group(2):
            return When(Span.WINDOW, now + timedelta(hours=hours), now + timedelta(hours=hours + 1))
    m = re.search(r"(\d{1,3})分钟?(后|以后|之后|内|以内)", s) if not past else None
    if m:
        minutes = int(m.group(1))
        if m.group(2).endswith("内"):
            return When(Span.WINDOW, now, now + timedelta(minutes=minutes))
        return When(Span.WINDOW, now + timedelta(minutes=minutes), now + timedelta(minutes=minutes + 60))
    m = re.search(r"(\d{1,3}|半)个?(小时|钟头|天|日|星期|礼拜|周|月)(前|以前|之前|了|以来)", s) if past else None
    if m:
        n = 0.5 if m.group(1) == "半" else float(m.group(1))
        unit = {"小时": timedelta(hours=1), "钟头": timedelta(hours=1), "天": timedelta(days=1), "日": timedelta(days=1),
                "星期": timedelta(weeks=1), "礼拜": timedelta(weeks=1), "周": timedelta(weeks=1),
                "月": timedelta(days=30)}[m.group(2)]
        if m.group(3) in ("了", "以来"):
            return When(Span.ONGOING, now - unit * n, now)
        return When(Span.WINDOW, now - unit * n - min(unit, timedelta(hours=1)), now - unit * n + min(unit, timedelta(hours=1)))
    return None


def read_when(text: str, now: datetime, zone: str, *, past: bool = False) -> When | Problem:
    """The owner's words as a time window (see the module's docstring)."""
    tz = ZoneInfo(zone)
    now = now.astimezone(tz)
    s = _digits_for_times(normalise(text or ""))
    if not s or len(s) > MAX_INPUT:
        return Problem.UNKNOWN
    s = ROOM_CODE.sub(" ", s)
    today = now.date()

    p = _Parts()
    rest = _take_day(s, today, past, p)
    rest = _take_part(rest, p)
    rest = _take_clock(rest, p, past)
    if not p.found:
        return _words_only(s, now, past)
    if p.day is None and p.part is None and p.hours is None:
        return Problem.UNKNOWN

    hours = p.hours or p.part or ((0, 24) if past else (DAY_START, DAY_END))
    first = p.day
    last = p.last_day or p.day
    if first is None:
        # No day named: the nearest day on which the window is still ahead (or already began).
        first = today
        if not past and _at(today, hours[1], tz) <= now:
            first = today + timedelta(days=1)
        if past and _at(today, hours[0], tz) > now:
            first = today - timedelta(days=1)
        last = first
    elif not p.day_exact and not past and _at(last or first, hours[1], tz) <= now:
        first, last = first + timedelta(weeks=1), (last or first) + timedelta(weeks=1)
    assert last is not None
    while not past and first < last and _at(first, hours[1], tz) <= now:
        first += timedelta(days=1)  # a span of days starts on its first day with hours still ahead
    start, end = _at(first, hours[0], tz), _at(last, hours[1], tz)

    if past:
        if start > now:
            return Problem.FUTURE
        return When(Span.WINDOW, start, min(end, now))
    if end <= now:
        return Problem.PAST
    if start - now > MAX_AHEAD:
        return Problem.TOO_FAR
    return When(Span.WINDOW, max(start, now), end)


def _words_only(s: str, now: datetime, past: bool) -> When | Problem:
    """No day, part of day or clock: relative times and the words for "soon", "any time", "a while"."""
    relative = _relative(s, now, past)
    if relative is not None:
        return relative
    if past:
        if any(w in s for w in FEW_DAYS_WORDS):
            return When(Span.ONGOING, now - timedelta(days=3), now)
        if any(w in s for w in ONGOING_WORDS):
            return When(Span.ONGOING, None, now)
        if any(w in s for w in JUST_WORDS):
            return When(Span.WINDOW, now - timedelta(hours=1), now)
        return Problem.UNKNOWN
    if any(w in s for w in NEXT_DAYS_WORDS):
        last = now.date() + timedelta(days=NEXT_DAYS)
        return When(Span.WINDOW, now, _at(last, DAY_END, now.tzinfo))
    if any(w in s for w in ANYTIME_WORDS):
        return When(Span.ANYTIME)
    if any(w in s for w in ASAP_WORDS):
        return When(Span.ASAP, now)
    return Problem.UNKNOWN


# ----------------------------------------------------------------- deadlines that respect the window
# The least notice a team gets to accept, however soon the window.
MIN_NOTICE = timedelta(minutes=30)
# Accepted at least this long before the window closes, so there is time to go.
VISIT_LEAD = timedelta(hours=1)


def deadlines_within(window: When | None, now: datetime, response_due: datetime,
                     completion_due: datetime) -> tuple[datetime, datetime]:
    """The desk's deadlines pulled in so they never fall after the window the owner asked for:
    accepted (and the owner called) before the window opens — or, once it is open, in time to
    go — and the visit done before it closes.  Never sooner than MIN_NOTICE from now."""
    if window is None or window.span != Span.WINDOW or window.end is None or window.end <= now:
        return response_due, completion_due
    completion = max(min(completion_due, window.end), now + MIN_NOTICE)
    response = min(response_due, window.end - VISIT_LEAD)
    if window.start is not None and window.start > now:
        response = min(response, window.start)
    response = min(max(response, now + MIN_NOTICE), completion)
    return response, completion
