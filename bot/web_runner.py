"""`wuye web`: the office console alone, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.bootstrap import build_app, ensure_community
from bot.settings import DEFAULT_WEB_PORT, Settings, secure_cookies
from web.routes import build_console

log = logging.getLogger("wuye.web")


async def serve_console_until_signalled(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    app = await build_app(settings)
    try:
        await ensure_community(app)
        console = build_console(app, secure_cookies=secure_cookies(settings))
        port = settings.web_port if settings.web_port is not None else DEFAULT_WEB_PORT
        await console.start(settings.web_listen, port)
        log.info("office console on http://%s:%s/", settings.web_listen, console.port)
        await stop.wait()
        await console.stop()
    finally:
        await app.close()
