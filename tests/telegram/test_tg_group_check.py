"""Team group chats that Telegram refuses (an id it does not know, a group the bot was
removed from or never added to) are named at start — team, chat id, Telegram's reason,
one line each, no traceback — by `wuye run` and by `wuye check`, over real HTTP against
the Bot API stand-in."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from bot.bootstrap import App, build_app, load_community_file
from bot.runner import start_bot
from cases.clock import FakeClock
from tests.conftest import ROOT, make_settings
from tests.telegram.botapi_standin import BotApiStandIn
from tests.telegram.conftest import FAST, FRAMEWORKS
from tests.telegram.test_tg_end_to_end import Scene

NEVER_CREATED = "-1009999999999"


@pytest.fixture
async def app(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[App]:
    path = tmp_path / "wuye.sqlite3"
    shutil.copy(sqlite_template, path)
    app = await build_app(make_settings(f"sqlite+aiosqlite:///{path}"), FakeClock(), run_migrations=False)
    yield app
    await app.close()


def _community(scene: Scene, tmp: Path) -> str:
    """The scene's community with every staff member on Telegram (no staff warnings)."""
    path = scene.community_file(tmp)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for member in data["staff"]:
        member.setdefault("chats", {"telegram": str(scene.api.user(member["name"][1:], member["name"][0]).id)})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def _break_three_groups(api: BotApiStandIn, scene: Scene) -> dict[str, str]:
    """security: bot removed; environment: group deleted; customer service: a typo'd id."""
    api.kick(scene.groups["security"])
    api.delete_group(scene.groups["environment"])
    scene.groups["customer_service"] = int(NEVER_CREATED)
    return {"security": str(scene.groups["security"]), "environment": str(scene.groups["environment"]),
            "customer_service": NEVER_CREATED}


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_refused_group_chats_are_named_at_start_and_the_bot_still_runs(
    app: App, tmp_path: Path, framework: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with BotApiStandIn(limits=FAST) as api:
        scene = Scene(api, app)
        broken = _break_three_groups(api, scene)
        await load_community_file(app, str(scene.community_file(tmp_path)))
        settings = make_settings(app.settings.database_url, TELEGRAM_BOT_TOKEN=api.token,
                                 TELEGRAM_API_BASE_URL=api.root, BOT_FRAMEWORK=framework)
        with caplog.at_level(logging.INFO):
            running = await start_bot(settings, app, limits=FAST, poll_timeout=1)
        try:
            # Still serving: an owner's /start is answered.
            api.say(scene.owner, "/start")
            await api.until(lambda: api.texts(scene.owner.id), what="an answer to /start")
        finally:
            await running.stop()

    refused = [r for r in caplog.records if "refuses group chat" in r.getMessage()]
    assert len(refused) == 3, [r.getMessage() for r in refused]
    for team, chat in broken.items():
        line = next(r.getMessage() for r in refused if f"team {team} " in r.getMessage())
        assert chat in line and "\n" not in line
    assert "kicked" in next(r.getMessage() for r in refused if "team security " in r.getMessage())
    assert "chat not found" in next(r.getMessage() for r in refused if "team environment " in r.getMessage()).lower()
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in refused)
    assert not any(r.exc_info for r in caplog.records)
    assert not any("team engineering " in r.getMessage() or "team management " in r.getMessage() for r in refused)


async def _wuye(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_wuye_check_names_each_refused_group_and_exits_1(app: App, tmp_path: Path) -> None:
    async with BotApiStandIn(limits=FAST) as api:
        scene = Scene(api, app)
        env = {**os.environ, "DATABASE_URL": app.settings.database_url, "TELEGRAM_BOT_TOKEN": api.token,
               "TELEGRAM_API_BASE_URL": api.root}
        await load_community_file(app, _community(scene, tmp_path))
        code, out, err = await _wuye("check", env=env)
        assert (code, err) == (0, ""), out + err
        assert "configuration OK (telegram)" in out and "refuses" not in out

        broken = _break_three_groups(api, scene)
        await load_community_file(app, _community(scene, tmp_path))
        code, out, err = await _wuye("check", env=env)

    assert code == 1 and "Traceback" not in out + err
    refused = [line for line in out.splitlines() if "refuses group chat" in line]
    assert len(refused) == 3, out
    for team, chat in broken.items():
        assert any(line.startswith(f"team {team} (") and chat in line for line in refused), (team, out)
