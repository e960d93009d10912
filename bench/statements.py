"""Statements bench: SQL statements per conversation step, and the plans of the hot queries.

    python bench/statements.py [--db sqlite|postgresql|both] [--explain] [--cases 100000 --owners 50000]

Part 1 (both databases): the real desk on the demo community, console channel, counts
the statements each step sends to the database (SQLAlchemy's cursor events):
  * free text: a bound owner types a repair request (classified, a proposal shown),
  * submit: the owner presses 提交 at the end of the report flow (case, card, outbox),
  * accept: an engineer presses 接单 on the card in the group,
  * escalation tick: the scheduler's tick with 50 overdue cases (per case and in all).

Part 2 (`--explain`, PostgreSQL): a scratch database filled with `--owners` owners
(each with a Telegram identity) and `--cases` cases, then EXPLAIN of the hot lookups:
identities by owner and by staff, /mycases by reporter chat, the scheduler's scans
(auto-confirm, deadlines, unaccepted emergencies), owners of a room, the pruning of
handled updates.  Each plan is printed with the index it uses.

WUYE_REPO=/path/to/other/checkout runs part 1 against another checkout (for "before").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import sys
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(os.environ.get("WUYE_REPO") or Path(__file__).resolve().parents[1])
sys.path.insert(0, str(REPO))

from sqlalchemy import event, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot import scheduler  # noqa: E402
from bot.bootstrap import build_app, load_community_file  # noqa: E402
from cases.clock import FakeClock  # noqa: E402
from storage import models as m  # noqa: E402
from storage.db import create_engine, migrate  # noqa: E402
from tests.conftest import EXAMPLE_COMMUNITY, PG_URL, _pg_admin, make_settings  # noqa: E402
from tests.harness import People  # noqa: E402

ENGINEERING = "工程部群"
OVERDUE = 50


class Counter:
    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.count = 0
        self.kinds: dict[str, int] = {}
        self.statements: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        self.count += 1
        verb = statement.split(None, 1)[0].upper() if statement.strip() else "?"
        found = re.search(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", statement, re.IGNORECASE)
        key = f"{verb} {found.group(1) if found else ''}".strip()
        self.statements.append(" ".join(statement.split())[:150])
        self.kinds[key] = self.kinds.get(key, 0) + 1

    def reset(self) -> None:
        self.count, self.kinds, self.statements = 0, {}, []


async def scratch_url(kind: str, tmp: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'statements.sqlite3'}", None
    name = f"wuye_stmt_{uuid.uuid4().hex[:8]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False), name


async def counts(kind: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="wuye-stmt-"))
    url, scratch = await scratch_url(kind, tmp)
    clock = FakeClock()
    app = await build_app(make_settings(url, MEDIA_DIR=str(tmp / "media")), clock)
    try:
        await load_community_file(app, str(EXAMPLE_COMMUNITY))
        people = People(app)
        async with app.uow() as uow:
            community = await uow.directory.community()
            wang = await uow.directory.staff_by_name(community.id, "王强")
            await uow.directory.bind("console", "wq", "wq", now=app.now(), staff_id=wang.id)
            await uow.commit()
        counter = Counter(app.engine)
        results: dict[str, tuple[int, dict[str, int]]] = {}

        async def measure(name: str, action) -> None:  # type: ignore[no-untyped-def]
            counter.reset()
            await action()
            results[name] = (counter.count, dict(counter.kinds))
            if name in os.environ.get("WUYE_SHOW_SQL", "").split(","):  # e.g. WUYE_SHOW_SQL=accept
                print(f"-- {name}:", *counter.statements, sep="\n   ")

        await people.say("u1", "/start")
        await people.contact("u1", "13800000001")
        await measure("free text", lambda: people.say("u1", "厨房水龙头坏了一直关不紧"))
        await people.say("u1", "取消")
        await people.press("u1", "报事报修")
        await people.press("u1", "我家")
        await people.say("u1", "卫生间水管漏水，地上都是水")
        await people.press("u1", "跳过")
        await people.press("u1", "一般")
        await people.press("u1", "今天")
        await measure("submit", lambda: people.press("u1", "提交"))
        await measure("accept", lambda: people.press("wq", "接单", chat=ENGINEERING, group=True))

        # Overdue cases for the escalation: more reports, nobody accepts them.
        for n in range(OVERDUE):
            owner = f"e{n}"
            await people.say(owner, "/start")
            await people.contact(owner, f"138000000{(n % 20) + 1:02d}")
            await people.press(owner, "报事报修")
            await people.press(owner, "我家")
            await people.say(owner, f"阳台顶上渗水 {n}")
            await people.press(owner, "跳过")
            await people.press(owner, "一般")
            await people.press(owner, "今天")
            await people.press(owner, "提交")
        clock.advance(timedelta(days=2))

        async def tick() -> None:
            app.extras.setdefault(scheduler.STOP, asyncio.Event())
            await scheduler.tick(app)

        await measure("escalation tick", tick)
    finally:
        await app.close()
        if scratch:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n== statements per step on {kind} ({REPO})")
    for name, (count, kinds) in results.items():
        per = f" ({count / OVERDUE:.1f} per overdue case)" if name == "escalation tick" else ""
        top = ", ".join(f"{k} ×{v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])[:8])
        print(f"{name:16} {count:5d}{per}   {top}")


HOT = {
    "identities by owner (replies about a case, notices)":
        "SELECT * FROM identities WHERE owner_id = :owner ORDER BY id",
    "identities by staff": "SELECT * FROM identities WHERE staff_id = :staff ORDER BY id",
    "identity of a chat": "SELECT * FROM identities WHERE channel = 'telegram' AND chat_id = :chat LIMIT 1",
    "/mycases by reporter chat":
        "SELECT * FROM cases WHERE reporter_channel = 'telegram' AND reporter_chat_id = :chat ORDER BY id DESC LIMIT 20",
    "scheduler: done, to auto-confirm":
        "SELECT * FROM cases WHERE status = 'done' AND done_at <= :now ORDER BY id LIMIT 200",
    "escalation: past deadline (as CaseRepository.past_deadline asks it)":
        "SELECT * FROM cases WHERE status IN ('open', 'dispatched') AND response_due_at <= :now "
        "UNION ALL SELECT * FROM cases WHERE status IN ('accepted', 'in_progress') AND completion_due_at <= :now "
        "ORDER BY id LIMIT 200",
    "escalation: unaccepted emergencies":
        "SELECT * FROM cases WHERE urgency = 'emergency' AND status IN ('open', 'dispatched') ORDER BY id LIMIT 100",
    "owners of a room (notices)": "SELECT owner_id FROM owner_rooms WHERE room_id = :room",
    "prune handled updates": "EXPLAIN_DELETE",
}


async def explain(n_cases: int, n_owners: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="wuye-explain-"))
    url, scratch = await scratch_url("postgresql", tmp)
    engine = create_engine(url)
    try:
        await migrate(engine)
        app = await build_app(make_settings(url, MEDIA_DIR=str(tmp / "media")), FakeClock(), run_migrations=False)
        await load_community_file(app, str(EXAMPLE_COMMUNITY))
        await app.close()
        now = datetime.now(timezone.utc)
        rnd = random.Random(7)
        async with engine.begin() as conn:
            cid = (await conn.execute(text("SELECT id FROM communities LIMIT 1"))).scalar_one()
            rooms = [r[0] for r in (await conn.execute(text("SELECT id FROM rooms"))).all()]
            staff = [r[0] for r in (await conn.execute(text("SELECT id FROM staff"))).all()]
            await conn.execute(insert(m.Owner), [
                {"community_id": cid, "name": f"业主{i}", "phone": f"139{i:08d}", "muted_notices": False}
                for i in range(n_owners)])
            owners = [r[0] for r in (await conn.execute(text("SELECT id FROM owners"))).all()]
            await conn.execute(insert(m.OwnerRoom), [
                {"owner_id": o, "room_id": rooms[i % len(rooms)]} for i, o in enumerate(owners[20:])])
            await conn.execute(insert(m.Identity), [
                {"channel": "telegram", "user_id": str(7_000_000 + i), "chat_id": str(7_000_000 + i),
                 "owner_id": o, "locale": "zh-CN"} for i, o in enumerate(owners)])
            # As a desk looks after a year: old cases closed, the last week's still moving.
            active = ["done", "dispatched", "accepted", "open", "in_progress", "closed"]
            batch = []
            for i in range(n_cases):
                created = now - timedelta(minutes=rnd.randint(0, 60 * 24 * 365))
                status = rnd.choice(active) if now - created < timedelta(days=7) else "closed"
                batch.append({
                    "community_id": cid, "kind": "report", "category": "plumbing", "area": "home",
                    "urgency": "emergency" if rnd.random() < 0.02 else "normal", "status": status,
                    "room_id": rnd.choice(rooms), "owner_id": rnd.choice(owners), "reporter_channel": "telegram",
                    "reporter_chat_id": str(7_000_000 + rnd.randrange(n_owners)), "description": "漏水",
                    "details": {}, "photos": [], "team_code": "engineering", "created_at": created,
                    "updated_at": created, "response_due_at": created + timedelta(hours=2),
                    "completion_due_at": created + timedelta(days=3),
                    "done_at": created + timedelta(days=1) if status in ("done", "closed") else None,
                    "version": 1})
                if len(batch) == 10_000:
                    await conn.execute(insert(m.Case), batch)
                    batch = []
            if batch:
                await conn.execute(insert(m.Case), batch)
            await conn.execute(insert(m.ProcessedUpdate), [
                # An hourly prune keeps three days and an hour of keys: one hour's worth goes.
                {"channel": "telegram", "update_id": str(i), "at": now - timedelta(minutes=i % (73 * 60))}
                for i in range(50_000)])
        async with engine.connect() as conn:
            await conn.execute(text("COMMIT"))
            await conn.execute(text("ANALYZE"))
        params = {"owner": owners[n_owners // 2], "staff": staff[0], "chat": str(7_000_000 + n_owners // 3),
                  "now": now - timedelta(days=3), "room": rooms[5]}
        counted = {}
        async with engine.connect() as conn:
            for status, count in (await conn.execute(text("SELECT status, count(*) FROM cases GROUP BY 1"))).all():
                counted[status] = count
        print("\ncases by status:", ", ".join(f"{k} {v}" for k, v in sorted(counted.items())))
        print(f"\n== EXPLAIN on PostgreSQL: {n_cases} cases, {n_owners} owners, 50,000 handled updates")
        async with engine.connect() as conn:
            for name, sql in HOT.items():
                if sql == "EXPLAIN_DELETE":
                    sql = "DELETE FROM processed_updates WHERE at < :now AND channel NOT IN ('weekly_report')"
                rows = (await conn.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) {sql}"),
                                           {k: v for k, v in params.items() if f":{k}" in sql})).all()
                print(f"\n-- {name}")
                for (line,) in rows:
                    print(f"   {line}")
                await conn.rollback()
    finally:
        await engine.dispose()
        await _pg_admin(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both", "none"], default="both",
                        help="where to count statements (none: only --explain)")
    parser.add_argument("--explain", action="store_true", help="also the plans of the hot queries (PostgreSQL)")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--owners", type=int, default=50_000)
    args = parser.parse_args()
    for kind in {"both": ["sqlite", "postgresql"], "none": []}.get(args.db, [args.db]):
        asyncio.run(counts(kind))
    if args.explain:
        asyncio.run(explain(args.cases, args.owners))


if __name__ == "__main__":
    main()
