"""Back-pressure instead of loss (issue 21.1): a burst of updates through one desk waits
for database sessions instead of failing, and a database that drops every connection in
the middle of it is waited out — every update answered once, no apology."""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest
from sqlalchemy import func, select, text

from bot.bootstrap import App
from handlers.kit.messages import Inbound
from storage import models as m

_ids = itertools.count(20_000_000)


def burst(users: int, each: int) -> list[Inbound]:
    return [Inbound(channel="telegram", chat_id=f"9{u:04d}", user_id=f"9{u:04d}", text=text,
                    update_id=f"{next(_ids)}:9{u:04d}") for text in ("/help", "你好", "/mycases")[:each]
            for u in range(users)]


async def answered(app: App, inbounds: list[Inbound], outcomes) -> None:  # type: ignore[no-untyped-def]
    assert all(len(o.replies) == 1 for o in outcomes), [o for o in outcomes if len(o.replies) != 1][:3]
    assert "系统开小差了" not in str(outcomes)
    async with app.uow() as uow:
        stored = await uow.session.scalar(select(func.count()).select_from(m.OutboxMessage)
                                          .where(m.OutboxMessage.channel == "telegram"))
    assert stored == len(inbounds)


async def test_a_burst_waits_for_sessions_and_loses_nothing(app: App, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    inbounds = burst(100, 2)
    # Something else keeps writing meanwhile, as delivery does.
    stop = asyncio.Event()

    async def other_writer() -> int:
        done = 0
        while not stop.is_set():
            async with app.uow() as uow:
                await uow.outbox.add("console", "管理处群", {"channel": "console", "chat_id": "管理处群", "text": "x"},
                                     None, app.now())
                await uow.commit()
            done += 1
            await asyncio.sleep(0)
        return done

    writer = asyncio.create_task(other_writer())
    outcomes = await asyncio.gather(*(app.desk.handle(i) for i in inbounds))
    stop.set()
    assert await writer > 0  # delivery was not starved either
    await answered(app, inbounds, outcomes)
    assert app.desk.stats["failed"] == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_connections_dropped_mid_burst_are_waited_out(app: App, database_url: str,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL drops connections; an SQLite file has none to drop")
    caplog.set_level(logging.INFO)
    inbounds = burst(100, 2)
    database = app.engine.url.database

    async def drop_connections() -> None:
        await asyncio.sleep(0.05)
        from tests.conftest import _pg_admin

        await _pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        f"WHERE datname = '{database}' AND pid <> pg_backend_pid()")

    dropping = asyncio.create_task(drop_connections())
    outcomes = await asyncio.gather(*(app.desk.handle(i) for i in inbounds))
    await dropping
    await answered(app, inbounds, outcomes)
    assert app.desk.stats["failed"] == 0
    assert app.desk.stats["db_waits"] > 0, app.desk.stats  # the drop did hit steps in flight
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    async with app.uow() as uow:  # each update recorded once
        assert await uow.session.scalar(text("SELECT count(*) FROM processed_updates")) == len(inbounds)
