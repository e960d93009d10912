"""PostgreSQL's pooled connections are checked before use only after sitting idle."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from storage import db
from tests.conftest import _pg_admin


async def _kill_the_pooled_connection(engine) -> None:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        pid = await conn.scalar(text("SELECT pg_backend_pid()"))
    await _pg_admin(f"SELECT pg_terminate_backend({pid})")


async def test_an_idle_connection_the_server_dropped_is_replaced_before_use(database_url: str,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("an SQLite file has no server to drop connections")
    engine = db.create_engine(database_url)
    try:
        await _kill_the_pooled_connection(engine)
        monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.0)  # as if it had sat idle overnight
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()


async def test_a_connection_in_steady_use_is_not_pinged(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a ping, a dropped connection in steady use fails its next statement (which the
    desk retries): the check is not paid on every checkout."""
    if not database_url.startswith("postgresql"):
        pytest.skip("an SQLite file has no server to drop connections")
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 60.0)
    engine = db.create_engine(database_url)
    try:
        await _kill_the_pooled_connection(engine)
        with pytest.raises(Exception):
            async with engine.connect() as conn:
                await conn.scalar(text("SELECT 1"))
        async with engine.connect() as conn:  # the pool replaced it
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()
