"""The webhook endpoint both adapters serve: Telegram's POST is answered once the update is handled.

Telegram posts an update again until it gets a 2xx.  The libraries' own endpoints answer
as soon as the update is queued, so a process that dies with updates queued loses them;
here the answer waits for the desk (`UpdateGate.take`): committed, or answered with the
desk's apology.  A post of an update still being handled (Telegram retried a slow one)
waits for that same handling; one already handled is answered at once (the gate, then the
desk's `processed_updates`, refuse it as a duplicate).  Telegram keeps up to
`max_connections` (default 40) posts open at once, so chats are still handled side by side.

Requests without the secret token registered with setWebhook are refused (403), and a
body that is not an update is refused (400); neither reaches the desk, and the log line
says so without the content.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.telegram.inbound import UpdateGate

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are small; a photo is a file id, not the bytes.
MAX_BODY = 1 << 20


def webhook_app(path: str, secret: str | None, parse: Callable[[Any], Any], gate: UpdateGate) -> web.Application:
    """An aiohttp application serving POST `path`; `parse` turns the JSON into the library's Update."""

    async def post(request: web.Request) -> web.Response:
        if secret is not None and not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            log.warning("webhook request without the right secret token refused")
            return web.Response(status=403)
        try:
            update = parse(await request.json())
            update.update_id  # noqa: B018 - every update has one; a body without is no update
        except Exception as exc:  # noqa: BLE001 - any malformed body: refused, never handed on
            log.warning("webhook request that is not a Telegram update refused (%s)", type(exc).__name__)
            return web.Response(status=400)
        await gate.take(update)
        return web.Response(status=200)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(path, post)
    return app


class WebhookServer:
    """`webhook_app` listening on listen:port until `stop` (which finishes the posts in hand)."""

    def __init__(self, path: str, secret: str | None, parse: Callable[[Any], Any], gate: UpdateGate) -> None:
        self._app = webhook_app(path, secret, parse, gate)
        self._runner: web.AppRunner | None = None

    async def start(self, listen: str, port: int) -> None:
        self._runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=5)
        await self._runner.setup()
        await web.TCPSite(self._runner, listen, port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
