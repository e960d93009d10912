"""Delivery faults over real HTTP, from the SQL outbox (both databases) through the
Telegram sender to the stand-in: emergencies overtake a failing card, a message that
keeps failing holds its chat back only for the bounded wait, and a start survives an
API that refuses connections for a while."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.delivery import Deliverer, RetryPolicy
from bot.outbox import SqlOutbox
from bot.ratelimit import RateLimiter
from bot.telegram import StartBackoff, build_telegram_channel
from cases.clock import SystemClock
from handlers.kit.messages import URGENT, Reply, reply_to_dict
from storage import models as m
from tests.telegram.botapi_standin import BotApiStandIn
from tests.telegram.conftest import FAST, EchoCore, MemoryOutbox, free_port
from tests.delivery_only import NoCore


async def enqueue(app: App, *replies: Reply) -> None:
    async with app.uow() as uow:
        for r in replies:
            await uow.outbox.add(r.channel, r.chat_id, reply_to_dict(r), r.replace_key, SystemClock().now())
        await uow.commit()


@asynccontextmanager
async def delivering(app: App, api: BotApiStandIn, **options: object) -> AsyncIterator[Deliverer]:
    channel = build_telegram_channel("ptb", api.token, api.root, NoCore(), limiter=RateLimiter(FAST, headroom=0.1))
    await channel.start_polling()
    clock = SystemClock()  # real time: the retries wait real seconds
    deliverer = Deliverer(SqlOutbox(app.sessions, clock), channel.sender, now=clock.now, poll_interval=0.05,
                          **options)  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(deliverer.run_forever(stop))
    try:
        yield deliverer
    finally:
        stop.set()
        await task
        await channel.stop()


async def test_an_emergency_card_overtakes_an_ordinary_card_that_keeps_failing(app: App) -> None:
    async with BotApiStandIn(limits=FAST) as api:
        group, owner = api.group("工程部群"), api.user()
        api.fail_next(1000, 500, chat_id=group, text="普通工单")
        await enqueue(app, Reply("telegram", str(group), "【报修】#1 普通工单", replace_key="card:1"))
        async with delivering(app, api, retry=RetryPolicy(first_delay=2.0)) as deliverer:
            await api.until(lambda: api.injected, what="the ordinary card failing")
            started = time.monotonic()
            await enqueue(app, Reply("telegram", str(owner.id), "已受理"),
                          Reply("telegram", str(group), "【紧急】#2 电梯困人", replace_key="card:2", priority=URGENT))
            deliverer.notify()
            await api.until(lambda: api.texts(group), timeout=5, what="the emergency card")
            took = time.monotonic() - started
            await asyncio.sleep(2.5)  # the ordinary card's retry fails again

        assert api.texts(group) == ["【紧急】#2 电梯困人"]
        assert took < 1.0, f"the emergency card took {took:.2f}s"
        assert api.texts(owner.id) == ["已受理"]
        assert len(api.injected) >= 2 and {s for _, s in api.injected} == {500}
        async with app.uow() as uow:
            states = dict((await uow.session.execute(select(m.OutboxMessage.chat_id, m.OutboxMessage.state)
                                                     .where(m.OutboxMessage.priority == URGENT))).all())
            ordinary = (await uow.session.execute(select(m.OutboxMessage.state, m.OutboxMessage.attempts)
                                                  .where(m.OutboxMessage.replace_key == "card:1"))).one()
        assert states == {str(group): "sent"}
        assert ordinary.state == "pending" and ordinary.attempts >= 2  # still being retried, not lost


async def test_a_message_that_keeps_failing_holds_its_chat_back_only_for_the_bounded_wait(app: App) -> None:
    async with BotApiStandIn(limits=FAST) as api:
        owner = api.user()
        api.fail_next(1000, 502, chat_id=owner.id, text="坏消息")
        await enqueue(app, Reply("telegram", str(owner.id), "坏消息"), Reply("telegram", str(owner.id), "下一条"))
        started = time.monotonic()
        async with delivering(app, api, hold=timedelta(seconds=1.5),
                              retry=RetryPolicy(first_delay=0.4, factor=1.0, max_attempts=8)):
            await api.until(lambda: api.texts(owner.id), timeout=6, what="the next message")
            waited = time.monotonic() - started

            async def given_up() -> bool:
                async with app.uow() as uow:
                    return await uow.session.scalar(
                        select(m.OutboxMessage.state).where(m.OutboxMessage.id == 1)) == "failed"

            deadline = time.monotonic() + 6
            while not await given_up():
                assert time.monotonic() < deadline, "the failing message was never given up"
                await asyncio.sleep(0.05)

        assert api.texts(owner.id) == ["下一条"]
        assert 1.4 <= waited < 3.0, f"the next message waited {waited:.2f}s (bounded wait 1.5 s)"
        # The failing one kept being retried after the next one went, then was reported failed.
        assert len([c for c in api.calls_to("sendMessage") if "坏消息" in str(c.params.get("text"))]) == 8
        async with app.uow() as uow:
            failure = await uow.session.scalar(select(m.OutboxMessage.failure).where(m.OutboxMessage.id == 1))
        assert failure.startswith("gave up after 8 attempts")


@pytest.mark.parametrize("framework,refusing", [("ptb", 10.0), ("aiogram", 3.0)])
async def test_start_waits_out_an_api_that_refuses_connections(
        framework: str, refusing: float, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    port = free_port()
    outbox = MemoryOutbox()
    core = EchoCore(outbox)
    channel = build_telegram_channel(framework, "7654321098:AAFq3x9Lk2mZr8Tn4Yv6Bw1Cd5Eh7Gj0Kp2",  # type: ignore[arg-type]
                                     f"http://127.0.0.1:{port}", core, poll_timeout=1,
                                     backoff=StartBackoff(first=0.5, cap=1.0))
    starting = asyncio.create_task(channel.start_polling())
    await asyncio.sleep(refusing)
    assert not starting.done()
    async with BotApiStandIn(limits=FAST, port=port) as api:
        try:
            await asyncio.wait_for(starting, 5)
            deliverer = Deliverer(outbox, channel.sender, poll_interval=0.05)
            core.deliverer = deliverer
            stop = asyncio.Event()
            task = asyncio.create_task(deliverer.run_forever(stop))
            user = api.user()
            api.say(user, "在吗")
            await api.until(lambda: api.texts(user.id), what="the first reply")
            stop.set()
            await task
        finally:
            await channel.stop()

    assert api.texts(user.id) == ["回声(私聊): 在吗"]
    waits = [r for r in caplog.records if "not reachable" in r.getMessage()]
    assert len(waits) >= 3
    assert all(r.levelno == logging.WARNING and r.exc_info is None and "\n" not in r.getMessage() for r in waits)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_slow_answer_is_waited_for_not_sent_twice() -> None:
    framework = "ptb"  # aiogram's own default read timeout is already 60 s
    async with BotApiStandIn(limits=FAST) as api:
        owner = api.user()
        outbox = MemoryOutbox()
        channel = build_telegram_channel(framework, api.token, api.root, EchoCore(outbox), poll_timeout=1)  # type: ignore[arg-type]
        await channel.connect()
        try:
            api.slow_next(1, 6.0)  # longer than python-telegram-bot's default 5 s read timeout
            outbox.put(Reply("telegram", str(owner.id), "您的报修已受理"))
            await Deliverer(outbox, channel.sender).run_once()
        finally:
            await channel.stop()

    assert api.texts(owner.id) == ["您的报修已受理"]
    assert len(api.calls_to("sendMessage")) == 1 and [r.message_id for r in outbox.sent()] == ["1"]
