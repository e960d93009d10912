"""One delivery worker as its own OS process, for the multi-process tests and benches:

    python -m tests.telegram.delivery_worker DATABASE_URL API_ROOT TOKEN [SCALE]

It connects to the Bot API (no updates taken), delivers the outbox with the production
`Deliverer` and `SqlOutbox`, and exits once no pending row is left for a second (or on
SIGTERM).  SCALE scales Telegram's limits' periods (0.01 = a hundred times faster).
With REDIS_URL in the environment the overall pace is the one shared through Redis;
WORKER_MAX_HELD caps the rows it holds at once (so a small backlog is shared out).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from bot.delivery import Deliverer, RetryPolicy
from bot.outbox import SqlOutbox
from bot.ratelimit import Limits, RateLimiter
from bot.shared_pace import RedisPace, pace_key
from bot.telegram import build_telegram_channel
from cases.clock import SystemClock
from storage.db import create_engine, session_maker
from tests.delivery_only import NoCore, until_outbox_idle


async def main(url: str, root: str, token: str, scale: float) -> None:
    engine = create_engine(url)
    sessions = session_maker(engine)
    redis_url = os.environ.get("REDIS_URL")
    pace = await RedisPace.connect(redis_url, pace_key("telegram", token.split(":")[0])) if redis_url else None
    channel = build_telegram_channel("ptb", token, root, NoCore(),
                                     limiter=RateLimiter(Limits().scaled(scale), shared=pace))
    await channel.connect()
    clock = SystemClock()
    held = int(os.environ.get("WORKER_MAX_HELD", "2000"))
    deliverer = Deliverer(SqlOutbox(sessions, clock), channel.sender, now=clock.now, poll_interval=0.1,
                          retry=RetryPolicy(first_delay=0.2, max_delay=1.0, max_attempts=50),
                          batch_size=min(500, held), max_held=held)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    task = asyncio.create_task(deliverer.run_forever(stop))
    print("ready", flush=True)
    await until_outbox_idle(sessions, stop)
    stop.set()
    await task
    print(f"delivered {deliverer.delivered}", flush=True)
    await channel.stop()
    if pace is not None:
        await pace.close()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else 0.01))
