"""A property company at scale: 50 communities, 50,000 owners, 1,000 staff, a year of history.

    python bench/company.py load    [--homes 10000] [--db sqlite|postgresql|both]
    python bench/company.py seed    [--communities 50] [--owners 50000] [--staff 1000] [--cases 700000] [--fresh]
    python bench/company.py measure [--runs 5]
    python bench/company.py rate    [--rate 50] [--seconds 60] [--processes 2] [--owners 2000]

`load` times `wuye load` of one community file of `--homes` rooms with one owner each
(first load, a reload that changes nothing, a reload with 1% of the owners renamed), on a
scratch database per kind.

`seed` builds the company in the PostgreSQL database `wuye_company_bench` (kept between
runs; `--fresh` drops and rebuilds it): the communities are loaded from generated
community files with `wuye load`'s loader, then a year of cases with their timelines,
callbacks and surveys is written with PostgreSQL COPY (`storage.history` is not used by
the product: the generator lives here, `History`).  Every other command reuses it.

`measure` times, at that size: the console's board and the chat `/board` per community,
the statistics report for a month and for a year, the month's archive export, the
company comparison report when it exists, `/mycases`, a staff accept, the scheduler's
tick across all communities; and prints the EXPLAIN (ANALYZE) plans of the hot queries.

`rate` runs `--processes` real `wuye run` processes on that database against the Bot API
stand-in; bound owners of every community send at `--rate` messages per second for
`--seconds`; prints p50/p99 of one step (update offered → reply stored), lost,
duplicated, apologies, RSS per process.

PostgreSQL on 127.0.0.1:5432 (or WUYE_TEST_PG_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import event, func, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.history import CompanyHistory, bulk_identities  # noqa: E402
from bench.load import APOLOGY, CpuMeter, fresh_database, pct, rss_kib, stop_bots  # noqa: E402
from bench.measure import rss_mb  # noqa: E402
from bot.bootstrap import build_app, load_community_file  # noqa: E402
from bot.scheduler import tick  # noqa: E402
from services import casework  # noqa: E402
from services.actors import Actor  # noqa: E402
from services.reports import rollup as rollups  # noqa: E402
from services.reports import statistics as reporting  # noqa: E402
from services.reports.company import build_company_report  # noqa: E402
from storage.console import ConsoleStore  # noqa: E402
from web.auth import digest, new_token  # noqa: E402
from web.routes import build_console  # noqa: E402
from cases.clock import FakeClock, SystemClock  # noqa: E402
from handlers.kit.messages import Inbound  # noqa: E402
from storage import models as m  # noqa: E402
from storage.db import create_engine, migrate  # noqa: E402
from tests.conftest import EXAMPLE_COMMUNITY, PG_URL, _pg_admin, make_settings  # noqa: E402
from tests.telegram.botapi_standin import BotApiStandIn, Chat, TgUser  # noqa: E402

# The bench agent's console session (web.auth no longer has one fixed lifetime).
BENCH_SESSION = timedelta(hours=12)
BENCH_DB = os.environ.get("WUYE_COMPANY_DB", "wuye_company_bench")  # another name for a small trial
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
# Staff of one community, by team and role (20 people; 50 communities make 1,000).
STAFF_PLAN = [("customer_service", "butler", 3), ("customer_service", "cs_agent", 2),
              ("customer_service", "cs_supervisor", 1), ("engineering", "engineer", 6),
              ("engineering", "engineering_manager", 1), ("security", "security", 3),
              ("environment", "cleaner", 2), ("management", "quality_inspector", 1), ("management", "manager", 1)]
TEAM_NAMES = {"engineering": "工程部", "security": "秩序部", "environment": "环境部",
              "customer_service": "客服中心", "management": "管理处"}
# Telegram ids the generated people use (the Bot API stand-in hands out 100,001 upwards).
OWNER_TG_BASE = 100_001
STAFF_TG_BASE = 9_000_000
GROUP_TG_BASE = -1_009_000_000_000


def person_name(i: int) -> str:
    g = len(GIVEN)
    return SURNAMES[i % 20] + GIVEN[(i // 20) % g] + GIVEN[(i // (20 * g)) % g]


def owner_phone(n: int) -> str:
    return f"139{n:08d}"


def community_spec(index: int, homes: int, owners: int, staff: int, *, first_owner: int = 0,
                   first_staff: int = 0, renamed_share: float = 0.0) -> dict[str, Any]:
    """Community `index` of the company as a community file (the demo's policy, services and
    FAQ; generated buildings, staff, owners, group chats).  Owner n (company-wide) has phone
    owner_phone(n) and Telegram id OWNER_TG_BASE + n; `renamed_share` of them get another name."""
    base = yaml.safe_load(EXAMPLE_COMMUNITY.read_text(encoding="utf-8"))
    per_floor, units, floors = 4, 2, 25
    buildings = max(1, -(-homes // (per_floor * units * floors)))
    rooms = [f"{b}-{u}-{f}{r:02d}" for b in range(1, buildings + 1) for u in range(1, units + 1)
             for f in range(1, floors + 1) for r in range(1, per_floor + 1)][:homes]
    every = max(1, round(1 / renamed_share)) if renamed_share else 0
    owner_rows = []
    for k in range(owners):
        n = first_owner + k
        name = person_name(n) + ("伟" if every and k % every == 0 else "")
        owner_rows.append({"name": name, "phone": owner_phone(n), "rooms": [rooms[k % len(rooms)]]})
    staff_rows, s = [], first_staff
    per_community = sum(c for _, _, c in STAFF_PLAN)
    for rep in range(max(1, staff // per_community)):
        for team, role, count in STAFF_PLAN:
            for _ in range(count):
                staff_rows.append({"code": f"s{s}", "name": person_name(500_000 + s), "role": role, "team": team,
                                   "phone": f"137{s:08d}", "chats": {"telegram": str(STAFF_TG_BASE + s)}})
                s += 1
    teams = [{"code": code, "name": TEAM_NAMES[code],
              "chats": {"telegram": str(GROUP_TG_BASE - index * 10 - i), "console": f"{TEAM_NAMES[code]}群"}}
             for i, code in enumerate(TEAM_NAMES)]
    return {"community": {"code": f"c{index:02d}", "name": f"第{index}小区", "hotline": base["community"]["hotline"]},
            "policy": base["policy"],
            "buildings": [{"code": str(b), "name": f"{b}号楼", "units": [str(u) for u in range(1, units + 1)],
                           "floors": [1, floors], "rooms_per_floor": per_floor} for b in range(1, buildings + 1)],
            "teams": teams, "staff": staff_rows, "owners": owner_rows,
            "services": base["services"], "faq": base["faq"]}


def write_spec(path: Path, spec: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- load
async def bench_load(kind: str, homes: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="wuye-company-load-"))
    url, scratch = await fresh_database(kind, tmp, "company")
    try:
        app = await build_app(make_settings(url, MEDIA_DIR=str(tmp / "media")), FakeClock(), run_migrations=False)
        try:
            first = write_spec(tmp / "first.yaml", community_spec(1, homes, homes, 20))
            renamed = write_spec(tmp / "renamed.yaml", community_spec(1, homes, homes, 20, renamed_share=0.01))
            print(f"\n== {kind}: one community file, {homes:,} rooms, {homes:,} owners, 20 staff")
            for label, path in (("first load", first), ("reload, nothing changed", first),
                                ("reload, 1% of owners renamed", renamed)):
                started = time.perf_counter()
                summary = await load_community_file(app, str(path))
                took = time.perf_counter() - started
                print(f"   {label:<30} {took:7.2f} s   ({summary})", flush=True)
            async with app.uow() as uow:
                counts = {name: await uow.session.scalar(select(func.count()).select_from(model))
                          for name, model in (("rooms", m.Room), ("owners", m.Owner), ("owner_rooms", m.OwnerRoom),
                                              ("staff", m.Staff), ("identities", m.Identity))}
            print("   rows after: " + ", ".join(f"{k} {v:,}" for k, v in counts.items())
                  + f"; bench process RSS {rss_mb():.0f} MB")
        finally:
            await app.close()
    finally:
        if scratch:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- seed
def bench_url() -> str:
    return make_url(PG_URL).set(database=BENCH_DB).render_as_string(hide_password=False)


async def database_exists(name: str) -> bool:
    u = make_url(PG_URL)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, database=u.database, timeout=3)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


async def seed(communities: int, owners: int, staff: int, cases: int, fresh: bool) -> None:
    if fresh:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    if not await database_exists(BENCH_DB):
        await _pg_admin(f'CREATE DATABASE "{BENCH_DB}"')
    url = bench_url()
    engine = create_engine(url)
    await migrate(engine)
    now = datetime.now(timezone.utc)
    tmp = Path(tempfile.mkdtemp(prefix="wuye-company-seed-"))
    app = await build_app(make_settings(url, MEDIA_DIR=str(tmp / "media")), FakeClock(now), run_migrations=False)
    try:
        async with engine.connect() as conn:
            have = await conn.scalar(select(func.count()).select_from(m.Community))
        per_owners, per_staff = owners // communities, staff // communities
        if have < communities:
            started = time.perf_counter()
            for i in range(1, communities + 1):
                spec = community_spec(i, homes=per_owners * 6 // 5, owners=per_owners, staff=per_staff,
                                      first_owner=(i - 1) * per_owners, first_staff=(i - 1) * per_staff)
                await load_community_file(app, str(write_spec(tmp / f"c{i:02d}.yaml", spec)))
            print(f"loaded {communities} community files (wuye load) in {time.perf_counter() - started:.1f} s", flush=True)
            # Owners bound on Telegram, as owner n's chat OWNER_TG_BASE + n (phone owner_phone(n)).
            started = time.perf_counter()
            async with engine.connect() as conn:
                people = (await conn.execute(select(m.Owner.id, m.Owner.phone, m.Owner.community_id))).all()
            await bulk_identities(engine, [
                {"channel": "telegram", "user_id": str(OWNER_TG_BASE + int(phone[3:])),
                 "chat_id": str(OWNER_TG_BASE + int(phone[3:])), "owner_id": oid, "staff_id": None,
                 "community_id": cid, "locale": "zh-CN", "verified_at": now} for oid, phone, cid in people])
            print(f"bound {len(people):,} owners' Telegram chats in {time.perf_counter() - started:.1f} s", flush=True)
        async with engine.connect() as conn:
            have_cases = int(await conn.scalar(select(func.count()).select_from(m.Case)) or 0)
        if have_cases < cases:
            started = time.perf_counter()
            counts = await CompanyHistory(engine, cases - have_cases, end=now).run()
            print(f"history: {counts['cases']:,} cases ({counts['open']:,} open), {counts['timeline']:,} timeline "
                  f"entries, {counts['callbacks']:,} callbacks in {time.perf_counter() - started:.1f} s", flush=True)
            started = time.perf_counter()
            async with engine.connect() as conn:
                await conn.execute(text("COMMIT"))
                await conn.execute(text("VACUUM ANALYZE"))
            print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s", flush=True)
        async with engine.connect() as conn:
            sizes = {t.__tablename__: await conn.scalar(select(func.count()).select_from(t))
                     for t in (m.Community, m.Room, m.Owner, m.Staff, m.Identity, m.Case, m.TimelineEntry, m.Callback)}
            open_cases = await conn.scalar(select(func.count()).select_from(m.Case).where(
                m.Case.status.not_in(["closed", "surveyed", "cancelled"])))
            db_size = await conn.scalar(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
        print(f"{BENCH_DB}: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()) + f"; open cases {open_cases:,}; {db_size}")
    finally:
        await app.close()
        await engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- rate
# What bound owners say, in turn; each gets exactly one reply (greeting, FAQ, their cases…).
RATE_SAYINGS = ["你好", "请问物业费怎么交？", "/mycases", "谢谢", "/help"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def sample_owners(engine: Any, count: int) -> list[tuple[int, int]]:
    """(Telegram id, community id) of `count` bound owners, the same number from every community."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(m.Identity.user_id, m.Owner.community_id)
                                   .join(m.Owner, m.Owner.id == m.Identity.owner_id)
                                   .where(m.Identity.channel == "telegram").order_by(m.Identity.id))).all()
    by_community: dict[int, list[int]] = {}
    for user_id, cid in rows:
        by_community.setdefault(cid, []).append(int(user_id))
    per = max(1, count // max(1, len(by_community)))
    rnd = random.Random(19)
    picked = [(uid, cid) for cid, users in sorted(by_community.items()) for uid in rnd.sample(users, min(per, len(users)))]
    rnd.shuffle(picked)
    return picked[:count]


async def catch_up(url: str, tmp: Path) -> None:
    """Bring the company to a steady state before the rate is measured: the scheduler's due
    work that piled up since the seed (or the last run) is done here, and the messages it
    and earlier runs queued are set aside, so the bots spend the run on owners' messages
    and the work that falls due during it — not on hours of backlog."""
    app = await build_app(make_settings(url, MEDIA_DIR=str(tmp / "media")), SystemClock(), run_migrations=False)
    try:
        started, rounds, done = time.perf_counter(), 0, Counter()
        while rounds < 100:
            report = await tick(app)
            rounds += 1
            done.update(surveys=report.surveys, reminders=report.reminders, phone=report.phone_requests,
                        confirmed=report.auto_confirmed, escalation_messages=report.escalation_replies)
            if not report.did_work and not report.escalation_replies:
                break
        # The company report's rollups too: a first refresh backfills the year (a minute of
        # work the bots' own rollup job would otherwise do inside the measured window);
        # what the bots then pay every 5 minutes is the steady refresh of the days changed.
        rolled_at = time.perf_counter()
        async with app.uow() as uow:
            rolled = await rollups.refresh(uow, app.now())
            await uow.commit()
        rolled_in = time.perf_counter() - rolled_at
        async with app.uow() as uow:
            queued = (await uow.session.execute(
                update(m.OutboxMessage).where(m.OutboxMessage.state == "pending")
                .values(state="failed", failure="set aside by bench/company.py rate"))).rowcount
            await uow.commit()
    finally:
        await app.close()
    print(f"caught up the scheduler in {rounds} ticks, {time.perf_counter() - started:.1f} s ("
          + ", ".join(f"{k} {v}" for k, v in done.items() if v) + f"); rolled up {rolled.days} community-days in {rolled_in:.1f} s; set aside {queued} queued messages",
          flush=True)


async def bench_rate(rate: float, seconds: float, processes: int, owners: int, redis_url: str | None) -> None:
    url = bench_url()
    engine = create_engine(url)
    tmp = Path(tempfile.mkdtemp(prefix="wuye-company-rate-"))
    await catch_up(url, tmp)
    people = await sample_owners(engine, owners)
    async with engine.connect() as conn:
        groups = [int(c) for c in await conn.scalars(select(m.TeamChat.chat_id).where(m.TeamChat.channel == "telegram"))]
        first_outbox = int(await conn.scalar(select(func.coalesce(func.max(m.OutboxMessage.id), 0))) or 0)
    total = int(rate * seconds)
    print(f"\n== rate: {processes} wuye run processes (webhooks behind a round-robin balancer) on {BENCH_DB}; "
          f"{len(people):,} bound owners of {len({c for _, c in people})} communities send {total:,} messages "
          f"at {rate:.0f}/s for {seconds:.0f} s; load {os.getloadavg()[0]:.1f}", flush=True)
    secret = "bench" + uuid.uuid4().hex
    async with BotApiStandIn() as api:  # Telegram's real limits on the sending side
        users = []
        for uid, _ in people:
            user = TgUser(uid, f"业主{uid}", None, None, "zh-hans")
            api.chats[uid] = Chat(uid, "private", user=user)
            users.append(user)
        for chat_id in groups:
            api.chats[chat_id] = Chat(chat_id, "supergroup", title=f"群{chat_id}")
        ports = [free_port() for _ in range(processes)]
        hooks = [f"http://127.0.0.1:{port}/tg{k}" for k, port in enumerate(ports)]
        bots, logs = [], []
        for k, port in enumerate(ports):
            env = {**os.environ, "DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": api.token,
                   "TELEGRAM_API_BASE_URL": api.root, "WEBHOOK_URL": hooks[k], "WEBHOOK_LISTEN": "127.0.0.1",
                   "WEBHOOK_PORT": str(port), "WEBHOOK_SECRET": secret, "LOG_LEVEL": "WARNING",
                   "COMMUNITY_FILE": str(EXAMPLE_COMMUNITY), "MEDIA_DIR": str(tmp / f"media{k}")}
            if redis_url:
                env["REDIS_URL"] = redis_url  # the two processes share Telegram's overall pace
            log_path = tmp / f"bot{k}.log"
            logs.append(log_path)
            with open(log_path, "wb") as log_file:
                bots.append(await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot", "run", env=env, cwd=tmp, stdout=log_file, stderr=log_file))
        peak = [0] * processes
        # Each chat's messages in order: (moment offered, Telegram update id).
        offered: dict[str, list[tuple[float, int]]] = {}
        try:
            await api.until(lambda: len(api.calls_to("setWebhook")) >= processes, timeout=180,
                            what="both processes to serve their webhooks")
            started_at = time.time() - 0.01
            await asyncio.sleep(2)
            # The balancer posts the updates itself, several at once (Telegram's webhook keeps up
            # to 40 connections); the stand-in's own one-at-a-time pusher stands down.
            api.webhook_url = None
            posted: list[asyncio.Task[int]] = []

            # Like Telegram, the balancer keeps at most 40 posts open per bot and queues the
            # rest; an update's wait in that queue is not a failed post.
            post_timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=60)

            async def post(http: aiohttp.ClientSession, hook: str, update: dict[str, Any]) -> int:
                """Post until the bot answers 200, as Telegram does (for hours); how many posts failed
                first — one the bot did not answer within a minute is posted again."""
                failed, given_up = 0, time.time() + 900
                while time.time() < given_up:
                    try:
                        async with http.post(hook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret},
                                             timeout=post_timeout) as response:
                            if response.status == 200:
                                return failed
                    except (aiohttp.ClientError, asyncio.TimeoutError):
                        pass
                    failed += 1
                    await asyncio.sleep(min(0.2 * failed, 5.0))
                return failed

            async def sample() -> None:
                while True:
                    for k, bot in enumerate(bots):
                        peak[k] = max(peak[k], rss_kib(bot.pid))
                    await meter.sample()
                    await asyncio.sleep(0.5)

            meter = CpuMeter({f"bot #{k} (pid {bot.pid})": bot.pid for k, bot in enumerate(bots)}, PG_URL, BENCH_DB)
            await meter.start()
            sampler = asyncio.create_task(sample())
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, limit_per_host=40)) as http:
                start = time.time()
                since = datetime.fromtimestamp(start, timezone.utc)
                for i in range(total):
                    due = start + i / rate
                    if due > time.time():
                        await asyncio.sleep(due - time.time())
                    user = users[i % len(users)]
                    update = api.say(user, RATE_SAYINGS[(i // len(users)) % len(RATE_SAYINGS)])
                    api._pending_updates.remove(update)  # handed to the balancer instead
                    offered.setdefault(str(user.id), []).append((time.time(), update["update_id"]))
                    posted.append(asyncio.create_task(post(http, hooks[i % processes], update)))
                offered_in = time.time() - start
                statuses = await asyncio.gather(*posted)
            handled, last_change, last = 0, time.time(), -1
            while handled < total and time.time() - last_change < 60:
                await asyncio.sleep(0.5)
                async with engine.connect() as conn:
                    handled = int(await conn.scalar(select(func.count()).select_from(m.ProcessedUpdate).where(
                        m.ProcessedUpdate.channel == "telegram", m.ProcessedUpdate.at >= since)) or 0)
                if handled != last:
                    last, last_change = handled, time.time()
            elapsed = time.time() - start
            sampler.cancel()
            await asyncio.gather(sampler, return_exceptions=True)
            await meter.stop()
            end_rss = [rss_kib(bot.pid) for bot in bots]
        finally:
            await stop_bots(bots)
        async with engine.connect() as conn:
            rows = (await conn.execute(
                select(m.OutboxMessage.chat_id, m.OutboxMessage.created_at, m.OutboxMessage.body)
                .where(m.OutboxMessage.id > first_outbox, m.OutboxMessage.channel == "telegram")
                .order_by(m.OutboxMessage.id))).all()
            # When each update entered the desk (its handled-update record, written first
            # thing in the step's transaction): the wait before it, and the step itself after.
            entered = {int(key.split(":", 1)[0]): at.timestamp() for key, at in await conn.execute(
                select(m.ProcessedUpdate.update_id, m.ProcessedUpdate.at).where(
                    m.ProcessedUpdate.channel == "telegram", m.ProcessedUpdate.at >= since))}
    await engine.dispose()

    replies: dict[str, list[datetime]] = {}
    apologies = 0
    texts: Counter[tuple[str, str]] = Counter()
    for chat, created, body in rows:
        if chat in offered:
            replies.setdefault(chat, []).append(created)
            apologies += APOLOGY in (body.get("text") or "")
            texts[(chat, body.get("text") or "")] += 1
    # Each owner's sayings get different answers: the same text twice to one chat is a step done twice.
    duplicates = sum(n - 1 for n in texts.values())
    # A step's reply is the first stored after its update and before the chat's next one
    # (owners wait tens of seconds between messages); more in one window are extra
    # (a survey or reminder the scheduler sent them, or a duplicate).
    latencies, waits, steps, steady, unanswered, extra = [], [], [], [], 0, 0
    for chat, times in offered.items():
        stored = sorted(r.timestamp() for r in replies.get(chat, []))
        bounds = [*(sent for sent, _ in times[1:]), float("inf")]
        for (sent, update_id), next_sent in zip(times, bounds):
            window = [r for r in stored if sent <= r < next_sent]
            if window:
                latencies.append(window[0] - sent)
                if sent - start >= offered_in / 10:  # past the first tenth of the run (warm-up)
                    steady.append(window[0] - sent)
                if update_id in entered:
                    waits.append(entered[update_id] - sent)
                    steps.append(window[0] - entered[update_id])
                extra += len(window) - 1
            else:
                unanswered += 1
    errors = tracebacks = 0
    for log_path in logs:
        text_ = log_path.read_text(encoding="utf-8", errors="replace")
        errors += sum(1 for line in text_.splitlines() if " ERROR " in line or line.startswith("ERROR"))
        tracebacks += text_.count("Traceback")
    print(f"offered {total:,} in {offered_in:.1f} s ({total / offered_in:.1f}/s); webhook posts failed and made "
          f"again: {sum(statuses)}; handled {handled:,} in {elapsed:.1f} s")
    print(f"lost (never handled): {total - handled}   unanswered: {unanswered}   extra messages in a step's "
          f"window (scheduler's surveys/reminders, or duplicates): {extra}   duplicates: {duplicates}   "
          f"apologies: {apologies}   bot logs: {errors} ERROR lines, {tracebacks} tracebacks")
    print(f"one step (update offered → reply stored): p50 {pct(latencies, .5) * 1000:.0f} ms   "
          f"p90 {pct(latencies, .9) * 1000:.0f} ms   p99 {pct(latencies, .99) * 1000:.0f} ms   "
          f"max {max(latencies, default=float('nan')) * 1000:.0f} ms   (after warm-up: p99 {pct(steady, .99) * 1000:.0f} ms)")
    print(f"   of which waiting before the desk (HTTP, event loop, session slots): p50 {pct(waits, .5) * 1000:.0f} ms"
          f"   p99 {pct(waits, .99) * 1000:.0f} ms;  in the desk (the step's transaction): "
          f"p50 {pct(steps, .5) * 1000:.0f} ms   p99 {pct(steps, .99) * 1000:.0f} ms")
    print("RSS per process: " + ", ".join(f"#{k} peak {p_ / 1024:.0f} MiB, end {e / 1024:.0f} MiB"
                                          for k, (p_, e) in enumerate(zip(peak, end_rss))))
    print(f"replies delivered to the stand-in by then: {sum(len(api.texts(u.id)) for u in users):,} "
          f"(Telegram's overall limit is 30 msg/s, so a 50/s inbound load leaves a queue: delivery's bench)")
    # Kept up: everything handled within a few seconds of the last offer (the wait for the
    # last handled-update count to be read is half a second).
    kept_up = handled >= total and elapsed <= offered_in + max(3.0, offered_in / 20)
    print(f"handled {handled / max(elapsed, 1e-9):.1f}/s over the run against {rate:.0f}/s offered" + (
        ": the bots kept up" if kept_up else
        f": the bots fell behind (the last was handled {elapsed - offered_in:.0f} s after the last offer), so a"
        f" backlog grew and the latencies above are mostly the wait in line, not the step"))
    print("\n".join(meter.report(handled)))
    shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- steps
async def bench_steps(count: int, profile: bool) -> None:
    """One process's cost of a conversation step, in-process (no HTTP, no delivery): CPU and
    wall time per step of bound owners of every community saying RATE_SAYINGS in turn."""
    url = bench_url()
    engine = create_engine(url)
    people = await sample_owners(engine, max(50, count // len(RATE_SAYINGS)))
    await engine.dispose()
    tmp = Path(tempfile.mkdtemp(prefix="wuye-company-steps-"))
    app = await build_app(make_settings(url, MEDIA_DIR=str(tmp / "media")), SystemClock(), run_migrations=False)
    try:
        run = uuid.uuid4().hex[:8]
        inbounds = [Inbound("telegram", str(uid), str(uid), text=RATE_SAYINGS[(i // len(people)) % len(RATE_SAYINGS)],
                            update_id=f"steps-{run}-{i}") for i, (uid, _) in enumerate(people * len(RATE_SAYINGS))][:count]
        for inbound in inbounds[:20]:  # warm: classifier, caches, pool
            await app.desk.handle(replace(inbound, update_id=inbound.update_id + "w"))
        statements = Statements(app.engine)
        statements.on = True
        profiler = cProfile.Profile() if profile else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        per_step, per_saying = [], Counter()
        for inbound in inbounds:
            began, seen = time.perf_counter(), len(statements.seen)
            await app.desk.handle(inbound)
            per_step.append(time.perf_counter() - began)
            per_saying[inbound.text] += len(statements.seen) - seen
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"{count} steps one at a time: CPU {cpu / count * 1000:.1f} ms/step, wall p50 "
              f"{pct(per_step, .5) * 1000:.1f} ms, p99 {pct(per_step, .99) * 1000:.1f} ms "
              f"(so one process tops out near {count / cpu:.0f} steps/s of CPU); load {os.getloadavg()[0]:.1f}")
        said = Counter(inbound.text for inbound in inbounds)
        print(f"SQL statements per step (besides BEGIN and COMMIT): {len(statements.seen) / count:.1f}; "
              + ", ".join(f"{text_} {n / said[text_]:.1f}" for text_, n in per_saying.items()))
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    finally:
        await app.close()
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- measure
BIG_TABLES = {"cases", "case_timeline", "callbacks", "owners", "owner_rooms", "rooms", "identities", "outbox",
              "processed_updates", "conversations", "case_fees", "audit_log"}


class Statements:
    """The SQL an operation runs (with its parameters), to EXPLAIN afterwards."""

    def __init__(self, engine: Any) -> None:
        self.on = False
        self.seen: list[tuple[str, tuple[Any, ...]]] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if self.on and not many:
            self.seen.append((statement, tuple(parameters or ())))


async def explain(url: str, statements: list[tuple[str, tuple[Any, ...]]]) -> list[str]:
    """EXPLAIN ANALYZE of each distinct SELECT: its time, the scans it does, flagged when a
    big table is read whole."""
    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, database=u.database)
    lines: list[str] = []
    try:
        done = set()
        for sql, params in statements:
            shape = " ".join(sql.split())
            if not shape.upper().startswith(("SELECT", "WITH")) or shape in done:
                continue
            done.add(shape)
            try:
                plan = [r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, COSTS OFF) " + sql, *params)]
            except Exception as exc:  # noqa: BLE001 — a plan we cannot get is reported, not fatal
                lines.append(f"    ? {shape[:110]}  (no plan: {exc.__class__.__name__})")
                continue
            took = next((p.split(":")[1].strip() for p in plan if p.startswith("Execution Time")), "?")
            scans = []
            for node in plan:
                node = node.strip().lstrip("-> ").strip()
                if " Scan" in node and " on " in node:
                    table = node.split(" on ")[1].split()[0]
                    whole = node.startswith("Seq Scan") and table in BIG_TABLES
                    scans.append(("WHOLE TABLE " if whole else "") + node.split("  (")[0])
            target = shape.split(" FROM ", 1)[1].split()[0] if " FROM " in shape else "?"
            lines.append(f"    {took:>10}  from {target:<14} " + "; ".join(dict.fromkeys(scans)))
    finally:
        await conn.close()
    return lines


async def bench_measure(runs: int, with_explain: bool) -> None:
    url = bench_url()
    tmp = Path(tempfile.mkdtemp(prefix="wuye-company-measure-"))
    now = datetime.now(timezone.utc)
    app = await build_app(make_settings(url, MEDIA_DIR=str(tmp / "media")), SystemClock(), run_migrations=False)
    statements = Statements(app.engine)
    plans: dict[str, list[str]] = {}
    figures: list[tuple[str, float, float]] = []

    async def timed(label: str, fn: Callable[[], Awaitable[Any]], n: int = runs, target: float = 2.0) -> Any:
        times, value = [], None
        for i in range(n):
            statements.on, statements.seen = i == 0, []
            began = time.perf_counter()
            value = await fn()
            times.append(time.perf_counter() - began)
            if i == 0:
                first = list(statements.seen)
            statements.on = False
        figures.append((label, statistics.median(times), max(times)))
        flag = "" if statistics.median(times) < target else f"   OVER the {target:g} s target"
        print(f"  {label:<44} median {statistics.median(times) * 1000:8.0f} ms   worst {max(times) * 1000:8.0f} ms"
              f"   {len(first)} statements{flag}", flush=True)
        if with_explain:
            plans[label] = await explain(url, first)
        return value

    try:
        async with app.uow() as uow:
            communities = await uow.directory.communities()
            sizes = {t.__tablename__: await uow.session.scalar(select(func.count()).select_from(t))
                     for t in (m.Owner, m.Staff, m.Case, m.TimelineEntry, m.Callback)}
        community = communities[len(communities) // 2]
        print(f"\n== measure on {BENCH_DB}: {len(communities)} communities, "
              + ", ".join(f"{k} {v:,}" for k, v in sizes.items())
              + f"; community {community.code}; load {os.getloadavg()[0]:.1f}", flush=True)
        async with app.uow() as uow:
            staff = {(s.role, s.team): s for s in await uow.directory.staff_list(community.id)}
            agent = next(s for s in staff.values() if s.role == "cs_agent")
            engineer = next(s for s in staff.values() if s.role == "engineer")
            manager = next(s for s in staff.values() if s.role == "manager")
            reporter = (await uow.session.execute(
                select(m.Case.reporter_chat_id, func.count()).where(m.Case.community_id == community.id,
                                                                    m.Case.reporter_chat_id != "")
                .group_by(m.Case.reporter_chat_id).order_by(func.count().desc()).limit(1))).one()
            waiting = list(await uow.session.scalars(
                select(m.Case.id).where(m.Case.community_id == community.id, m.Case.status == "dispatched",
                                        m.Case.team_code == engineer.team).limit(runs)))
            token = new_token()
            await ConsoleStore(uow.session).open_session(digest(token), agent.id, new_token(), now, BENCH_SESSION)
            await uow.commit()

        console = build_console(app, secure_cookies=False)
        await console.start("127.0.0.1", 0)
        base = f"http://127.0.0.1:{console.port}"
        try:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                             cookies={"wuye_session": token}) as http:
                async def page(path: str) -> None:
                    async with http.get(base + path, allow_redirects=False) as response:
                        await response.read()
                        assert response.status == 200, (response.status, path)

                await page("/board")
                await timed("console board (whole, one community)", lambda: page("/board"), target=0.3)
                await timed("console board, one team", lambda: page("/board?team=engineering"), target=0.3)
                await timed("console board, search a room", lambda: page("/board?q=1-1-101"), target=0.3)
        finally:
            await console.stop()

        counter = iter(range(10**9))

        def step(user: int, text_: str) -> Callable[[], Awaitable[Any]]:
            return lambda: app.desk.handle(Inbound("telegram", str(user), str(user), text=text_,
                                                   update_id=f"measure-{uuid.uuid4().hex}-{next(counter)}"))

        staff_tg = int(next(iter(await _staff_chats(app, engineer.id))))
        await timed("chat /team (an engineer's team board)", step(staff_tg, "/team"), target=0.2)
        await timed(f"chat /mycases (owner with {reporter[1]} cases)", step(int(reporter[0]), "/mycases"), target=0.2)

        accepts = iter(waiting)

        async def accept() -> None:
            async with app.uow() as uow:  # rolled back: the database stays as seeded
                await casework.accept(uow, community, next(accepts), Actor.staff(engineer.id), app.now())
        if waiting:
            await timed("staff accept (service, rolled back)", accept, n=min(runs, len(waiting)), target=0.2)

        local = now.astimezone(ZoneInfo(community.policy.timezone)).date()
        month_start = (local.replace(day=1) - timedelta(days=1)).replace(day=1)
        month = (month_start, local.replace(day=1))
        year = (local - timedelta(days=365), local + timedelta(days=1))
        for label, (start, end) in (("month", month), ("year", year)):
            await timed(f"statistics report, one community, {label}", lambda start=start, end=end: reporting.build_report(
                app.uow(), start, end, community.code, now=app.now()), n=max(1, runs // 2))
        await timed("archive export xlsx, one community, month", lambda: reporting.export_cases(
            app.uow(), *month, "xlsx", community.code, now=app.now()), n=max(1, runs // 2))
        for label, (start, end) in (("month", month), ("year", year)):
            await timed(f"company report, {len(communities)} communities, {label}",
                        lambda start=start, end=end: build_company_report(app.uow(), start, end, now=app.now()),
                        n=max(1, runs // 2))
        await timed(f"scheduler tick, {len(communities)} communities (first)", lambda: tick(app), n=1)
        await timed(f"scheduler tick, {len(communities)} communities (next)", lambda: tick(app), n=runs)
        if with_explain:
            print("\nEXPLAIN ANALYZE of each distinct SELECT (execution time, scans; WHOLE TABLE = a seq scan of a big table):")
            for label, lines in plans.items():
                print(f"  {label}")
                print("\n".join(lines) or "    (no SELECT)")
        print(f"\nbench process RSS {rss_mb():.0f} MB; load {os.getloadavg()[0]:.1f}")
    finally:
        await app.close()
        shutil.rmtree(tmp, ignore_errors=True)


async def _staff_chats(app: Any, staff_id: int) -> list[str]:
    async with app.uow() as uow:
        return [c for c in await uow.session.scalars(select(m.Identity.user_id).where(
            m.Identity.staff_id == staff_id, m.Identity.channel == "telegram"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_load = sub.add_parser("load", help="time wuye load of one big community file")
    p_load.add_argument("--homes", type=int, default=10_000)
    p_load.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p_seed = sub.add_parser("seed", help=f"build (or reuse) the company in {BENCH_DB}")
    p_seed.add_argument("--communities", type=int, default=50)
    p_seed.add_argument("--owners", type=int, default=50_000)
    p_seed.add_argument("--staff", type=int, default=1_000)
    p_seed.add_argument("--cases", type=int, default=700_000)
    p_seed.add_argument("--fresh", action="store_true", help="drop the kept database and build it again")
    p_rate = sub.add_parser("rate", help="owners' messages into several wuye run processes")
    p_rate.add_argument("--rate", type=float, default=50)
    p_rate.add_argument("--seconds", type=float, default=60)
    p_rate.add_argument("--processes", type=int, default=2)
    p_rate.add_argument("--owners", type=int, default=2_000)
    p_rate.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="shared pace ('' for none)")
    p_steps = sub.add_parser("steps", help="CPU per conversation step in one process")
    p_steps.add_argument("--count", type=int, default=500)
    p_steps.add_argument("--profile", action="store_true")
    p_measure = sub.add_parser("measure", help="board, reports, steps, scheduler at company size; EXPLAIN plans")
    p_measure.add_argument("--runs", type=int, default=5)
    p_measure.add_argument("--no-explain", action="store_true")
    args = parser.parse_args()
    if args.command == "measure":
        asyncio.run(bench_measure(args.runs, not args.no_explain))
    if args.command == "steps":
        asyncio.run(bench_steps(args.count, args.profile))
    if args.command == "rate":
        asyncio.run(bench_rate(args.rate, args.seconds, args.processes, args.owners, args.redis or None))
    if args.command == "seed":
        asyncio.run(seed(args.communities, args.owners, args.staff, args.cases, args.fresh))
    if args.command == "load":
        for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
            asyncio.run(bench_load(kind, args.homes))


if __name__ == "__main__":
    main()
