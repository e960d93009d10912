"""WeChat channel bench: inbound callbacks into the real desk, and outbound delivery.

    python bench/wechat.py [--followers 20] [--messages 10] [--replies 1000] [--database-url URL]

`callbacks`: `--followers` owners each post `--messages` safe-mode (AES) callbacks, signed
and encrypted with wechatpy exactly as WeChat does, concurrently across owners and in order
per owner, to our endpoint on 127.0.0.1; the real desk answers each (/help: the menu).
Prints the time to WeChat's "success" (p50/p99/max; WeChat gives up at 5 s), the rate, and
per callback the process's CPU time and the SQL statements it ran (the whole process: the
followers' signing and encryption and the stand-in count in the CPU, not in the statements; the replies are delivered after).

`delivery`: `--replies` replies to 50 followers through the production Deliverer, SqlOutbox
and WechatSender to the API stand-in (tests/wechat/standin.py), with the token expiring
mid-burst and 30 "busy" answers; prints the rate and lost / duplicated counts.

Default database: a fresh SQLite file; `--database-url` takes an EMPTY database.
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

from sqlalchemy import event, func, select  # noqa: E402

from bot.bootstrap import build_app, load_community_file  # noqa: E402
from bot.delivery import Deliverer, RetryPolicy  # noqa: E402
from bot.outbox import SqlOutbox  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.wechat import WechatChannel  # noqa: E402
from cases.clock import SystemClock  # noqa: E402
from handlers.kit.messages import Reply, reply_to_dict  # noqa: E402
from storage import models as m  # noqa: E402
from tests.wechat.standin import AES_KEY, APP_ID, APP_SECRET, TOKEN, Follower, WechatStandIn  # noqa: E402

COMMUNITY = REPO / "examples" / "community.yaml"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def main(args: argparse.Namespace) -> None:
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    media = Path(tempfile.mkdtemp())
    settings = Settings(DATABASE_URL=url, COMMUNITY_FILE=COMMUNITY, MEDIA_DIR=media, _env_file=None)  # type: ignore[call-arg]
    app = await build_app(settings, SystemClock())
    await load_community_file(app, str(COMMUNITY))
    standin = WechatStandIn(app.clock.now)
    await standin.start()
    deliverer: Deliverer | None = None
    channel = WechatChannel(app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, aes_key=AES_KEY, api_root=standin.url,
                            sessions=app.sessions, core=app.desk, now=app.clock.now, media_dir=media,
                            on_outbox=lambda: deliverer.notify() if deliverer else None)
    deliverer = Deliverer(SqlOutbox(app.sessions, app.clock), channel.sender, now=app.clock.now,
                          retry=RetryPolicy(first_delay=0.05, max_delay=0.2, max_attempts=50), poll_interval=0.1)
    app.desk.on_outbox = deliverer.notify
    port = await channel.start("127.0.0.1", 0)
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    try:
        # ---------------------------------------------------------------- callbacks
        followers = [Follower(standin, f"http://127.0.0.1:{port}/wechat", f"oBENCH{i:03d}")
                     for i in range(args.followers)]
        for f in followers:
            standin.followers.add(f.openid)
        latencies: list[float] = []

        async def owner(f: Follower) -> None:
            for _ in range(args.messages):
                started = time.perf_counter()
                status, body = await f.say("/help")
                assert (status, body) == (200, "success")
                latencies.append(time.perf_counter() - started)

        statements = 0

        def counted(*_: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(app.engine.sync_engine, "before_cursor_execute", counted)
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(owner(f) for f in followers))
        await channel.endpoint.drain(60)  # every callback handled, not only answered
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        event.remove(app.engine.sync_engine, "before_cursor_execute", counted)
        total = len(latencies)
        print(f"callbacks: {total} in {took:.1f} s ({total / took:.0f}/s); time to 'success' "
              f"p50 {pct(latencies, 0.5) * 1000:.0f} ms, p99 {pct(latencies, 0.99) * 1000:.0f} ms, "
              f"max {max(latencies) * 1000:.0f} ms; per callback {cpu / total * 1000:.1f} ms CPU, "
              f"{statements / total:.1f} SQL statements (replies delivered after)")
        task = asyncio.create_task(deliverer.run_forever(stop))
        assert await deliverer.flush(60)
        answered = sum(len(standin.transcript(f.openid)) for f in followers)
        print(f"callbacks: {answered} replies delivered for {total} messages")

        # ---------------------------------------------------------------- delivery
        openids = [f"oOUT{i:02d}" for i in range(50)]
        standin.followers.update(openids)
        for openid in openids:
            standin.last_wrote[openid] = app.now()
        async with app.uow() as uow:
            for n in range(args.replies // len(openids)):
                for openid in openids:
                    await uow.outbox.add("wechat", openid, reply_to_dict(Reply("wechat", openid, f"{openid}:{n}")),
                                         None, app.now())
            await uow.commit()
        standin.expire_after = standin.custom_sends + args.replies // 3
        standin.fail_next("message/custom/send", -1, 30)
        sent_before = standin.custom_sends
        started = time.perf_counter()
        deliverer.notify()
        while True:
            async with app.sessions() as session:
                if not await session.scalar(select(func.count()).select_from(m.OutboxMessage)
                                            .where(m.OutboxMessage.state == "pending")):
                    break
            await asyncio.sleep(0.05)
        took = time.perf_counter() - started
        texts = Counter(s.text for o in openids for s in standin.transcript(o))
        expected = {f"{o}:{n}" for o in openids for n in range(args.replies // len(openids))}
        lost = len(expected - set(texts))
        doubled = sum(1 for n in texts.values() if n > 1)
        print(f"delivery: {standin.custom_sends - sent_before} replies in {took:.1f} s "
              f"({(standin.custom_sends - sent_before) / took:.0f}/s) with a token expiry and 30 busy answers; "
              f"lost {lost}, duplicated {doubled}, forced token refreshes {standin.forced}")
    finally:
        stop.set()
        if task is not None:
            await task
        await channel.stop()
        await standin.stop()
        await app.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--followers", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--replies", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    asyncio.run(main(parser.parse_args()))
