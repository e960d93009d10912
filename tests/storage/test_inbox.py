"""The inbox of WeChat and WeCom callbacks on SQLite and PostgreSQL: one row per message,
taken again only when its lease lapsed, by one process at a time, forgotten once old."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.intake import UPDATE_HORIZON, prune_updates
from storage import models as m
from storage.inbox import DONE, FAILED, Inbox

LEASE = timedelta(seconds=30)


async def test_recorded_once_taken_again_after_the_lease_and_pruned(app) -> None:  # type: ignore[no-untyped-def]
    now = app.now()
    async with app.sessions.begin() as session:
        inbox = Inbox(session)
        # One write for several; a key twice in one write is one row.
        recorded = await inbox.record("wechat", "wxA", [(f"wx:{n}", f"o{n % 2}", {"Content": f"#{n}"}) for n in range(4)]
                                      + [("wx:1", "o1", {})], now, "p1", now + LEASE)
        ids = [recorded[f"wx:{n}"] for n in range(4)]
        assert len(recorded) == 4
        # The platform's retry, and the same key for another account (another app: a new row).
        assert await inbox.record("wechat", "wxA", [("wx:0", "o0", {})], now, "p2", now + LEASE) == {}
        other = (await inbox.record("wechat", "wxB", [("wx:0", "o0", {})], now, "p2", now + LEASE))["wx:0"]
    async with app.sessions.begin() as session:
        inbox = Inbox(session)
        # Held by p1: nobody takes them while its lease lasts.
        assert await inbox.claim("wechat", "wxA", "p2", now, now + LEASE, 10) == []
        await inbox.renew("p1", ids[:2], now + 2 * LEASE)
        await inbox.finish([ids[3]], DONE)
    later = now + LEASE + timedelta(seconds=1)
    async with app.sessions.begin() as session:
        taken = await Inbox(session).claim("wechat", "wxA", "p2", later, later + LEASE, 10)
    # Only the one whose lease lapsed (the renewed two are still p1's; the done one is done).
    assert [(t.id, t.key, t.sender, t.fields, t.attempts, t.replayed) for t in taken] == \
        [(ids[2], "wx:2", "o0", {"Content": "#2"}, 2, True)]
    async with app.sessions.begin() as session:
        inbox = Inbox(session)
        # Given back at an orderly stop: taken at once by the next start.
        await inbox.release("p1", ids[:2])
        assert [t.id for t in await inbox.claim("wechat", "wxA", "p3", now, now + LEASE, 10)] == ids[:2]
        await inbox.finish([ids[2]], FAILED)
        # SQLite's one process takes every pending row at its start, held or not.
        assert [t.id for t in await inbox.claim("wechat", "wxA", "p4", now, now + LEASE, 10, lapsed_only=False)] \
            == ids[:2]
    async with app.sessions() as session:
        rows = {r.id: r for r in await session.scalars(select(m.InboxMessage))}
    assert rows[ids[3]].fields == {} and rows[ids[2]].fields == {"Content": "#2"}  # done: words gone
    assert {i: rows[i].state for i in ids} == {ids[0]: "pending", ids[1]: "pending", ids[2]: "failed",
                                               ids[3]: "done"}

    # Pruned with the handled update keys: done and failed ones past the horizon, never a pending one.
    app.clock.advance(UPDATE_HORIZON + timedelta(minutes=1))
    await prune_updates(app)
    async with app.sessions() as session:
        left = {r.id: r.state for r in await session.scalars(select(m.InboxMessage))}
    assert left == {ids[0]: "pending", ids[1]: "pending", other: "pending"}


async def test_two_processes_never_take_the_same_row(app) -> None:  # type: ignore[no-untyped-def]
    now = app.now()
    async with app.sessions.begin() as session:
        await Inbox(session).record("wecom", "corp", [(f"m{n}", f"u{n}", {}) for n in range(10)], now, "dead",
                                    now - LEASE)
    if app.engine.dialect.name == "sqlite":
        # One writer: claims are serialised by BEGIN IMMEDIATE; the second finds nothing left.
        async with app.sessions.begin() as session:
            first = await Inbox(session).claim("wecom", "corp", "p1", now, now + LEASE, 6)
        async with app.sessions.begin() as session:
            second = await Inbox(session).claim("wecom", "corp", "p2", now, now + LEASE, 6)
    else:
        # Two transactions open at once: the second skips the rows the first has locked.
        async with app.sessions.begin() as one, app.sessions.begin() as two:
            first = await Inbox(one).claim("wecom", "corp", "p1", now, now + LEASE, 6)
            second = await Inbox(two).claim("wecom", "corp", "p2", now, now + LEASE, 6)
    assert len(first) == 6 and len(second) == 4
    assert not {t.id for t in first} & {t.id for t in second}
    assert [t.key for t in first + second] == [f"m{n}" for n in range(10)]
