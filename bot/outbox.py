"""`bot.channel.OutboxStore` on the database; each call is its own short transaction.

`claim` is what a `Deliverer` reads with: rows it claims carry its `worker` name and a
lease of `lease` seconds, renewed by `renew` while it holds them (see storage.outbox).
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channel import ChannelSender, OutboxItem
from bot.delivery import Deliverer
from cases.clock import Clock
from handlers.kit.messages import reply_from_dict
from storage import models as m
from storage.outbox import Outbox

if TYPE_CHECKING:
    from bot.bootstrap import App

LEASE = timedelta(seconds=60)


def sql_deliverer(app: App, sender: ChannelSender) -> Deliverer:
    """The deliverer of one channel on the app's database, leasing for OUTBOX_LEASE_SECONDS and
    renewing three times a lease, so a slow round trip never lets a live claim lapse."""
    lease = timedelta(seconds=app.settings.outbox_lease_seconds)
    store = SqlOutbox(app.sessions, app.clock, lease=lease)
    return Deliverer(store, sender, now=app.clock.now, renew_every=lease.total_seconds() / 3)


def worker_name() -> str:
    """Unique per process and instance: host, pid and a random tail (at most 64 characters)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def _item(r: m.OutboxMessage) -> OutboxItem:
    return OutboxItem(r.id, reply_from_dict(r.body), r.attempts, priority=r.priority, not_before=r.not_before,
                      failing_since=r.failing_since)


class SqlOutbox:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock, *,
                 worker: str | None = None, lease: timedelta = LEASE) -> None:
        self.sessions = sessions
        self.clock = clock
        self.worker = worker or worker_name()
        self.lease = lease

    async def pending(self, channel: str, now: datetime, limit: int = 500) -> list[OutboxItem]:
        async with self.sessions() as session:
            return [_item(r) for r in await Outbox(session).pending(channel, now, limit)]

    async def claim(self, channel: str, now: datetime, limit: int = 500, *,
                    hold: timedelta | None = None, min_priority: int | None = None) -> list[OutboxItem]:
        async with self.sessions.begin() as session:
            rows = await Outbox(session).claim(channel, self.worker, now, self.lease, limit, hold=hold,
                                               min_priority=min_priority)
            return [_item(r) for r in rows]

    @asynccontextmanager
    async def _one_statement(self) -> AsyncIterator[AsyncSession]:
        """A session for one UPDATE, committed when the block ends.  On PostgreSQL the
        statement is its own transaction (autocommit): one round trip instead of BEGIN,
        UPDATE, COMMIT, for every message sent.  SQLite keeps its BEGIN IMMEDIATE."""
        engine = self.sessions.kw.get("bind")
        if engine is None or engine.dialect.name != "postgresql":
            async with self.sessions.begin() as session:
                yield session
            return
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            async with AsyncSession(bind=conn) as session:
                yield session

    async def renew(self, now: datetime) -> None:
        async with self._one_statement() as session:
            await Outbox(session).renew(self.worker, now + self.lease)

    async def release(self, item_ids: list[int] | None = None) -> None:
        async with self._one_statement() as session:
            await Outbox(session).release(self.worker, item_ids)

    async def _set(self, item_id: int, **values: object) -> None:
        async with self._one_statement() as session:
            await Outbox(session).set(item_id, **values)

    async def mark_sent(self, item_id: int, message_id: str) -> None:
        await self._set(item_id, state="sent", message_id=message_id, sent_at=self.clock.now(),
                        claimed_by=None, claim_until=None, failing_since=None)

    async def mark_failed(self, item_id: int, reason: str) -> None:
        await self._set(item_id, state="failed", failure=reason[:200], claimed_by=None, claim_until=None)

    async def retry_later(self, item_id: int, not_before: datetime, attempts: int, *,
                          failing_since: datetime | None = None) -> None:
        await self._set(item_id, not_before=not_before, attempts=attempts, failing_since=failing_since)

    async def message_id_for(self, channel: str, chat_id: str, replace_key: str) -> str | None:
        async with self.sessions() as session:
            return await Outbox(session).message_id_for(channel, chat_id, replace_key)
