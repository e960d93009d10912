"""How codes, times and money are shown to people, in their language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cases.policy import DeskPolicy
from handlers.kit.i18n import t


def local_time(when: datetime | None, policy: DeskPolicy, locale: str) -> str:
    if when is None:
        return "-"
    local = when.astimezone(ZoneInfo(policy.timezone))
    if locale == "en":
        return local.strftime("%b %d %H:%M").replace(" 0", " ")
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def money(cents: int, locale: str) -> str:
    return f"¥{cents / 100:.2f}" if cents % 100 else f"¥{cents // 100}"


def code_name(locale: str, group: str, code: str) -> str:
    """Display name of a taxonomy or lifecycle code (kind, urgency, category, status, team)."""
    if not code:
        return "-"
    try:
        return t(locale, f"codes.{group}.{code}")
    except KeyError:
        return code


def duration(minutes: float, locale: str) -> str:
    minutes = int(round(minutes))
    if minutes < 60:
        return t(locale, "codes.minutes", n=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 48 or rest:
        return t(locale, "codes.hours", n=hours) + (t(locale, "codes.minutes", n=rest) if rest else "")
    return t(locale, "codes.days", n=hours // 24)
