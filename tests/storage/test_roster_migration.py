"""Migration 0007_roster_changes on SQLite and PostgreSQL: the table is added, and going back
down drops only it — cases and their timelines stay (no rebuild of `cases` on SQLite)."""

from __future__ import annotations

from tests.storage.test_fee_history_migration import _run, _sql, empty_url  # noqa: F401  (the fixture)


async def test_the_roster_table_comes_and_goes_without_touching_the_cases(empty_url: str) -> None:  # noqa: F811
    await _run(empty_url, "0007_roster_changes")
    await _sql(
        empty_url,
        "INSERT INTO communities (id, code, name, policy) VALUES (1, 'c', 'C', '{}')",
        "INSERT INTO teams (id, community_id, code, name) VALUES (1, 1, 'engineering', 'E')",
        "INSERT INTO staff (id, community_id, code, name, phone, role, team_id, active) "
        "VALUES (7, 1, 'gc01', 'W', '', 'engineer', 1, true), (9, 1, 'gc09', 'M', '', 'engineering_manager', 1, true)",
        "INSERT INTO cases (id, community_id, kind, category, area, urgency, status, place, reporter_channel, "
        "reporter_chat_id, description, details, photos, team_code, fee_cents, rework_round, escalation_level, "
        "confirmed_by, created_at, updated_at, version, source) VALUES (3, 1, 'report', 'plumbing', 'home', 'normal', "
        "'dispatched', '', '', '', 'leak', '{}', '[]', 'engineering', 0, 0, 0, '', "
        "'2026-06-01 01:00:00', '2026-06-01 01:00:00', 1, 'chat')",
        "INSERT INTO case_timeline (case_id, at, action, actor_kind, actor_id, note, data) VALUES "
        "(3, '2026-06-01 01:00:00', 'opened', 'system', NULL, '', '{}')",
        "INSERT INTO roster_changes (community_id, staff_id, on_duty, starts_at, ends_at, made_at, made_by_id, via) "
        "VALUES (1, 7, true, '2026-06-06 12:00:00', '2026-06-07 00:00:00', '2026-06-06 02:00:00', 9, 'chat')",
    )
    # A supervisor leaving the register keeps their changes (made_by goes), a person removed takes theirs.
    await _sql(empty_url, "DELETE FROM staff WHERE id = 9")
    assert await _sql(empty_url, "SELECT staff_id, made_by_id FROM roster_changes") == [(7, None)]
    await _run(empty_url, "0006_dispatch", down=True)
    assert await _sql(empty_url, "SELECT count(*) FROM case_timeline") == [(1,)]
    assert await _sql(empty_url, "SELECT count(*) FROM cases") == [(1,)]
    await _run(empty_url, "head")
    assert await _sql(empty_url, "SELECT count(*) FROM roster_changes") == [(0,)]
