"""`cases.due_at` (migration 0007_console): the deadline each case works against now, stored
for the board by the case repository, on SQLite and PostgreSQL; and the migration fills it in
for the cases already there, and goes back down without touching the timeline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.bootstrap import App
from cases.lifecycle import Actor
from cases.policy import DeskPolicy
from storage import models as m
from tests.storage.test_case_storage import open_case, staff_id
from tests.storage.test_fee_history_migration import _run, _sql, empty_url  # noqa: F401 (the fixture)


async def _stored_due(app: App, case_id: int):  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        return await uow.session.scalar(select(m.Case.due_at).where(m.Case.id == case_id))


async def test_the_stored_deadline_follows_the_case(app: App, clock) -> None:
    case_id = await open_case(app)
    async with app.uow() as uow:
        case = await uow.cases.get(case_id)
    assert await _stored_due(app, case_id) == case.response_due_at  # nobody accepted: the response

    wang = await staff_id(app, "王强")
    async with app.uow() as uow:
        case = await uow.cases.get(case_id)
        case.accept(wang, clock.now())
        await uow.cases.save(case)
        await uow.commit()
    assert await _stored_due(app, case_id) == case.completion_due_at  # accepted: the completion

    async with app.uow() as uow:
        case = await uow.cases.get(case_id)
        case.finish(wang, clock.now() + timedelta(hours=1), note="换了角阀", fee_cents=0)
        await uow.cases.save(case)
        await uow.commit()
    assert await _stored_due(app, case_id) is None  # done: waiting for the owner, no deadline

    async with app.uow() as uow:
        case = await uow.cases.get(case_id)
        case.reject(clock.now() + timedelta(hours=2), Actor("owner", case.owner_id), "还在漏", DeskPolicy())
        await uow.cases.save(case)
        await uow.commit()
        reopened = await uow.cases.get(case_id)
    assert reopened.deadline is not None and await _stored_due(app, case_id) == reopened.deadline


async def test_the_migration_fills_in_the_deadline_of_cases_already_there(empty_url: str) -> None:  # noqa: F811
    await _run(empty_url, "0006_dispatch")
    columns = ("id, community_id, kind, category, area, urgency, status, place, reporter_channel, reporter_chat_id, "
               "description, details, photos, team_code, fee_cents, rework_round, escalation_level, confirmed_by, "
               "source, created_at, updated_at, response_due_at, completion_due_at, version")

    def row(case_id: int, status: str) -> str:
        return (f"({case_id}, 1, 'report', 'plumbing', 'home', 'normal', '{status}', '', '', '', 'leak', '{{}}', "
                f"'[]', 'engineering', 0, 0, 0, '', 'chat', '2026-06-01 01:00:00', '2026-06-01 01:00:00', "
                f"'2026-06-02 01:00:00', '2026-06-04 01:00:00', 1)")

    statuses = {1: "dispatched", 2: "accepted", 3: "in_progress", 4: "done", 5: "closed", 6: "open"}
    await _sql(
        empty_url,
        "INSERT INTO communities (id, code, name, policy) VALUES (1, 'c', 'C', '{}')",
        f"INSERT INTO cases ({columns}) VALUES " + ", ".join(row(i, s) for i, s in statuses.items()),
        "INSERT INTO case_timeline (case_id, at, action, actor_kind, actor_id, note, data) VALUES "
        "(1, '2026-06-01 01:00:00', 'opened', 'owner', NULL, '', '{}')",
    )
    await _run(empty_url, "0007_console")
    rows = await _sql(empty_url, "SELECT id, due_at FROM cases ORDER BY id")
    due = {case_id: (str(at)[:10] if at is not None else None) for case_id, at in rows}
    assert due == {1: "2026-06-02", 2: "2026-06-04", 3: "2026-06-04", 4: None, 5: None, 6: "2026-06-02"}
    await _run(empty_url, "0006_dispatch", down=True)
    assert await _sql(empty_url, "SELECT count(*) FROM case_timeline") == [(1,)]
    assert await _sql(empty_url, "SELECT count(*) FROM cases") == [(6,)]
