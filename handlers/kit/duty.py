"""How a duty change reads, the same in the confirmation, the team group, the person's
own chat and `/duty`: "王强 值班：6月6日（周六）20:00 至 6月7日（周日）08:00"."""

from __future__ import annotations

from datetime import datetime

from cases.when import Span, When
from handlers.kit.answers import when_label
from handlers.kit.i18n import t


def span_text(locale: str, start: datetime, end: datetime) -> str:
    return when_label(When(Span.WINDOW, start, end), locale)


def change_line(locale: str, name: str, on: bool, start: datetime, end: datetime) -> str:
    return t(locale, "duty.line_on" if on else "duty.line_off", name=name, span=span_text(locale, start, end))
