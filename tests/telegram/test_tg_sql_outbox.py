"""The production path for a burst: replies in the SQL outbox (both databases), delivered
by the Deliverer through the Telegram sender, with injected 429s and 500s."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.bootstrap import App
from bot.delivery import Deliverer, RetryPolicy
from bot.outbox import SqlOutbox
from bot.ratelimit import RateLimiter
from bot.telegram import build_telegram_channel
from cases.clock import SystemClock
from handlers.kit.messages import Reply, reply_to_dict
from storage import models as m
from tests.telegram.botapi_standin import BotApiStandIn
from tests.telegram.test_tg_burst import BURST, HEADROOM
from tests.delivery_only import NoCore


async def test_burst_from_the_sql_outbox_arrives_once_in_order(app: App) -> None:
    async with BotApiStandIn(limits=BURST) as api:
        group = api.group()
        owners = api.users(300)
        async with app.uow() as uow:
            for i in range(200):
                await uow.outbox.add("telegram", str(group), reply_to_dict(Reply("telegram", str(group), f"群通知 {i}")), None, app.now())
            for n, user in enumerate(owners):
                for i in range(2):
                    r = Reply("telegram", str(user.id), f"业主 {n} 第 {i} 条")
                    await uow.outbox.add("telegram", r.chat_id, reply_to_dict(r), None, app.now())
            await uow.commit()
        api.fail_next(3, 429, retry_after=1)
        api.fail_next(4, 500)
        channel = build_telegram_channel("ptb", api.token, api.root, NoCore(), limiter=RateLimiter(BURST, headroom=HEADROOM))
        await channel.start_polling()
        # Real time here: the retries wait real seconds (the rows were queued "earlier", by the fake clock).
        clock = SystemClock()
        deliverer = Deliverer(SqlOutbox(app.sessions, clock), channel.sender, now=clock.now,
                              retry=RetryPolicy(first_delay=0.0, max_delay=0.0, max_attempts=20), poll_interval=0.05)
        stop = asyncio.Event()
        task = asyncio.create_task(deliverer.run_forever(stop))
        try:
            async def drained() -> bool:
                async with app.uow() as uow:
                    pending = await uow.session.scalar(
                        select(func.count()).select_from(m.OutboxMessage).where(m.OutboxMessage.state == "pending"))
                return pending == 0

            for _ in range(600):
                if await drained():
                    break
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            await task
            await channel.stop()

        assert api.texts(group) == [f"群通知 {i}" for i in range(200)]
        for n, user in enumerate(owners):
            assert api.texts(user.id) == [f"业主 {n} 第 {i} 条" for i in range(2)]
        assert api.rate_violations() == []
        async with app.uow() as uow:
            states = dict((await uow.session.execute(
                select(m.OutboxMessage.state, func.count()).group_by(m.OutboxMessage.state))).all())
        assert states == {"sent": 800}
