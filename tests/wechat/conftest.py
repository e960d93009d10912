"""The WeChat channel running for real: the product (desk, SQL outbox, database of each
kind) with a `WechatChannel` listening on 127.0.0.1 and sending to the stand-in API, and
followers posting signed, encrypted callbacks to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.bootstrap import App
from bot.delivery import Deliverer, RetryPolicy
from bot.outbox import SqlOutbox
from bot.wechat import WechatChannel
from tests.wechat.standin import AES_KEY, APP_ID, APP_SECRET, TOKEN, Follower, WechatStandIn

TEMPLATES = {"progress": "TPL_PROGRESS", "confirm": "TPL_CONFIRM", "survey": "TPL_SURVEY", "notice": "TPL_NOTICE"}


@dataclass
class Wx:
    app: App
    standin: WechatStandIn
    channel: WechatChannel
    deliverer: Deliverer
    url: str
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def follower(self, openid: str, **kw: object) -> Follower:
        return Follower(self.standin, self.url, openid, **kw)  # type: ignore[arg-type]

    async def flush(self) -> None:
        """Wait until the messages taken in were handled and every reply due was delivered."""
        await self.channel.endpoint.drain(30.0)
        assert await self.deliverer.flush(30.0)


@contextlib.asynccontextmanager
async def running(app: App, *, aes_key: str | None = AES_KEY, retry: RetryPolicy | None = None,
                  standin: WechatStandIn | None = None) -> AsyncIterator[Wx]:
    """The channel on `app`, against `standin` (a new one, stopped at the end, by default)."""
    own = standin is None
    standin = standin or WechatStandIn(app.clock.now)
    if own:
        await standin.start()
    deliverer: Deliverer | None = None
    channel = WechatChannel(app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, aes_key=aes_key,
                            api_root=standin.url, sessions=app.sessions, core=app.desk, now=app.clock.now,
                            media_dir=app.settings.media_dir, templates=TEMPLATES,
                            on_outbox=lambda: deliverer.notify() if deliverer else None,
                            apologise=app.desk.apologise)
    deliverer = Deliverer(SqlOutbox(app.sessions, app.clock), channel.sender, now=app.clock.now,
                          retry=retry or RetryPolicy(first_delay=0.01, max_delay=0.05), poll_interval=0.05)
    app.desk.on_outbox = deliverer.notify
    port = await channel.start("127.0.0.1", 0)
    wx = Wx(app, standin, channel, deliverer, f"http://127.0.0.1:{port}/wechat")
    task = asyncio.create_task(deliverer.run_forever(wx.stop))
    try:
        yield wx
    finally:
        await channel.stop_updates()
        wx.stop.set()
        await task
        await channel.stop()
        if own:
            await standin.stop()


@pytest.fixture
async def wx(app: App, tmp_path) -> AsyncIterator[Wx]:  # type: ignore[no-untyped-def]
    app.settings.media_dir = tmp_path / "media"
    async with running(app) as wx:
        yield wx
