"""The SQL outbox keeps each chat in order, across retries and restarts."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App
from bot.outbox import SqlOutbox
from handlers.kit.messages import Button, Reply, reply_to_dict


async def enqueue(app: App, *replies: Reply) -> None:
    async with app.uow() as uow:
        for r in replies:
            await uow.outbox.add(r.channel, r.chat_id, reply_to_dict(r), r.replace_key, app.now())
        await uow.commit()


async def test_pending_sent_and_edit_in_place(app: App, clock) -> None:
    card = Reply("telegram", "-100", "card", ((Button("✋", "1|c|accept|1"),),), replace_key="card:1")
    await enqueue(app, card, Reply("telegram", "42", "hello"))
    store = SqlOutbox(app.sessions, clock)
    items = await store.pending("telegram", clock.now())
    assert [i.reply for i in items] == [card, Reply("telegram", "42", "hello")]
    await store.mark_sent(items[0].id, "m-7")
    assert await store.message_id_for("telegram", "-100", "card:1") == "m-7"
    assert [i.reply.text for i in await store.pending("telegram", clock.now())] == ["hello"]
    assert await store.pending("console", clock.now()) == []


async def test_a_chat_waits_behind_its_retrying_message(app: App, clock) -> None:
    await enqueue(app, Reply("telegram", "42", "first"), Reply("telegram", "42", "second"), Reply("telegram", "7", "other"))
    store = SqlOutbox(app.sessions, clock)
    first, _, _ = await store.pending("telegram", clock.now())
    await store.retry_later(first.id, clock.now() + timedelta(seconds=30), 1)
    # A fresh process reading the outbox must not send "second" before "first".
    assert [i.reply.text for i in await store.pending("telegram", clock.now())] == ["other"]
    clock.advance(timedelta(seconds=31))
    assert [i.reply.text for i in await store.pending("telegram", clock.now())] == ["first", "second", "other"]
    await store.mark_failed(first.id, "blocked")
    assert [i.reply.text for i in await store.pending("telegram", clock.now())] == ["second", "other"]
