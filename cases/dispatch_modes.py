"""How a dispatched case finds its worker (派单方式), per category and urgency.

    grab        the card goes to the team's group; whoever accepts first takes it (抢单,
                today's way and the default for everything the community file does not name)
    building    offered to the person responsible for the case's building in that team
                (the building's butler, its engineer)
    round_robin offered to the team's member on duty with the fewest open cases, never
                to one who already holds `cap` (轮派, weighted by load)
    duty        emergencies and night cases go first to the person on the duty roster

An offer is not an acceptance: the case stays with the team (the group sees who it was
offered to) and falls back to the group when the person has not accepted within
`fallback_after` (an emergency's offer within `duty_fallback_after`, and it escalates).
When the mode cannot name anyone (nobody responsible, everyone at the cap, nobody on
duty) the case is grabbed as today, and the decision says why.

Pure: `choose` gets the members, their open loads, the time; it returns a `Decision`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from cases.codes import SUPERVISOR_ROLES, Urgency
from cases.roster import Roster, within


_NEVER = datetime.min.replace(tzinfo=timezone.utc)


class Mode(StrEnum):
    GRAB = "grab"
    BUILDING = "building"
    ROUND_ROBIN = "round_robin"
    DUTY = "duty"


@dataclass(frozen=True, slots=True)
class Rule:
    """`mode` for cases matching every field given ("" matches anything)."""

    mode: Mode
    kind: str = ""
    category: str = ""
    urgency: str = ""

    def matches(self, kind: str, category: str, urgency: str) -> bool:
        return all(not want or want == have for want, have in
                   ((self.kind, kind), (self.category, category), (self.urgency, urgency)))

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode.value, "kind": self.kind, "category": self.category, "urgency": self.urgency}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rule:
        return cls(Mode(data["mode"]), data.get("kind", ""), data.get("category", ""), data.get("urgency", ""))


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    rules: tuple[Rule, ...] = ()
    # building code → team code → staff code of the person responsible
    responsible: dict[str, dict[str, str]] = field(default_factory=dict)
    cap: int = 5
    fallback_after: timedelta = timedelta(minutes=30)
    duty_fallback_after: timedelta = timedelta(minutes=10)
    roster: Roster = field(default_factory=Roster)
    # Cases opened in these hours (community time) go to the person on duty first.
    night: tuple[time, time] | None = None
    duty_urgencies: frozenset[str] = frozenset({Urgency.EMERGENCY})

    def mode_for(self, kind: str, category: str, urgency: str) -> Mode:
        return next((r.mode for r in self.rules if r.matches(kind, category, urgency)), Mode.GRAB)

    def is_night(self, now: datetime, zone: str) -> bool:
        if self.night is None:
            return False
        return within(now.astimezone(ZoneInfo(zone)).time(), *self.night)

    def to_json(self) -> dict[str, Any]:
        return {
            "rules": [r.to_json() for r in self.rules],
            "responsible": {b: dict(t) for b, t in self.responsible.items()},
            "cap": self.cap,
            "fallback_minutes": self.fallback_after.total_seconds() / 60,
            "duty_fallback_minutes": self.duty_fallback_after.total_seconds() / 60,
            "roster": self.roster.to_json(),
            "night": [t.strftime("%H:%M") for t in self.night] if self.night else None,
            "duty_urgencies": sorted(self.duty_urgencies),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> DispatchConfig:
        if not data:
            return cls()
        night = data.get("night")
        return cls(
            rules=tuple(Rule.from_json(r) for r in data.get("rules", ())),
            responsible={str(b): dict(t) for b, t in (data.get("responsible") or {}).items()},
            cap=int(data.get("cap", 5)),
            fallback_after=timedelta(minutes=float(data.get("fallback_minutes", 30))),
            duty_fallback_after=timedelta(minutes=float(data.get("duty_fallback_minutes", 10))),
            roster=Roster.from_json(data.get("roster")),
            night=(time.fromisoformat(night[0]), time.fromisoformat(night[1])) if night else None,
            duty_urgencies=frozenset(data.get("duty_urgencies", (Urgency.EMERGENCY,))),
        )


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    code: str
    team: str
    role: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class Decision:
    mode: Mode
    assignee_id: int | None = None
    fallback_at: datetime | None = None
    why: str = ""  # when grabbed although another mode was configured: the reason

    @property
    def offered(self) -> bool:
        return self.assignee_id is not None


def choose(config: DispatchConfig, *, kind: str, category: str, urgency: str, team: str,
           building: str, members: list[Member], load: dict[int, int], now: datetime, zone: str,
           last_offered: dict[int, datetime] | None = None) -> Decision:
    """Who is offered the case (or nobody: the group grabs it).  Round robin takes the
    lightest load; among equals, the one offered a case longest ago (never offered: first)."""
    last = last_offered or {}
    away = config.roster.away(now, zone)
    available = [m for m in members if m.active and m.code not in away]
    if urgency in config.duty_urgencies or config.is_night(now, zone):
        on_duty = config.roster.on_duty(now, zone)
        by_code = {m.code: m for m in available}
        # The case's team's person on duty (only they may accept it; a supervisor on duty
        # over the team may too).  Nobody of the team on duty: the mode below decides.
        duty = [by_code[c] for c in on_duty if c in by_code and by_code[c].team == team]
        if duty:
            return Decision(Mode.DUTY, duty[0].id, now + config.duty_fallback_after)
    mode = config.mode_for(kind, category, urgency)
    if mode is Mode.BUILDING:
        code = config.responsible.get(building, {}).get(team)
        person = next((m for m in available if m.code == code), None)
        if person is None:
            return Decision(Mode.GRAB, why="nobody_responsible" if code is None else "responsible_away")
        if load.get(person.id, 0) >= config.cap:
            return Decision(Mode.GRAB, why="at_cap")
        return Decision(Mode.BUILDING, person.id, now + config.fallback_after)
    if mode is Mode.ROUND_ROBIN:
        pool = [m for m in available if m.team == team and m.role not in SUPERVISOR_ROLES]
        if not config.roster.empty:
            on_duty = set(config.roster.on_duty(now, zone))
            # A team the roster does not mention works office hours: all its members count.
            if any(m.code in on_duty for m in members if m.team == team):
                pool = [m for m in pool if m.code in on_duty]
        pool = [m for m in pool if load.get(m.id, 0) < config.cap]
        if not pool:
            return Decision(Mode.GRAB, why="all_at_cap")
        person = min(pool, key=lambda m: (load.get(m.id, 0), last.get(m.id, _NEVER), m.id))
        return Decision(Mode.ROUND_ROBIN, person.id, now + config.fallback_after)
    return Decision(Mode.GRAB)
