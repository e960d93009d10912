"""The account takeover by contact card, replayed over real HTTP through both Telegram
adapters against the stand-in Bot API: a stranger sends a contact card carrying an
owner's mobile number (no user_id: the number is no Telegram account, or another
user's id).  It used to bind the stranger as that owner; now it is refused, counted,
and the owner's own share still binds."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import App, build_app, load_community_file
from bot.runner import start_bot
from cases.clock import FakeClock
from storage import models as m
from tests.conftest import make_settings
from tests.telegram.botapi_standin import BotApiStandIn
from tests.telegram.conftest import FAST, FRAMEWORKS
from tests.telegram.test_tg_end_to_end import Scene


@pytest.fixture
async def app(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[App]:
    path = tmp_path / "wuye.sqlite3"
    shutil.copy(sqlite_template, path)
    app = await build_app(make_settings(f"sqlite+aiosqlite:///{path}"), FakeClock(), run_migrations=False)
    yield app
    await app.close()


async def owner_of(app: App, user_id: int) -> int | None:
    async with app.uow() as uow:
        identity = await uow.directory.identity("telegram", str(user_id))
        return identity.owner_id if identity else None


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_strangers_contact_card_no_longer_binds(app: App, tmp_path: Path, framework: str) -> None:
    async with BotApiStandIn(limits=FAST) as api:
        scene = Scene(api, app)
        await load_community_file(app, str(scene.community_file(tmp_path)))
        settings = make_settings(app.settings.database_url, TELEGRAM_BOT_TOKEN=api.token,
                                 TELEGRAM_API_BASE_URL=api.root, BOT_FRAMEWORK=framework)
        running = await start_bot(settings, app, limits=FAST, poll_timeout=1)
        try:
            stranger, owner = api.user("陌生", "人"), scene.owner
            await scene.say_and_wait(stranger, "/start", "分享手机号")

            # The card of 王芳's number, as Telegram sends it for a number with no account.
            api.share_contact(stranger, "+8613800000002", first_name="王芳", no_user_id=True)
            refused = await scene.latest(stranger.id, "the refusal", "本人")
            assert "王芳" not in refused.text and refused.contact_request
            # The card of an owner who does have Telegram: it carries *their* id.
            api.share_contact(stranger, "13800000001", contact_user_id=owner.id, first_name="张伟")
            await api.until(lambda: sum("本人" in (m.text or "") for m in api.transcript(stranger.id)) >= 2,
                            what="the second refusal")
            assert await owner_of(app, stranger.id) is None
            assert not any("绑定成功" in (m.text or "") for m in api.transcript(stranger.id))
            async with app.uow() as uow:
                counted = await uow.session.scalar(select(m.BindingAttempt.refused_contacts).where(
                    m.BindingAttempt.key == f"telegram:{stranger.id}"))
            assert counted == 2

            # The owner's own share (the keyboard button) binds as before.
            api.share_contact(owner, "+8613800000001")
            await scene.latest(owner.id, "the owner's binding", "绑定成功！张伟")
            assert await owner_of(app, owner.id) is not None
        finally:
            await running.stop()
        assert api.rate_violations() == []
