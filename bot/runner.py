"""`wuye run`: the bot on Telegram — the one place that wires channel, outbox delivery and scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from bot.bootstrap import App, build_app, ensure_community
from bot.delivery import Deliverer
from bot.outbox import SqlOutbox
from bot.ratelimit import Limits
from bot.settings import Settings
from bot.telegram import TelegramChannel, build_telegram_channel, validate_token
from handlers.i18n import LOCALES, catalogue

log = logging.getLogger("wuye.run")

COMMANDS = ("start", "help", "mycases", "mute", "unmute", "lang", "cancel")


def command_menus() -> dict[str, list[tuple[str, str]]]:
    """The command menu in every language, from the catalogues."""
    return {locale: [(name, catalogue(locale)[f"commands.{name}"]) for name in COMMANDS] for locale in LOCALES}


class Running:
    """A started bot: the app, its Telegram channel and its delivery loop."""

    def __init__(self, settings: Settings, app: App, channel: TelegramChannel, deliverer: Deliverer) -> None:
        self.settings, self.app, self.channel, self.deliverer = settings, app, channel, deliverer
        self.stop_event = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stoppers: list[Callable[[], Awaitable[None] | None]] = []

    async def start(self) -> None:
        settings = self.settings
        self._tasks.append(asyncio.create_task(self.deliverer.run_forever(self.stop_event), name="outbox"))
        self._start_scheduler()
        if settings.webhook_url:
            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
            await self.channel.start_webhook(settings.webhook_listen, settings.webhook_port, settings.webhook_url, secret)
        else:
            await self.channel.start_polling()

    def _start_scheduler(self) -> None:
        from bot.scheduler import start_scheduler, stop_scheduler

        scheduler = start_scheduler(self.app)
        # Waits for a tick in flight to finish its transaction before the app closes.
        self._stoppers.append(lambda: stop_scheduler(self.app, scheduler))

    async def stop(self) -> None:
        """Stop taking updates, let delivery finish what it is sending, then close everything."""
        for stopper in self._stoppers:
            result = stopper()
            if asyncio.iscoroutine(result):
                await result
        self.stop_event.set()
        # The sender shares the channel's HTTP client: stop delivery before the channel.
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.channel.stop()
        await self.app.close()


async def start_bot(settings: Settings, app: App | None = None, *, limits: Limits | None = None,
                    poll_timeout: float = 30.0) -> Running:
    """Build and start everything; the caller awaits `stop()` when done.

    `limits` defaults to Telegram's published limits (tests pass faster ones)."""
    token = validate_token(settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None)
    app = app or await build_app(settings)
    await ensure_community(app)
    from bot.config_checks import warn_at_start

    await warn_at_start(app, ["telegram"])
    channel = build_telegram_channel(settings.bot_framework, token, settings.telegram_api_base_url, app.desk,
                                     commands=command_menus(), default_language=settings.default_locale,
                                     limits=limits, poll_timeout=poll_timeout, media_dir=settings.media_dir)
    # The Telegram sender paces its own API calls within Telegram's limits.
    deliverer = Deliverer(SqlOutbox(app.sessions, app.clock), channel.sender, now=app.clock.now)
    app.desk.on_outbox = deliverer.notify
    running = Running(settings, app, channel, deliverer)
    try:
        await running.start()
    except BaseException:
        await running.stop()
        raise
    return running


async def run_until_signalled(settings: Settings) -> None:
    running = await start_bot(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    mode = f"webhook {settings.webhook_url}" if settings.webhook_url else "long polling"
    log.info("wuye is running on Telegram (%s, %s)", settings.bot_framework, mode)
    await stop.wait()
    log.info("stopping")
    await running.stop()
