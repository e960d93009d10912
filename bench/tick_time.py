"""One scheduler tick across all communities of a company database: wall, statements, CPU.

    WUYE_COMPANY_DB=<copy of wuye_company_bench> python bench/tick_time.py <checkout> [runs]

<checkout> is the repository whose scheduler runs (this one, or `git worktree add` of the
branch to compare with: "before").  The tick does its real work (escalations, outbox rows),
so point it at a copy (`CREATE DATABASE x TEMPLATE wuye_company_bench`), not the kept one.
The first tick does what was due; the next ones are the steady 30-second cost.
"""
import asyncio
import os
import statistics
import sys
import tempfile
import time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from sqlalchemy import event
from bot.bootstrap import build_app
from bot.scheduler import tick
import bot.scheduler
from cases.clock import SystemClock
from tests.conftest import PG_URL, make_settings
from sqlalchemy.engine import make_url

async def main():
    url = make_url(PG_URL).set(database=os.environ["WUYE_COMPANY_DB"]).render_as_string(hide_password=False)
    tmp = Path(tempfile.mkdtemp())
    app = await build_app(make_settings(url, MEDIA_DIR=str(tmp / "media")), SystemClock(), run_migrations=False)
    seen = []
    event.listen(app.engine.sync_engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    print("code:", bot.scheduler.__file__, " load", os.getloadavg()[0])
    for label, n in (("first", 1), ("next", int(sys.argv[2]))):
        walls, cpus, counts = [], [], []
        for _ in range(n):
            seen.clear(); w, c = time.perf_counter(), time.process_time()
            report = await tick(app)
            walls.append(time.perf_counter() - w); cpus.append(time.process_time() - c); counts.append(len(seen))
        print(f"scheduler tick, 50 communities ({label}): wall median {statistics.median(walls):.2f} s max {max(walls):.2f} s  "
              f"statements {counts[-1]}  CPU median {statistics.median(cpus):.2f} s  "
              f"(escalation replies {report.escalation_replies}, failures {report.failures})", flush=True)
    await app.close()
asyncio.run(main())
