"""A burst of 500 cards to 25 members and 60 posts to two group robots (paced: 20 a window each), through the SQL
outbox on SQLite and PostgreSQL, while WeCom misbehaves: busy answers, rate limits, the
access token expiring mid-burst and its refresh failing once.  Every card arrives exactly
once, every row ends sent, and our own pacing never trips WeCom's limits."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from bot.delivery import Deliverer, RetryPolicy
from bot.outbox import SqlOutbox
from bot.ratelimit import Rate, RateLimiter
from bot.wecom import robot_chat
from bot.wecom.api import WecomApi
from bot.wecom.sender import WecomSender
from cases.clock import SystemClock
from handlers.kit.messages import Button, Reply, reply_to_dict, rows
from storage import models as m
from storage.db import create_engine, session_maker
from storage.outbox import Outbox
from storage.wecom_cards import CardCodes
from tests.wecom.conftest import WECOM_FAST
from tests.wecom.standin import AGENT_ID, CORP_ID, SECRET, KnownRobots, WecomStandIn

MEMBERS, CARDS_EACH, ROBOT_POSTS = 25, 20, 30  # 30 posts: more than a robot takes in one window


async def test_burst_of_500_cards_through_faults_nothing_lost_or_duplicated(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_maker(engine)
    clock = SystemClock()
    async with WecomStandIn(robot_rate=Rate(20, 0.6), member_rate=Rate(30, 0.6)) as wx:
        members = [wx.add_member(f"staff{i:02d}") for i in range(MEMBERS)]
        robots = [wx.add_robot() for _ in range(2)]
        replies = [Reply("wecom", user, f"工单 #{i * 100 + n} 待接单\n📍 位置：{n}号楼",
                         rows([Button("✋ 接单", f"1|c|accept|{i * 100 + n}"), Button("🔀 转派", f"1|c|transfer|{n}")]))
                   for n in range(CARDS_EACH) for i, user in enumerate(members)]
        teams = KnownRobots({f"team{r}": key for r, key in enumerate(robots)})
        replies += [Reply("wecom", robot_chat(team), f"动态 {team}-{n}") for n in range(ROBOT_POSTS) for team in teams.keys]
        async with sessions.begin() as session:
            await Outbox(session).add_many([(r.channel, r.chat_id, reply_to_dict(r)) for r in replies], clock.now())

        wx.fail_next("message/send", -1, 15)
        wx.fail_next("message/send", 45009, 10)
        wx.fail_next("webhook/send", 45009, 3)
        wx.fail_next("webhook/send", -1, 2)
        api = WecomApi(wx.root, CORP_ID, SECRET, AGENT_ID, sessions=sessions, now=clock.now)
        sender = WecomSender(api, CardCodes(sessions), teams, now=clock.now, limiter=RateLimiter(WECOM_FAST),
                             rate_wait=0.2)
        deliverer = Deliverer(SqlOutbox(sessions, clock), sender, now=clock.now, poll_interval=0.1,
                              retry=RetryPolicy(first_delay=0.05, max_delay=0.5))
        stop = asyncio.Event()
        running = asyncio.create_task(deliverer.run_forever(stop))
        try:
            await wx.until(lambda: len(wx.messages) >= 150, timeout=60, what="the first 150 cards")
            wx.expire_tokens()
            wx.fail_next("gettoken", -1, 1)
            await wx.until(lambda: len(wx.messages) >= MEMBERS * CARDS_EACH, timeout=120, what="all cards")
            await wx.until(lambda: sum(map(len, wx.robot_posts.values())) >= 2 * ROBOT_POSTS, timeout=60,
                           what="all robot posts")
            await asyncio.sleep(0.3)
        finally:
            stop.set()
            await running
            await api.close()

        async with sessions() as session:
            states = dict((await session.execute(
                select(m.OutboxMessage.state, func.count()).group_by(m.OutboxMessage.state))).all())
            codes = await session.scalar(select(func.count()).select_from(m.WecomCardCode))
        await engine.dispose()

    assert states == {"sent": len(replies)}
    titles = Counter(msg.card["main_title"]["title"] for msg in wx.messages if msg.card)
    assert len(titles) == MEMBERS * CARDS_EACH and set(titles.values()) == {1}  # each card once
    for user in members:
        assert len(wx.cards(user)) == CARDS_EACH
    assert Counter(p for posts in wx.robot_posts.values() for p in posts) == Counter(
        r.text for r in replies if r.chat_id.startswith("robot:"))
    assert codes == MEMBERS * CARDS_EACH  # each card can be updated later
    assert wx.token_fetches >= 2  # the expired token was replaced
    assert [c for c in wx.calls if c[1] == 42001], "the expiry was met and survived"
    assert wx.rate_violations() == []
