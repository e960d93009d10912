"""Board bench: the console's board page with 100,000 cases in the database, over real HTTP.

    python bench/board.py [--db sqlite|postgresql|both] [--cases 100000] [--active 0.02] [--runs 20]

A scratch database gets the demo community and `--cases` cases spread over a year (the
share `--active` still open: a desk's real backlog is a few percent), then the console is
served on 127.0.0.1 and a signed-in customer-service agent's browser is played by an HTTP
client: the whole board (all teams, soonest deadline first, counts per team), then the
board filtered by team and searched by room.  Prints median and worst time per page; the
target is under 300 ms for the whole board.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(os.environ.get("WUYE_REPO") or Path(__file__).resolve().parents[1])
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.bootstrap import build_app, load_community_file  # noqa: E402
from cases.clock import FakeClock  # noqa: E402
from storage import models as m  # noqa: E402
from storage.console import ConsoleStore  # noqa: E402
from storage.db import create_engine, migrate  # noqa: E402
from tests.conftest import EXAMPLE_COMMUNITY, PG_URL, _pg_admin, make_settings  # noqa: E402
from web.auth import digest, new_token  # noqa: E402
from web.routes import build_console  # noqa: E402

TARGET_MS = 300
TEAMS = ["engineering", "engineering", "engineering", "security", "environment", "customer_service"]
STATUSES = ["dispatched", "accepted", "in_progress", "done", "open"]


def due_of(status: str, response_due: datetime, completion_due: datetime) -> datetime | None:
    """The stored deadline the case repository writes (`Case.deadline`), for rows inserted here directly."""
    if status in ("open", "dispatched"):
        return response_due
    return completion_due if status in ("accepted", "in_progress") else None


async def fill(url: str, n_cases: int, active_share: float, now: datetime) -> None:
    engine = create_engine(url)
    rnd = random.Random(16)
    try:
        async with engine.begin() as conn:
            cid = (await conn.execute(text("SELECT id FROM communities LIMIT 1"))).scalar_one()
            rooms = [r[0] for r in (await conn.execute(text("SELECT id FROM rooms"))).all()]
            owners = [r[0] for r in (await conn.execute(text("SELECT id FROM owners"))).all()]
            batch = []
            for i in range(n_cases):
                is_active = rnd.random() < active_share
                created = now - timedelta(minutes=rnd.randint(0, 60 * 24 * (10 if is_active else 365)))
                emergency = rnd.random() < 0.02
                status = rnd.choice(STATUSES) if is_active else rnd.choice(["closed", "surveyed", "cancelled"])
                response_due = created + timedelta(minutes=15 if emergency else 1440)
                completion_due = created + timedelta(days=3)
                batch.append({
                    "community_id": cid, "kind": "report", "category": "plumbing", "area": "home",
                    "urgency": "emergency" if emergency else "normal",
                    "status": status,
                    "room_id": rnd.choice(rooms), "owner_id": rnd.choice(owners), "reporter_channel": "telegram",
                    "reporter_chat_id": str(7_000_000 + i % 500), "description": "卫生间水管漏水，地上都是水",
                    "details": {}, "photos": [], "team_code": rnd.choice(TEAMS), "created_at": created,
                    "updated_at": created, "response_due_at": response_due,
                    "completion_due_at": completion_due, "due_at": due_of(status, response_due, completion_due),
                    "source": rnd.choice(["chat", "chat", "phone"]),
                    "version": 1})
                if len(batch) == 10_000:
                    await conn.execute(insert(m.Case), batch)
                    batch = []
            if batch:
                await conn.execute(insert(m.Case), batch)
        if engine.dialect.name == "postgresql":
            async with engine.connect() as conn:
                await conn.execute(text("COMMIT"))
                # What autovacuum does to a table that took 100,000 rows: statistics, and the
                # visibility map that lets the board read its index alone (index-only scans).
                await conn.execute(text("VACUUM ANALYZE"))
        else:
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


async def timed(session: aiohttp.ClientSession, url: str, runs: int) -> tuple[float, float, int]:
    times = []
    size = 0
    for _ in range(runs):
        started = time.perf_counter()
        async with session.get(url, allow_redirects=False) as response:
            body = await response.read()
            assert response.status == 200, (response.status, url)
        times.append((time.perf_counter() - started) * 1000)
        size = len(body)
    return statistics.median(times), max(times), size


async def bench(kind: str, n_cases: int, active: float, runs: int) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix="wuye-board-"))
    scratch = None
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'board.sqlite3'}"
    else:
        scratch = f"wuye_board_{uuid.uuid4().hex[:8]}"
        await _pg_admin(f'CREATE DATABASE "{scratch}"')
        url = make_url(PG_URL).set(database=scratch).render_as_string(hide_password=False)
    try:
        engine = create_engine(url)
        await migrate(engine)
        await engine.dispose()
        now = datetime.now(timezone.utc)
        clock = FakeClock(now)
        app = await build_app(make_settings(url, MEDIA_DIR=str(tmp / "media")), clock, run_migrations=False)
        await load_community_file(app, str(EXAMPLE_COMMUNITY))
        started = time.perf_counter()
        await fill(url, n_cases, active, now)
        filled = time.perf_counter() - started
        token = new_token()
        async with app.uow() as uow:
            agent = await uow.session.scalar(select(m.Staff.id).where(m.Staff.code == "kf01"))
            await ConsoleStore(uow.session).open_session(digest(token), agent, new_token(), now, timedelta(hours=12))
            open_count = await uow.session.scalar(text(
                "SELECT count(*) FROM cases WHERE status IN ('open','dispatched','accepted','in_progress','done')"))
            await uow.commit()
        console = build_console(app, secure_cookies=False)
        await console.start("127.0.0.1", 0)
        base = f"http://127.0.0.1:{console.port}"
        ok = True
        try:
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar, cookies={"wuye_session": token}) as session:
                await timed(session, base + "/board", 3)  # warm the caches and the pool
                print(f"\n== {kind}: {n_cases:,} cases ({open_count:,} open), filled in {filled:.1f} s")
                for name, path in (("whole board", "/board"), ("one team", "/board?team=security"),
                                   ("emergencies", "/board?urgency=emergency"), ("search by room", "/board?q=1-1-101"),
                                   ("page 5", "/board?page=5")):
                    median, worst, size = await timed(session, base + path, runs)
                    flag = "" if median < TARGET_MS else f"  (over the {TARGET_MS} ms target)"
                    print(f"   {name:<16} median {median:7.1f} ms   worst {worst:7.1f} ms   {size // 1024} KiB{flag}")
                    if name == "whole board":
                        ok = median < TARGET_MS
        finally:
            await console.stop()
            await app.close()
        return ok
    finally:
        if scratch:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--active", type=float, default=0.02, help="share of cases still open")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = [await bench(kind, args.cases, args.active, args.runs) for kind in kinds]
    print(f"\nwhole board under {TARGET_MS} ms: " + ", ".join(f"{k} {'yes' if r else 'NO'}" for k, r in zip(kinds, results)))


if __name__ == "__main__":
    asyncio.run(main())
