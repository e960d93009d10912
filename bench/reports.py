"""How long management reports take on a busy desk: 100,000 cases on SQLite and PostgreSQL.

    python bench/reports.py [--cases N] [--no-pg] [--pg-url URL] [--keep]

Seeds N cases (half a year of a large property: timelines, reworks, callbacks) with
bulk inserts into a fresh SQLite file and into a scratch PostgreSQL database that
it creates and drops (skipped with a message when no server answers), then times
each report view on its own (its queries included), the full Markdown report, the
CSV and Excel writers, the weekly report with its chart, and a month's case export.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.bootstrap import App, build_app, load_community_file  # noqa: E402
from bot.settings import Settings  # noqa: E402
from cases.clock import FakeClock  # noqa: E402
from cases.codes import CATEGORIES, Kind  # noqa: E402
from cases.routing import team_for  # noqa: E402
from services.reports import statistics as reporting  # noqa: E402
from storage import models as m  # noqa: E402

COMMUNITY = ROOT / "examples" / "community.yaml"
PG_ADMIN = os.environ.get("WUYE_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
# Half a year ending on a Monday (local), so the weekly report has full weeks to chart.
END = datetime(2026, 6, 1, tzinfo=timezone(timedelta(hours=8))).astimezone(timezone.utc)
DAYS = 182
BATCH = 5_000

KINDS = [(Kind.REPORT, 60), (Kind.COMPLAINT, 12), (Kind.SERVICE, 15), (Kind.INQUIRY, 10), (Kind.SUGGESTION, 3)]
URGENCIES = [("emergency", 3), ("urgent", 17), ("normal", 80)]
# Typical minutes to accept and to finish per urgency (exponential around these means).
ACCEPT_MEAN = {"emergency": 8, "urgent": 45, "normal": 300}
FINISH_MEAN = {"emergency": 150, "urgent": 700, "normal": 2500}


# Every row of one executemany must name the same columns: these start each row.
CASE_NULLS = dict.fromkeys(("room_id", "assignee_id", "first_responder_id", "accepted_at", "first_accepted_at",
                            "started_at", "done_at", "closed_at"))
CASE_NULLS.update(place="", reporter_channel="", reporter_chat_id="")
CALLBACK_NULLS = dict.fromkeys(("sent_at", "reminded_at", "answered_at", "solved", "speed_score", "attitude_score",
                                "recorded_by_id"))


def pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


class Seeder:
    """Generates consistent case histories and inserts them in batches."""

    def __init__(self, app: App, n: int, community: str | None = None, days: int = DAYS, seed: int = 8, *,
                 end: datetime = END) -> None:
        """`n` cases of `community` (the first loaded by default) over the `days` before `end`;
        rows are appended after those already there (bench/company_report.py seeds several)."""
        self.app, self.n, self.code, self.days, self.end = app, n, community, days, end
        self.rng = random.Random(seed)
        self.cases: list[dict[str, Any]] = []
        self.timeline: list[dict[str, Any]] = []
        self.callbacks: list[dict[str, Any]] = []
        self.counts = {"cases": 0, "timeline": 0, "callbacks": 0}

    async def run(self) -> dict[str, int]:
        async with self.app.uow() as uow:
            community = await uow.directory.community(self.code)
            assert community is not None
            self.community_id, self.policy = community.id, community.policy
            staff = await uow.directory.staff_list(community.id)
            owners = list(await uow.session.scalars(select(m.Owner.id).where(m.Owner.community_id == community.id)))
            base = {}
            for key, model in (("cases", m.Case), ("timeline", m.TimelineEntry), ("callbacks", m.Callback)):
                base[key] = await uow.session.scalar(select(func.coalesce(func.max(model.id), 0)))
        self.owners = owners
        self.by_team: dict[str, list[int]] = {}
        for s in staff:
            self.by_team.setdefault(s.team, []).append(s.id)
        start = self.end - timedelta(days=self.days)
        # Ids follow the opening time, as they do when the desk assigns them.
        opened = sorted(self.rng.uniform(0, self.days * 86400) for _ in range(self.n))
        self.base = base
        for case_id, offset in enumerate(opened, start=base["cases"] + 1):
            self._case(case_id, start + timedelta(seconds=offset))
            if len(self.timeline) >= BATCH * 6:
                await self._flush()
        await self._flush()
        if self.app.engine.dialect.name == "postgresql":
            async with self.app.engine.begin() as conn:
                for table in ("cases", "case_timeline", "callbacks"):
                    await conn.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
        return self.counts

    async def _flush(self) -> None:
        async with self.app.engine.begin() as conn:
            for model, rows in ((m.Case, self.cases), (m.TimelineEntry, self.timeline), (m.Callback, self.callbacks)):
                for i in range(0, len(rows), BATCH):
                    await conn.execute(insert(model), rows[i:i + BATCH])
        self.counts["cases"] += len(self.cases)
        self.counts["timeline"] += len(self.timeline)
        self.counts["callbacks"] += len(self.callbacks)
        self.cases, self.timeline, self.callbacks = [], [], []

    def _event(self, case_id: int, at: datetime, action: str, actor_kind: str = "system",
               actor_id: int | None = None, note: str = "") -> None:
        self.last_at = at
        self.timeline.append({"id": self.base["timeline"] + len(self.timeline) + self.counts["timeline"] + 1,
                              "case_id": case_id, "at": at,
                              "action": action, "actor_kind": actor_kind, "actor_id": actor_id, "note": note,
                              "data": {}})

    def _case(self, case_id: int, created: datetime) -> None:
        rng, now = self.rng, self.end
        kind = str(pick(rng, KINDS))
        category = rng.choice(CATEGORIES[Kind(kind)]) if CATEGORIES[Kind(kind)] else ""
        urgency = pick(rng, URGENCIES)
        team = str(team_for(kind, category, urgency))
        workers = self.by_team.get(team) or self.by_team["management"]
        owner = rng.choice(self.owners)
        row: dict[str, Any] = {
            **CASE_NULLS, "id": case_id, "community_id": self.community_id, "kind": kind, "category": category,
            "area": "home" if kind == Kind.REPORT else "", "urgency": urgency, "owner_id": owner,
            "description": "报修", "details": {}, "photos": [], "team_code": team, "created_at": created,
            "response_due_at": created + self.policy.response[urgency],
            "completion_due_at": created + self.policy.completion[urgency], "status": "dispatched",
            "fee_cents": 0, "rework_round": 0, "escalation_level": 0, "confirmed_by": "", "version": 1,
        }
        self._event(case_id, created, "opened", "owner", owner)
        self._event(case_id, created, "dispatched")
        if rng.random() < 0.02:  # withdrawn before anyone accepted
            row.update(status="cancelled", closed_at=created + timedelta(minutes=rng.uniform(1, 60)))
            self._event(case_id, row["closed_at"], "cancelled", "owner", owner)
        else:
            self._work(row, rng.choice(workers), now)
        row["updated_at"] = self.last_at
        self.cases.append(row)

    def _work(self, row: dict[str, Any], worker: int, now: datetime) -> None:
        rng, case_id, urgency = self.rng, row["id"], row["urgency"]
        accepted = row["created_at"] + timedelta(minutes=rng.expovariate(1 / ACCEPT_MEAN[urgency]))
        if accepted >= now:
            return  # still waiting for someone to accept
        row.update(status="accepted", assignee_id=worker, first_responder_id=worker, accepted_at=accepted,
                   first_accepted_at=accepted)
        self._event(case_id, accepted, "accepted", "staff", worker)
        done = accepted + timedelta(minutes=rng.expovariate(1 / FINISH_MEAN[urgency]))
        if done >= now:
            return
        reworks = 1 if rng.random() < 0.05 else 0
        for round_ in range(reworks + 1):
            row.update(status="done", done_at=done)
            self._event(case_id, done, "done", "staff", worker)
            closed = done + timedelta(minutes=rng.uniform(10, 4320))
            if closed >= now:
                return
            by_owner = rng.random() < 0.7
            row.update(status="closed", closed_at=closed, confirmed_by="owner" if by_owner else "auto")
            self._event(case_id, closed, "confirmed" if by_owner else "auto_confirmed",
                        "owner" if by_owner else "system", row["owner_id"] if by_owner else None)
            satisfied = self._callback(row, round_ + 1, closed, last=round_ == reworks, now=now)
            if satisfied is None:
                return
            if satisfied:
                row["status"] = "surveyed"
                self._event(case_id, closed + timedelta(hours=3), "surveyed")
                return
            # Unsatisfied: back to the team with fresh deadlines, accepted again, finished again.
            reopened = closed + timedelta(hours=3)
            row.update(status="dispatched", rework_round=round_ + 1, closed_at=None, done_at=None, confirmed_by="",
                       response_due_at=reopened + self.policy.response[urgency],
                       completion_due_at=reopened + self.policy.completion[urgency])
            self._event(case_id, reopened, "reopened", note="不满意")
            again = reopened + timedelta(minutes=rng.expovariate(1 / ACCEPT_MEAN[urgency]))
            if again >= now:
                return
            row.update(status="accepted", accepted_at=again)
            self._event(case_id, again, "accepted", "staff", worker)
            done = again + timedelta(minutes=rng.expovariate(1 / FINISH_MEAN[urgency]))
            if done >= now:
                return

    def _callback(self, row: dict[str, Any], round_: int, closed: datetime, *, last: bool, now: datetime) -> bool | None:
        """Record a callback; True/False = answered satisfied or not, None = no verdict."""
        if row["kind"] not in (Kind.REPORT, Kind.COMPLAINT, Kind.SERVICE):
            return None
        rng = self.rng
        due = closed + timedelta(hours=2)
        cb: dict[str, Any] = {**CALLBACK_NULLS, "id": self.base["callbacks"] + self.counts["callbacks"] + len(self.callbacks) + 1,
                              "case_id": row["id"],
                              "round": round_, "due_at": due, "comment": "", "method": "chat"}
        self.callbacks.append(cb)
        roll = rng.random()
        answered_at = due + timedelta(minutes=rng.uniform(5, 2000))
        if roll < 0.04 or answered_at >= now:
            cb.update(state="sent", sent_at=due)
            return None
        if roll < 0.07:
            cb.update(state="skipped")
            return None
        cb.update(state="answered", sent_at=due, answered_at=answered_at,
                  method="phone" if rng.random() < 0.08 else "chat",
                  speed_score=rng.choices([1, 2, 3, 4, 5], [2, 3, 10, 35, 50])[0],
                  attitude_score=rng.choices([1, 2, 3, 4, 5], [1, 2, 7, 30, 60])[0])
        # Only a non-final round may come back unsatisfied (so reworks stay at the rate above).
        cb["solved"] = last
        if not last:
            cb["speed_score"] = 2
        return last


async def now(fn: Callable[..., Any], *args: Any) -> Any:
    """A synchronous step, awaitable so `timed` can time it like the rest."""
    return fn(*args)


async def timed(label: str, fn: Callable[[], Awaitable[Any]], results: dict[str, float]) -> Any:
    began = time.perf_counter()
    value = await fn()
    results[label] = time.perf_counter() - began
    return value


async def bench(url: str, n: int) -> dict[str, float]:
    clock = FakeClock(END + timedelta(hours=9))
    settings = Settings(DATABASE_URL=url, COMMUNITY_FILE=COMMUNITY, _env_file=None)  # type: ignore[call-arg]
    app = await build_app(settings, clock)
    results: dict[str, float] = {}
    try:
        await load_community_file(app, str(COMMUNITY))
        counts = await timed("seed (bulk insert)", lambda: Seeder(app, n).run(), results)
        print(f"  seeded {counts['cases']:,} cases, {counts['timeline']:,} timeline entries, "
              f"{counts['callbacks']:,} callbacks", flush=True)
        if app.engine.dialect.name == "postgresql":
            # What autovacuum would do after a bulk load; without statistics the planner guesses badly.
            async with app.engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        start = (END - timedelta(days=DAYS + 1)).astimezone(timezone(timedelta(hours=8))).date()
        end = END.astimezone(timezone(timedelta(hours=8))).date() + timedelta(days=1)

        for name, view in reporting.VIEWS.items():
            async def one(view: Any = view) -> Any:
                async with app.uow() as uow:
                    ctx = await reporting.open_context(uow.session, None, start, end, app.now())
                    return await view(ctx)

            await timed(f"view: {name}", one, results)
        report = await timed("full report (all views)", lambda: reporting.build_report(app.uow(), start, end, now=app.now()), results)

        async def md() -> str:
            return reporting.to_markdown(await reporting.build_report(app.uow(), start, end, now=app.now()))

        text_md = await timed("full report → Markdown", md, results)
        await timed("  write CSV", lambda: now(reporting.to_csv, report), results)
        await timed("  write Excel", lambda: now(reporting.to_xlsx, report), results)
        await timed("weekly report (text + PNG)", lambda: reporting.weekly_report(app.uow(), app.now()), results)
        month = (date(2026, 4, 1), date(2026, 5, 1))
        await timed("case export, 1 month (csv)", lambda: reporting.export_cases(app.uow(), *month, "csv", now=app.now()), results)
        await timed("case export, 1 month (xlsx)", lambda: reporting.export_cases(app.uow(), *month, "xlsx", now=app.now()), results)
        summary = next(line for line in text_md.splitlines() if "Cases opened" in line)
        print(f"  report: {summary.strip()}", flush=True)
    finally:
        await app.close()
    return results


async def _pg_admin(sql: str) -> None:
    import asyncpg

    url = make_url(PG_ADMIN)
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                 password=url.password, database=url.database, timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file (its path is printed)")
    args = parser.parse_args()

    runs: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="wuye-bench-") as tmp:
        path = Path(tmp) / "bench.sqlite3"
        print(f"SQLite ({path}):", flush=True)
        runs["SQLite"] = await bench(f"sqlite+aiosqlite:///{path}", args.cases)
        if args.keep:
            kept = Path(tempfile.gettempdir()) / "wuye-bench.sqlite3"
            kept.write_bytes(path.read_bytes())
            print(f"  kept as {kept}")

    if args.no_pg:
        print("PostgreSQL: skipped (--no-pg)")
    else:
        name = f"wuye_bench_{uuid.uuid4().hex[:8]}"
        try:
            await _pg_admin(f'CREATE DATABASE "{name}"')
        except (OSError, asyncio.TimeoutError, ImportError) as exc:
            print(f"PostgreSQL: skipped, no server at {PG_ADMIN} ({exc.__class__.__name__})")
        else:
            try:
                url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
                print(f"PostgreSQL (scratch database {name}):", flush=True)
                runs["PostgreSQL"] = await bench(url, args.cases)
            finally:
                await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    print_seconds(f"{args.cases:,} cases — seconds", runs)


def print_seconds(title: str, runs: dict[str, dict[str, float]]) -> None:
    """One row per measured step, one column per database."""
    labels = list(next(iter(runs.values())))
    print(f"\n{title}")
    print(f"{'':34}" + "".join(f"{b:>12}" for b in runs))
    for label in labels:
        print(f"{label:34}" + "".join(f"{runs[b].get(label, float('nan')):12.3f}" for b in runs))


if __name__ == "__main__":
    asyncio.run(main())
