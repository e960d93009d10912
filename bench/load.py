"""Load bench: a burst of inbound updates into a real `wuye run` process.

    python bench/load.py [--owners 2000] [--per-owner 5] [--db sqlite|postgresql|both]
                         [--rate 0] [--quick] [--framework ptb|aiogram]

A real `wuye run` (a child process, long polling) talks to the Bot API stand-in of
the tests (tests/telegram/botapi_standin.py) served from this process on 127.0.0.1,
with Telegram's real flood limits enforced.  `--owners` private chats each send
`--per-owner` messages (a greeting, /help, a question, /mycases …), all offered at
once (`--rate 0`, what Telegram replays after downtime or when everyone answers a
notice at once) or at `--rate` updates per second.  The stand-in hands them to the
bot as fast as the bot polls.

Prints, per database:
  * updates handled (a handled-update record in the database) and how fast,
  * lost: offered updates never handled; unanswered: handled without a stored reply;
  * apologies ("系统开小差了") among the replies, and ERROR lines in the bot's log,
  * latency from the update offered to its reply stored (p50/p90/p99/max) — with a
    burst this is mostly the wait in line; with `--rate` it is the step under load,
  * the bot process's resident memory (peak and at the end),
  * replies delivered to the stand-in by then (delivery runs at Telegram's real
    30 msg/s, so most of a 10,000-reply burst is still on its way: that is delivery's
    bench, not this one).

`--quick` is 200 owners × 5.  PostgreSQL: a scratch database on 127.0.0.1:5432
(or WUYE_TEST_PG_URL), dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import asyncpg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from storage import models as m  # noqa: E402
from storage.db import create_engine, migrate  # noqa: E402
from tests.conftest import PG_URL, _pg_admin  # noqa: E402  (the suite's scratch-database helpers)
from tests.telegram.botapi_standin import BotApiStandIn  # noqa: E402

APOLOGY = "系统开小差了"
# What owners send, in turn: each gets one answer from an unbound chat's point of view.
SAYINGS = ["你好", "/help", "请问物业费怎么交？", "/mycases", "谢谢"]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of every core since boot (/proc/stat; idle and iowait are not busy)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


class CpuMeter:
    """Who used the machine's CPU between `start` and `stop`: each bot process, the PostgreSQL
    backends serving `database`, this bench process (the driver and any stand-in it serves),
    and the whole machine (so the rest is everyone else) — capacity told apart from
    contention on a shared machine.  Call `sample` every second or so: the pool closes its
    overflow connections as load falls, and a backend's CPU is read while it lives."""

    def __init__(self, bots: dict[str, int], pg_url: str, database: str) -> None:
        self.bots, self.pg_url, self.database = bots, pg_url, database
        self._conn: asyncpg.Connection | None = None

    async def sample(self) -> None:
        assert self._conn is not None
        pids = [r[0] for r in await self._conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", self.database)]
        for pid in pids:
            self._pg_last[pid] = max(self._pg_last.get(pid, 0.0), cpu_seconds(pid))

    async def start(self) -> None:
        u = make_url(self.pg_url)
        self._conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, database=u.database)
        self._bots = {name: cpu_seconds(pid) for name, pid in self.bots.items()}
        self._pg_last: dict[int, float] = {}
        await self.sample()
        self._pg = dict(self._pg_last)
        self._self = time.process_time()
        self._machine = machine_ticks()
        self._wall, self._load = time.time(), os.getloadavg()

    async def stop(self) -> None:
        self.wall = time.time() - self._wall
        self.bot_cpu = {name: cpu_seconds(pid) - self._bots[name] for name, pid in self.bots.items()}
        await self.sample()
        assert self._conn is not None
        await self._conn.close()
        # Backends opened during the run count from nothing; one closed meanwhile counts
        # what it had used when last sampled.
        self.pg_cpu = sum(cpu - self._pg.get(pid, 0.0) for pid, cpu in self._pg_last.items())
        self.pg_backends = len(self._pg_last)
        self.self_cpu = time.process_time() - self._self
        busy, total = machine_ticks()
        self.machine_cores = (busy - self._machine[0]) / max(1, total - self._machine[1]) * (os.cpu_count() or 1)
        self.load = (self._load[0], os.getloadavg()[0])

    def report(self, handled: int) -> list[str]:
        """Lines for the bench's output; `handled` messages were handled meanwhile."""
        per = 1000 / max(1, handled)
        ours = sum(self.bot_cpu.values()) + self.pg_cpu + self.self_cpu
        cores = os.cpu_count() or 1
        lines = [f"machine: {cores} cores, load average {self.load[0]:.1f} at the start, {self.load[1]:.1f} at "
                 f"the end; busy {self.machine_cores:.2f} cores on average over {self.wall:.0f} s"]
        for name, cpu in self.bot_cpu.items():
            lines.append(f"  {name:<26} CPU {cpu:6.1f} s = {cpu / self.wall:.2f} cores")
        lines.append(f"  {'PostgreSQL (its backends)':<26} CPU {self.pg_cpu:6.1f} s = {self.pg_cpu / self.wall:.2f} cores"
                     f"  ({self.pg_backends} backends)")
        lines.append(f"  {'bench (driver, stand-in)':<26} CPU {self.self_cpu:6.1f} s = {self.self_cpu / self.wall:.2f} cores")
        others = max(0.0, self.machine_cores * self.wall - ours)
        lines.append(f"  {'everything else':<26} CPU {others:6.1f} s = {others / self.wall:.2f} cores")
        lines.append(f"per handled message: bots {sum(self.bot_cpu.values()) * per:.1f} ms CPU, PostgreSQL "
                     f"{self.pg_cpu * per:.1f} ms, bench {self.self_cpu * per:.1f} ms")
        return lines


async def stop_bots(bots: list[asyncio.subprocess.Process]) -> None:
    """SIGTERM to every bot still running (they stop together), then a minute each before a kill."""
    for bot in bots:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
    for bot in bots:
        try:
            await asyncio.wait_for(bot.wait(), 60)
        except TimeoutError:
            bot.kill()
            await bot.wait()


async def fresh_database(kind: str, tmp: Path, name: str = "load") -> tuple[str, str | None]:
    """A migrated empty database URL, and the PostgreSQL scratch name to drop."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / f'{name}.sqlite3'}"
        scratch = None
    else:
        scratch = f"wuye_{name}_{uuid.uuid4().hex[:8]}"
        await _pg_admin(f'CREATE DATABASE "{scratch}"')
        url = make_url(PG_URL).set(database=scratch).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
    return url, scratch


async def run_once(kind: str, owners: int, per_owner: int, rate: float, framework: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="wuye-load-"))
    url, scratch = await fresh_database(kind, tmp)
    total = owners * per_owner
    print(f"\n== {kind}: {owners} owners × {per_owner} = {total} updates, "
          f"{'a burst' if rate <= 0 else f'{rate:.0f}/s'}, {framework}")
    async with BotApiStandIn() as api:  # Telegram's real limits, enforced
        users = api.users(owners)
        env = {**os.environ, "DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": api.token,
               "TELEGRAM_API_BASE_URL": api.root, "BOT_FRAMEWORK": framework,
               "COMMUNITY_FILE": str(REPO / "examples" / "community.yaml"), "LOG_LEVEL": "WARNING",
               "MEDIA_DIR": str(tmp / "media")}
        log_path = tmp / "bot.log"
        with open(log_path, "wb") as log_file:
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env, cwd=tmp, stdout=log_file, stderr=log_file)
        engine = create_engine(url)
        offered: dict[str, list[float]] = {}
        peak_rss = 0
        try:
            await api.until(lambda: api.calls_to("getUpdates"), timeout=60, what="the bot to start polling")
            start = time.time()
            gap = 1 / rate if rate > 0 else 0.0
            for turn in range(per_owner):
                for user in users:
                    api.say(user, SAYINGS[turn % len(SAYINGS)])
                    offered.setdefault(str(user.id), []).append(time.time())
                    if gap:
                        await asyncio.sleep(gap)
            offered_in = time.time() - start
            handled, last_change, last = 0, time.time(), -1
            while handled < total and time.time() - last_change < 60:
                await asyncio.sleep(0.5)
                peak_rss = max(peak_rss, rss_kib(bot.pid))
                async with engine.connect() as conn:
                    handled = int(await conn.scalar(
                        select(func.count()).select_from(m.ProcessedUpdate)
                        .where(m.ProcessedUpdate.channel == "telegram")) or 0)
                if handled != last:
                    last, last_change = handled, time.time()
            elapsed = time.time() - start
            end_rss = rss_kib(bot.pid)
            delivered = sum(len(api.texts(u.id)) for u in users)
        finally:
            await stop_bots([bot])

        async with engine.connect() as conn:
            rows = (await conn.execute(
                select(m.OutboxMessage.chat_id, m.OutboxMessage.created_at, m.OutboxMessage.body)
                .order_by(m.OutboxMessage.id))).all()
        await engine.dispose()

    replies: dict[str, list[datetime]] = {}
    apologies = 0
    for chat, created, body in rows:
        replies.setdefault(chat, []).append(created)
        apologies += APOLOGY in (body.get("text") or "")
    latencies, unanswered, extra = [], 0, 0
    for chat, times in offered.items():
        stored = replies.get(chat, [])
        unanswered += max(0, len(times) - len(stored))
        extra += max(0, len(stored) - len(times))
        # Each update of a chat is answered in order, one reply each.
        for sent, answered in zip(times, stored):
            latencies.append(answered.timestamp() - sent)
    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    errors = sum(1 for line in log_text.splitlines() if " ERROR " in line or line.startswith("ERROR"))
    tracebacks = log_text.count("Traceback")

    print(f"offered {total} in {offered_in:.1f} s; handled {handled} in {elapsed:.1f} s "
          f"({handled / max(elapsed, 1e-9):.0f} updates/s)")
    print(f"lost (never handled): {total - handled}   unanswered: {unanswered}   "
          f"extra replies: {extra}   apologies: {apologies}")
    print(f"bot log: {errors} ERROR lines, {tracebacks} tracebacks")
    print(f"update offered → reply stored: p50 {pct(latencies, .5) * 1000:.0f} ms   "
          f"p90 {pct(latencies, .9) * 1000:.0f} ms   p99 {pct(latencies, .99) * 1000:.0f} ms   "
          f"max {max(latencies, default=float('nan')) * 1000:.0f} ms")
    print(f"bot RSS: peak {peak_rss / 1024:.0f} MiB, at the end {end_rss / 1024:.0f} MiB")
    print(f"replies delivered to the stand-in by then: {delivered} of {len(rows)} (real 30 msg/s limit)")
    if scratch:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--owners", type=int, default=2000)
    parser.add_argument("--per-owner", type=int, default=5)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rate", type=float, default=0.0, help="updates offered per second (0: all at once)")
    parser.add_argument("--framework", choices=["ptb", "aiogram"], default="ptb")
    parser.add_argument("--quick", action="store_true", help="200 owners × 5")
    args = parser.parse_args()
    owners = 200 if args.quick else args.owners
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for kind in kinds:
        asyncio.run(run_once(kind, owners, args.per_owner, args.rate, args.framework))


if __name__ == "__main__":
    main()
