"""Checking the bot token before anything talks to Telegram.

A token from @BotFather looks like `123456789:AAH...` (the bot's numeric id, a
colon, about 35 letters, digits, `_` or `-`).  Catching a missing or mangled one
at start-up gives one clear line instead of a stack trace from deep inside the
HTTP library on the first request.  The messages never echo the token: it is a
password and start-up errors end up in logs.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{30,50}")


class InvalidBotToken(ValueError):
    """The configured bot token cannot work; the message is one line fit for an operator."""


def validate_token(token: str | None, setting: str = "TELEGRAM_BOT_TOKEN") -> str:
    """Return the token stripped of surrounding whitespace, or raise InvalidBotToken."""
    if token is None or not token.strip():
        raise InvalidBotToken(f"{setting} is not set: put the token @BotFather gave you there")
    token = token.strip()
    if not _TOKEN.fullmatch(token):
        raise InvalidBotToken(
            f"{setting} is malformed: expected '<bot id digits>:<about 35 letters, digits, _ or ->'"
            f" as issued by @BotFather (got {len(token)} characters)"
        )
    return token


class StartBackoff:
    """How long to wait between attempts at the first contact with the Bot API (getMe)
    when it cannot be reached: 1 s, 2 s, 4 s ... at most `cap` seconds, for ever — an
    unreachable API (network down, Telegram or the local Bot API server restarting) is
    waited out; only a rejected token ends the start."""

    def __init__(self, first: float = 1.0, cap: float = 30.0) -> None:
        self.first, self.cap = first, cap

    def delays(self):  # type: ignore[no-untyped-def]
        delay = self.first
        while True:
            yield delay
            delay = min(self.cap, delay * 2)
