"""What the server does to a connection is told apart from a bug: the error a terminated
connection gives is transient (the work is tried again, one line in the log); a broken
constraint is not (its traceback is kept)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from storage import db
from storage.failures import log_failure, transient
from tests.conftest import _pg_admin


async def _error_of(engine, sql: str) -> BaseException:  # type: ignore[no-untyped-def]
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql))
    except Exception as exc:
        return exc
    raise AssertionError(f"{sql} did not fail")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no server to drop them
async def test_a_terminated_connection_is_transient_and_a_broken_constraint_is_a_bug(
        database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 60.0)  # in steady use: not pinged before its statement
    engine = db.create_engine(database_url)
    try:
        async with engine.connect() as conn:
            pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        await _pg_admin(f"SELECT pg_terminate_backend({pid})")
        dropped = await _error_of(engine, "SELECT 1")
        broken = await _error_of(engine, "INSERT INTO communities (id) VALUES (NULL)")
    finally:
        await engine.dispose()

    assert transient(dropped) and not transient(broken)
    log = logging.getLogger("wuye.test")
    with caplog.at_level(logging.WARNING, logger="wuye.test"):
        log_failure(log, dropped, "the job %s failed", "x", then="the next run retries")
        log_failure(log, broken, "the job %s failed", "y", then="the next run retries")
    first, second = caplog.records
    assert first.levelno == logging.WARNING and first.exc_info is None
    assert first.getMessage().startswith("the job x failed: database unavailable (")
    assert first.getMessage().endswith("); the next run retries")
    assert second.levelno == logging.ERROR and second.exc_info is not None
    assert second.getMessage() == "the job y failed; the next run retries"
