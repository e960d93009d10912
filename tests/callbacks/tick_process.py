"""A bot process that only ticks: `python tests/callbacks/tick_process.py URL NOW START ROUNDS [--kill]`.

The exactly-once tests run two of these at once against one database.  NOW is the
(fixed) ISO time the process's clock shows, START a wall-clock epoch to wait for so the
processes really race, ROUNDS how many ticks to run.  It prints how many surveys it
sent.  With --kill it SIGKILLs itself right after its first tick committed, without
closing anything: the outbox rows are committed, nothing was delivered yet.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.bootstrap import build_app  # noqa: E402
from bot.scheduler import tick  # noqa: E402
from bot.settings import Settings  # noqa: E402
from cases.clock import FakeClock  # noqa: E402


async def main(url: str, now: str, start: float, rounds: int, kill: bool) -> None:
    app = await build_app(Settings(DATABASE_URL=url, _env_file=None), FakeClock(datetime.fromisoformat(now)),  # type: ignore[call-arg]
                          run_migrations=False)
    await asyncio.sleep(max(0.0, start - time.time()))
    sent = 0
    for _ in range(rounds):
        sent += (await tick(app)).surveys
        if kill:
            print(json.dumps({"surveys": sent}), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
    await app.close()
    print(json.dumps({"surveys": sent}), flush=True)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--kill"]
    asyncio.run(main(args[0], args[1], float(args[2]), int(args[3]), "--kill" in sys.argv))
