"""`wuye run`: the bot on Telegram — the one place that wires channel, outbox delivery and scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from bot.bootstrap import App, build_app, ensure_community
from bot.config_checks import warn_at_start
from bot.delivery import Deliverer
from bot.outbox import SqlOutbox
from bot.ratelimit import Limits
from bot.scheduler import start_scheduler, stop_scheduler
from bot.settings import Settings
from bot.telegram import StartBackoff, TelegramChannel, build_telegram_channel, validate_token
from bot.wecom.run import WecomChannel
from handlers.kit.i18n import LOCALES, catalogue

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
        # Channels beside Telegram (WeCom), each with its own callbacks and outbox delivery.
        self.others: list[WecomChannel] = []
        self._others_delivering: list[WecomChannel] = []

    async def start(self) -> None:
        """Reach the channel first (getMe, retried while the API cannot be reached), so a
        refused start has nothing else to undo; then delivery, the scheduler, updates."""
        settings = self.settings
        if settings.webhook_url:
            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
            await self.channel.start_webhook(settings.webhook_listen, settings.webhook_port, settings.webhook_url, secret)
        else:
            await self.channel.start_polling()
        self._tasks.append(asyncio.create_task(self.deliverer.run_forever(self.stop_event), name="outbox"))
        for other in self.others:
            self._tasks.append(await other.start(self.stop_event))
            self._others_delivering.append(other)
        self._start_scheduler()

    def _start_scheduler(self) -> None:
        scheduler = start_scheduler(self.app)
        # Waits for a tick in flight to finish its transaction before the app closes.
        self._stoppers.append(lambda: stop_scheduler(self.app, scheduler))

    async def stop(self) -> None:
        """Stop in the order that loses nothing: take no new updates and finish those in
        hand; let the scheduler's running tick finish; send what they queued; stop
        delivery (claims on what is left go back to the outbox); close the channel's
        HTTP client (the sender shares it) and the database."""
        try:
            await self.channel.stop_updates()
        except Exception:
            log.exception("stopping the updates failed; going on with the stop")
        for other in self.others:
            try:
                await other.stop_updates()
            except Exception:
                log.exception("stopping the %s updates failed; going on with the stop", other.channel)
        for stopper in self._stoppers:
            result = stopper()
            if asyncio.iscoroutine(result):
                await result
        if self._tasks and not self.stop_event.is_set():
            if not await self.deliverer.flush(self.settings_flush_timeout):
                log.warning("stopping with replies still queued; they go out at the next start")
            for other in self._others_delivering:
                if not await other.deliverer.flush(self.settings_flush_timeout):
                    log.warning("stopping with %s replies still queued; they go out at the next start", other.channel)
        self.stop_event.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.channel.stop()
        for other in self.others:
            await other.close()
        await self.app.close()

    # Well inside systemd's default 90 s stop timeout, and long enough that a loaded machine
    # still answers every update it took in before exiting.
    settings_flush_timeout = 30.0


async def start_bot(settings: Settings, app: App | None = None, *, limits: Limits | None = None,
                    poll_timeout: float = 30.0, backoff: StartBackoff | None = None,
                    wecom_limits: Limits | None = None, wecom_rate_wait: float = 60.0) -> Running:
    """Build and start everything; the caller awaits `stop()` when done.

    `limits` defaults to Telegram's published limits (tests pass faster ones)."""
    token = validate_token(settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None)
    app = app or await build_app(settings)
    await ensure_community(app)

    await warn_at_start(app, ["telegram", "wecom"] if settings.wecom_configured else ["telegram"])
    channel = build_telegram_channel(settings.bot_framework, token, settings.telegram_api_base_url, app.desk,
                                     commands=command_menus(), default_language=settings.default_locale,
                                     limits=limits, poll_timeout=poll_timeout, media_dir=settings.media_dir,
                                     backoff=backoff)
    # The Telegram sender paces its own API calls within Telegram's limits.
    deliverer = Deliverer(SqlOutbox(app.sessions, app.clock), channel.sender, now=app.clock.now)
    app.desk.on_outbox = deliverer.notify
    # What this process delivers: rows for any other channel are undeliverable here, and
    # the scheduler's delivery watch reports them (bot.delivery_health).
    app.extras["running_channels"] = {channel.sender.channel}
    # The scheduler claims due surveys at the rate the channel takes them (bot.scheduler).
    overall = (limits or Limits()).overall
    app.extras["channel_rate"] = overall.count / overall.period
    running = Running(settings, app, channel, deliverer)
    if settings.wecom_configured:
        wecom = WecomChannel(settings, app, limits=wecom_limits, rate_wait=wecom_rate_wait)
        running.others.append(wecom)
        app.extras["running_channels"].add(wecom.channel)  # type: ignore[attr-defined]
        app.desk.on_outbox = _notify_all([deliverer, wecom.deliverer])
    try:
        await running.start()
    except BaseException:
        await running.stop()
        raise
    return running


def _notify_all(deliverers: list[Deliverer]) -> Callable[[], None]:
    def notify() -> None:
        for d in deliverers:
            d.notify()
    return notify


async def run_until_signalled(settings: Settings) -> None:
    """`wuye run`: start, run until SIGINT or SIGTERM, stop in order.  A signal during
    the start (say while the API cannot be reached) ends it quietly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    starting = asyncio.create_task(start_bot(settings))
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({starting, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        log.info("stopped before the start was complete")
        return
    stopped.cancel()
    running = starting.result()
    mode = f"webhook {settings.webhook_url}" if settings.webhook_url else "long polling"
    log.info("wuye is running on Telegram (%s, %s)%s", settings.bot_framework, mode,
             f" and WeCom (callbacks on {settings.wecom_listen}:{settings.wecom_port}{settings.wecom_path})"
             if settings.wecom_configured else "")
    await stop.wait()
    log.info("stopping")
    await running.stop()
    log.info("stopped")
