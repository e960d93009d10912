"""A sender that fails because our own database is down never reached the platform: the
outbox row's attempt count must not grow, and however long the outage lasts the message is
not given up (bot.delivery, storage.failures `transient`).

Real parts: the WeChat channel (its sender reads the owner's 48 h window from the database
before every send) against the stand-in API over HTTP, the SQL outbox on each kind of
database.  The outage: the sender's unit of work runs on a database it cannot reach (a
PostgreSQL port nobody listens on; an SQLite file that became a directory) while the desk
and the outbox keep theirs — the case where a failed attempt used to be recorded, three of
them marked the message failed, and the owner never got it.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.bootstrap import App
from bot.delivery import RetryPolicy
from cases.clock import FakeClock
from storage import models as m
from storage.db import create_engine
from tests.telegram.conftest import free_port
from tests.wechat.conftest import running
from tests.wechat.standin import settle
from tests.wechat.test_wx_faults import FlowingClock

MAX_ATTEMPTS = 3


@pytest.fixture
def clock() -> FakeClock:
    return FlowingClock()  # retry delays pass by themselves


def unreachable(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An engine on the same kind of database that cannot be reached."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return create_engine(url.set(port=free_port()).render_as_string(hide_password=False))
    path = tmp_path / "gone.sqlite3"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    path.unlink()
    path.mkdir()  # the file is gone and nothing can open it
    return engine


async def rows(app: App, chat: str) -> list[tuple[str, int, str]]:
    async with app.sessions() as session:
        found = await session.execute(select(m.OutboxMessage.state, m.OutboxMessage.attempts, m.OutboxMessage.failure)
                                      .where(m.OutboxMessage.chat_id == chat).order_by(m.OutboxMessage.id))
        return [tuple(r) for r in found.all()]  # type: ignore[misc]


async def test_a_database_outage_under_the_sender_uses_up_no_attempts(
        app: App, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app.settings.media_dir = tmp_path / "media"
    retry = RetryPolicy(first_delay=0.01, max_delay=0.05, max_attempts=MAX_ATTEMPTS)
    async with running(app, retry=retry) as wx:
        owner = wx.follower("o_outage")
        await owner.follow()
        await wx.flush()
        greeted = len(wx.standin.transcript("o_outage"))
        assert greeted >= 1 and {state for state, _, _ in await rows(app, "o_outage")} == {"sent"}

        sender = wx.channel.sender
        broken = unreachable(app.settings.database_url, tmp_path)
        sender.sessions = async_sessionmaker(broken, expire_on_commit=False)
        try:
            with caplog.at_level(logging.INFO, logger="bot.delivery"):
                await owner.say("你好")  # the desk and the outbox still work: the reply is queued

                def failures() -> int:
                    return sum("the sender failed: database unavailable" in r.getMessage() for r in caplog.records)

                def gave_up() -> bool:
                    return any("gave up" in r.getMessage() for r in caplog.records)

                # Far more failed tries than the message's attempts allow (or the message lost).
                await settle(lambda: failures() >= 4 * MAX_ATTEMPTS or gave_up(), timeout=30)
                assert not gave_up(), [r.getMessage() for r in caplog.records if "gave up" in r.getMessage()]
            pending = (await rows(app, "o_outage"))[greeted:]
            assert pending and all((state, attempts) == ("pending", 0) for state, attempts, _ in pending), pending
            assert len(wx.standin.transcript("o_outage")) == greeted  # the platform was never reached
        finally:
            sender.sessions = app.sessions  # the database is back
            await broken.dispose()

        await settle(lambda: len(wx.standin.transcript("o_outage")) > greeted, timeout=30)
        await wx.flush()
    after = await rows(app, "o_outage")
    assert all(state == "sent" and failure == "" for state, _, failure in after), after
    assert all(attempts == 0 for _, attempts, _ in after[greeted:]), after
    assert not any("gave up" in r.getMessage() for r in caplog.records)
    shutil.rmtree(tmp_path / "gone.sqlite3", ignore_errors=True)
