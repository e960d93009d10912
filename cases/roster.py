"""The duty roster (值班表): who is on duty when.

A weekly pattern of shifts, and exceptions for given dates (a holiday, a swap, leave).
A shift may run past midnight (20:00 → 08:00): it belongs to the day it starts on, so
03:00 on a Sunday is covered by Saturday's night shift.  An exception dated D replaces
the weekly shifts *starting* on D; `away` (in the file and JSON; `off` here) lists people who are away on D whatever the
pattern says (on leave, ill) — round robin skips them too.

Changes a supervisor makes in chat or the console (`DutyChange`, kept in the database,
`services.roster`) are layered over the file's pattern and exceptions: someone put on
duty or taken off for a span of local time.  Where changes overlap for one person, the
later one wins.  `on_duty` stays the one answer to "who is on duty at t"; the caller
hands it the changes with `with_changes`.

Pure: the caller passes the time and the community's zone.  Staff are named by their
codes from the community file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The shifts a change can name besides hours ("HH:MM-HH:MM").
WHOLE_DAY, NIGHT, DAYTIME = "day", "night", "daytime"
EVENING = time(17)  # a shift starting this late is a night shift


@dataclass(frozen=True, slots=True)
class Shift:
    start: time
    end: time  # an end at or before the start runs into the next day
    staff: tuple[str, ...]
    days: frozenset[int] = frozenset(range(7))  # 0 = Monday; unused for an exception's shifts

    def span(self, started_on: date) -> tuple[datetime, datetime]:
        """The local start and end of this shift started on `started_on`."""
        begin = datetime.combine(started_on, self.start)
        return begin, datetime.combine(started_on + timedelta(days=1 if self.end <= self.start else 0), self.end)

    def covers(self, started_on: date, local: datetime) -> bool:
        """Does this shift, started on `started_on`, cover the (naive local) moment?"""
        begin, finish = self.span(started_on)
        return begin <= local < finish

    def to_json(self) -> dict[str, Any]:
        return {"days": [DAYS[d] for d in sorted(self.days)], "from": self.start.strftime("%H:%M"),
                "to": self.end.strftime("%H:%M"), "staff": list(self.staff)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Shift:
        days = data.get("days") or DAYS
        return cls(start=time.fromisoformat(data["from"]), end=time.fromisoformat(data["to"]),
                   staff=tuple(data.get("staff", ())), days=frozenset(DAYS.index(d) for d in days))


@dataclass(frozen=True, slots=True)
class DayException:
    day: date
    shifts: tuple[Shift, ...] = ()  # replace the weekly shifts starting that day (when given)
    off: tuple[str, ...] = ()       # away all that day
    replaces: bool = False          # True when `shifts` was given (even empty: nobody on duty)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"date": self.day.isoformat(), "away": list(self.off)}
        if self.replaces:
            data["shifts"] = [s.to_json() for s in self.shifts]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DayException:
        shifts = data.get("shifts")
        return cls(day=date.fromisoformat(str(data["date"])),
                   shifts=tuple(Shift.from_json(s) for s in shifts or ()),
                   off=tuple(data.get("away", ())), replaces=shifts is not None)


@dataclass(frozen=True, slots=True)
class DutyChange:
    """One person put on duty (`on`) or taken off for [start, end) in the community's local
    time (naive), by a supervisor at `made_at`; `id` orders changes made the same instant."""

    staff: str
    on: bool
    start: datetime
    end: datetime
    made_at: datetime
    made_by: int | None = None
    id: int = 0

    def covers(self, local: datetime) -> bool:
        return self.start <= local < self.end

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


@dataclass(frozen=True, slots=True)
class Slot:
    """A shift as it stands on a given day, for the week's view: who is on at its start."""

    start: datetime
    end: datetime
    staff: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Roster:
    weekly: tuple[Shift, ...] = ()
    exceptions: tuple[DayException, ...] = field(default=())
    # Made in chat or the console (never in the file, never in `to_json`): later ones win.
    changes: tuple[DutyChange, ...] = ()

    def with_changes(self, changes: Iterable[DutyChange]) -> Roster:
        ordered = tuple(sorted(changes, key=lambda c: (c.made_at, c.id)))
        return Roster(self.weekly, self.exceptions, ordered)

    def _changed(self, local: datetime) -> dict[str, bool]:
        """Each person a change covers at `local`: on (True) or off, by the latest change."""
        found: dict[str, bool] = {}
        for change in self.changes:  # oldest first, so a later change overwrites
            if change.covers(local):
                found[change.staff] = change.on
        return found

    @property
    def empty(self) -> bool:
        return (not self.weekly and not any(e.replaces for e in self.exceptions)
                and not any(c.on for c in self.changes))

    def _exception(self, day: date) -> DayException | None:
        return next((e for e in self.exceptions if e.day == day), None)

    def _shifts_starting(self, day: date) -> tuple[Shift, ...]:
        exception = self._exception(day)
        if exception is not None and exception.replaces:
            return exception.shifts
        return tuple(s for s in self.weekly if day.weekday() in s.days)

    def _file_away(self, day: date) -> frozenset[str]:
        exception = self._exception(day)
        return frozenset(exception.off) if exception else frozenset()

    def away(self, now: datetime, zone: str) -> frozenset[str]:
        """Who is off at `now`: away on the community's calendar day by the file, or taken
        off by a change covering that moment (a later change putting them on wins)."""
        local = now.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        changed = self._changed(local)
        away = {c for c in self._file_away(local.date()) if changed.get(c) is not True}
        return frozenset(away | {c for c, on in changed.items() if not on})

    def on_duty(self, now: datetime, zone: str) -> tuple[str, ...]:
        """Staff codes on duty at `now`, in the roster's order, without anyone who is off;
        people a change put on duty follow, in the order of their changes."""
        return self.on_duty_local(now.astimezone(ZoneInfo(zone)).replace(tzinfo=None))

    def on_duty_local(self, local: datetime) -> tuple[str, ...]:
        """`on_duty` at a naive moment of the community's local time."""
        found: list[str] = []
        for started_on in (local.date() - timedelta(days=1), local.date()):
            for shift in self._shifts_starting(started_on):
                if shift.covers(started_on, local):
                    found.extend(c for c in shift.staff if c not in found)
        away = self._file_away(local.date())
        found = [c for c in found if c not in away]
        for code, on in self._changed(local).items():
            if on and code not in found:
                found.append(code)
            elif not on and code in found:
                found.remove(code)
        return tuple(found)

    # ----------------------------------------------------------------- the week's view
    def day_span(self, day: date) -> tuple[datetime, datetime]:
        """"All of `day`" for a change: from midnight to the end of its last shift (a night
        shift runs into the next morning), at least to the next midnight."""
        start = datetime.combine(day, time())
        end = start + timedelta(days=1)
        for shift in self._shifts_starting(day):
            end = max(end, shift.span(day)[1])
        return start, end

    def span_of(self, day: date, shift: str) -> tuple[datetime, datetime] | None:
        """The local span a shift means on `day`: WHOLE_DAY, NIGHT (the shift starting that
        evening or running past midnight), DAYTIME (the first that does neither) or hours
        "HH:MM-HH:MM" (past midnight when the end is not after the start); None: no such
        shift that day, or not a shift."""
        if shift == WHOLE_DAY:
            return self.day_span(day)
        if m := re.fullmatch(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})", shift):
            try:
                return Shift(time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4])), ()).span(day)
            except ValueError:
                return None
        shifts = self.shifts_on(day)
        if shift == NIGHT:
            nights = [s for s in shifts if s.end <= s.start or s.start >= EVENING]
            return nights[-1].span(day) if nights else None
        if shift == DAYTIME:
            days = [s for s in shifts if s.start < s.end and s.start < EVENING]
            return days[0].span(day) if days else None
        return None

    def shifts_on(self, day: date) -> tuple[Shift, ...]:
        """The shifts starting on `day` (the file's pattern, or its exception for that day)."""
        return tuple(sorted(self._shifts_starting(day), key=lambda s: s.start))

    def slots(self, day: date) -> tuple[Slot, ...]:
        """The day's shifts with the people on at each one's start (file and changes), and a
        slot of its own for each change putting someone on outside every shift."""
        found = [Slot(*s.span(day), self.on_duty_local(s.span(day)[0])) for s in self.shifts_on(day)]
        begin, finish = datetime.combine(day, time()), datetime.combine(day + timedelta(days=1), time())
        for change in self.changes:
            if change.on and begin <= change.start < finish and not any(
                    slot.start <= change.start < slot.end for slot in found):
                found.append(Slot(change.start, change.end, self.on_duty_local(change.start)))
        return tuple(sorted(found, key=lambda s: s.start))

    def to_json(self) -> dict[str, Any]:
        return {"weekly": [s.to_json() for s in self.weekly], "exceptions": [e.to_json() for e in self.exceptions]}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Roster:
        if not data:
            return cls()
        return cls(weekly=tuple(Shift.from_json(s) for s in data.get("weekly", ())),
                   exceptions=tuple(DayException.from_json(e) for e in data.get("exceptions", ())))


def within(local_time: time, start: time, end: time) -> bool:
    """Is a local time inside [start, end), a range that may run past midnight?"""
    if start <= end:
        return start <= local_time < end
    return local_time >= start or local_time < end
