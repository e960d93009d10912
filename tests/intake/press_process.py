"""A desk in its own OS process pressing buttons: `python tests/intake/press_process.py URL NOW START PRESSES`.

The double-submit test runs two of these at once on one PostgreSQL database, as two
`wuye run` processes or webhook replicas would handle the same owner's two presses.
NOW is the ISO time its clock shows (the test's fake time), START a wall-clock epoch
both wait for so the presses really race, PRESSES a JSON list of [user, payload].
It handles them all at once and prints, as JSON, the texts each user was sent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.bootstrap import build_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from cases.clock import FakeClock  # noqa: E402
from handlers.kit.messages import Inbound  # noqa: E402


async def main(url: str, now: str, start: float, presses: list[list[str]]) -> None:
    app = await build_app(Settings(DATABASE_URL=url, _env_file=None), FakeClock(datetime.fromisoformat(now)),  # type: ignore[call-arg]
                          run_migrations=False)
    ids = itertools.count(os.getpid() * 1000)  # update ids of this process's own
    async with app.uow() as uow:  # connect before the race, not during it
        await uow.directory.community()
    await asyncio.sleep(max(0.0, start - time.time()))
    outcomes = await asyncio.gather(*(
        app.desk.handle(Inbound(channel="console", chat_id=user, user_id=user, update_id=str(next(ids)),
                                payload=payload)) for user, payload in presses))
    await app.close()
    sent: dict[str, list[str]] = {}
    for outcome in outcomes:
        for reply in outcome.replies:
            sent.setdefault(reply.chat_id, []).append(reply.text)
    print(json.dumps(sent, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), json.loads(sys.argv[4])))
