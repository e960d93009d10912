"""The Telegram channel running for real against the stand-in Bot API on 127.0.0.1.

`bench` starts the whole outbound and inbound path — a channel built by
`build_telegram_channel`, a `Deliverer` draining a `MemoryOutbox` — around
`EchoCore`, a small core that answers like the real one will: by writing replies
to the outbox and waking the Deliverer before it returns.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from bot.delivery import Deliverer, MemoryOutbox, RetryPolicy
from bot.ratelimit import Limits, RateLimiter
from bot.telegram import TelegramChannel, build_telegram_channel
from handlers.kit.messages import Button, Inbound, Outcome, Reply, rows
from tests.telegram.botapi_standin import BotApiStandIn

FRAMEWORKS = ["ptb", "aiogram"]
MODES = ["polling", "webhook"]

# Telegram's limits a hundred times faster: 1 msg / 10 ms per private chat,
# 20 msgs / 0.6 s per group, 30 msgs / 10 ms overall.
FAST = Limits().scaled(0.01)

MENUS = {
    "zh-CN": [("start", "开始使用"), ("help", "帮助")],
    "en": [("start", "Get started"), ("help", "Help")],
}
WEBHOOK_SECRET = "s3cret-Token_for-tests"

LONG_FIRST = "一二三四五六七八九十" * 300  # 3,000 characters
LONG_SECOND = "abcdefghij" * 200  # 2,000 characters
LONG_TEXT = LONG_FIRST + "\n" + LONG_SECOND  # 5,001 characters, a newline at 3,000


class EchoCore:
    """Answers each kind of inbound with something recognisable; records what it saw."""

    def __init__(self, outbox: MemoryOutbox) -> None:
        self.outbox = outbox
        self.deliverer: Deliverer | None = None
        self.inbounds: list[Inbound] = []
        self.album: tuple[str, ...] = ()

    async def handle(self, inbound: Inbound) -> Outcome:
        self.inbounds.append(inbound)
        replies, answer = self._answer(inbound)
        for reply in replies:
            self.outbox.put(reply)
        if self.deliverer is not None:
            self.deliverer.notify()
        return Outcome(replies, answer)

    def _answer(self, i: Inbound) -> tuple[list[Reply], str | None]:
        def reply(text: str, **kw: object) -> Reply:
            return Reply("telegram", i.chat_id, text, **kw)  # type: ignore[arg-type]

        if i.payload is not None:
            if i.payload.startswith("pick:"):
                choice = i.payload.removeprefix("pick:")
                card = reply(f"工单 #7: 已选择 {choice}", buttons=rows([Button("完成", "done")]), replace_key="card-7")
                return [card], f"已选择 {choice}"
            if i.payload == "done":
                return [reply("工单 #7: 已完成", replace_key="card-7")], "完成"
            if i.payload == "chatty":
                return [], "很长的提示" * 60  # 300 characters; Telegram shows 200
            return [], None
        if i.photo is not None:
            return [reply(f"收到照片 {i.photo} 说明 {i.text}")], None
        if i.contact_phone is not None:
            return [reply(f"手机号 {i.contact_phone} 属于 {i.contact_user_id}，发送者 {i.user_id}")], None
        text = i.text or ""
        if text == "/card":
            buttons = rows([Button("水", "pick:water"), Button("电", "pick:power")])
            return [reply("工单 #7: 请选择类别", buttons=buttons, replace_key="card-7")], None
        if text == "/album":
            buttons = rows([Button("确认", "ok")])
            return [reply("现场照片", photos=self.album, buttons=buttons)], None
        if text == "/long":
            return [reply(LONG_TEXT)], None
        if text == "/chatty":
            return [reply("按一下", buttons=rows([Button("按我", "chatty")]))], None
        if text == "/phone":
            return [reply("请分享手机号", contact_button="分享我的手机号")], None
        where = "群" if i.is_group else "私聊"
        return [reply(f"回声({where}): {text}")], None


@dataclass
class Bench:
    api: BotApiStandIn
    core: EchoCore
    outbox: MemoryOutbox
    channel: TelegramChannel
    deliverer: Deliverer
    framework: str
    mode: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def running_bot(
    api: BotApiStandIn,
    framework: str,
    mode: str = "polling",
    *,
    limits: Limits = FAST,
    headroom: float = 0.1,
    retry: RetryPolicy | None = None,
) -> AsyncIterator[Bench]:
    outbox = MemoryOutbox()
    core = EchoCore(outbox)
    channel = build_telegram_channel(
        framework,  # type: ignore[arg-type]
        api.token,
        api.root,
        core,
        commands=MENUS,
        limiter=RateLimiter(limits, headroom=headroom),
        poll_timeout=1,
    )
    deliverer = Deliverer(outbox, channel.sender, retry=retry, poll_interval=0.05)
    core.deliverer = deliverer
    stop = asyncio.Event()
    delivering = asyncio.create_task(deliverer.run_forever(stop))
    try:
        if mode == "polling":
            await channel.start_polling()
        else:
            port = free_port()
            await channel.start_webhook("127.0.0.1", port, f"http://127.0.0.1:{port}/tg/hook", WEBHOOK_SECRET)
        yield Bench(api, core, outbox, channel, deliverer, framework, mode)
    finally:
        stop.set()
        await delivering
        await channel.stop()


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn(limits=FAST) as server:
        yield server


@pytest.fixture(params=[(f, m) for f in FRAMEWORKS for m in MODES], ids=lambda p: f"{p[0]}-{p[1]}")
async def bench(request: pytest.FixtureRequest, api: BotApiStandIn) -> AsyncIterator[Bench]:
    framework, mode = request.param
    async with running_bot(api, framework, mode) as running:
        yield running


def pytest_configure(config: pytest.Config) -> None:
    # PTB 22 warns from inside its own RetryAfter constructor (the adapter reads either
    # form); pytest resets the adapter's import-time filter for each test.
    config.addinivalue_line(
        "filterwarnings", "ignore:.*attribute `retry_after`:telegram.warnings.PTBDeprecationWarning"
    )
