"""What an operator reads of the WeChat/WeCom inbox (storage.inbox): `wuye status` and `wuye inbox`.

A failed message was given up after repeated failures: its sender got the desk's apology
and nothing else, so it is said as something to act on, with the commands that do.
Ids, channels, times and message kinds only: never a sender or their words.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.intake import UPDATE_HORIZON
from handlers.kit.i18n import t
from storage.inbox import ChannelHealth, Failed

LOCALES = ("zh-CN", "en")  # the office's language first


def both(key: str, **fields: object) -> list[str]:
    return [t(locale, key, **fields) for locale in LOCALES]


def status_lines(rows: list[ChannelHealth], now: datetime) -> list[str]:
    """One line per channel (Chinese / English), then for each channel with failed messages
    what to do about them (a Chinese line, an English line)."""
    if not rows:
        return [" / ".join(both("cli.inbox_empty"))]
    lines = []
    for row in rows:
        minutes = None if row.oldest_unhandled is None else int((now - row.oldest_unhandled).total_seconds() // 60)
        lines.append(" / ".join(
            t(locale, "cli.inbox_channel", channel=row.channel, waiting=row.waiting, leased=row.leased,
              failed=row.failed, age=t(locale, "cli.inbox_no_age") if minutes is None
              else t(locale, "cli.inbox_age", minutes=minutes))
            for locale in LOCALES))
    for row in rows:
        if row.failed:
            lines += both("cli.inbox_failed_alert", channel=row.channel, failed=row.failed,
                           days=UPDATE_HORIZON.days)
    return lines


def failed_lines(rows: list[Failed], zone: ZoneInfo, locale: str) -> list[str]:
    """`wuye inbox failed`: the messages given up, oldest first, in the office's time zone."""
    if not rows:
        return [t(locale, "cli.inbox_failed_none")]
    return [t(locale, "cli.inbox_failed_header", zone=zone.key)] + [
        t(locale, "cli.inbox_failed_row", id=row.id, channel=row.channel, attempts=row.attempts, kind=row.kind,
          received=row.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"))
        for row in rows]
