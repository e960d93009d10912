"""One WeChat delivery worker as its own OS process, for the multi-process test:

    python -m tests.wechat.delivery_process DATABASE_URL API_ROOT

It takes the access token from the database (refreshing it only if nobody has), delivers
the outbox with the production `Deliverer`, `SqlOutbox` and `WechatSender`, and exits once
no pending row is left for a second.  Prints how many it delivered and how many times it
asked the platform for a token.
"""

from __future__ import annotations

import asyncio
import sys

from bot.delivery import Deliverer, RetryPolicy
from bot.outbox import SqlOutbox
from bot.wechat import WechatChannel
from cases.clock import SystemClock
from storage.db import create_engine, session_maker
from tests.delivery_only import NoCore, until_outbox_idle
from tests.wechat.standin import APP_ID, APP_SECRET, TOKEN


async def main(url: str, root: str) -> None:
    engine = create_engine(url)
    sessions = session_maker(engine)
    clock = SystemClock()
    channel = WechatChannel(app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, aes_key=None, api_root=root,
                            sessions=sessions, core=NoCore(), now=clock.now, media_dir=None)
    # Small batches, so the two processes share the backlog instead of one claiming it all.
    deliverer = Deliverer(SqlOutbox(sessions, clock), channel.sender, now=clock.now, poll_interval=0.1,
                          batch_size=50, max_held=100,
                          retry=RetryPolicy(first_delay=0.2, max_delay=1.0, max_attempts=50))
    stop = asyncio.Event()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "go": both start together
    task = asyncio.create_task(deliverer.run_forever(stop))
    await until_outbox_idle(sessions)
    stop.set()
    await task
    print(f"delivered {deliverer.delivered} fetched {channel.tokens.fetches}", flush=True)
    await channel.stop()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
