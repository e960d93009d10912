"""The overall limit is the bot's: two sending processes together keep it when they share
the pace through Redis (REDIS_URL), and go over it when each paces itself (the control
run, which shows the check can fail).  Counted where Telegram counts: at the stand-in."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import sys
import time

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.ratelimit import Limits, Rate, RateLimiter
from bot.shared_pace import RedisPace, SharedPaceUnavailable, pace_key
from cases.clock import SystemClock
from handlers.kit.messages import Reply, reply_to_dict
from storage import models as m
from tests.conftest import ROOT
from tests.telegram.botapi_standin import BotApiStandIn

REDIS_URL = os.environ.get("WUYE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SCALE = 0.25  # 30 messages per 0.25 s: 120 a second for both processes together
OWNERS = 900


def _redis_answers() -> bool:
    host, port = REDIS_URL.split("//", 1)[1].split("/", 1)[0].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


needs_redis = pytest.mark.skipif(not _redis_answers(), reason=f"Redis not reachable at {REDIS_URL}")


def _unique_token() -> str:
    # The pace is kept per bot: a bot id of its own keeps parallel runs apart.
    return f"{random.randrange(10**9, 10**10)}:AAFq3x9Lk2mZr8Tn4Yv6Bw1Cd5Eh7Gj0Kp2"


def _peak_rate(stamps: list[float], window: float) -> int:
    """The most sends that arrived within any `window` seconds."""
    stamps = sorted(stamps)
    peak, start = 0, 0
    for end, at in enumerate(stamps):
        while at - stamps[start] >= window:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


async def _two_workers(app: App, database_url: str, redis: bool) -> tuple[BotApiStandIn, list[int], float]:
    limits = Limits().scaled(SCALE)
    async with BotApiStandIn(_unique_token(), limits=limits, enforce_limits=False, rate_slack=0.02) as api:
        owners = api.users(OWNERS)
        async with app.uow() as uow:
            await uow.session.execute(m.OutboxMessage.__table__.delete())
            await uow.outbox.add_many([("telegram", str(u.id), reply_to_dict(Reply("telegram", str(u.id),
                                        f"停水通知 {u.id}"))) for u in owners], SystemClock().now())
            await uow.commit()
        # Each holds 60 rows at a time, so both take from the backlog and send at once.
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"} | {"WORKER_MAX_HELD": "60"}
        if redis:
            env["REDIS_URL"] = REDIS_URL
        began = time.monotonic()
        workers = [await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.telegram.delivery_worker", database_url, api.root, api.token, str(SCALE),
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE) for _ in range(2)]
        outputs = await asyncio.wait_for(asyncio.gather(*(w.communicate() for w in workers)), 240)
        elapsed = time.monotonic() - began
    for worker, (_out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err.decode()[-2000:]
        assert b"Traceback" not in err, err.decode()[-2000:]
    delivered = [int(out.decode().split("delivered ")[1]) for out, _ in outputs]
    return api, delivered, elapsed


@needs_redis
async def test_two_processes_sharing_the_pace_keep_the_bots_overall_limit(app: App, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several bot processes share a PostgreSQL database (SQLite: one host, one writer)")
    limit = Limits().scaled(SCALE).overall

    api, delivered, _ = await _two_workers(app, database_url, redis=True)
    stamps = [at for at, _chat in api.sends]
    shared_peak = _peak_rate(stamps, limit.period)
    span = max(stamps) - min(stamps)
    print(f"\nshared pace: {len(stamps)} sends by {delivered}, peak {shared_peak} per {limit.period}s "
          f"(limit {limit.count}), {len(stamps) / span:.1f}/s against {limit.count / limit.period:.0f}/s")
    assert len(stamps) == OWNERS and min(delivered) > 0, delivered  # both processes sent
    assert [v for v in api.rate_violations() if v.startswith("overall")] == []
    # Not kept by going slowly: the two together still use most of the one limit.
    assert len(stamps) / span > 0.5 * limit.count / limit.period

    # Control: each process on its own pace sends up to twice the limit together.
    api, delivered, _ = await _two_workers(app, database_url, redis=False)
    own_peak = _peak_rate([at for at, _chat in api.sends], limit.period)
    print(f"own pace each: peak {own_peak} per {limit.period}s (limit {limit.count})")
    assert min(delivered) > 0
    assert own_peak > limit.count and [v for v in api.rate_violations() if v.startswith("overall")]


@needs_redis
async def test_slots_from_two_schedules_on_one_key_never_coincide() -> None:
    key = pace_key("telegram", _unique_token().split(":")[0])
    first, second = await RedisPace.connect(REDIS_URL, key), await RedisPace.connect(REDIS_URL, key)
    try:
        began = time.monotonic()
        waits = await asyncio.gather(*(pace.take_slot(0.01) for _ in range(50) for pace in (first, second)))
        taken_at = time.monotonic() - began
    finally:
        await first.close()
        await second.close()
    # 100 slots 10 ms apart, whichever schedule object took them: 0 ms … 990 ms ahead.
    slots = sorted(w + taken_at for w in waits)  # upper bound of each slot from the start
    assert all(b - a > 0.0099 - taken_at for a, b in zip(slots, slots[1:]))
    assert max(waits) == pytest.approx(0.99, abs=0.05 + taken_at)


async def test_redis_that_does_not_answer_refuses_the_start_in_one_line() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SharedPaceUnavailable) as refused:
        await RedisPace.connect(f"redis://:secret@127.0.0.1:{port}/0", "wuye:pace:test")
    message = str(refused.value)
    assert "\n" not in message and f"127.0.0.1:{port}" in message and "REDIS_URL" in message
    assert "secret" not in message


class _GoneRedis:
    """A shared schedule that has stopped answering."""

    async def take_slot(self, interval: float) -> float | None:
        return None


async def test_without_an_answer_from_redis_the_process_paces_itself() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(Limits(overall=Rate(10, 1.0)), headroom=0.0, clock=lambda: now[0], sleep=sleep,
                          shared=_GoneRedis())
    starts = []
    for n in range(20):
        async with limiter.turn(str(1000 + n)):
            starts.append(now[0])
    assert starts[-1] == pytest.approx(1.9)  # one every 0.1 s, as without Redis
