"""Migration 0007_communities on SQLite and PostgreSQL: the chat identities of a database of
one community get that community (from the owner or staff row they link), a chat user may
then be linked in a second community, still only once unbound; and it goes back down
(one row per chat user again) without touching cases or their timelines."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from tests.storage.test_fee_history_migration import _run, _sql, empty_url  # noqa: F401  (the fixture)


async def test_identities_get_their_community_and_go_back_down(empty_url: str) -> None:  # noqa: F811
    await _run(empty_url, "0006_dispatch")
    await _sql(
        empty_url,
        "INSERT INTO communities (id, code, name, policy) VALUES (1, 'a', 'A', '{}'), (2, 'b', 'B', '{}')",
        "INSERT INTO teams (id, community_id, code, name) VALUES (1, 2, 'engineering', 'E')",
        "INSERT INTO staff (id, community_id, code, name, phone, role, team_id, active) "
        "VALUES (7, 2, 'gc01', 'W', '', 'engineer', 1, true)",
        "INSERT INTO owners (id, community_id, name, phone, muted_notices) VALUES (5, 1, 'Z', '13800000001', false)",
        "INSERT INTO identities (id, channel, user_id, chat_id, owner_id, staff_id, locale) VALUES "
        "(1, 'telegram', '100', '100', 5, NULL, 'zh-CN'), (2, 'telegram', '200', '200', NULL, 7, 'en'), "
        "(3, 'telegram', '300', '300', NULL, NULL, 'zh-CN')",
        "INSERT INTO cases (id, community_id, kind, category, area, urgency, status, place, reporter_channel, "
        "reporter_chat_id, description, details, photos, team_code, fee_cents, rework_round, escalation_level, "
        "confirmed_by, source, created_at, updated_at, version) VALUES (3, 1, 'report', 'plumbing', 'home', "
        "'normal', 'open', '', 'telegram', '100', 'leak', '{}', '[]', '', 0, 0, 0, '', 'chat', "
        "'2026-06-01 01:00:00', '2026-06-01 01:00:00', 1)",
        "INSERT INTO case_timeline (case_id, at, action, actor_kind, actor_id, note, data) VALUES "
        "(3, '2026-06-01 01:00:00', 'opened', 'owner', 5, '', '{}')",
    )
    await _run(empty_url, "0007_communities")
    assert await _sql(empty_url, "SELECT id, community_id FROM identities ORDER BY id") == [(1, 1), (2, 2), (3, None)]
    # The owner of A is also staff in B: a second row for the same chat user.
    await _sql(empty_url, "INSERT INTO identities (id, channel, user_id, chat_id, community_id, staff_id, locale) "
                          "VALUES (4, 'telegram', '100', '100', 2, 7, 'zh-CN')")
    for duplicate in ("(5, 'telegram', '100', '100', 2, NULL, 'zh-CN')",  # twice in one community
                      "(6, 'telegram', '300', '300', NULL, NULL, 'zh-CN')"):  # unbound twice
        with pytest.raises(IntegrityError):
            await _sql(empty_url, "INSERT INTO identities (id, channel, user_id, chat_id, community_id, staff_id, "
                                  f"locale) VALUES {duplicate}")
    await _sql(empty_url, "UPDATE conversations SET community_id = 2")  # the column exists
    await _run(empty_url, "0006_dispatch", down=True)
    assert await _sql(empty_url, "SELECT id, owner_id, staff_id FROM identities ORDER BY id") == \
        [(1, 5, None), (2, None, 7), (3, None, None)]
    with pytest.raises(IntegrityError):
        await _sql(empty_url, "INSERT INTO identities (id, channel, user_id, chat_id, locale) "
                              "VALUES (9, 'telegram', '100', '100', 'zh-CN')")
    assert await _sql(empty_url, "SELECT count(*) FROM case_timeline") == [(1,)]
    await _run(empty_url, "0007_communities")  # and up again
    assert await _sql(empty_url, "SELECT id, community_id FROM identities ORDER BY id") == [(1, 1), (2, 2), (3, None)]
