"""A burst of 1,000 replies through the WeChat sender while the platform misbehaves:
the token expires mid-burst, the API is busy and rate-limits, some owners' 48 h window is
closed (known to us, or learnt from errcode 45015), one owner unfollowed.  Nothing is
lost, nothing is sent twice, each owner's messages keep their order."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.delivery import Deliverer, RetryPolicy
from bot.outbox import SqlOutbox
from bot.wechat import WechatChannel
from cases.clock import FakeClock
from handlers.kit.messages import Reply, reply_to_dict
from storage import models as m
from storage.wechat import WechatContacts
from tests.wechat.conftest import TEMPLATES
from tests.wechat.standin import APP_ID, APP_SECRET, TOKEN, WechatStandIn
from tests.delivery_only import NoCore


class FlowingClock(FakeClock):
    """A fake clock that also moves with real time (retry delays pass by themselves)."""

    def __init__(self) -> None:
        super().__init__()
        self._started = time.monotonic()

    def now(self) -> datetime:
        return super().now() + timedelta(seconds=time.monotonic() - self._started)


@pytest.fixture
def clock() -> FakeClock:
    return FlowingClock()


async def test_burst_of_1000_under_faults(app) -> None:  # type: ignore[no-untyped-def]
    standin = WechatStandIn(app.clock.now)
    await standin.start()
    now = app.clock.now()
    in_window = [f"oIN{i:02d}" for i in range(40)]       # 800 customer-service messages
    known_closed = [f"oOLD{i}" for i in range(5)]         # 100: we know the window closed
    learnt_closed = [f"oLATE{i}" for i in range(4)]       # 80: only errcode 45015 tells us
    gone = "oGONE"                                         # 20: unfollowed
    standin.followers.update(in_window + known_closed + learnt_closed)
    for openid in in_window:
        standin.last_wrote[openid] = now
    async with app.uow() as uow:
        contacts = WechatContacts(uow.session)
        for openid in in_window:
            await contacts.wrote(openid, now)
        for openid in known_closed:
            await contacts.wrote(openid, now - timedelta(days=3))
        for n in range(20):
            for openid in in_window + [gone]:
                await uow.outbox.add("wechat", openid, reply_to_dict(Reply("wechat", openid, f"{openid} 第{n}条")),
                                     None, now)
            for openid in known_closed:
                kind = "progress.done" if n % 2 else None  # a conversation step has no template
                await uow.outbox.add("wechat", openid, reply_to_dict(
                    Reply("wechat", openid, f"工单已完成 {n}", kind=kind)), None, now)
            for openid in learnt_closed:
                await uow.outbox.add("wechat", openid, reply_to_dict(
                    Reply("wechat", openid, f"服务回访 {n}", kind="survey.invite")), None, now)
        await uow.commit()

    channel = WechatChannel(app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, aes_key=None, api_root=standin.url,
                            sessions=app.sessions, core=NoCore(), now=app.clock.now, media_dir=None,
                            templates=TEMPLATES)
    channel.api.waits.update({45009: 0.05, 45011: 0.05})
    await channel.tokens.token()
    standin.expire_after = 250                           # the token expires mid-burst
    standin.fail_next("message/custom/send", -1, 30)      # busy
    standin.fail_next("message/custom/send", 45009, 10)   # rate limit
    standin.fail_next("message/template/send", -1, 5)
    deliverer = Deliverer(SqlOutbox(app.sessions, app.clock), channel.sender, now=app.clock.now,
                          retry=RetryPolicy(first_delay=0.02, max_delay=0.1, max_attempts=50), poll_interval=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(deliverer.run_forever(stop))
    try:
        for _ in range(1200):
            async with app.sessions() as session:
                if not await session.scalar(select(func.count()).select_from(m.OutboxMessage)
                                            .where(m.OutboxMessage.state == "pending")):
                    break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
        await channel.stop()
        await standin.stop()

    async with app.sessions() as session:
        states = dict((await session.execute(select(m.OutboxMessage.state, func.count())
                                             .group_by(m.OutboxMessage.state))).all())
        failures = Counter((await session.scalars(select(m.OutboxMessage.failure)
                                                  .where(m.OutboxMessage.state == "failed"))).all())
    assert states == {"sent": 800 + 50 + 80, "failed": 50 + 20}
    assert sum(n for reason, n in failures.items() if "no template" in reason) == 50
    assert sum(n for reason, n in failures.items() if "does not follow" in reason) == 20
    # Each owner in the window got their 20 messages once, in order.
    for openid in in_window:
        assert standin.texts(openid) == [f"{openid} 第{n}条" for n in range(20)]
    # Outside the window: template messages with the configured templates, once each.
    for openid in known_closed:
        sent = standin.transcript(openid)
        assert [s.template_id for s in sent] == ["TPL_CONFIRM"] * 10
        assert [s.data["thing1"]["value"] for s in sent] == [f"工单已完成 {n}" for n in range(1, 20, 2)]
    for openid in learnt_closed:
        assert [s.data["thing1"]["value"] for s in standin.transcript(openid)] == [f"服务回访 {n}" for n in range(20)]
    assert standin.texts(gone) == []
    assert standin.custom_sends == 800
    # One forced refresh for the expired token, shared by every lane.
    assert standin.forced == 1
