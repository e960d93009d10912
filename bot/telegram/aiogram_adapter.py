"""aiogram 3 adapter: its `Bot` makes the calls and parses the updates.

Translation only: updates come by the shared long polling (bot.telegram.polling) or
webhook endpoint (bot.telegram.webhook), which confirm an update to Telegram only once
the shared `UpdateGate` has handled it; replies come through the shared `BotApiSender`
logic; this module maps to and from the library's types and exceptions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram import exceptions as ag
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.channel import Core, TransientError
from bot.media import Upload
from bot.ratelimit import RateLimiter
from bot.telegram.inbound import ALLOWED_UPDATES, UpdateGate
from bot.telegram.menus import CommandMenus, menu_calls
from bot.telegram.outgoing import (
    ApiFailure,
    BotApiSender,
    ContactKeyboard,
    InlineKeyboard,
    Markup,
    Photo,
    SEND_TIMEOUT,
    RemoveKeyboard,
)
from bot.telegram.polling import ConfirmingPoller
from bot.telegram.token import InvalidBotToken, StartBackoff
from bot.telegram.webhook import WebhookServer

log = logging.getLogger(__name__)

T = TypeVar("T")


async def _api(call: Awaitable[T]) -> T:
    """Await a library call, turning its exceptions into ApiFailure / TransientError."""
    try:
        return await call
    except ag.TelegramRetryAfter as exc:
        raise ApiFailure(429, exc.message, retry_after=float(exc.retry_after)) from exc
    except ag.TelegramMigrateToChat as exc:
        raise ApiFailure(400, exc.message, migrate_to_chat_id=exc.migrate_to_chat_id) from exc
    except ag.TelegramForbiddenError as exc:
        raise ApiFailure(403, exc.message) from exc
    except ag.TelegramBadRequest as exc:
        raise ApiFailure(400, exc.message) from exc
    except ag.TelegramUnauthorizedError as exc:
        raise ApiFailure(401, exc.message) from exc
    except ag.TelegramNotFound as exc:
        raise ApiFailure(404, exc.message) from exc
    except ag.TelegramConflictError as exc:
        raise ApiFailure(409, exc.message) from exc
    except (ag.TelegramAPIError, ag.ClientDecodeError) as exc:
        # Server errors, network errors, timeouts, a proxy's HTML error page.
        raise TransientError(f"{type(exc).__name__}: {exc}") from exc


def _markup(
    markup: Markup,
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    if isinstance(markup, InlineKeyboard):
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=b.text, callback_data=b.payload) for b in row]
                for row in markup.rows
            ]
        )
    if isinstance(markup, ContactKeyboard):
        return ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=markup.label, request_contact=True)]],
            one_time_keyboard=True,
            resize_keyboard=True,
        )
    if isinstance(markup, RemoveKeyboard):
        return ReplyKeyboardRemove()
    return None


def _photo(photo: Photo) -> str | BufferedInputFile:
    """A file id passes through (aiogram never reads local paths); a media upload becomes a multipart file."""
    if isinstance(photo, Upload):
        return BufferedInputFile(photo.data, filename=photo.filename)
    return photo


class AiogramSender(BotApiSender):
    def __init__(self, bot: Bot, limiter: RateLimiter | None, media_dir: Path | None = None) -> None:
        super().__init__(limiter, media_dir)
        self._bot = bot

    async def _send_text(self, chat_id: str, text: str, markup: Markup) -> int:
        message = await _api(
            self._bot.send_message(chat_id=chat_id, text=text, reply_markup=_markup(markup))
        )
        return message.message_id

    async def _send_photo(self, chat_id: str, photo: Photo, markup: Markup) -> int:
        message = await _api(
            self._bot.send_photo(chat_id=chat_id, photo=_photo(photo), reply_markup=_markup(markup))
        )
        return message.message_id

    async def _send_media_group(self, chat_id: str, photos: Sequence[Photo]) -> list[int]:
        media: list[Any] = [InputMediaPhoto(media=_photo(p)) for p in photos]
        messages = await _api(self._bot.send_media_group(chat_id=chat_id, media=media))
        return [m.message_id for m in messages]

    async def _get_chat(self, chat_id: str) -> None:
        await _api(self._bot.get_chat(chat_id=chat_id))

    async def _edit_text(
        self, chat_id: str, message_id: int, text: str, markup: InlineKeyboard | None
    ) -> None:
        await _api(
            self._bot.edit_message_text(
                text=text, chat_id=chat_id, message_id=message_id, reply_markup=_markup(markup)
            )
        )


class AiogramChannel:
    """Telegram through aiogram: `sender` for the outbox, runners for updates."""

    def __init__(
        self,
        token: str,
        api_root: str,
        core: Core,
        *,
        limiter: RateLimiter | None,
        commands: CommandMenus,
        default_language: str,
        poll_timeout: float,
        remember_updates: int,
        media_dir: Path | None = None,
        backoff: StartBackoff | None = None,
    ) -> None:
        self._bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_root),
                                                   timeout=SEND_TIMEOUT))
        self._gate = UpdateGate(core, remember_updates=remember_updates)
        self._commands = commands
        self._default_language = default_language
        self._poll_timeout = poll_timeout
        self._poller: ConfirmingPoller | None = None
        self._webhook: WebhookServer | None = None
        self._backoff = backoff or StartBackoff()
        self.sender = AiogramSender(self._bot, limiter, media_dir)

    async def connect(self) -> None:
        """Check the token (getMe, retried while the API cannot be reached) and get ready to
        send, without taking updates: a process that only delivers the outbox."""
        await self._start()

    async def start_polling(self) -> None:
        await self._start()
        # getUpdates is refused while a webhook is registered (an earlier webhook run).
        await _api(self._bot.delete_webhook(drop_pending_updates=False))
        # Long polling that confirms an update only once handled (bot.telegram.polling), not the
        # library's (which confirms what it fetched).
        self._poller = ConfirmingPoller(self._get_updates, self._gate, timeout=self._poll_timeout,
                                        describe=lambda exc: f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}")
        self._poller.start()

    async def _get_updates(self, offset: int | None, timeout: float, limit: int) -> Sequence[Update]:
        seconds = round(timeout)
        return await self._bot.get_updates(offset=offset, limit=limit, timeout=seconds, allowed_updates=ALLOWED_UPDATES,
                                           request_timeout=seconds + SEND_TIMEOUT)

    async def start_webhook(self, listen: str, port: int, url: str, secret: str | None) -> None:
        """Serve `http://listen:port/<path of url>` and register `url` with Telegram; each post is
        answered once its update is handled (bot.telegram.webhook), not when it is queued.

        The path of the public URL is served as-is, so a reverse proxy in front must
        keep it.
        """
        await self._start()
        self._webhook = WebhookServer(urlsplit(url).path or "/", secret,
                                      lambda data: Update.model_validate(data, context={"bot": self._bot}), self._gate)
        await self._webhook.start(listen, port)
        await _api(
            self._bot.set_webhook(
                url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False
            )
        )

    async def stop(self) -> None:
        """Stop taking updates, finish those taken in, close the HTTP session.

        The sender shares that session: stop the Deliverer first.
        """
        await self.stop_updates()
        await self._bot.session.close()

    async def stop_updates(self) -> None:
        """Stop taking updates and finish handling those taken in (their replies are then
        in the outbox); the sender still works."""
        if self._poller is not None:
            await self._poller.stop()
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None
        await self._gate.drain()
        if self._poller is not None:
            await self._poller.confirm()
            self._poller = None

    async def download_file(self, file_id: str) -> bytes:
        buffer = await _api(self._bot.download(file_id))
        assert buffer is not None
        return buffer.read()

    async def _start(self) -> None:
        delays = self._backoff.delays()
        while True:
            try:
                me = await self._bot.me()  # getMe: checks the token against the server
                break
            except ag.TelegramUnauthorizedError:
                raise InvalidBotToken(
                    "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): revoked or mistyped"
                ) from None
            except (ag.TelegramNetworkError, ag.TelegramServerError, ag.RestartingTelegram,
                    ag.ClientDecodeError) as exc:
                delay = next(delays)
                text = " ".join(str(exc).split())
                log.warning("Telegram Bot API not reachable (%s: %s); trying again in %.0f s",
                            type(exc).__name__, text[:160], delay)
                await asyncio.sleep(delay)
        self._gate.bot_username = me.username
        await self._publish_menus()

    async def _publish_menus(self) -> None:
        for language_code, commands in menu_calls(self._commands, self._default_language):
            try:
                await self._bot.set_my_commands(
                    [BotCommand(command=c, description=d) for c, d in commands],
                    language_code=language_code,
                )
            except (ag.TelegramAPIError, ag.ClientDecodeError) as exc:
                # A missing menu is cosmetic; not a reason to refuse to start.
                log.warning("could not publish the %s command menu: %s", language_code or "default", exc)
