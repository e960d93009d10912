"""The scheduler tick's cross-community due-work scan at company size.

    python bench/tick_scan.py [--runs 5]

Runs `storage.due_times.by_community` — what every tick (and every `next_due`) asks
first, one grouped query per kind of due work across all communities — on the kept
company database (`bench/company.py`, WUYE_COMPANY_DB, default wuye_company_bench), prints
its wall time, statements and CPU per run, how many communities have work of each kind,
and the EXPLAIN ANALYZE plan of each query.  Read-only: it selects a few columns, so it
also runs on a bench database a migration or two behind the code.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine  # noqa: E402

from bench.company import Statements, bench_url, explain  # noqa: E402
from storage.directory import Directory  # noqa: E402
from storage.due_times import by_community  # noqa: E402


async def main(runs: int) -> None:
    url = bench_url()
    engine = create_async_engine(url)
    statements = Statements(engine)
    now = datetime.now(timezone.utc)
    walls, cpus, counts = [], [], []
    try:
        for _ in range(runs):
            statements.seen.clear()
            statements.on = True
            wall, cpu = time.perf_counter(), time.process_time()
            async with AsyncSession(engine) as session:
                due = await by_community(session, now)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            statements.on = False
            counts.append(len(statements.seen))
        print(f"\n== due-work scan on {url.rsplit('/', 1)[1]}: {len(due)} communities with something waiting")
        print(f"scan (tick and next_due)   wall median {statistics.median(walls) * 1000:.1f} ms  "
              f"max {max(walls) * 1000:.1f} ms   statements {counts[-1]}   CPU median {statistics.median(cpus) * 1000:.1f} ms"
              f"   ({runs} runs)")
        async with AsyncSession(engine) as session:
            policies = {c.id: c.policy for c in await Directory(session).communities()}
        kinds = {"a deadline passed below the top level": lambda c, d: bool(d.passed),
                 "a case due to escalate": lambda c, d: d.escalation_due(policies[c], now),
                 "emergencies": lambda c, d: d.emergencies,
                 "offers lapsed": lambda c, d: d.offer_until is not None and d.offer_until <= now,
                 "pauses ended": lambda c, d: d.pause_until is not None and d.pause_until <= now,
                 "surveys": lambda c, d: d.survey_due is not None and d.survey_due <= now,
                 "done awaiting confirmation": lambda c, d: d.done is not None}
        print("communities with: " + ", ".join(f"{k} {sum(1 for c, d in due.items() if f(c, d))}"
                                               for k, f in kinds.items()))
        print("plans:")
        for line in await explain(url, statements.seen):
            print(line)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    asyncio.run(main(parser.parse_args().runs))
