"""The inbox: a WeChat message is recorded before WeChat is answered, handled once however
often WeChat retries it, taken again when its process is gone, and never dropped silently."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bot.bootstrap import App
from bot.wxbase.callback import MAX_TAKES
from storage import models as m
from storage.inbox import Inbox
from tests.wechat.conftest import Wx, running
from tests.wechat.standin import WechatStandIn, settle


@contextlib.asynccontextmanager
async def desk_busy(app: App) -> AsyncIterator[None]:
    """Every desk session slot taken, as under a burst: messages wait for the desk."""
    slots = app.desk.slots
    held = 0
    try:
        while not slots.locked():
            await slots.acquire()
            held += 1
        yield
    finally:
        for _ in range(held):
            slots.release()


async def inbox(app: App) -> list[tuple[str, str, int, dict[str, str]]]:
    async with app.sessions() as session:
        rows = await session.execute(select(m.InboxMessage.key, m.InboxMessage.state, m.InboxMessage.attempts,
                                            m.InboxMessage.fields).order_by(m.InboxMessage.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def handled_keys(app: App) -> list[str]:
    async with app.sessions() as session:
        return list(await session.scalars(select(m.ProcessedUpdate.update_id)
                                          .where(m.ProcessedUpdate.channel == "wechat")))


def crash(wx: Wx) -> None:
    """The process dies: its lanes stop where they are and it gives nothing back."""
    endpoint = wx.channel.endpoint
    endpoint._held.clear()
    for task in endpoint._tasks:
        task.cancel()


async def test_a_retry_while_the_first_is_running_and_after_it_finished_is_handled_once(wx: Wx) -> None:
    owner = wx.follower("oRETRY")
    wx.standin.followers.add(owner.openid)
    wx.channel.endpoint.answer_within = 0.3
    async with desk_busy(wx.app):
        # Answered "success" while the desk has not handled it — but only once it is recorded.
        assert await owner.say("/help") == (200, "success")
        assert [(state, attempts) for _, state, attempts, _ in await inbox(wx.app)] == [("pending", 1)]
        assert await handled_keys(wx.app) == []
        query, body = owner.last_request  # type: ignore[misc]
        # WeChat retries (our answer was lost on the way): recorded already, not queued again.
        assert await owner.post(query, body) == (200, "success")
        if wx.app.engine.dialect.name == "postgresql":
            # The retry reaching a second process on the same database: refused there too.
            async with running(wx.app) as other:
                second = other.follower(owner.openid)
                assert await second.post(query, body) == (200, "success")
                assert other.channel.endpoint.duplicates == 1
        assert len(await inbox(wx.app)) == 1
    await wx.flush()
    menu = owner.transcript()
    assert len(menu) == 1
    # After it was handled: answered, not handled again.
    assert await owner.post(query, body) == (200, "success")
    await wx.flush()
    assert owner.transcript() == menu
    assert wx.channel.endpoint.duplicates == 2
    [(key, state, _, fields)] = await inbox(wx.app)
    assert state == "done" and fields == {}  # the owner's words are not kept once handled
    assert await handled_keys(wx.app) == [key]


async def test_messages_answered_and_not_yet_handled_survive_the_process(app: App, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app.settings.media_dir = tmp_path / "media"
    owners = ["oKILL1", "oKILL2"]
    platform = WechatStandIn(app.clock.now)
    await platform.start()
    async with running(app, standin=platform) as first:
        first.channel.endpoint.answer_within = 0.2
        followers = [first.follower(o) for o in owners]
        for f in followers:
            first.standin.followers.add(f.openid)
        async with desk_busy(app):
            for word in ("/help", "你好", "/menu"):
                for f in followers:
                    assert await f.say(word) == (200, "success")
            crash(first)
    assert [state for _, state, _, _ in await inbox(app)] == ["pending"] * 6
    assert await handled_keys(app) == []
    assert all(f.transcript() == [] for f in followers)

    async with running(app, standin=platform) as second:
        if app.engine.dialect.name == "sqlite":
            # One process on SQLite: what is pending at start is a previous run's, taken at once.
            await settle(lambda: all(len(second.standin.texts(o)) >= 3 for o in owners), 30)
        else:
            # PostgreSQL: another process may still hold them; taken once their lease lapsed.
            await asyncio.sleep(0.3)
            assert await handled_keys(app) == []
            app.clock.advance(timedelta(seconds=31))  # type: ignore[attr-defined]
            assert await second.channel.endpoint.replay() == 6
        await second.flush()
        for openid in owners:
            texts = second.standin.texts(openid)
            # Each message answered once, in the order they were sent.
            assert [t[:5] for t in texts] == ["我可以帮您", "您好！我是", "我可以帮您"], texts  # /help, 你好, /menu
    await platform.stop()
    rows = await inbox(app)
    assert [(state, attempts) for _, state, attempts, _ in rows] == [("done", 2)] * 6
    assert sorted(await handled_keys(app)) == sorted(key for key, _, _, _ in rows)


async def test_a_message_handled_before_its_process_died_is_not_handled_again(wx: Wx) -> None:
    owner = wx.follower("oDIED")
    wx.standin.followers.add(owner.openid)
    assert await owner.say("/help") == (200, "success")
    await wx.flush()
    assert len(owner.transcript()) == 1
    # The process died after the desk's commit, before it marked the message done.
    async with wx.app.sessions.begin() as session:
        await session.execute(update(m.InboxMessage).values(state="pending", claimed_by="dead", claimed_until=None))
    assert await wx.channel.endpoint.replay() == 1
    await wx.flush()
    assert len(owner.transcript()) == 1
    assert [state for _, state, _, _ in await inbox(wx.app)] == ["done"]


async def test_a_message_that_keeps_failing_is_given_up_with_an_apology(wx: Wx, caplog: pytest.LogCaptureFixture) -> None:
    owner = wx.follower("oFAILS")
    wx.standin.followers.add(owner.openid)
    endpoint = wx.channel.endpoint
    tries = 0

    async def broken(fields: dict[str, str]) -> None:
        nonlocal tries
        tries += 1
        raise RuntimeError(f"cannot read {fields.get('Content')}")

    endpoint.translate, endpoint.retry_delays = broken, (0.01, 0.01)  # type: ignore[assignment]
    with caplog.at_level(logging.INFO):
        assert await owner.say("我的电话13812345678，厨房漏水") == (200, "success")
        await wx.flush()
    assert tries == 3
    assert [state for _, state, _, _ in await inbox(wx.app)] == ["failed"]
    # Not silent: the owner hears the desk's apology with the hotline.
    [apology] = owner.transcript()
    assert apology.text.startswith("抱歉，系统开小差了")
    assert endpoint.failed == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "given up (RuntimeError)" in logged
    assert "13812345678" not in logged and "厨房" not in logged and "Traceback" not in caplog.text

    # A message that its holders kept losing (each died with it) is given up too, unhandled.
    endpoint.translate, endpoint.answer_within = wx.channel.inbound, 0.2  # type: ignore[assignment]
    async with desk_busy(wx.app):
        assert await owner.say("/help") == (200, "success")
        crash(wx)
    async with wx.app.sessions.begin() as session:
        await session.execute(update(m.InboxMessage).where(m.InboxMessage.state == "pending")
                              .values(attempts=3, claimed_until=None))
    assert await endpoint.replay() == 1
    await wx.flush()
    assert [state for _, state, _, _ in await inbox(wx.app)] == ["failed", "failed"]
    assert [s.text[:9] for s in owner.transcript()] == ["抱歉，系统开小差了"] * 2
    assert await handled_keys(wx.app) == []  # neither message reached the desk


async def test_unrecorded_means_unanswered(wx: Wx) -> None:
    """When the message cannot be recorded, WeChat is not told "success": it sends it again."""
    owner = wx.follower("oDBDOWN")
    wx.standin.followers.add(owner.openid)
    async with wx.app.sessions.begin() as session:
        await session.execute(m.InboxMessage.__table__.delete())
    endpoint = wx.channel.endpoint
    real = endpoint.sessions

    def unavailable() -> None:
        raise ConnectionError("database unavailable")

    endpoint.sessions = type("Down", (), {"begin": staticmethod(unavailable), "kw": real.kw})()  # type: ignore[assignment]
    status, _ = await owner.say("/help")
    endpoint.sessions = real
    assert status == 503
    assert owner.last_request is not None
    query, body = owner.last_request
    assert await owner.post(query, body) == (200, "success")  # WeChat's retry, now recorded
    await wx.flush()
    assert len(owner.transcript()) == 1
    async with wx.app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(m.InboxMessage)) == 1


async def test_a_message_given_up_and_put_back_by_the_operator_is_answered(wx: Wx) -> None:
    """`wuye inbox retry`: what was given up (here: its holders kept dying with it) is
    handled by the running process once put back — not given up again for its past takes."""
    owner = wx.follower("oBACK")
    wx.standin.followers.add(owner.openid)
    endpoint = wx.channel.endpoint
    endpoint.answer_within = 0.2
    async with desk_busy(wx.app):
        assert await owner.say("/help") == (200, "success")
        crash(wx)
    async with wx.app.sessions.begin() as session:
        await session.execute(update(m.InboxMessage).values(attempts=MAX_TAKES, claimed_until=None))
    assert await endpoint.replay() == 1
    await wx.flush()
    assert [state for _, state, _, _ in await inbox(wx.app)] == ["failed"]
    assert [s.text[:9] for s in owner.transcript()] == ["抱歉，系统开小差了"]

    async with wx.app.sessions.begin() as session:
        assert len(await Inbox(session).retry(None)) == 1
    assert await endpoint.replay() == 1  # the running process's next keep
    await wx.flush()
    assert [s.text[:5] for s in owner.transcript()] == ["抱歉，系统", "我可以帮您"]  # the apology, then /help
    # Taken once since it was put back (the takes before were forgotten), and done.
    assert [(state, attempts) for _, state, attempts, _ in await inbox(wx.app)] == [("done", 1)]
