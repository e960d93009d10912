"""`wuye run` on PostgreSQL while every one of its server connections is terminated, a few
times, in the middle of a steady stream of owners' messages (what a server restart or a
failover does to a busy process).

Whatever meets a dead connection (the desk's steps, delivery's claims and records of what
was sent) says so in one WARNING line and does the work again: no traceback in the log
(main logged one per drop, from delivery), every message answered exactly once, and the
outbox drained.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.telegram.botapi_standin import BotApiStandIn
from tests.telegram.test_tg_stop import replies, wuye_run

OWNERS = 50
SAYINGS = ["你好", "/help", "谢谢"]  # one reply each for an owner not yet bound
DROPS = 3


async def admin(database_url: str) -> asyncpg.Connection:
    """A connection of the test's own to the scratch database, which no drop cuts."""
    url = make_url(database_url)
    return await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username, database=url.database)


async def drop_all(conn: asyncpg.Connection) -> int:
    """Terminate every other connection to this scratch database (only the process under
    test uses it; the server and other databases are left alone); how many went."""
    return await conn.fetchval(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()) AS gone")


async def outbox_states(conn: asyncpg.Connection) -> dict[str, int]:
    return dict(await conn.fetch("SELECT state, count(*) FROM outbox GROUP BY state"))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_connections_dropped_mid_stream_leave_no_traceback_and_lose_nothing(tmp_path: Path,
                                                                                  database_url: str) -> None:
    conn = await admin(database_url)
    try:
        async with BotApiStandIn() as api:  # Telegram's real limits
            owners = api.users(OWNERS)
            bot = await wuye_run(api, tmp_path, DATABASE_URL=database_url)
            await api.until(lambda: api.calls_to("getUpdates"), timeout=120, what="the bot polling")

            async def stream() -> None:
                for saying in SAYINGS:
                    for owner in owners:
                        api.say(owner, saying)
                        await asyncio.sleep(0.025)

            streaming = asyncio.create_task(stream())
            dropped = []
            for _ in range(DROPS):
                await asyncio.sleep(0.9)
                dropped.append(await drop_all(conn))
            assert not streaming.done(), "the stream ended before the last drop: not mid-stream"
            await streaming
            wanted = len(SAYINGS)
            await api.until(lambda: all(n >= wanted for n in replies(api, owners).values()), timeout=60,
                            what="every message answered")
            await asyncio.sleep(1.0)  # nothing more is coming
            outbox = await outbox_states(conn)
            handled = await conn.fetchval("SELECT count(*) FROM processed_updates WHERE channel = 'telegram'")
            bot.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(bot.communicate(), 60)
    finally:
        await conn.close()

    log = err.decode()
    assert all(n > 0 for n in dropped), dropped  # each drop cut the process's connections
    assert "database unavailable" in log, log[-3000:]  # and the process met at least one of them
    assert "Traceback" not in log, log[-6000:]
    assert bot.returncode == 0, log[-3000:]
    assert set(replies(api, owners).values()) == {len(SAYINGS)}  # every message answered, exactly once
    assert handled == OWNERS * len(SAYINGS)
    assert outbox == {"sent": OWNERS * len(SAYINGS)}  # drained: nothing pending, nothing failed
