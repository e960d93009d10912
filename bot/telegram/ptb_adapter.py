"""python-telegram-bot adapter: its `Bot` makes the calls and parses the updates.

Translation only: updates come by the shared long polling (bot.telegram.polling) or
webhook endpoint (bot.telegram.webhook), which confirm an update to Telegram only once
the shared `UpdateGate` has handled it; replies come through the shared `BotApiSender`
logic; this module maps to and from the library's types and exceptions.
"""

from __future__ import annotations

import asyncio
import logging
import os
import warnings
from collections.abc import Awaitable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram import error as tg
from telegram.ext import Application
from telegram.warnings import PTBDeprecationWarning

from bot.channel import Core, TransientError, Undeliverable
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
    SEND_CONNECTIONS,
    SEND_TIMEOUT,
    RemoveKeyboard,
)
from bot.telegram.polling import ConfirmingPoller
from bot.telegram.token import InvalidBotToken, StartBackoff
from bot.telegram.webhook import WebhookServer

log = logging.getLogger(__name__)

T = TypeVar("T")

# PTB 22 warns from inside its own RetryAfter constructor that `retry_after` will
# become a timedelta; `_seconds` below already reads either form.
warnings.filterwarnings(
    "ignore", message=r".*attribute `retry_after`", category=PTBDeprecationWarning
)


async def _api(call: Awaitable[T]) -> T:
    """Await a library call, turning its exceptions into ApiFailure / TransientError."""
    try:
        return await call
    except tg.RetryAfter as exc:
        raise ApiFailure(429, exc.message, retry_after=_seconds(exc)) from exc
    except tg.ChatMigrated as exc:
        raise ApiFailure(400, exc.message, migrate_to_chat_id=exc.new_chat_id) from exc
    except tg.Forbidden as exc:
        raise ApiFailure(403, exc.message) from exc
    except tg.BadRequest as exc:  # before NetworkError: BadRequest subclasses it
        raise ApiFailure(400, exc.message) from exc
    except tg.InvalidToken as exc:
        raise ApiFailure(401, exc.message) from exc
    except tg.Conflict as exc:
        raise ApiFailure(409, exc.message) from exc
    except tg.TelegramError as exc:  # NetworkError (5xx, connection), TimedOut
        raise TransientError(f"{type(exc).__name__}: {exc.message}") from exc


def _seconds(exc: tg.RetryAfter) -> float:
    # v22 returns int or timedelta depending on PTB_TIMEDELTA and warns about the change.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _markup(
    markup: Markup,
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    if isinstance(markup, InlineKeyboard):
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(b.text, callback_data=b.payload) for b in row] for row in markup.rows]
        )
    if isinstance(markup, ContactKeyboard):
        return ReplyKeyboardMarkup(
            [[KeyboardButton(markup.label, request_contact=True)]],
            one_time_keyboard=True,
            resize_keyboard=True,
        )
    if isinstance(markup, RemoveKeyboard):
        return ReplyKeyboardRemove()
    return None


def _photo(photo: Photo, *, in_album: bool = False) -> str | InputFile:
    """A file id passes through; a media upload becomes a multipart file (an album's
    parts are named by `attach://`, a single photo is the `photo` field itself)."""
    if isinstance(photo, Upload):
        return InputFile(photo.data, filename=photo.filename, attach=in_album)
    # PTB uploads a string that names an existing local file; only our media directory
    # may be uploaded from (see bot.media), and never a path a reply happens to hold.
    if os.path.exists(photo):
        raise Undeliverable("a reply photo names a local file; only file ids, URLs and media: files are sent")
    return photo


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:200]


class PtbSender(BotApiSender):
    def __init__(self, app: Application, limiter: RateLimiter | None, media_dir: Path | None = None) -> None:
        super().__init__(limiter, media_dir)
        self._app = app

    async def _send_text(self, chat_id: str, text: str, markup: Markup) -> int:
        message = await _api(
            self._app.bot.send_message(chat_id=chat_id, text=text, reply_markup=_markup(markup))
        )
        return message.message_id

    async def _send_photo(self, chat_id: str, photo: Photo, markup: Markup) -> int:
        message = await _api(
            self._app.bot.send_photo(chat_id=chat_id, photo=_photo(photo), reply_markup=_markup(markup))
        )
        return message.message_id

    async def _send_media_group(self, chat_id: str, photos: Sequence[Photo]) -> list[int]:
        media = [InputMediaPhoto(media=_photo(p, in_album=True)) for p in photos]
        messages = await _api(self._app.bot.send_media_group(chat_id=chat_id, media=media))
        return [m.message_id for m in messages]

    async def _get_chat(self, chat_id: str) -> None:
        await _api(self._app.bot.get_chat(chat_id=chat_id))

    async def _edit_text(
        self, chat_id: str, message_id: int, text: str, markup: InlineKeyboard | None
    ) -> None:
        await _api(
            self._app.bot.edit_message_text(
                text=text, chat_id=chat_id, message_id=message_id, reply_markup=_markup(markup)
            )
        )


class PtbChannel:
    """Telegram through python-telegram-bot: `sender` for the outbox, runners for updates."""

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
        self._app = (
            Application.builder()
            .token(token)
            .base_url(f"{api_root}/bot")
            .base_file_url(f"{api_root}/file/bot")
            # Updates come through bot.telegram.polling or .webhook straight to the gate, which
            # orders them per chat; the library's Updater confirms them before they are handled.
            .updater(None)
            .read_timeout(SEND_TIMEOUT)
            .write_timeout(SEND_TIMEOUT)
            # Many chats are served at once: one slow answer must not hold up the others
            # (the library's default is a single connection for all calls but getUpdates).
            .connection_pool_size(SEND_CONNECTIONS)
            .pool_timeout(SEND_TIMEOUT)
            .build()
        )
        self._gate = UpdateGate(core, remember_updates=remember_updates)
        self._commands = commands
        self._default_language = default_language
        self._poll_timeout = poll_timeout
        self._backoff = backoff or StartBackoff()
        self._poller: ConfirmingPoller | None = None
        self._webhook: WebhookServer | None = None
        self.sender = PtbSender(self._app, limiter, media_dir)

    async def connect(self) -> None:
        """Check the token (getMe, retried while the API cannot be reached) and get ready to
        send, without taking updates: a process that only delivers the outbox."""
        await self._start()

    async def start_polling(self) -> None:
        """Long polling that confirms an update only once handled (bot.telegram.polling), not the
        library's Updater (which confirms what it fetched)."""
        await self._start()
        # getUpdates is refused while a webhook is registered (an earlier webhook run).
        await _api(self._app.bot.delete_webhook(drop_pending_updates=False))
        self._poller = ConfirmingPoller(self._get_updates, self._gate, timeout=self._poll_timeout,
                                        describe=_one_line)
        self._poller.start()

    async def _get_updates(self, offset: int | None, timeout: float, limit: int) -> Sequence[Update]:
        return await self._app.bot.get_updates(offset=offset, limit=limit, timeout=timedelta(seconds=timeout),
                                               allowed_updates=ALLOWED_UPDATES)

    async def start_webhook(self, listen: str, port: int, url: str, secret: str | None) -> None:
        """Serve `http://listen:port/<path of url>` and register `url` with Telegram; each post is
        answered once its update is handled (bot.telegram.webhook), not when it is queued.

        The path of the public URL is served as-is, so a reverse proxy in front must
        keep it.
        """
        await self._start()
        self._webhook = WebhookServer(urlsplit(url).path or "/", secret,
                                      lambda data: Update.de_json(data, self._app.bot), self._gate)
        await self._webhook.start(listen, port)
        await _api(self._app.bot.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES,
                                             drop_pending_updates=False))

    async def stop_updates(self) -> None:
        """Stop taking updates and finish handling those taken in (their replies are then
        in the outbox); the sender still works."""
        if self._poller is not None:
            await self._poller.stop()
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None
        if self._app.running:
            await self._app.stop()
        await self._gate.drain()
        if self._poller is not None:
            await self._poller.confirm()
            self._poller = None

    async def stop(self) -> None:
        """Stop taking updates, finish those taken in, close the HTTP client.

        The sender shares that client: stop the Deliverer first.
        """
        await self.stop_updates()
        await self._app.shutdown()

    async def download_file(self, file_id: str) -> bytes:
        file = await _api(self._app.bot.get_file(file_id))
        return bytes(await _api(file.download_as_bytearray()))

    async def _start(self) -> None:
        delays = self._backoff.delays()
        while True:
            try:
                await self._app.initialize()  # getMe: checks the token against the server
                break
            except (tg.NetworkError, tg.TimedOut) as exc:  # refused, 5xx, timeouts (not BadRequest)
                if isinstance(exc, tg.BadRequest):
                    await self._app.bot.shutdown()
                    raise
                delay = next(delays)
                log.warning("Telegram Bot API not reachable (%s); trying again in %.0f s",
                            _one_line(exc), delay)
                await asyncio.sleep(delay)
            except BaseException as exc:
                # A failed initialize leaves the HTTP client open and Application.shutdown
                # would skip it ("not initialized"): close it here.
                await self._app.bot.shutdown()
                if isinstance(exc, tg.InvalidToken):
                    # PTB's own message quotes the token; ours must not.
                    raise InvalidBotToken(
                        "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): revoked or mistyped"
                    ) from None
                raise
        self._gate.bot_username = self._app.bot.username
        await self._publish_menus()
        await self._app.start()

    async def _publish_menus(self) -> None:
        for language_code, commands in menu_calls(self._commands, self._default_language):
            try:
                await self._app.bot.set_my_commands(
                    [BotCommand(c, d) for c, d in commands], language_code=language_code
                )
            except tg.TelegramError as exc:
                # A missing menu is cosmetic; not a reason to refuse to start.
                log.warning("could not publish the %s command menu: %s", language_code or "default", exc)
