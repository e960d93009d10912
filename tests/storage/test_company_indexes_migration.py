"""Migration 0007_company on SQLite and PostgreSQL: the two report indexes come and go, and
nothing else does (a case and its timeline survive the way down and up again)."""

from __future__ import annotations

from sqlalchemy import inspect

from storage.db import create_engine
from tests.storage.test_fee_history_migration import _run, _sql, empty_url  # noqa: F401  (the fixture)

CASE = (
    "INSERT INTO cases (id, community_id, kind, category, area, urgency, status, place, reporter_channel, "
    "reporter_chat_id, description, details, photos, team_code, fee_cents, rework_round, escalation_level, "
    "confirmed_by, source, created_at, updated_at, version) VALUES (3, 1, 'report', 'plumbing', 'home', "
    "'normal', 'open', '', 'telegram', '100', 'leak', '{}', '[]', '', 0, 0, 0, '', 'chat', "
    "'2026-06-01 01:00:00', '2026-06-01 01:00:00', 1)"
)


async def _indexes(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda c: {
                i["name"] for table in ("cases", "callbacks") for i in inspect(c).get_indexes(table)})
    finally:
        await engine.dispose()


async def test_the_report_indexes_come_and_go(empty_url: str) -> None:  # noqa: F811
    await _run(empty_url, "0007_roster_changes")
    await _sql(empty_url, "INSERT INTO communities (id, code, name, policy) VALUES (1, 'a', 'A', '{}')", CASE,
               "INSERT INTO case_timeline (case_id, at, action, actor_kind, actor_id, note, data) VALUES "
               "(3, '2026-06-01 01:00:00', 'opened', 'owner', NULL, '', '{}')")
    before = await _indexes(empty_url)
    await _run(empty_url, "0007_company")
    assert await _indexes(empty_url) - before == {"ix_cases_closed", "ix_callbacks_answered"}
    await _run(empty_url, "0007_roster_changes", down=True)
    assert await _indexes(empty_url) == before
    assert await _sql(empty_url, "SELECT count(*) FROM case_timeline") == [(1,)]
    await _run(empty_url, "0007_company")
    assert {"ix_cases_closed", "ix_callbacks_answered"} <= await _indexes(empty_url)
