"""The duty roster (值班表): who is on duty when.

A weekly pattern of shifts, and exceptions for given dates (a holiday, a swap, leave).
A shift may run past midnight (20:00 → 08:00): it belongs to the day it starts on, so
03:00 on a Sunday is covered by Saturday's night shift.  An exception dated D replaces
the weekly shifts *starting* on D; `away` (in the file and JSON; `off` here) lists people who are away on D whatever the
pattern says (on leave, ill) — round robin skips them too.

Pure: the caller passes the time and the community's zone.  Staff are named by their
codes from the community file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Shift:
    start: time
    end: time  # an end at or before the start runs into the next day
    staff: tuple[str, ...]
    days: frozenset[int] = frozenset(range(7))  # 0 = Monday; unused for an exception's shifts

    def covers(self, started_on: date, local: datetime) -> bool:
        """Does this shift, started on `started_on`, cover the (naive local) moment?"""
        begin = datetime.combine(started_on, self.start)
        finish = datetime.combine(started_on + timedelta(days=1 if self.end <= self.start else 0), self.end)
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
class Roster:
    weekly: tuple[Shift, ...] = ()
    exceptions: tuple[DayException, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.weekly and not any(e.replaces for e in self.exceptions)

    def _exception(self, day: date) -> DayException | None:
        return next((e for e in self.exceptions if e.day == day), None)

    def _shifts_starting(self, day: date) -> tuple[Shift, ...]:
        exception = self._exception(day)
        if exception is not None and exception.replaces:
            return exception.shifts
        return tuple(s for s in self.weekly if day.weekday() in s.days)

    def away(self, now: datetime, zone: str) -> frozenset[str]:
        """Who is off on the community's calendar day of `now`."""
        exception = self._exception(now.astimezone(ZoneInfo(zone)).date())
        return frozenset(exception.off) if exception else frozenset()

    def on_duty(self, now: datetime, zone: str) -> tuple[str, ...]:
        """Staff codes on duty at `now`, in the roster's order, without anyone who is off."""
        local = now.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        found: list[str] = []
        for started_on in (local.date() - timedelta(days=1), local.date()):
            for shift in self._shifts_starting(started_on):
                if shift.covers(started_on, local):
                    found.extend(c for c in shift.staff if c not in found)
        away = self.away(now, zone)
        return tuple(c for c in found if c not in away)

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
