"""`bot.channel.OutboxStore` on the database; each call is its own short transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channel import OutboxItem
from cases.clock import Clock
from handlers.messages import reply_from_dict
from storage.outbox import Outbox


class SqlOutbox:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    async def pending(self, channel: str, now: datetime, limit: int = 500) -> list[OutboxItem]:
        async with self.sessions() as session:
            rows = await Outbox(session).pending(channel, now, limit)
            return [OutboxItem(r.id, reply_from_dict(r.body), r.attempts) for r in rows]

    async def _set(self, item_id: int, **values: object) -> None:
        async with self.sessions.begin() as session:
            await Outbox(session).set(item_id, **values)

    async def mark_sent(self, item_id: int, message_id: str) -> None:
        await self._set(item_id, state="sent", message_id=message_id, sent_at=self.clock.now())

    async def mark_failed(self, item_id: int, reason: str) -> None:
        await self._set(item_id, state="failed", failure=reason[:200])

    async def retry_later(self, item_id: int, not_before: datetime, attempts: int) -> None:
        await self._set(item_id, not_before=not_before, attempts=attempts)

    async def message_id_for(self, channel: str, chat_id: str, replace_key: str) -> str | None:
        async with self.sessions() as session:
            return await Outbox(session).message_id_for(channel, chat_id, replace_key)
