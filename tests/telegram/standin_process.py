"""The Bot API stand-in as its own process, so a bench's measurements of the bot are not
disturbed by the stand-in sharing its event loop (and its memory):

    python -m tests.telegram.standin_process --rate 30 --users 10000 [--slack 0.0]

prints one JSON line {"root", "token", "users": [ids]} when it listens, then waits for a
line on stdin and answers with one JSON line: every accepted message call's arrival and
chat, the refusals for going over a limit, and the limit violations found.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bot.ratelimit import Limits, Rate
from tests.telegram.botapi_standin import BotApiStandIn


async def main(args: argparse.Namespace) -> None:
    async with BotApiStandIn(limits=Limits(overall=Rate(args.rate, 1.0)), rate_slack=args.slack) as api:
        users = [u.id for u in api.users(args.users)]
        print(json.dumps({"root": api.root, "token": api.token, "users": users}), flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.readline)
        print(json.dumps({"sends": api.sends, "throttled": len(api.throttled),
                          "violations": api.rate_violations()[:20]}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=30)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--slack", type=float, default=0.0)
    asyncio.run(main(parser.parse_args()))
