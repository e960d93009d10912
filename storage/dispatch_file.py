"""The `dispatch:` section of the community file: modes per category and urgency, the
people responsible for each building, the cap per person, the fallback times and the
duty roster.  Optional: a file without it dispatches as before (grab in the group).

    dispatch:
      rules:                       # first match wins; anything unmatched is grabbed
        - {kind: complaint, mode: building}
        - {kind: report, category: plumbing, mode: round_robin}
      responsible: {"1": {customer_service: gj01, engineering: gc01}}
      cap: 3
      fallback_minutes: 30
      night: ["22:00", "08:00"]    # night cases go to the person on duty first
      roster:
        weekly:
          - {days: [mon, tue, wed, thu, fri], from: "08:00", to: "18:00", staff: [gc01, gc02]}
          - {days: [sat, sun], from: "20:00", to: "08:00", staff: [ba01, gc03]}
        exceptions:
          - {date: 2026-10-01, shifts: [{from: "08:00", to: "08:00", staff: [ba02]}]}
          - {date: 2026-06-08, away: [gc02]}
        clear_changes: false       # true: loading the file drops the changes made in chat/console
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cases.codes import CATEGORIES, Kind, Urgency
from cases.dispatch_modes import Mode
from cases.roster import DAYS

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RuleSpec(_Strict):
    mode: Mode
    kind: Kind | Literal[""] = ""
    category: str = ""
    urgency: Urgency | Literal[""] = ""

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        if value and not any(value in cats for cats in CATEGORIES.values()):
            raise ValueError(f"unknown category {value!r}")
        return value


class ShiftSpec(_Strict):
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = list(DAYS)
    from_: str = Field(alias="from", pattern=HHMM)
    to: str = Field(pattern=HHMM)
    staff: list[str] = Field(min_length=1)

    def dump(self) -> dict[str, Any]:
        return {"days": self.days, "from": self.from_, "to": self.to, "staff": self.staff}


class ExceptionSpec(_Strict):
    date: date
    shifts: list[ShiftSpec] | None = None  # given (even empty): replaces that day's pattern
    away: list[str] = []  # not "off": YAML reads a bare off as false

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {"date": self.date.isoformat(), "away": self.away}
        if self.shifts is not None:
            data["shifts"] = [s.dump() for s in self.shifts]
        return data


class RosterSpec(_Strict):
    weekly: list[ShiftSpec] = []
    exceptions: list[ExceptionSpec] = []
    # Supervisors' changes made in chat or the console stay when the file is reloaded
    # (later changes win over the file); true: loading this file drops them all.
    clear_changes: bool = False


class DispatchSpec(_Strict):
    rules: list[RuleSpec] = []
    responsible: dict[str, dict[str, str]] = {}
    cap: int = Field(5, ge=1, le=100)
    fallback_minutes: float = Field(30, gt=0)
    duty_fallback_minutes: float = Field(10, gt=0)
    night: tuple[str, str] | None = None
    duty_urgencies: list[Urgency] = [Urgency.EMERGENCY]
    roster: RosterSpec = RosterSpec()

    @field_validator("night")
    @classmethod
    def _night(cls, value: tuple[str, str] | None) -> tuple[str, str] | None:
        for v in value or ():
            if not re.match(HHMM, v):
                raise ValueError(f"{v!r} is not HH:MM")
        return value

    def staff_codes(self) -> list[tuple[tuple[Any, ...], str]]:
        """Every staff code the section names, with where it is (for the file's errors)."""
        found: list[tuple[tuple[Any, ...], str]] = []
        for building, teams in self.responsible.items():
            found += [(("dispatch", "responsible", building, team), code) for team, code in teams.items()]
        for i, shift in enumerate(self.roster.weekly):
            found += [(("dispatch", "roster", "weekly", i, "staff"), c) for c in shift.staff]
        for i, day in enumerate(self.roster.exceptions):
            found += [(("dispatch", "roster", "exceptions", i, "away"), c) for c in day.away]
            for shift in day.shifts or ():
                found += [(("dispatch", "roster", "exceptions", i, "shifts"), c) for c in shift.staff]
        return found

    def dump(self) -> dict[str, Any]:
        """The form `cases.dispatch_modes.DispatchConfig.from_json` reads."""
        return {
            "rules": [{"mode": r.mode.value, "kind": str(r.kind), "category": r.category, "urgency": str(r.urgency)}
                      for r in self.rules],
            "responsible": self.responsible,
            "cap": self.cap,
            "fallback_minutes": self.fallback_minutes,
            "duty_fallback_minutes": self.duty_fallback_minutes,
            "night": list(self.night) if self.night else None,
            "duty_urgencies": [str(u) for u in self.duty_urgencies],
            "roster": {"weekly": [s.dump() for s in self.roster.weekly],
                       "exceptions": [e.dump() for e in self.roster.exceptions]},
        }
