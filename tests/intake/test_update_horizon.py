"""Idempotence with a horizon (issue 15.1), over real HTTP against the Bot API stand-in.

Telegram restarts its update numbering after a week without updates (and a new token
starts over), so a bare update id seen before is no proof of a repeat.  Every update
of a restarted numbering is answered; a true redelivery is refused, logged and
counted; the record of handled updates is pruned past its horizon.
"""

from __future__ import annotations

import itertools
import logging
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.bootstrap import App, build_app, load_community_file
from bot.intake import UPDATE_HORIZON, prune_updates
from bot.runner import start_bot
from cases.clock import FakeClock
from tests.conftest import EXAMPLE_COMMUNITY, make_settings
from tests.telegram.botapi_standin import BotApiStandIn, TgUser
from tests.telegram.conftest import FAST, WEBHOOK_SECRET, free_port

HELP = "我可以帮您"


@pytest.fixture
async def tg_app(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[App]:
    path = tmp_path / "wuye.sqlite3"
    shutil.copy(sqlite_template, path)
    app = await build_app(make_settings(f"sqlite+aiosqlite:///{path}"), FakeClock(), run_migrations=False)
    await load_community_file(app, str(EXAMPLE_COMMUNITY))
    yield app
    await app.close()


def settings_for(app: App, api: BotApiStandIn, framework: str, *, webhook: bool) -> object:
    overrides: dict[str, object] = {
        "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.root, "BOT_FRAMEWORK": framework}
    if webhook:
        port = free_port()
        overrides |= {"WEBHOOK_URL": f"http://127.0.0.1:{port}/tg/hook", "WEBHOOK_LISTEN": "127.0.0.1",
                      "WEBHOOK_PORT": port, "WEBHOOK_SECRET": WEBHOOK_SECRET}
    return make_settings(app.settings.database_url, **overrides)


def answered(api: BotApiStandIn, users: list[TgUser]) -> int:
    return sum(sum(HELP in (m.text or "") for m in api.transcript(u.id)) for u in users)


async def say_round(api: BotApiStandIn, users: list[TgUser], already: int, per_user: int = 2) -> None:
    for _ in range(per_user):
        for user in users:
            api.say(user, "/help")
    want = already + per_user * len(users)
    await api.until(lambda: answered(api, users) >= want, timeout=20, what=f"{want} answers")


# aiogram reads updates through the same gate and key (tests/telegram/test_tg_translation.py).
@pytest.mark.parametrize("framework", ["ptb"])
async def test_a_restarted_numbering_is_answered_and_a_redelivery_is_refused_and_counted(
        tg_app: App, framework: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with BotApiStandIn(limits=FAST) as api:
        users = api.users(4)
        running = await start_bot(settings_for(tg_app, api, framework, webhook=True), tg_app,  # type: ignore[arg-type]
                                  limits=FAST, poll_timeout=1)
        try:
            await say_round(api, users, 0)
            first_ids = [u for u, _ in api.webhook_posts]
            api._update_ids = itertools.count(min(first_ids))  # Telegram starts numbering over
            await say_round(api, users, 8)
            reused = [u for u, _ in api.webhook_posts[len(first_ids):]]
            assert set(reused) == set(first_ids)  # the very same ids, new messages: all answered

            api.redeliver(reused[-1])  # a true repeat (the webhook answer got lost)
            await api.until(lambda: len(api.webhook_posts) == 2 * len(first_ids) + 1, what="the redelivery")
        finally:
            await running.stop()
        assert answered(api, users) == 16  # the repeat was not answered twice
    refused = [r for r in caplog.records if "duplicate" in r.getMessage()]
    assert len(refused) == 1 and "/help" not in refused[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_new_process_after_a_numbering_restart_answers_every_update(tg_app: App) -> None:
    """Polling: the new process has no memory but the database; the reused ids are not repeats."""
    async with BotApiStandIn(limits=FAST) as api:
        users = api.users(3)
        settings = settings_for(tg_app, api, "ptb", webhook=False)
        running = await start_bot(settings, tg_app, limits=FAST, poll_timeout=1)  # type: ignore[arg-type]
        try:
            await say_round(api, users, 0)
        finally:
            await running.stop()
        api._update_ids = itertools.count(500_000_001)
        again = await build_app(tg_app.settings, tg_app.clock, run_migrations=False)
        running = await start_bot(settings, again, limits=FAST, poll_timeout=1)  # type: ignore[arg-type]
        try:
            await say_round(api, users, 6)
            assert again.desk.stats["duplicates"] == 0
        finally:
            await running.stop()


async def test_handled_update_keys_are_pruned_past_the_horizon(app: App, clock: FakeClock) -> None:
    async with app.uow() as uow:
        for n in range(5):
            assert await uow.conversations.first_time("telegram", f"{n}:1:1:1", clock.now())
        assert await uow.conversations.first_time("weekly_report", "1:2026-06-01", clock.now())
        await uow.commit()
    clock.advance(timedelta(days=7))  # a week later: the old window
    async with app.uow() as uow:
        assert await uow.conversations.first_time("telegram", "fresh:1:1:1", clock.now())
        await uow.commit()

    assert await prune_updates(app) == 5
    async with app.uow() as uow:
        assert await uow.conversations.remembered_updates() == 2  # the fresh key and the weekly marker
        # The pruned ones may be seen again (a reused id is a new update by then) …
        assert await uow.conversations.first_time("telegram", "0:1:1:1", clock.now())
        # … the fresh one is still a repeat.
        assert not await uow.conversations.first_time("telegram", "fresh:1:1:1", clock.now())
    assert UPDATE_HORIZON < timedelta(days=7)
