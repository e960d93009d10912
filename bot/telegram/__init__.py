"""The Telegram channel: adapters over python-telegram-bot (default) or aiogram 3.

The bootstrap wires it with one call::

    channel = build_telegram_channel("ptb", token, api_root, core, commands=menus)
    deliverer = Deliverer(outbox, channel.sender)      # the sender paces itself
    await channel.start_polling()                      # or start_webhook(...)
    ...
    # shut down: stop the Deliverer, then `await channel.stop()`

Importing this package does not import either library; the factory imports the adapter
of the configured framework (aiogram's Bot API models alone cost 140 MB of memory per
process, paid by every `wuye run` on python-telegram-bot when both were imported).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Literal, Protocol

from bot.channel import Core
from bot.ratelimit import Limits, RateLimiter
from bot.telegram.menus import CommandMenus
from bot.telegram.outgoing import BotApiSender
from bot.telegram.token import InvalidBotToken, StartBackoff, validate_token

DEFAULT_API_ROOT = "https://api.telegram.org"
# Each framework's adapter: (module, class), imported when a channel is built with it.
ADAPTERS = {"ptb": ("bot.telegram.ptb_adapter", "PtbChannel"),
            "aiogram": ("bot.telegram.aiogram_adapter", "AiogramChannel")}

__all__ = [
    "DEFAULT_API_ROOT",
    "InvalidBotToken",
    "StartBackoff",
    "TelegramChannel",
    "build_telegram_channel",
    "validate_token",
]


class TelegramChannel(Protocol):
    sender: BotApiSender

    async def connect(self) -> None:
        """Check the token (getMe) and get ready to send, without taking updates."""

    async def start_polling(self) -> None:
        """Check the token (getMe), publish the command menus, start long polling; returns at once."""

    async def start_webhook(self, listen: str, port: int, url: str, secret: str | None) -> None:
        """Like start_polling, but serve a webhook on listen:port and register `url` with Telegram."""

    async def stop_updates(self) -> None:
        """Stop taking updates and finish those taken in; sending still works."""

    async def stop(self) -> None:
        """Stop taking updates, finish those taken in, close the HTTP client (stop the Deliverer first)."""

    async def download_file(self, file_id: str) -> bytes:
        """The bytes of a file a user sent (e.g. the `photo` of an Inbound)."""


def build_telegram_channel(
    framework: Literal["ptb", "aiogram"],
    token: str | None,
    api_root: str | None,
    core: Core,
    *,
    commands: CommandMenus | None = None,
    default_language: str = "zh-CN",
    limits: Limits | None = None,
    limiter: RateLimiter | None = None,
    poll_timeout: float = 30.0,
    remember_updates: int = 10_000,
    media_dir: Path | None = None,
    backoff: StartBackoff | None = None,
) -> TelegramChannel:
    """Build the channel; raises InvalidBotToken (one line, fit for an operator) on a bad token.

    `api_root` is TELEGRAM_API_BASE_URL (a local Bot API server, or a stand-in in
    tests); `commands` maps a language tag to (command, description) pairs, the
    `default_language` menu being the one shown to everybody else.  The sender
    paces its calls with `limiter` (by default one built from `limits`, i.e.
    Telegram's published limits).  Photos named `media:<file>` are uploaded from
    `media_dir` (MEDIA_DIR); without one they are refused.
    """
    token = validate_token(token)
    root = (api_root or DEFAULT_API_ROOT).rstrip("/")
    options = dict(
        limiter=limiter or RateLimiter(limits),
        commands=commands or {},
        default_language=default_language,
        poll_timeout=poll_timeout,
        remember_updates=remember_updates,
        media_dir=media_dir,
        backoff=backoff,
    )
    if framework not in ADAPTERS:
        raise ValueError(f"unknown Telegram framework {framework!r}: use 'ptb' or 'aiogram'")
    module, name = ADAPTERS[framework]
    channel: TelegramChannel = getattr(importlib.import_module(module), name)(token, root, core, **options)
    return channel
