"""The outbox table: every reply is stored in the same transaction as the change that
caused it, then delivered by `bot.delivery` — so a crash loses nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import models as m


class Outbox:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, channel: str, chat_id: str, body: dict[str, Any], replace_key: str | None, now: datetime,
                  *, notice_id: int | None = None) -> None:
        self.session.add(
            m.OutboxMessage(
                channel=channel, chat_id=chat_id, body=body, replace_key=replace_key,
                state="pending", not_before=now, created_at=now, notice_id=notice_id,
            )
        )
        await self.session.flush()

    async def add_many(self, messages: list[tuple[str, str, dict[str, Any]]], now: datetime,
                       *, notice_id: int | None = None) -> int:
        """Enqueue (channel, chat_id, body) messages in one multi-row insert — a notice to
        thousands of owners is one statement, not thousands of flushes."""
        if messages:
            await self.session.execute(
                insert(m.OutboxMessage),
                [
                    {"channel": channel, "chat_id": chat_id, "body": body, "replace_key": None, "state": "pending",
                     "attempts": 0, "not_before": now, "created_at": now, "failure": "", "notice_id": notice_id}
                    for channel, chat_id, body in messages
                ],
            )
        return len(messages)

    async def pending(self, channel: str, now: datetime, limit: int) -> list[m.OutboxMessage]:
        """Due rows, oldest first — but never a row queued behind an earlier one of the same
        chat that is still waiting for its retry, so a restart cannot reorder a chat."""
        earlier = aliased(m.OutboxMessage)
        blocked = (
            select(earlier.id)
            .where(earlier.channel == m.OutboxMessage.channel, earlier.chat_id == m.OutboxMessage.chat_id,
                   earlier.state == "pending", earlier.id < m.OutboxMessage.id, earlier.not_before > now)
            .exists()
        )
        rows = await self.session.scalars(
            select(m.OutboxMessage)
            .where(m.OutboxMessage.channel == channel, m.OutboxMessage.state == "pending",
                   m.OutboxMessage.not_before <= now, ~blocked)
            .order_by(m.OutboxMessage.id)
            .limit(limit)
        )
        return list(rows)

    async def set(self, item_id: int, **values: Any) -> None:
        await self.session.execute(update(m.OutboxMessage).where(m.OutboxMessage.id == item_id).values(**values))

    async def message_id_for(self, channel: str, chat_id: str, replace_key: str) -> str | None:
        return await self.session.scalar(
            select(m.OutboxMessage.message_id)
            .where(m.OutboxMessage.channel == channel, m.OutboxMessage.chat_id == chat_id,
                   m.OutboxMessage.replace_key == replace_key, m.OutboxMessage.state == "sent")
            .order_by(m.OutboxMessage.id.desc())
            .limit(1)
        )

    async def failures(self, channel: str, chat_ids: list[str]) -> int:
        rows = await self.session.scalars(
            select(m.OutboxMessage.id).where(m.OutboxMessage.channel == channel, m.OutboxMessage.state == "failed",
                                             m.OutboxMessage.chat_id.in_(chat_ids))
        )
        return len(rows.all())
