"""Migration 0006_dispatch on SQLite and PostgreSQL: the fees of visits finished before it
are copied into the fee history, so old reworked cases add up too; and it goes back down."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from storage.db import _alembic_config, create_engine
from tests.conftest import PG_URL, _pg_admin


async def _run(url: str, target: str, down: bool = False) -> None:
    engine = create_engine(url)

    def go(connection: Connection) -> None:
        (command.downgrade if down else command.upgrade)(_alembic_config(connection), target)

    try:
        async with engine.begin() as conn:
            await conn.run_sync(go)
    finally:
        await engine.dispose()


async def _sql(url: str, *statements: str) -> list[tuple]:  # type: ignore[type-arg]
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            result = None
            for s in statements:
                result = await conn.execute(text(s))
            return list(result.all()) if result is not None and result.returns_rows else []
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(request: pytest.FixtureRequest, tmp_path, pg_database):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
        return
    if pg_database is None:
        pytest.skip("PostgreSQL not reachable")
    name = f"wuye_mig_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_old_fees_are_copied_into_the_history(empty_url: str) -> None:
    await _run(empty_url, "0005_typed")
    await _sql(
        empty_url,
        "INSERT INTO communities (id, code, name, policy) VALUES (1, 'c', 'C', '{}')",
        "INSERT INTO teams (id, community_id, code, name) VALUES (1, 1, 'engineering', 'E')",
        "INSERT INTO staff (id, community_id, code, name, phone, role, team_id, active) "
        "VALUES (7, 1, 'gc01', 'W', '', 'engineer', 1, true)",
        "INSERT INTO cases (id, community_id, kind, category, area, urgency, status, place, reporter_channel, "
        "reporter_chat_id, description, details, photos, team_code, fee_cents, rework_round, escalation_level, "
        "confirmed_by, created_at, updated_at, version) VALUES (3, 1, 'report', 'plumbing', 'home', 'normal', "
        "'done', '', '', '', 'leak', '{}', '[]', 'engineering', 2000, 1, 0, '', "
        "'2026-06-01 01:00:00', '2026-06-01 01:00:00', 1)",
        "INSERT INTO case_timeline (case_id, at, action, actor_kind, actor_id, note, data) VALUES "
        "(3, '2026-06-01 02:00:00', 'done', 'staff', 7, 'first visit', '{\"fee_cents\": 3500}'), "
        "(3, '2026-06-02 02:00:00', 'reopened', 'system', NULL, '', '{}'), "
        "(3, '2026-06-03 02:00:00', 'done', 'staff', 7, 'second visit', '{\"fee_cents\": 2000}'), "
        "(3, '2026-06-03 03:00:00', 'done', 'staff', 7, 'free check', '{\"fee_cents\": 0}')",
    )
    await _run(empty_url, "0006_dispatch")
    rows = await _sql(empty_url, "SELECT case_id, cents, staff_id, reason FROM case_fees ORDER BY id")
    assert rows == [(3, 3500, 7, "first visit"), (3, 2000, 7, "second visit")]
    await _run(empty_url, "0005_typed", down=True)
    tables = await _sql(empty_url, "SELECT count(*) FROM case_timeline")
    assert tables == [(4,)]
