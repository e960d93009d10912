"""On SQLite a report or an export does not hold the bot's write lock while it reads.

Every unit of work begins IMMEDIATE (writers queue instead of failing), so before this an
archive of a busy month held the one write lock for its whole run and every owner's message
waited behind it. A unit of work that declares itself read-only begins DEFERRED."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from bot.bootstrap import App


def _write_from_another_process_would_wait(path: str) -> bool:
    other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return True
    finally:
        other.close()


@pytest.mark.parametrize("read_only", [True, False])
async def test_a_read_only_unit_of_work_leaves_the_write_lock_free(app: App, database_url: str,
                                                                    read_only: bool) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the write lock is SQLite's; PostgreSQL readers never block writers")
    path = database_url.split("///", 1)[1]
    async with app.uow() as uow:
        if read_only:
            await uow.read_only()
        assert (await uow.session.execute(text("SELECT count(*) FROM cases"))).scalar_one() >= 0
        assert _write_from_another_process_would_wait(path) is not read_only
