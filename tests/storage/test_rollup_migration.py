"""Migration 0008_rollup on SQLite and PostgreSQL: the rollup tables and the index on
`cases.updated_at` come, and going back down drops only them — cases and their timelines stay
(no rebuild of `cases` on SQLite)."""

from __future__ import annotations

from tests.storage.test_fee_history_migration import _run, _sql, empty_url  # noqa: F401  (the fixture)


async def test_the_rollup_tables_come_and_go_without_touching_the_cases(empty_url: str) -> None:  # noqa: F811
    await _run(empty_url, "0008_rollup")
    await _sql(
        empty_url,
        "INSERT INTO communities (id, code, name, policy) VALUES (1, 'c', 'C', '{}')",
        "INSERT INTO cases (id, community_id, kind, category, area, urgency, status, place, reporter_channel, "
        "reporter_chat_id, description, details, photos, team_code, fee_cents, rework_round, escalation_level, "
        "confirmed_by, created_at, updated_at, version, source) VALUES (3, 1, 'report', 'plumbing', 'home', 'normal', "
        "'dispatched', '', '', '', 'leak', '{}', '[]', 'engineering', 0, 0, 0, '', "
        "'2026-06-01 01:00:00', '2026-06-01 01:00:00', 1, 'chat')",
        "INSERT INTO case_timeline (case_id, at, action, actor_kind, actor_id, note, data) VALUES "
        "(3, '2026-06-01 01:00:00', 'opened', 'system', NULL, '', '{}')",
        "INSERT INTO rollup_counts (community_id, day, kind, opened, cancelled, finished, reopened, closed, covered, "
        "by_phone, pending) VALUES (1, '2026-06-01', 'report', 1, 0, 0, 0, 0, 0, 0, 0)",
        "INSERT INTO rollup_state (community_id, through, checked_at) VALUES (1, '2026-06-01', '2026-06-02 00:00:00')",
    )
    await _run(empty_url, "0007_company", down=True)
    assert await _sql(empty_url, "SELECT count(*) FROM case_timeline") == [(1,)]
    assert await _sql(empty_url, "SELECT count(*) FROM cases") == [(1,)]
    await _run(empty_url, "head")
    assert await _sql(empty_url, "SELECT count(*) FROM rollup_counts") == [(0,)]
    # A community removed takes its rollups with it.
    await _sql(empty_url, "INSERT INTO rollup_state (community_id, through, checked_at) "
                          "VALUES (1, '2026-06-01', '2026-06-02 00:00:00')")
    await _sql(empty_url, "DELETE FROM cases", "DELETE FROM communities")
    assert await _sql(empty_url, "SELECT count(*) FROM rollup_state") == [(0,)]
