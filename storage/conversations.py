"""Where each person is in a conversation flow, plus the record of handled updates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models as m


@dataclass
class ConversationState:
    flow: str = ""
    step: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class Conversations:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _row(self, channel: str, chat_id: str, user_id: str) -> m.Conversation | None:
        return await self.session.scalar(
            select(m.Conversation).where(
                m.Conversation.channel == channel, m.Conversation.chat_id == chat_id, m.Conversation.user_id == user_id
            )
        )

    async def load(self, channel: str, chat_id: str, user_id: str) -> ConversationState:
        row = await self._row(channel, chat_id, user_id)
        return ConversationState(row.flow, row.step, dict(row.data or {})) if row else ConversationState()

    async def store(self, channel: str, chat_id: str, user_id: str, state: ConversationState, now: datetime) -> None:
        row = await self._row(channel, chat_id, user_id)
        if row is None:
            row = m.Conversation(channel=channel, chat_id=chat_id, user_id=user_id)
            self.session.add(row)
        row.flow, row.step, row.data, row.updated_at = state.flow, state.step, dict(state.data), now
        await self.session.flush()

    async def first_time(self, channel: str, update_id: str, now: datetime) -> bool:
        """Record an update id; False when it was handled before (a redelivered webhook)."""
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        result = await self.session.execute(
            insert(m.ProcessedUpdate)
            .values(channel=channel, update_id=update_id, at=now)
            .on_conflict_do_nothing(index_elements=["channel", "update_id"])
        )
        return result.rowcount == 1

    async def prune_updates(self, before: datetime) -> None:
        await self.session.execute(delete(m.ProcessedUpdate).where(m.ProcessedUpdate.at < before))
