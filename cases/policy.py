"""The desk's configurable policy, read from the community file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cases.codes import Urgency
from cases.dispatch_modes import DispatchConfig

def known_timezone(name: str) -> str:
    """`name` if it is an IANA time zone, else a ValueError naming it (for settings and files)."""
    try:
        ZoneInfo(name)
    except Exception:
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


# The trade's floor: at least 90% of repairs get a callback (procedures.md).
REPAIR_CALLBACK_FLOOR = 0.90


@dataclass(frozen=True)
class DeskPolicy:
    response: dict[str, timedelta] = field(
        default_factory=lambda: {
            Urgency.EMERGENCY: timedelta(minutes=15),
            Urgency.URGENT: timedelta(hours=2),
            Urgency.NORMAL: timedelta(hours=24),
        }
    )
    completion: dict[str, timedelta] = field(
        default_factory=lambda: {
            Urgency.EMERGENCY: timedelta(hours=4),
            Urgency.URGENT: timedelta(hours=24),
            Urgency.NORMAL: timedelta(hours=72),
        }
    )
    # How often an unaccepted emergency is re-announced to the duty group.
    emergency_repeat: timedelta = timedelta(minutes=5)
    callback_delay: timedelta = timedelta(hours=2)
    callback_reminder_after: timedelta = timedelta(hours=24)
    callback_phone_after: timedelta = timedelta(hours=24)
    repair_callback_rate: float = 1.0
    auto_confirm_after: timedelta = timedelta(hours=72)
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)
    timezone: str = "Asia/Shanghai"
    hotline: str = ""
    emergency_numbers: dict[str, str] = field(
        default_factory=lambda: {"fire": "119", "police": "110", "medical": "120"}
    )
    # When the service centre is staffed ("08:30", "18:00"), from the community file; None: not given.
    office_hours: tuple[str, str] | None = None
    spot_check_sample: int = 5
    # Who a dispatched case is offered to (cases.dispatch_modes); the default grabs in the group.
    dispatch: DispatchConfig = field(default_factory=DispatchConfig)

    def __post_init__(self) -> None:
        if not 0 <= self.repair_callback_rate <= 1:
            raise ValueError("repair_callback_rate must be between 0 and 1")

    @property
    def effective_repair_rate(self) -> float:
        """A configured rate below the trade's floor is raised to it, never honoured."""
        return max(self.repair_callback_rate, REPAIR_CALLBACK_FLOOR)

    def to_json(self) -> dict[str, Any]:
        return {
            "response_minutes": {k: v.total_seconds() / 60 for k, v in self.response.items()},
            "completion_minutes": {k: v.total_seconds() / 60 for k, v in self.completion.items()},
            "emergency_repeat_minutes": self.emergency_repeat.total_seconds() / 60,
            "callback_delay_minutes": self.callback_delay.total_seconds() / 60,
            "callback_reminder_minutes": self.callback_reminder_after.total_seconds() / 60,
            "callback_phone_minutes": self.callback_phone_after.total_seconds() / 60,
            "repair_callback_rate": self.repair_callback_rate,
            "auto_confirm_minutes": self.auto_confirm_after.total_seconds() / 60,
            "quiet_hours": [self.quiet_start.strftime("%H:%M"), self.quiet_end.strftime("%H:%M")],
            "timezone": self.timezone,
            "hotline": self.hotline,
            "emergency_numbers": dict(self.emergency_numbers),
            "office_hours": list(self.office_hours) if self.office_hours else None,
            "spot_check_sample": self.spot_check_sample,
            "dispatch": self.dispatch.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeskPolicy:
        if not data:
            return cls()
        minutes = lambda m: timedelta(minutes=float(m))  # noqa: E731
        quiet = data.get("quiet_hours", ["22:00", "08:00"])
        return cls(
            response={k: minutes(v) for k, v in data["response_minutes"].items()},
            completion={k: minutes(v) for k, v in data["completion_minutes"].items()},
            emergency_repeat=minutes(data.get("emergency_repeat_minutes", 5)),
            callback_delay=minutes(data["callback_delay_minutes"]),
            callback_reminder_after=minutes(data["callback_reminder_minutes"]),
            callback_phone_after=minutes(data["callback_phone_minutes"]),
            repair_callback_rate=float(data["repair_callback_rate"]),
            auto_confirm_after=minutes(data["auto_confirm_minutes"]),
            quiet_start=time.fromisoformat(quiet[0]),
            quiet_end=time.fromisoformat(quiet[1]),
            timezone=data.get("timezone", "Asia/Shanghai"),
            hotline=data.get("hotline", ""),
            emergency_numbers=dict(data.get("emergency_numbers", {})),
            office_hours=tuple(data["office_hours"]) if data.get("office_hours") else None,  # type: ignore[arg-type]
            spot_check_sample=int(data.get("spot_check_sample", 5)),
            dispatch=DispatchConfig.from_json(data.get("dispatch")),
        )
