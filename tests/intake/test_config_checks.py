"""Teams and staff with no chat on the running channel: one warning line each at start."""

from __future__ import annotations

import logging

import pytest

from bot.bootstrap import App
from bot.config_checks import config_warnings, warn_at_start


async def test_the_demo_file_on_telegram_names_every_team_and_staff_member(
        app: App, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    warnings = await warn_at_start(app, ["telegram"])
    teams = [w for w in warnings if w.startswith("team ")]
    staff = [w for w in warnings if w.startswith("staff ")]
    assert len(teams) == 5 and len(staff) == 14
    assert ("team engineering (工程部) has no telegram group chat (chats: console: 工程部群); "
            "its cards cannot be delivered") in teams
    assert "staff 王强 (engineering, engineer) has no telegram chat; tasks and owners' contacts cannot reach them" in staff
    assert [r.getMessage() for r in caplog.records] == [f"configuration: {w}" for w in warnings]


async def test_a_team_with_a_chat_and_a_bound_staff_member_are_not_named(app: App) -> None:
    async with app.uow() as uow:
        community = await uow.directory.community()
        wang = await uow.directory.staff_by_name(community.id, "王强")
        await uow.directory.bind("telegram", "777", "777", now=app.now(), staff_id=wang.id)
        await uow.commit()
    warnings = await config_warnings(app, ["telegram"])
    assert not any("王强" in w for w in warnings) and len(warnings) == 5 + 13
    on_console = await config_warnings(app, ["console"])
    assert len(on_console) == 14 and all(w.startswith("staff ") for w in on_console)  # the console groups exist
