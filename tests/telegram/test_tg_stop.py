"""`wuye run` as a real process against the Bot API stand-in: SIGTERM in the middle of a
burst of 100 messages answers every message taken in before the process exits, exactly
once, and the rest at the next start; a rejected token is one line."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_COMMUNITY, ROOT
from tests.telegram.botapi_standin import BotApiStandIn


async def wuye_run(api: BotApiStandIn, tmp_path: Path, token: str | None = None,
                   **settings: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/w.sqlite3", "TELEGRAM_BOT_TOKEN": token or api.token,
           "TELEGRAM_API_BASE_URL": api.root, "COMMUNITY_FILE": str(EXAMPLE_COMMUNITY), "PYTHONPATH": str(ROOT),
           **settings}
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def stopped(bot: asyncio.subprocess.Process, timeout: float = 120) -> tuple[bytes, bytes]:
    """The process's output once it has exited by itself; killed, with its log in the failure,
    when it has not within `timeout` (systemd allows 90 s; a loaded test machine a little more)."""
    task = asyncio.ensure_future(bot.communicate())
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        bot.kill()
        _, err = await task
        pytest.fail(f"still running {timeout:.0f} s after SIGTERM; its log ends:\n{err.decode()[-3000:]}")
    return task.result()


def replies(api: BotApiStandIn, users: list) -> Counter[int]:  # type: ignore[type-arg]
    return Counter({u.id: len(api.texts(u.id)) for u in users})


async def test_sigterm_during_a_burst_answers_what_was_taken_in_exactly_once(tmp_path: Path) -> None:
    async with BotApiStandIn() as api:  # Telegram's real limits
        users = api.users(100)
        bot = await wuye_run(api, tmp_path)
        await api.until(lambda: api.calls_to("getUpdates"), timeout=300, what="the bot polling")
        for user in users:
            api.say(user, "你好")
        await api.until(lambda: sum(replies(api, users).values()) >= 10, timeout=30, what="the first replies")
        bot.send_signal(signal.SIGTERM)
        out, err = await stopped(bot)
        at_exit = replies(api, users)
        not_taken = {u["message"]["from"]["id"] for u in api._pending_updates}  # never confirmed by the bot
        log = err.decode()

        assert bot.returncode == 0, log[-3000:]
        assert "Traceback" not in log and "CancelledError" not in log, log[-3000:]
        taken = [u for u in users if u.id not in not_taken]
        assert len(taken) >= 10
        assert [u.id for u in taken if at_exit[u.id] != 1] == []  # answered before exit, once
        assert all(at_exit[u.id] == 0 for u in users if u.id in not_taken)

        polls = len(api.calls_to("getUpdates"))
        again = await wuye_run(api, tmp_path)
        await api.until(lambda: len(api.calls_to("getUpdates")) > polls, timeout=300, what="the restart polling")
        await api.until(lambda: all(n >= 1 for n in replies(api, users).values()), timeout=60,
                        what="the rest answered after the restart")
        await asyncio.sleep(1.0)  # nothing more is coming
        again.send_signal(signal.SIGTERM)
        _, err = await stopped(again)

    assert again.returncode == 0 and b"Traceback" not in err, err.decode()[-3000:]
    assert set(replies(api, users).values()) == {1}  # every message answered exactly once


async def test_a_rejected_token_is_one_line_and_no_traceback(tmp_path: Path) -> None:
    async with BotApiStandIn() as api:
        bot = await wuye_run(api, tmp_path, token="1111111111:AAHrevokedrevokedrevokedrevokedrevo")
        _, err = await asyncio.wait_for(bot.communicate(), 60)

    lines = [line for line in err.decode().splitlines() if line.strip()]
    assert bot.returncode != 0
    assert "Traceback" not in err.decode()
    assert lines[-1] == "Error: Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): revoked or mistyped"
