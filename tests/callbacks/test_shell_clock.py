"""The console shell's demo: `/clock +2h` after a case closed brings the survey, through
the hook `start_scheduler` installs; answering it goes through the shell like any chat."""

from __future__ import annotations

from bot.bootstrap import App
from bot.console import Shell
from bot.scheduler import start_scheduler, stop_scheduler
from tests.callbacks.conftest import callbacks_of, closed_leak
from tests.harness import People


async def test_moving_the_shell_clock_sends_the_survey(app: App, people: People) -> None:
    case_id = await closed_leak(app, people)  # the owner chats as "u1" on the console channel
    scheduler = start_scheduler(app, tick_seconds=3600)
    try:
        out: list[str] = []
        shell = Shell(app, out.append)
        await shell.start()
        shell.user = "u1"  # the shell's "/as": the person at the keyboard is that owner
        out.clear()
        await shell.handle("/clock +1h")
        assert not any("服务回访" in line for line in out)
        await shell.handle("/clock +1h")
        assert any(f"📋 服务回访 · 工单 #{case_id}" in line for line in out), out
        assert (await callbacks_of(app, case_id))[0].state == "sent"
        await shell.handle("/clock +1h")  # nothing more: the survey went out once
        assert sum("📋 服务回访" in line for line in out) == 1
    finally:
        await stop_scheduler(app, scheduler)
