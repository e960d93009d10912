"""WeCom delivery bench: a burst of dispatch cards to many members and posts to group
robots, through the production outbox path (`SqlOutbox` + `Deliverer` + `WecomSender`),
over HTTP to the WeCom stand-in (tests/wecom/standin.py, on 127.0.0.1, enforcing WeCom's
limits at their real values: 30 messages a minute per member, 20 a minute per robot).

    python bench/wecom.py [--cards 500] [--members 100] [--robot-posts 20] [--faults] [--database-url URL]

`--faults` makes the stand-in answer busy (-1) and rate limited (45009) now and then,
expires the access token a third of the way and fails its first refresh.  Prints the
time from the first to the last card, cards a second, API calls per card, token
fetches, and lost / duplicated counts (both must be 0), and resident memory.

Default database: a fresh SQLite file; `--database-url` takes an EMPTY database (it is
migrated; its outbox is emptied first).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from measure import rss_mb  # noqa: E402  (bench/ is the script's own folder)

from sqlalchemy import delete, func, select  # noqa: E402

from bot.delivery import Deliverer, RetryPolicy  # noqa: E402
from bot.outbox import SqlOutbox  # noqa: E402
from bot.ratelimit import RateLimiter  # noqa: E402
from bot.wecom import robot_chat  # noqa: E402
from bot.wecom.api import WecomApi  # noqa: E402
from bot.wecom.sender import WecomLimits, WecomSender  # noqa: E402
from cases.clock import SystemClock  # noqa: E402
from handlers.kit.messages import Button, Reply, reply_to_dict, rows  # noqa: E402
from storage import models as m  # noqa: E402
from storage.db import create_engine, migrate, session_maker  # noqa: E402
from storage.outbox import Outbox  # noqa: E402
from storage.wecom_cards import CardCodes  # noqa: E402
from tests.wecom.standin import AGENT_ID, CORP_ID, SECRET, KnownRobots, WecomStandIn  # noqa: E402


async def run(args: argparse.Namespace) -> None:
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    engine = create_engine(url)
    await migrate(engine)
    sessions = session_maker(engine)
    async with sessions.begin() as session:
        await session.execute(delete(m.OutboxMessage))
        await session.execute(delete(m.WecomCardCode))
    clock = SystemClock()
    async with WecomStandIn() as wx:
        members = [wx.add_member(f"staff{i:03d}") for i in range(args.members)]
        robots = [wx.add_robot() for _ in range(2)]
        replies = [Reply("wecom", members[n % len(members)], f"工单 #{n} 待接单\n📍 位置：{n % 30}号楼",
                         rows([Button("✋ 接单", f"1|c|accept|{n}"), Button("🔀 转派", f"1|c|transfer|{n}")]))
                   for n in range(args.cards)]
        teams = KnownRobots({"team0": robots[0], "team1": robots[1]})
        replies += [Reply("wecom", robot_chat(f"team{n % 2}"), f"动态 {n}") for n in range(args.robot_posts)]
        if args.faults:
            wx.fail_next("message/send", -1, args.cards // 40)
            wx.fail_next("message/send", 45009, args.cards // 50)
            wx.fail_next("webhook/send", 45009, 2)
        async with sessions.begin() as session:
            await Outbox(session).add_many([(r.channel, r.chat_id, reply_to_dict(r)) for r in replies], clock.now())
        api = WecomApi(wx.root, CORP_ID, SECRET, AGENT_ID, sessions=sessions, now=clock.now)
        sender = WecomSender(api, CardCodes(sessions), teams, now=clock.now, limiter=RateLimiter(WecomLimits()),
                             rate_wait=1.0)
        deliverer = Deliverer(SqlOutbox(sessions, clock), sender, now=clock.now, poll_interval=0.2,
                              retry=RetryPolicy(first_delay=0.2, max_delay=2.0))
        stop = asyncio.Event()
        started = time.perf_counter()
        task = asyncio.create_task(deliverer.run_forever(stop))
        peak = rss_mb()
        expired = False
        deadline = started + 110
        while time.perf_counter() < deadline:
            cards = len(wx.messages)
            if args.faults and not expired and cards >= args.cards // 3:
                wx.expire_tokens()
                wx.fail_next("gettoken", -1, 1)
                expired = True
            if cards >= args.cards and sum(map(len, wx.robot_posts.values())) >= args.robot_posts:
                break
            peak = max(peak, rss_mb())
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        stop.set()
        await task
        await api.close()
        async with sessions() as session:
            states = dict((await session.execute(
                select(m.OutboxMessage.state, func.count()).group_by(m.OutboxMessage.state))).all())
    await engine.dispose()
    titles = Counter(msg.card["main_title"]["title"] for msg in wx.messages if msg.card)
    sent_cards = sum(titles.values())
    api_calls = len([c for c in wx.calls if c[0] in ("message/send", "webhook/send")])
    print(f"database: {url.split(':')[0]}  cards: {args.cards} to {args.members} members, "
          f"robot posts: {args.robot_posts}, faults: {'on' if args.faults else 'off'}")
    print(f"all delivered in {elapsed:.2f} s: {sent_cards / elapsed:.0f} cards/s")
    print(f"send calls per message: {api_calls / max(1, len(replies)):.3f}  token fetches: {wx.token_fetches}")
    print(f"lost: {len(replies) - args.robot_posts - len(titles)}  duplicated: {sent_cards - len(titles)}  "
          f"rows: {states}  limit violations: {len(wx.rate_violations())}")
    print(f"rss peak: {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=500)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--robot-posts", type=int, default=20)
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--database-url")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
