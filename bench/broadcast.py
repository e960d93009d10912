"""Delivery bench: a notice to many owners at Telegram's overall limit, and a burst of
replies with emergencies and injected faults — the production outbox path, over HTTP.

    python bench/broadcast.py notice [--owners 10000] [--rate 30] [--database-url URL]
    python bench/broadcast.py burst  [--replies 2000] [--emergencies 20] [--database-url URL]

`notice`: the notice's messages are queued in one multi-row insert (as `/notice` does),
then the production `Deliverer` + `SqlOutbox` + python-telegram-bot sender deliver them
to the Bot API stand-in (tests/telegram/botapi_standin.py, on 127.0.0.1, enforcing the
same limits and counting every call).  Prints the achieved rate against the limit
(first to last arrival), duplicates, 429s (the stand-in forgives `--slack` 20 ms of
arrival jitter: it shares this process's event loop), rows claimed per message delivered,
and resident memory sampled during the run (flat = the backlog is not held in memory).
`--owners 600` is a 20-second run for a quick check.

`burst`: replies to private chats and groups are queued as fast as a busy desk would
(`--arrival` per second) with `--emergencies` emergency cards spread among them, while
the stand-in answers some calls with 429 (retry_after 1) and 500; prints emergency
latency (queued -> arrived) p50/p99/max, and lost / duplicated counts.

Default database: a fresh SQLite file; `--database-url` takes an EMPTY database, e.g.
postgresql://postgres@127.0.0.1/bench (it is migrated; its outbox is emptied first).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
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
from bot.ratelimit import Limits, Rate, RateLimiter  # noqa: E402
from bot.telegram import build_telegram_channel  # noqa: E402
from cases.clock import SystemClock  # noqa: E402
from handlers.kit.messages import URGENT, Button, Reply, reply_to_dict, rows  # noqa: E402
from storage import models as m  # noqa: E402
from storage.db import create_engine, migrate, session_maker  # noqa: E402
from storage.outbox import Outbox  # noqa: E402
from tests.telegram.botapi_standin import BotApiStandIn  # noqa: E402


class _NoCore:
    async def handle(self, inbound):  # type: ignore[no-untyped-def]
        raise AssertionError("no updates in this bench")


async def _database(url: str | None):  # type: ignore[no-untyped-def]
    if url is None:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='wuye-bench-')}/bench.sqlite3"
    engine = create_engine(url)
    await migrate(engine)
    sessions = session_maker(engine)
    async with sessions.begin() as session:
        await session.execute(delete(m.OutboxMessage))
    return url, engine, sessions


async def _pending(sessions) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(m.OutboxMessage)
                                        .where(m.OutboxMessage.state == "pending")) or 0)


class CountingOutbox(SqlOutbox):
    """SqlOutbox that counts the rows its claims returned (reads per message)."""

    claimed = 0
    claims = 0

    async def claim(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        items = await super().claim(*args, **kwargs)
        self.claimed += len(items)
        self.claims += 1
        return items


async def notice(args: argparse.Namespace) -> None:
    limits = Limits(overall=Rate(args.rate, 1.0))
    url, engine, sessions = await _database(args.database_url)
    print(f"database: {url.split('://')[0]}   owners: {args.owners}   limit: {args.rate} msg/s overall"
          f"   stand-in in its own process, forgiving {args.slack * 1000:.0f} ms of arrival jitter")
    standin = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.telegram.standin_process", "--rate", str(args.rate), "--users", str(args.owners),
        "--slack", str(args.slack), cwd=REPO, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        limit=2**28)
    assert standin.stdout is not None and standin.stdin is not None
    hello = json.loads(await standin.stdout.readline())
    owners = hello["users"]
    clock = SystemClock()
    text = "【停水通知】明天 9:00-17:00 全小区停水检修，请提前储水。"
    started = time.perf_counter()
    async with sessions.begin() as session:
        await Outbox(session).add_many(
            [("telegram", str(u), reply_to_dict(Reply("telegram", str(u), text))) for u in owners], clock.now())
    queued = time.perf_counter() - started
    rss_before = rss_mb()
    channel = build_telegram_channel("ptb", hello["token"], hello["root"], _NoCore(), limiter=RateLimiter(limits))
    await channel.connect()
    store = CountingOutbox(sessions, clock)
    deliverer = Deliverer(store, channel.sender, now=clock.now)
    stop = asyncio.Event()
    task = asyncio.create_task(deliverer.run_forever(stop))
    samples = []
    while True:
        await asyncio.sleep(1.0)
        samples.append(rss_mb())
        if deliverer.delivered >= args.owners or (len(samples) % 5 == 0 and not await _pending(sessions)):
            break
    stop.set()
    await task
    await channel.stop()
    standin.stdin.write(b"report\n")
    await standin.stdin.drain()
    report = json.loads(await standin.stdout.readline())
    await standin.wait()
    sends = report["sends"]
    arrivals = sorted(at for at, _ in sends)
    span = arrivals[-1] - arrivals[0]
    rate = (len(arrivals) - 1) / span if span else float("nan")
    per_chat = Counter(chat for _, chat in sends)
    duplicates = sum(n - 1 for n in per_chat.values() if n > 1)
    lost = sum(1 for u in owners if per_chat[u] == 0)
    print(f"queued the notice in {queued:.2f} s (one multi-row insert)")
    print(f"delivered {len(arrivals)} in {span:.1f} s: {rate:.2f} msg/s = {rate / args.rate:.3f} of the limit")
    print(f"duplicates {duplicates}   lost {lost}   429s {report['throttled']}   limit violations "
          f"{len(report['violations'])}")
    print(f"claims {store.claims}, rows claimed {store.claimed} = {store.claimed / max(1, len(arrivals)):.2f} per message")
    print(f"bot process RSS MB: before delivery {rss_before:.1f}, during min {min(samples):.1f} "
          f"max {max(samples):.1f}, end {samples[-1]:.1f}")
    await engine.dispose()


async def burst(args: argparse.Namespace) -> None:
    limits = Limits()
    url, engine, sessions = await _database(args.database_url)
    print(f"database: {url.split('://')[0]}   replies: {args.replies}   emergencies: {args.emergencies}"
          f"   arrival {args.arrival}/s   Telegram's limits")
    rng = random.Random(7)
    async with BotApiStandIn(limits=limits, rate_slack=args.slack) as api:
        owners = api.users(args.replies // 4)
        groups = [api.group(f"群{n}") for n in range(5)]
        clock = SystemClock()
        channel = build_telegram_channel("ptb", api.token, api.root, _NoCore(), limiter=RateLimiter(limits))
        await channel.connect()
        deliverer = Deliverer(SqlOutbox(sessions, clock), channel.sender, now=clock.now,
                              retry=RetryPolicy(first_delay=1.0, max_delay=4.0, max_attempts=30))
        stop = asyncio.Event()
        task = asyncio.create_task(deliverer.run_forever(stop))
        emergency_at = set(rng.sample(range(args.replies), args.emergencies))
        queued_at: dict[str, float] = {}
        expected: Counter[tuple[int, str]] = Counter()
        started = time.monotonic()
        for n in range(args.replies + args.emergencies):
            if n in emergency_at:
                group = rng.choice(groups)
                text = f"【紧急】#{n} 电梯困人"
                reply = Reply("telegram", str(group), text, buttons=rows([Button("接单", f"a|{n}")]),
                              replace_key=f"card:{n}", priority=URGENT)
                chat = group
            elif n % 10 == 0:
                chat = rng.choice(groups)
                text = f"【报修】#{n} 一般工单"
                reply = Reply("telegram", str(chat), text, replace_key=f"card:{n}")
            else:
                chat = rng.choice(owners).id
                text = f"回复 {n}"
                reply = Reply("telegram", str(chat), text)
            if n % 97 == 0:
                api.fail_next(1, rng.choice([429, 500, 502]))
            async with sessions.begin() as session:
                await Outbox(session).add(reply.channel, reply.chat_id, reply_to_dict(reply), reply.replace_key,
                                          clock.now())
            queued_at[text] = time.monotonic()
            expected[(chat, text)] += 1
            deliverer.notify()
            await asyncio.sleep(max(0.0, started + (n + 1) / args.arrival - time.monotonic()))
        while await _pending(sessions) and time.monotonic() - started < args.timeout:
            await asyncio.sleep(0.5)
        stop.set()
        await task
        await channel.stop()
    got = Counter((c.params["chat_id"] if isinstance(c.params["chat_id"], int) else int(c.params["chat_id"]),
                   c.params["text"]) for c in api.calls_to("sendMessage") if not _refused(api, c))
    arrived = {}
    for call in api.calls_to("sendMessage"):
        if str(call.params.get("text", "")).startswith("【紧急】") and not _refused(api, call):
            arrived[call.params["text"]] = call.at
    latency = sorted(arrived[t] - queued_at[t] for t in arrived)
    lost = sum(1 for key in expected if got[key] == 0)
    duplicated = sum(got[key] - 1 for key in expected if got[key] > 1)
    print(f"injected failures served: {Counter(s for _, s in api.injected)}   throttled by limits: {len(api.throttled)}")
    print(f"emergency latency s: p50 {statistics.median(latency):.3f}  p99 {latency[int(0.99 * (len(latency) - 1))]:.3f}"
          f"  max {latency[-1]:.3f}  ({len(latency)} of {args.emergencies})")
    print(f"lost {lost}   duplicated {duplicated}   of {sum(expected.values())} messages; "
          f"run took {time.monotonic() - started:.1f} s")
    await engine.dispose()


def _refused(api: BotApiStandIn, call) -> bool:  # type: ignore[no-untyped-def]
    """Whether the stand-in answered this call with an error (injected or throttled)."""
    return call.status != 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["notice", "burst"])
    parser.add_argument("--owners", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=30, help="overall messages per second (Telegram: 30)")
    parser.add_argument("--replies", type=int, default=2000)
    parser.add_argument("--emergencies", type=int, default=20)
    parser.add_argument("--arrival", type=float, default=100.0, help="replies queued per second (burst)")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--slack", type=float, default=0.02,
                        help="seconds of arrival jitter the stand-in forgives when judging the limits "
                             "(it runs in this process, so its arrival stamps wobble with the event loop)")
    args = parser.parse_args()
    asyncio.run(notice(args) if args.mode == "notice" else burst(args))


if __name__ == "__main__":
    main()
