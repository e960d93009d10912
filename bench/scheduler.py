"""Scheduler bench: 10,000 pending callback surveys.

    python bench/scheduler.py [--count 10000] [--spread 10] [--database-url URL]

Prints
  * the time to schedule them (`Callbacks.schedule`, in transactions of 500),
  * memory (resident set) before and after a bot start with them all pending,
  * the start-up time with them pending (build the app, start the APScheduler
    scheduler, plan the next due time) — constant, since pending callbacks are rows,
    not scheduler jobs,
  * how late the surveys go out: REAL clock, real short delay.  The surveys fall due
    spread over `--spread` seconds starting a few seconds after start-up; the real
    `start_scheduler` (30-second interval tick plus the date job at the next due time)
    sends them, and lateness is `sent_at - due_at` of every callback ("sent" = committed
    to the outbox); then, as the goal is stated, lateness at the channel: the outbox is
    delivered by the production Deliverer to a sender paced at `--rate` msg/s (Telegram's
    30), and the k-th survey due is compared with the k-th message delivered, against
    count / rate + 2 s.  With the rate known the scheduler claims surveys at that rate.

Default database: a fresh SQLite file in a temporary directory.  `--database-url`
takes an EMPTY database (PostgreSQL: `postgresql://postgres@127.0.0.1/bench`); it is
migrated and filled with the demo community.  Quiet hours are switched off so the
bench gives the same answer at any time of day.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from measure import rss_mb  # noqa: E402  (bench/ is the script's own folder)

from sqlalchemy import func, insert, select, update  # noqa: E402

from bot.bootstrap import build_app, load_community_file  # noqa: E402
from bot.delivery import Deliverer  # noqa: E402
from bot.outbox import SqlOutbox  # noqa: E402
from bot.ratelimit import Limits, Rate, RateLimiter  # noqa: E402
from bot.scheduler import next_due, start_scheduler, stop_scheduler  # noqa: E402
from bot.settings import Settings  # noqa: E402
from cases.clock import SystemClock  # noqa: E402
from storage import models as m  # noqa: E402

COMMUNITY = REPO / "examples" / "community.yaml"
BATCH = 500


def settings(url: str) -> Settings:
    return Settings(DATABASE_URL=url, COMMUNITY_FILE=COMMUNITY, _env_file=None)  # type: ignore[call-arg]


async def prepare(url: str, count: int) -> list[int]:
    """The demo community, every owner reachable on the console, and `count` closed cases."""
    app = await build_app(settings(url), SystemClock())
    try:
        async with app.uow() as uow:
            if await uow.directory.community() is not None:
                raise SystemExit("bench: the database is not empty; give an empty one")
        await load_community_file(app, str(COMMUNITY))
        now = app.now()
        async with app.uow() as uow:
            community = await uow.session.scalar(select(m.Community))
            assert community is not None
            # No quiet hours: the bench measures the scheduler, not the time of day.
            community.policy = {**community.policy, "quiet_hours": ["03:00", "03:00"]}
            owners = (await uow.session.scalars(select(m.Owner.id).order_by(m.Owner.id))).all()
            for owner_id in owners:
                await uow.directory.bind("console", f"owner{owner_id}", f"owner{owner_id}", now=now, owner_id=owner_id)
            rows = [dict(community_id=community.id, kind="report", category="plumbing", area="home", urgency="normal",
                         status="closed", owner_id=owners[i % len(owners)], description=f"厨房水管漏水 {i}",
                         team_code="engineering", created_at=now, updated_at=now, done_at=now, closed_at=now,
                         confirmed_by="owner", version=1, details={}, photos=[]) for i in range(count)]
            await uow.session.execute(insert(m.Case), rows)
            await uow.commit()
        async with app.uow() as uow:
            return list((await uow.session.scalars(select(m.Case.id).order_by(m.Case.id))).all())
    finally:
        await app.close()


async def schedule(url: str, case_ids: list[int]) -> float:
    """Book one callback per case the way `schedule_callback` does; returns the seconds taken."""
    app = await build_app(settings(url), SystemClock(), run_migrations=False)
    far = app.now() + timedelta(days=1)  # re-timed below, once we know when start-up ends
    started = time.perf_counter()
    try:
        for i in range(0, len(case_ids), BATCH):
            async with app.uow() as uow:
                for case_id in case_ids[i:i + BATCH]:
                    await uow.callbacks.schedule(case_id, 1, far)
                await uow.commit()
        return time.perf_counter() - started
    finally:
        await app.close()


async def retime(url: str, first_due: datetime, spread: float) -> None:
    app = await build_app(settings(url), SystemClock(), run_migrations=False)
    try:
        async with app.uow() as uow:
            ids = (await uow.session.scalars(select(m.Callback.id).order_by(m.Callback.id))).all()
            step = spread / max(len(ids) - 1, 1)
            await uow.session.execute(
                update(m.Callback),
                [{"id": cid, "due_at": first_due + timedelta(seconds=n * step)} for n, cid in enumerate(ids)],
            )
            await uow.commit()
    finally:
        await app.close()


class PacedPhones:
    """The owners' side of the console channel: takes what the Deliverer sends, paced by a
    RateLimiter at the channel's overall rate (no per-chat limit: the demo's 20 owners
    stand for thousands); remembers when each message arrived."""

    channel = "console"

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter
        self.arrived: list[float] = []

    async def send(self, reply, edit_message_id=None) -> str:  # type: ignore[no-untyped-def]
        async with self.limiter.turn(reply.chat_id):
            self.arrived.append(time.time())
            return str(len(self.arrived))


async def run(url: str, count: int, spread: float, lead: float, timeout: float, rate: float) -> None:
    print(f"database: {url.split('@')[-1]}")
    t = time.perf_counter()
    case_ids = await prepare(url, count)
    print(f"setup: {count} closed cases and the demo community in {time.perf_counter() - t:.1f} s (not measured below)")

    took = await schedule(url, case_ids)
    print(f"schedule {count} callbacks: {took:.2f} s ({took / count * 1e6:.0f} µs each, transactions of {BATCH})")

    # A fresh "bot start" with everything pending; the surveys fall due `lead` s after it.
    await retime(url, datetime.now(timezone.utc) + timedelta(seconds=lead), spread)
    rss_before = rss_mb()
    t = time.perf_counter()
    app = await build_app(settings(url), SystemClock(), run_migrations=False)
    app.extras["channel_rate"] = rate  # as `wuye run` sets it from the channel's limits
    phones = PacedPhones(RateLimiter(Limits(overall=Rate(int(rate), 1.0), private_chat=Rate(10_000, 1.0),
                                            private_burst=0)))
    deliverer = Deliverer(SqlOutbox(app.sessions, app.clock), phones, now=app.clock.now)
    app.desk.on_outbox = deliverer.notify
    stop_delivery = asyncio.Event()
    delivering = asyncio.create_task(deliverer.run_forever(stop_delivery))
    scheduler = start_scheduler(app)
    planned = await next_due(app)
    startup = time.perf_counter() - t
    rss_after = rss_mb()
    print(f"start-up with {count} pending: {startup * 1000:.0f} ms (build app, start scheduler, plan next due); "
          f"{len(scheduler.get_jobs())} APScheduler jobs (the periodic tick, the weekly report; pending callbacks are rows, not jobs); next due in {(planned - app.now()).total_seconds():.1f} s"
          if planned else "start-up: nothing planned?!")
    print(f"memory: {rss_before:.0f} MB before start-up, {rss_after:.0f} MB after (+{rss_after - rss_before:.1f} MB), "
          f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    try:
        deadline = time.monotonic() + lead + spread + timeout
        while time.monotonic() < deadline:
            async with app.engine.connect() as conn:
                left = await conn.scalar(select(func.count()).where(m.Callback.state == "scheduled"))
                queued = await conn.scalar(select(func.count()).select_from(m.OutboxMessage)
                                           .where(m.OutboxMessage.state == "pending"))
            if not left and not queued:
                break
            await asyncio.sleep(0.5)
    finally:
        await stop_scheduler(app, scheduler)
        stop_delivery.set()
        await delivering
    async with app.engine.connect() as conn:
        rows = (await conn.execute(select(m.Callback.due_at, m.Callback.sent_at))).all()
        outbox = await conn.scalar(select(func.count()).select_from(m.OutboxMessage))
    await app.close()

    late = sorted((sent - due).total_seconds() for due, sent in rows if sent is not None)
    unsent = len(rows) - len(late)
    if not late:
        print("lateness: nothing was sent")
        return
    pct = lambda p: late[min(len(late) - 1, int(p / 100 * len(late)))]  # noqa: E731
    print(f"lateness (real clock, sent_at - due_at over {len(late)} surveys due across {spread:.0f} s): "
          f"min {late[0]:.2f} s, median {statistics.median(late):.2f} s, p95 {pct(95):.2f} s, "
          f"p99 {pct(99):.2f} s, max {late[-1]:.2f} s; early: {sum(1 for x in late if x < 0)}; unsent: {unsent}")
    print(f"throughput: {len(late) / max(late[-1] + spread, 1e-9):.0f} surveys/s; outbox rows: {outbox}")
    # Delivered: the k-th survey to fall due against the k-th message the channel took
    # (surveys are claimed and delivered oldest first, so this pairs each with its own).
    dues = sorted(due.timestamp() for due, _ in rows)
    delivered = sorted(phones.arrived)[:len(dues)]
    dlate = sorted(a - d for a, d in zip(delivered, dues))
    if dlate:
        bound = count / rate + 2
        p99 = dlate[min(len(dlate) - 1, int(0.99 * len(dlate)))]
        print(f"delivered at {rate:.0f} msg/s: {len(delivered)} of {count}; lateness (arrival - due) median "
              f"{statistics.median(dlate):.2f} s, p99 {p99:.2f} s, max {dlate[-1]:.2f} s; goal count/limit + 2 s = "
              f"{bound:.1f} s: {'met' if p99 <= bound else 'NOT met'}; outbox backlog kept to ~1 s by the paced claims")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which the surveys fall due")
    parser.add_argument("--lead", type=float, default=5.0, help="seconds from start-up to the first due survey")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--database-url", default=None, help="an EMPTY database (default: a temporary SQLite file)")
    parser.add_argument("--rate", type=float, default=30.0, help="the channel's overall limit, msg/s (Telegram: 30)")
    args = parser.parse_args()
    if args.database_url:
        asyncio.run(run(args.database_url, args.count, args.spread, args.lead, args.timeout, args.rate))
        return
    with tempfile.TemporaryDirectory(prefix="wuye-bench-") as tmp:
        asyncio.run(run(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", args.count, args.spread, args.lead, args.timeout,
                        args.rate))


if __name__ == "__main__":
    main()
