"""Two delivery workers — separate OS processes — on one database deliver every outbox
row exactly once, counted at the Bot API stand-in: 1,000 surveys and a 2,000-owner notice."""

from __future__ import annotations

import asyncio
import sys

import pytest
from collections import Counter

from sqlalchemy import func, select

from bot.bootstrap import App
from cases.clock import SystemClock
from handlers.kit.messages import Button, Reply, reply_to_dict, rows
from storage import models as m
from tests.conftest import ROOT
from tests.telegram.botapi_standin import BotApiStandIn


async def test_two_worker_processes_deliver_surveys_and_a_notice_exactly_once(app: App, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several bot processes share a PostgreSQL database (SQLite: one host, one writer)")
    async with BotApiStandIn(enforce_limits=False) as api:
        owners = api.users(2000)
        now = SystemClock().now()
        async with app.uow() as uow:
            notice = [("telegram", str(u.id), reply_to_dict(Reply("telegram", str(u.id), f"停水通知 {u.id}")))
                      for u in owners]
            surveys = [("telegram", str(u.id), reply_to_dict(Reply(
                "telegram", str(u.id), f"回访 #{n} 请评价", buttons=rows([Button("满意", f"s|{n}|5")]))))
                for n, u in enumerate(owners[:1000])]
            await uow.outbox.add_many(notice, now)
            await uow.outbox.add_many(surveys, now)
            await uow.commit()

        workers = [await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.telegram.delivery_worker", database_url, api.root, api.token, "0.1",
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE) for _ in range(2)]
        outputs = await asyncio.wait_for(asyncio.gather(*(w.communicate() for w in workers)), 300)

    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err.decode()[-2000:]
        assert b"Traceback" not in err, err.decode()[-2000:]
    sends = Counter((c.params["chat_id"], c.params["text"]) for c in api.calls_to("sendMessage"))
    assert len(sends) == 3000
    assert [k for k, n in sends.items() if n != 1] == []
    for n, user in enumerate(owners):
        expected = [f"停水通知 {user.id}"] + ([f"回访 #{n} 请评价"] if n < 1000 else [])
        assert api.texts(user.id) == expected
    async with app.uow() as uow:
        states = dict((await uow.session.execute(
            select(m.OutboxMessage.state, func.count()).group_by(m.OutboxMessage.state))).all())
    assert states == {"sent": 3000}
    # Both processes took part (the work was split, not done twice or by one alone).
    delivered = [int(out.decode().split("delivered ")[1]) for out, _ in outputs]
    assert sum(delivered) == 3000 and min(delivered) > 0, delivered
