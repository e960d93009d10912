"""Two bot processes on one PostgreSQL database share one WeChat access token and send
every reply exactly once."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from handlers.kit.messages import Reply, reply_to_dict
from storage import models as m
from tests.wechat.standin import WechatStandIn

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_processes_share_one_token(app, database_url: str) -> None:  # type: ignore[no-untyped-def]
    standin = WechatStandIn(lambda: datetime.now(timezone.utc))
    await standin.start()
    owners = [f"oP{i:03d}" for i in range(100)]
    standin.followers.update(owners)
    for openid in owners:
        standin.last_wrote[openid] = datetime.now(timezone.utc)
    async with app.uow() as uow:
        for n in range(6):
            for openid in owners:
                await uow.outbox.add("wechat", openid, reply_to_dict(Reply("wechat", openid, f"{openid} #{n}")),
                                     None, app.now())
        await uow.commit()
    try:
        workers = [await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.wechat.delivery_process", database_url, standin.url,
            cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE) for _ in range(2)]
        for worker in workers:
            assert await asyncio.wait_for(worker.stdout.readline(), 120) == b"ready\n"  # type: ignore[union-attr]
        standin.delay = 0.01  # each send takes a while, as over the internet
        for worker in workers:
            worker.stdin.write(b"go\n")  # type: ignore[union-attr]
            await worker.stdin.drain()  # type: ignore[union-attr]
        outputs = await asyncio.wait_for(asyncio.gather(*(w.communicate() for w in workers)), 300)
    finally:
        await standin.stop()
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err.decode()[-2000:]
        assert b"Traceback" not in err, err.decode()[-2000:]
    sent = Counter((openid, s.text) for openid in owners for s in standin.transcript(openid))
    assert len(sent) == 600 and set(sent.values()) == {1}
    for openid in owners:
        assert standin.texts(openid) == [f"{openid} #{n}" for n in range(6)]
    # One token for both: the platform was asked once, by one of them.
    assert standin.token_calls == 1
    fetched = [int(out.decode().split("fetched ")[1]) for out, _ in outputs]
    assert sorted(fetched) == [0, 1]
    delivered = [int(out.decode().split("delivered ")[1].split()[0]) for out, _ in outputs]
    assert sum(delivered) == 600 and min(delivered) > 0, delivered
    async with app.sessions() as session:
        states = dict((await session.execute(select(m.OutboxMessage.state, func.count())
                                             .group_by(m.OutboxMessage.state))).all())
    assert states == {"sent": 600}
