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
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import asyncpg
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.history import CompanyHistory, bulk_identities  # noqa: E402
from bench.measure import rss_mb  # noqa: E402
from bot.bootstrap import build_app, load_community_file  # noqa: E402
from cases.clock import FakeClock  # noqa: E402
from storage import models as m  # noqa: E402
from storage.db import create_engine, migrate  # noqa: E402
from tests.conftest import EXAMPLE_COMMUNITY, PG_URL, _pg_admin, make_settings  # noqa: E402

BENCH_DB = "wuye_company_bench"
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


async def scratch_database(kind: str, tmp: Path) -> tuple[str, str | None]:
    """A migrated empty database URL, and the PostgreSQL scratch name to drop."""
    if kind == "sqlite":
        url, scratch = f"sqlite+aiosqlite:///{tmp / 'company.sqlite3'}", None
    else:
        scratch = f"wuye_company_{uuid.uuid4().hex[:8]}"
        await _pg_admin(f'CREATE DATABASE "{scratch}"')
        url = make_url(PG_URL).set(database=scratch).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
    return url, scratch


# --------------------------------------------------------------------------- load
async def bench_load(kind: str, homes: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="wuye-company-load-"))
    url, scratch = await scratch_database(kind, tmp)
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
    args = parser.parse_args()
    if args.command == "seed":
        asyncio.run(seed(args.communities, args.owners, args.staff, args.cases, args.fresh))
    if args.command == "load":
        for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
            asyncio.run(bench_load(kind, args.homes))


if __name__ == "__main__":
    main()
