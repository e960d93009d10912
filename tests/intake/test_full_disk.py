"""A full disk under the shell (issue 15.5): every later input gets a visible answer with
the hotline, nothing already shown is printed again, and the log says it in one line per
update instead of tracebacks.  SQLite's max_page_count makes the database file full."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from sqlalchemy import event

from bot.bootstrap import build_app, load_community_file
from bot.console import Shell
from cases.clock import FakeClock
from tests.conftest import EXAMPLE_COMMUNITY, make_settings

APOLOGY = "💬 抱歉，系统开小差了，请稍后再试；紧急情况请拨打 0571-8888-6666。"


async def test_a_full_disk_in_the_shell(tmp_path: Path, sqlite_template: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "wuye.sqlite3"
    shutil.copy(sqlite_template, path)
    app = await build_app(make_settings(f"sqlite+aiosqlite:///{path}"), FakeClock(), run_migrations=False)
    try:
        await load_community_file(app, str(EXAMPLE_COMMUNITY))
        out: list[str] = []
        shell = Shell(app, out.append)
        await shell.start()
        for line in ("/as owner 1-1-101", "/start", "/contact"):
            await shell.handle(line)
        await app.engine.dispose()

        @event.listens_for(app.engine.sync_engine, "connect")
        def _full(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA page_count")
            size = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count={size}")
            cursor.close()

        caplog.set_level(logging.INFO)
        seen = len(out)
        answers: list[list[str]] = []
        for n in range(12):  # until the file is full, and beyond
            await shell.handle(f"/help {'满' * 2000}{n}")
            answers.append(out[seen:])
            seen = len(out)
        await shell.handle("楼道里着火了冒烟")
        answers.append(out[seen:])

        full = next(i for i, lines in enumerate(answers) if lines == [APOLOGY])
        assert full < 11, answers  # the disk did fill up
        for lines in answers[full:]:
            assert lines == [APOLOGY]  # one visible answer each, nothing shown before comes back
        records = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert records and all(r.exc_info is None for r in records[-4:])
        assert all("满" not in r.getMessage() and "着火" not in r.getMessage() for r in caplog.records)
    finally:
        await app.close()
