"""How long the month's case archive (`wuye report --cases`) takes on a busy desk.

    python bench/export.py [--cases N] [--one-month] [--repeat R] [--pg] [--pg-url URL] [--db-file PATH]
                           [--pg-db NAME] [--format xlsx|csv|both]

Seeds N cases (default 100,000) over half a year — the same histories as bench/reports.py:
timelines, reworks, callbacks — into a fresh SQLite file, and with --pg into a scratch
PostgreSQL database it creates and drops; gives them owner-typed descriptions (some carry
a phone number typed an odd way, some start with a formula); then times the archive of
April (about 16,500 cases and 93,000 timeline entries) as xlsx and as csv, median of R
runs, and checks the files: every case of the month exported, no formula cell, nothing
left to mask.  --one-month puts all N cases into that month instead (a stress case).
--db-file keeps the seeded SQLite file there and reuses it on the next run (seeding 100k
cases takes minutes; the timing itself does not); --pg-db NAME does the same with a
PostgreSQL database of that name (created when missing, never dropped).  Wall and CPU
seconds are printed (on a shared machine the wall clock also counts other people's work),
and the process's peak RSS after the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import bench.reports as seed  # noqa: E402
from bot.bootstrap import build_app, load_community_file  # noqa: E402
from bot.settings import Settings  # noqa: E402
from cases.clock import FakeClock  # noqa: E402
from cases.privacy import scrub  # noqa: E402
from services.reports import statistics as reporting  # noqa: E402
from storage import models as m  # noqa: E402
from storage.db import create_engine  # noqa: E402

DESCRIPTIONS = [
    "厨房水槽下面的水管接头漏水，地面都湿了",
    "楼道灯坏了好几天，晚上看不见，麻烦尽快修",
    "电话 138 0000 0001，下午在家，来之前打我电话",
    "=HYPERLINK(\"http://example.invalid/?\"&J2&K2,\"点此查看照片\")",
    "卫生间地漏反味，联系我１３９．１２３４．５６７８",
    "空调外机噪音很大，影响休息",
    "-1+1 门禁卡失灵",
    "@物业 停车位被占用了",
    "窗户关不严，漏风",
    "电梯按钮不亮",
]


async def run(url: str, n: int, repeat: int, one_month: bool, seeded: bool = False,
              formats: tuple[str, ...] = ("xlsx", "csv")) -> dict[str, float]:
    days = 30 if one_month else seed.DAYS  # --one-month: the whole history inside one month
    if one_month:
        month_end = seed.END.astimezone(seed.timezone(timedelta(hours=8))).date()
        month = (month_end - timedelta(days=31), month_end + timedelta(days=1))
    else:
        month = (date(2026, 4, 1), date(2026, 5, 1))  # as bench/reports.py
    settings = Settings(DATABASE_URL=url, COMMUNITY_FILE=seed.COMMUNITY, _env_file=None)  # type: ignore[call-arg]
    app = await build_app(settings, FakeClock(seed.END + timedelta(hours=9)))
    out: dict[str, float] = {}
    try:
        began = time.perf_counter()
        if not seeded:
            await load_community_file(app, str(seed.COMMUNITY))
            counts = await seed.Seeder(app, n, days=days).run()
        else:
            async with app.uow() as uow:
                counts = {"cases": await uow.session.scalar(select(func.count()).select_from(m.Case)),
                          "timeline": await uow.session.scalar(select(func.count()).select_from(m.TimelineEntry))}
        if not seeded:  # a kept database has them: rewriting every case each run bloats PostgreSQL's table
            async with app.engine.begin() as conn:
                for i, description in enumerate(DESCRIPTIONS):
                    await conn.execute(text("UPDATE cases SET description = :d WHERE id % :k = :i"),
                                       {"d": description, "k": len(DESCRIPTIONS), "i": i})
                if app.engine.dialect.name == "postgresql":
                    await conn.execute(text("ANALYZE"))
        zone = ZoneInfo("Asia/Shanghai")
        bounds = [datetime.combine(d, datetime.min.time(), tzinfo=zone) for d in month]
        async with app.uow() as uow:
            in_month = await uow.session.scalar(select(func.count()).select_from(m.Case).where(
                m.Case.created_at >= bounds[0], m.Case.created_at < bounds[1]))
        print(f"  seeded {counts['cases']:,} cases, {counts['timeline']:,} timeline entries "
              f"in {time.perf_counter() - began:.1f} s; {in_month:,} in the month exported", flush=True)
        for fmt in formats:
            times, cpu = [], []
            for _ in range(repeat):
                began, began_cpu = time.perf_counter(), time.process_time()
                data = await reporting.export_cases(app.uow(), *month, fmt, now=app.now())
                times.append(time.perf_counter() - began)
                cpu.append(time.process_time() - began_cpu)
            out[fmt], out[fmt + " cpu"] = statistics.median(times), statistics.median(cpu)
            # CPU seconds as well: on a shared machine the wall clock also counts other people's work.
            print(f"  {fmt}: {len(data) / 1e6:.1f} MB, median {out[fmt]:.2f} s wall, {out[fmt + ' cpu']:.2f} s CPU "
                  f"(runs: {', '.join(f'{t:.2f}' for t in times)})", flush=True)
            exported = _check(data, fmt)
            print(f"  {fmt}: {exported:,} cases in the file, no formula, no unmasked phone", flush=True)
            assert exported == in_month, (exported, in_month)
    finally:
        await app.close()
    return out


def _check(data: bytes, fmt: str) -> int:
    """The export holds every case, no formula cell and no unmasked phone."""

    if fmt == "csv":
        import csv

        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for row in rows for cell in row)
        assert all(scrub(row[10]) == row[10] for row in rows)  # descriptions: nothing left to mask
        return len(rows)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True)["Cases"]
    count = 0
    for row in sheet.iter_rows(min_row=2):
        count += 1
        for cell in row:
            assert cell.data_type != "f", cell.value
    return count


async def _has_cases(url: str) -> bool:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return bool(await conn.scalar(text("SELECT count(*) FROM cases")))
    except Exception:  # noqa: BLE001 - the database exists but holds no schema yet
        async with engine.connect() as conn:
            await conn.scalar(text("SELECT 1"))  # raises when there is no such database
        return False
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one-month", action="store_true", help="all cases opened in the exported month")
    parser.add_argument("--pg", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--pg-url", default=seed.PG_ADMIN)
    parser.add_argument("--format", choices=["xlsx", "csv", "both"], default="both")
    parser.add_argument("--db-file", type=Path, default=None, help="keep the seeded SQLite file here and reuse it")
    parser.add_argument("--pg-db", default=None, help="keep the seeded PostgreSQL database of this name and reuse it")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="wuye-export-") as tmp:
        print("SQLite:", flush=True)
        path = args.db_file or Path(tmp) / "bench.sqlite3"
        seeded = path.exists()
        formats = ("xlsx", "csv") if args.format == "both" else (args.format,)
        results["SQLite"] = await run(f"sqlite+aiosqlite:///{path}", args.cases, args.repeat, args.one_month, seeded,
                                      formats)
    if args.pg or args.pg_db:
        seed.PG_ADMIN = args.pg_url
        name = args.pg_db or f"wuye_export_{uuid.uuid4().hex[:8]}"
        url = make_url(args.pg_url).set(database=name).render_as_string(hide_password=False)
        seeded = False
        if args.pg_db:
            try:
                seeded = await _has_cases(url)
            except Exception:  # noqa: BLE001 - no such database yet
                await seed._pg_admin(f'CREATE DATABASE "{name}"')
        else:
            await seed._pg_admin(f'CREATE DATABASE "{name}"')
        try:
            print(f"PostgreSQL ({name}):", flush=True)
            results["PostgreSQL"] = await run(url, args.cases, args.repeat, args.one_month, seeded, formats)
        finally:
            if not args.pg_db:
                await seed._pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    scope = "all in the month" if args.one_month else "over half a year, April exported"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nmonth archive, {args.cases:,} cases {scope}: median seconds (goal: xlsx under 3 s); "
          f"peak RSS {rss:.0f} MB; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for backend, r in results.items():
        print(f"  {backend:11} " + "   ".join(f"{fmt} {r[fmt]:6.2f} wall {r[fmt + ' cpu']:6.2f} CPU" for fmt in formats))


if __name__ == "__main__":
    asyncio.run(main())
