"""How long the company report takes: N communities sharing M cases, on PostgreSQL (and SQLite).

    python bench/company_report.py [--communities 50] [--cases 700000] [--days 365]
                                   [--no-pg] [--sqlite] [--keep NAME | --reuse NAME] [--rebuild] [--skip-raw]
                                   [--explain]

Loads N copies of the demo community (codes c01…), seeds M/N cases in each with
bench/reports.py's Seeder (timelines, reworks, callbacks) over the `--days` before its END,
then times the company report (`services.reports.company`) for the last month, the last
quarter and the whole span: the figures (its grouped queries), the Markdown table, the
workbook with its chart, and the chat summary with its chart — first from the raw tables
(the rollup states set aside, so every day is read live), then from the daily rollups
(services/reports/rollup.py; rolled up first when there are none, or with `--rebuild`),
wall and CPU seconds of this process beside each other.  `--explain` prints the
PostgreSQL plans of the grouped queries over the month and the whole span.  `--keep NAME` keeps the
PostgreSQL database under that name; `--reuse NAME` times an existing one without seeding.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable
from datetime import date, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, insert, select, text, update  # noqa: E402
from sqlalchemy.dialects import postgresql  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.reports import END, PG_ADMIN, Seeder, _pg_admin, print_seconds  # noqa: E402
from bot.bootstrap import App, build_app, load_community_file  # noqa: E402
from bot.settings import Settings  # noqa: E402
from cases.clock import FakeClock  # noqa: E402
from services.reports import company  # noqa: E402
from services.reports import rollup as rollups  # noqa: E402
from services.reports.statistics import to_markdown, to_xlsx  # noqa: E402
from storage import models as m  # noqa: E402

COMMUNITY = ROOT / "examples" / "community.yaml"
LOCAL = timezone(timedelta(hours=8))


def community_files(folder: Path, n: int) -> list[Path]:
    spec = yaml.safe_load(COMMUNITY.read_text(encoding="utf-8"))
    paths = []
    for i in range(1, n + 1):
        spec["community"].update(code=f"c{i:02d}", name=f"社区{i:02d}")
        path = folder / f"c{i:02d}.yaml"
        path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
        paths.append(path)
    return paths


async def seed(app: App, n_communities: int, n_cases: int, days: int) -> None:
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wuye-company-") as tmp:
        for path in community_files(Path(tmp), n_communities):
            await load_community_file(app, str(path))
    print(f"  loaded {n_communities} communities in {time.perf_counter() - began:.1f} s", flush=True)
    began = time.perf_counter()
    per = n_cases // n_communities
    for i in range(1, n_communities + 1):
        # Each community its own draw, so their figures differ a little.
        await Seeder(app, per, f"c{i:02d}", days, seed=i).run()
    if app.engine.dialect.name == "postgresql":
        async with app.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    print(f"  seeded {per * n_communities:,} cases in {time.perf_counter() - began:.1f} s", flush=True)


async def explain(app: App, start: date, end: date) -> None:
    """The PostgreSQL plans of the grouped queries over [start, end)."""
    captured: list[tuple[str, object]] = []
    async with app.uow() as uow:
        communities = await uow.directory.communities()
        real_execute = uow.session.execute

        async def capture(statement, *args, **kw):  # type: ignore[no-untyped-def]
            captured.append((str(statement.compile(dialect=postgresql.dialect(),
                                                   compile_kwargs={"literal_binds": True})), None))
            return await real_execute(statement, *args, **kw)

        uow.session.execute = capture  # type: ignore[method-assign]
        await company.company_figures(uow.session, communities, start, end, app.now())
        uow.session.execute = real_execute  # type: ignore[method-assign]
        for sql, _ in captured:
            if "FROM communities" in sql and "GROUP BY" not in sql:
                continue
            plan = await uow.session.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}"))
            lines = [row[0] for row in plan]
            print("  ---- " + " ".join(sql.split())[:110] + " …")
            for line in lines:
                if any(w in line for w in ("Scan", "Join", "Aggregate", "Sort", "WindowAgg", "Execution Time")):
                    print("   " + line)


async def timed(results: dict[str, float], cpu: dict[str, float], label: str, step: Awaitable[Any]) -> Any:
    """Await `step`, keeping its wall and this process's CPU seconds under `label`."""
    began, began_cpu = time.perf_counter(), time.process_time()
    out = await step
    results[label], cpu[label] = time.perf_counter() - began, time.process_time() - began_cpu
    return out


async def without_rollups(app: App) -> list[tuple[Any, ...]]:
    """Take the rollup states away (every day is then read from the raw tables); returns them."""
    async with app.uow() as uow:
        states = [tuple(row) for row in await uow.session.execute(select(
            m.RollupState.community_id, m.RollupState.through, m.RollupState.checked_at))]
        await uow.session.execute(delete(m.RollupState))
        await uow.commit()
    return states


async def restore_rollups(app: App, states: list[tuple[Any, ...]]) -> None:
    async with app.uow() as uow:
        for cid, through, checked_at in states:
            await uow.session.execute(insert(m.RollupState).values(community_id=cid, through=through,
                                                                   checked_at=checked_at))
        await uow.commit()


async def catch_up_after_changes(app: App, clock: FakeClock, n: int = 2_000) -> None:
    """How long a report's catch-up takes after a quarter of an hour of a busy company: `n`
    cases of the last three days changed (their rows are recomputed, the figures stay)."""
    async with app.uow() as uow:
        looked = await uow.session.scalar(select(func.max(m.RollupState.checked_at)))
    clock.set(max(app.now(), looked or app.now()) + timedelta(minutes=1))  # after the last look (a run before)
    now = app.now()
    async with app.uow() as uow:
        ids = (select(m.Case.id).where(m.Case.created_at >= now - timedelta(days=3), m.Case.id % 3 == 0)
               .order_by(m.Case.id).limit(n))  # every third: spread over the communities
        await uow.session.execute(update(m.Case).where(m.Case.id.in_(ids.scalar_subquery())).values(updated_at=now))
        await uow.commit()
    began, began_cpu = time.perf_counter(), time.process_time()
    async with app.uow() as uow:
        done = await rollups.catch_up(uow, await uow.directory.communities(), now)
        await uow.commit()
    print(f"  catch-up after {n:,} cases changed: {done.days} community-days recomputed in "
          f"{time.perf_counter() - began:.2f} s ({time.process_time() - began_cpu:.2f} s CPU)", flush=True)


async def report_steps(app: App, periods: dict[str, tuple[date, date]]) -> tuple[dict[str, float], dict[str, float]]:
    results: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for label, (start, end) in periods.items():
        async with app.uow() as uow:
            communities = await uow.directory.communities()
            figures = await timed(results, cpu, f"{label}: figures (queries)",
                                  company.company_figures(uow.session, communities, start, end, app.now()))
        report, _ = await timed(results, cpu, f"{label}: Markdown", company.build_company_report(
            app.uow(), start, end, now=app.now(), chart=False))
        began, began_cpu = time.perf_counter(), time.process_time()
        to_markdown(report)
        results[f"{label}: Markdown"] += time.perf_counter() - began
        cpu[f"{label}: Markdown"] += time.process_time() - began_cpu
        report, _ = await timed(results, cpu, f"{label}: xlsx with chart", company.build_company_report(
            app.uow(), start, end, now=app.now()))
        began, began_cpu = time.perf_counter(), time.process_time()
        to_xlsx(report)
        results[f"{label}: xlsx with chart"] += time.perf_counter() - began
        cpu[f"{label}: xlsx with chart"] += time.process_time() - began_cpu
        async with app.uow() as uow:
            await timed(results, cpu, f"{label}: chat text + chart",
                        company.company_summary(uow.session, communities, start, end, app.now()))
        print(f"  {label}: {len(figures.communities)} communities, {figures.total.cases:,} cases, "
              f"overdue {figures.total.overdue_rate or 0:.1%}, satisfied {figures.total.satisfied_rate or 0:.1%}, "
              f"response median {figures.total.first_response.median or 0:.2f} min "
              f"P90 {figures.total.first_response.p90 or 0:.2f}, completion median "
              f"{figures.total.completion.median or 0:.2f} min P90 {figures.total.completion.p90 or 0:.2f}", flush=True)
    return results, cpu


async def bench(url: str, args: argparse.Namespace, *, reuse: bool) -> dict[str, dict[str, float]]:
    """Columns of seconds: the report read from the raw tables and from the rollups, wall and CPU."""
    clock = FakeClock(END + timedelta(hours=9))
    settings = Settings(DATABASE_URL=url, COMMUNITY_FILE=COMMUNITY, _env_file=None)  # type: ignore[call-arg]
    app = await build_app(settings, clock)
    columns: dict[str, dict[str, float]] = {}
    try:
        if not reuse:
            await seed(app, args.communities, args.cases, args.days)
        last = END.astimezone(LOCAL).date()  # END is a local midnight: the day after the span
        periods = {"month": (last - timedelta(days=30), last), "quarter": (last - timedelta(days=91), last),
                   f"{args.days} days": (last - timedelta(days=args.days), last)}
        if not args.only_explain:
            states = await without_rollups(app)
            if not args.skip_raw:
                print(f"  from the raw tables (load {os.getloadavg()[0]:.1f}):", flush=True)
                columns["raw"], columns["raw CPU"] = await report_steps(app, periods)
            await restore_rollups(app, states)
            if args.rebuild or not states:
                began, began_cpu = time.perf_counter(), time.process_time()
                async with app.uow() as uow:
                    done = await rollups.refresh(uow, app.now(), rebuild=True)
                    await uow.commit()
                print(f"  rolled up {done.days:,} days of {done.communities} communities in "
                      f"{time.perf_counter() - began:.1f} s ({time.process_time() - began_cpu:.1f} s CPU)", flush=True)
            await catch_up_after_changes(app, clock)
            print(f"  from the rollups (load {os.getloadavg()[0]:.1f}):", flush=True)
            columns["rollup"], columns["rollup CPU"] = await report_steps(app, periods)
        if (args.explain or args.only_explain) and app.engine.dialect.name == "postgresql":
            for label in ("month", f"{args.days} days"):
                print(f"  plans over the {label}:")
                await explain(app, *periods[label])
    finally:
        await app.close()
    return columns


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--communities", type=int, default=50)
    parser.add_argument("--cases", type=int, default=700_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--sqlite", action="store_true", help="SQLite too (slow to seed at full size)")
    parser.add_argument("--keep", metavar="NAME", help="keep the PostgreSQL database under this name")
    parser.add_argument("--reuse", metavar="NAME", help="time an existing PostgreSQL database (no seeding)")
    parser.add_argument("--explain", action="store_true", help="print the PostgreSQL plans")
    parser.add_argument("--only-explain", action="store_true", help="print the plans and time nothing")
    parser.add_argument("--rebuild", action="store_true", help="roll up every day again before timing the rollups")
    parser.add_argument("--skip-raw", action="store_true", help="time only the report read from the rollups")
    args = parser.parse_args()

    runs: dict[str, dict[str, float]] = {}
    if args.sqlite:
        with tempfile.TemporaryDirectory(prefix="wuye-bench-") as tmp:
            print("SQLite:", flush=True)
            for column, figures in (await bench(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}", args,
                                                reuse=False)).items():
                runs[f"SQLite {column}"] = figures
    if not args.no_pg:
        name = args.reuse or args.keep or f"wuye_bench_{uuid.uuid4().hex[:8]}"
        try:
            if not args.reuse:
                await _pg_admin(f'CREATE DATABASE "{name}"')
        except (OSError, asyncio.TimeoutError, ImportError) as exc:
            print(f"PostgreSQL: skipped, no server at {PG_ADMIN} ({exc.__class__.__name__})")
        else:
            try:
                url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
                print(f"PostgreSQL (database {name}):", flush=True)
                for column, figures in (await bench(url, args, reuse=bool(args.reuse))).items():
                    runs[f"PG {column}"] = figures
            finally:
                if not (args.keep or args.reuse):
                    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    if not runs:
        return
    print_seconds(f"company report, {args.communities} communities, {args.cases:,} cases over {args.days} days — "
                  f"seconds, wall and this process's CPU (load {os.getloadavg()[0]:.1f} at the end)", runs)


if __name__ == "__main__":
    asyncio.run(main())
