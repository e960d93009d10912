"""`wuye run`: the bot on every configured channel (Telegram, the WeChat Service Account, or
both) in one process — the one place that wires channels, outbox delivery and scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from bot.bootstrap import App, build_app, ensure_community
from bot.chat_checks import warn_refused_group_chats
from bot.config_checks import warn_at_start
from bot.delivery import Deliverer
from bot.outbox import sql_deliverer
from bot.ratelimit import Limits, RateLimiter
from bot.scheduler import start_scheduler, stop_scheduler
from bot.shared_pace import RedisPace, pace_key
from bot.settings import Settings, secure_cookies
from bot.telegram import StartBackoff, TelegramChannel, build_telegram_channel, validate_token
from bot.wechat import WechatChannel
from bot.wecom.run import WecomChannel
from handlers.kit.i18n import LOCALES, catalogue
from web.app import Console
from web.routes import build_console

log = logging.getLogger("wuye.run")

COMMANDS = ("start", "help", "mycases", "household", "mute", "unmute", "lang", "cancel")


def command_menus() -> dict[str, list[tuple[str, str]]]:
    """The command menu in every language, from the catalogues."""
    return {locale: [(name, catalogue(locale)[f"commands.{name}"]) for name in COMMANDS] for locale in LOCALES}


class Running:
    """A started bot: the app, its channels (Telegram and/or WeChat) and a delivery loop for each."""

    def __init__(self, settings: Settings, app: App, channel: TelegramChannel | None, deliverer: Deliverer | None,
                 wechat: tuple[WechatChannel, Deliverer] | None = None) -> None:
        self.settings, self.app, self.channel, self.deliverer = settings, app, channel, deliverer
        self.wechat = wechat
        self.stop_event = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stoppers: list[Callable[[], Awaitable[None] | None]] = []
        # Staff channels beside the owners' ones (WeCom), each with its own callbacks and outbox delivery.
        self.others: list[WecomChannel] = []
        self._others_delivering: list[WecomChannel] = []
        # Closed last, after the channel (the sender uses them to the end): the shared pace.
        self.closers: list[Callable[[], Awaitable[None]]] = []
        # The office console on the same event loop, when WEB_PORT is set.
        self.console: Console | None = None

    async def start(self) -> None:
        """Reach the channel first (getMe, retried while the API cannot be reached), so a
        refused start has nothing else to undo; then delivery, the scheduler, updates."""
        settings = self.settings
        if self.channel is not None:
            if settings.webhook_url:
                secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
                await self.channel.start_webhook(settings.webhook_listen, settings.webhook_port, settings.webhook_url,
                                                 secret)
            else:
                await self.channel.start_polling()
        if self.wechat is not None:
            await self.wechat[0].start(settings.wechat_listen, settings.wechat_port)
        for deliverer in self._deliverers():
            self._tasks.append(asyncio.create_task(deliverer.run_forever(self.stop_event),
                                                   name=f"outbox {deliverer.channel}"))
        for other in self.others:
            self._tasks.append(await other.start(self.stop_event))
            self._others_delivering.append(other)
        self._start_scheduler()
        if settings.web_port is not None:
            # Owners' photos reach the office through the channel that received them.
            # (WeChat's photos are fetched on arrival; WeCom's too.)
            fetchers = {self.channel.sender.channel: self.channel.download_file} if self.channel is not None else {}
            self.console = build_console(self.app, secure_cookies=secure_cookies(settings), fetchers=fetchers)
            await self.console.start(settings.web_listen, settings.web_port)

    def _deliverers(self) -> list[Deliverer]:
        return [d for d in (self.deliverer, self.wechat[1] if self.wechat else None) if d is not None]

    def _start_scheduler(self) -> None:
        scheduler = start_scheduler(self.app)
        # Waits for a tick in flight to finish its transaction before the app closes.
        self._stoppers.append(lambda: stop_scheduler(self.app, scheduler))

    async def stop(self) -> None:
        """Stop in the order that loses nothing: take no new updates and finish those in
        hand; let the scheduler's running tick finish; send what they queued; stop
        delivery (claims on what is left go back to the outbox); close the channel's
        HTTP client (the sender shares it) and the database."""
        if self.console is not None:
            await self.console.stop()  # no new console requests; those in hand are finished
        for channel in self._channels():
            try:
                await channel.stop_updates()
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
            for deliverer in self._deliverers() + [other.deliverer for other in self._others_delivering]:
                if not await deliverer.flush(self.settings_flush_timeout):
                    log.warning("stopping with %s replies still queued; they go out at the next start",
                                deliverer.channel)
        self.stop_event.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for channel in self._channels():
            await channel.stop()
        for other in self.others:
            await other.close()
        for closer in self.closers:
            await closer()
        await self.app.close()

    def _channels(self) -> list[TelegramChannel | WechatChannel]:
        return [c for c in (self.channel, self.wechat[0] if self.wechat else None) if c is not None]

    # Well inside systemd's default 90 s stop timeout, and long enough that a loaded machine
    # still answers every update it took in before exiting.
    settings_flush_timeout = 30.0


def _notify_all(deliverers: list[Deliverer]) -> Callable[[], None]:
    """New replies may be for any channel: wake every delivery loop."""
    def notify() -> None:
        for deliverer in deliverers:
            deliverer.notify()
    return notify


async def start_bot(settings: Settings, app: App | None = None, *, limits: Limits | None = None,
                    poll_timeout: float = 30.0, backoff: StartBackoff | None = None,
                    wecom_limits: Limits | None = None, wecom_rate_wait: float = 60.0) -> Running:
    """Build and start everything; the caller awaits `stop()` when done.

    Telegram runs when TELEGRAM_BOT_TOKEN is set (or when nothing else is configured, so
    the missing token is what the operator is told); WeChat when WECHAT_APP_ID is set.
    `limits` defaults to Telegram's published limits (tests pass faster ones)."""
    telegram_on = settings.telegram_bot_token is not None or not settings.wechat_app_id
    token = validate_token(settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None) \
        if telegram_on else None
    app = app or await build_app(settings)
    await ensure_community(app)

    names = (["telegram"] if telegram_on else []) + (["wechat"] if settings.wechat_app_id else []) + \
        (["wecom"] if settings.wecom_configured else [])
    await warn_at_start(app, names)
    channel = deliverer = pace = None
    deliverers: list[Deliverer] = []
    if telegram_on:
        if settings.redis_url:
            # One overall pace for every process sending as this bot (the limit is the bot's).
            pace = await RedisPace.connect(settings.redis_url, pace_key("telegram", token.split(":", 1)[0]))
        else:
            log.info("REDIS_URL not set: the overall sending pace is this process's own (run one sending process)")
        channel = build_telegram_channel(settings.bot_framework, token, settings.telegram_api_base_url, app.desk,
                                         commands=command_menus(), default_language=settings.default_locale,
                                         limiter=RateLimiter(limits, shared=pace), poll_timeout=poll_timeout,
                                         media_dir=settings.media_dir, backoff=backoff)
        # The Telegram sender paces its own API calls within Telegram's limits.
        deliverer = sql_deliverer(app, channel.sender)
        deliverers.append(deliverer)
    wechat = None
    if settings.wechat_app_id:
        wx = WechatChannel.from_settings(settings, app, on_outbox=_notify_all(deliverers))
        wechat = (wx, sql_deliverer(app, wx.sender))
        deliverers.append(wechat[1])
    others: list[WecomChannel] = []
    if settings.wecom_configured:
        others.append(WecomChannel(settings, app, limits=wecom_limits, rate_wait=wecom_rate_wait))
    app.desk.on_outbox = _notify_all(deliverers + [other.deliverer for other in others])
    # What this process delivers: rows for any other channel are undeliverable here, and
    # the scheduler's delivery watch reports them (bot.delivery_health).
    app.extras["running_channels"] = {d.channel for d in deliverers} | {other.channel for other in others}
    # The scheduler claims due surveys at the rate the channel takes them (bot.scheduler).
    overall = (limits or Limits()).overall
    app.extras["channel_rate"] = overall.count / overall.period
    running = Running(settings, app, channel, deliverer, wechat)
    running.others.extend(others)
    if pace is not None:
        running.closers.append(pace.close)
    try:
        await running.start()
    except BaseException:
        await running.stop()
        raise
    # After getMe (the channel answers); warnings only: the other teams and owners are served.
    if channel is not None:
        await warn_refused_group_chats(app, channel.sender)
    return running


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
    if running.channel is not None:
        mode = f"webhook {settings.webhook_url}" if settings.webhook_url else "long polling"
        log.info("wuye is running on Telegram (%s, %s)", settings.bot_framework, mode)
    if running.wechat is not None:
        log.info("wuye is running on WeChat (callback on %s:%s%s)", settings.wechat_listen,
                 running.wechat[0].port, settings.wechat_path)
    if settings.wecom_configured:
        log.info("wuye is running on WeCom (callbacks on %s:%s%s)", settings.wecom_listen, settings.wecom_port,
                 settings.wecom_path)
    await stop.wait()
    log.info("stopping")
    await running.stop()
    log.info("stopped")
