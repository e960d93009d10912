"""`wuye run` on WeChat and PostgreSQL while every one of its server connections is
terminated, three times, as followers keep writing (see tests/telegram/test_tg_pg_drop.py).

On WeChat more loops meet the dead connections: the callback recording a message, the
inbox worker handing it to the desk, and the sender, which reads and writes the database
while it sends.  Each says so in one WARNING line and tries again: no traceback, every
message handled once, every reply sent once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_COMMUNITY, ROOT
from tests.telegram.test_tg_pg_drop import admin, drop_all, outbox_states
from tests.wechat.standin import AES_KEY, APP_ID, APP_SECRET, TOKEN, Follower, WechatStandIn
from tests.wechat.test_wx_kill import free_port, listening

FOLLOWERS = 30
SAYINGS = ["你好", "帮助", "谢谢"]
DROP_AT = [0.15, 0.4, 0.65]  # the connections are cut when this share of the messages was handled


async def _until_accepted(follower: Follower, sent: tuple[int, str]) -> None:
    """WeChat posts a message again until it is answered 200 (a 503 means: not recorded)."""
    while sent[0] != 200:
        await asyncio.sleep(0.3)
        assert follower.last_request is not None
        sent = await follower.post(*follower.last_request)


async def _follow_and_write(follower: Follower) -> None:
    await _until_accepted(follower, await follower.follow())
    for saying in SAYINGS:
        await _until_accepted(follower, await follower.say(saying))
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_connections_dropped_while_followers_write_leave_no_traceback_and_lose_nothing(
        tmp_path: Path, database_url: str) -> None:
    standin = WechatStandIn(lambda: datetime.now(timezone.utc))
    await standin.start()
    port = free_port()
    followers = [Follower(standin, f"http://127.0.0.1:{port}/wechat", f"oDROP{i:03d}") for i in range(FOLLOWERS)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECOM_", "WECHAT_"))}
    env.update(DATABASE_URL=database_url, COMMUNITY_FILE=str(EXAMPLE_COMMUNITY), PYTHONPATH=str(ROOT),
               WECHAT_APP_ID=APP_ID, WECHAT_APP_SECRET=APP_SECRET, WECHAT_TOKEN=TOKEN, WECHAT_AES_KEY=AES_KEY,
               WECHAT_API_BASE_URL=standin.url, WECHAT_PORT=str(port), MEDIA_DIR=str(tmp_path / "media"))
    messages = FOLLOWERS * (1 + len(SAYINGS))
    conn = await admin(database_url)
    try:
        with open(tmp_path / "bot.log", "wb") as err:
            bot = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
                                                       stdout=asyncio.subprocess.DEVNULL, stderr=err)
        await listening(followers[0], bot)

        async def stream() -> None:
            writing = []
            for follower in followers:
                writing.append(asyncio.create_task(_follow_and_write(follower)))
                await asyncio.sleep(0.05)
            await asyncio.gather(*writing)

        async def handled() -> int:
            return await conn.fetchval("SELECT count(*) FROM processed_updates WHERE channel = 'wechat'")

        streaming = asyncio.create_task(stream())
        dropped = []
        for share in DROP_AT:  # timed by the work done, not by the clock: mid-stream on a quick or a busy machine
            while await handled() < share * messages:
                await asyncio.sleep(0.02)
            dropped.append(await drop_all(conn))
        assert not streaming.done(), "the followers stopped writing before the last drop: not mid-stream"
        await streaming
        for _ in range(120):  # every message handled and every reply recorded as sent
            if await handled() >= messages and (await outbox_states(conn)).keys() == {"sent"}:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.0)  # nothing more is coming
        outbox = await outbox_states(conn)
        queued = dict(await conn.fetch("SELECT chat_id, count(*) FROM outbox GROUP BY chat_id"))
        keys = [k for (k,) in await conn.fetch("SELECT update_id FROM processed_updates WHERE channel = 'wechat'")]
        inbox = dict(await conn.fetch("SELECT state, count(*) FROM inbox GROUP BY state"))
        bot.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.wait(), 60)
    finally:
        await conn.close()
        await standin.stop()

    log = (tmp_path / "bot.log").read_text(errors="replace")
    assert all(n > 0 for n in dropped), dropped
    assert "database unavailable" in log, log[-3000:]
    assert "Traceback" not in log, log[-6000:]
    assert bot.returncode == 0, log[-3000:]
    assert len(keys) == len(set(keys)) == messages and inbox == {"done": messages}, (inbox, log[-6000:])  # each handled once
    assert outbox == {"sent": sum(queued.values())}  # drained
    delivered = {f.openid: len(f.transcript()) for f in followers}
    assert delivered == {f.openid: queued[f.openid] for f in followers}  # each reply sent once
    assert len(Counter(delivered.values())) == 1  # everyone answered alike: nothing lost
