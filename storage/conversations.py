"""Where each person is in a conversation flow, plus the record of handled updates.

Two processes (or two webhook replicas) may handle the same person's updates at the
same moment — an owner pressing 提交 twice.  Each conversation row carries a version:
`store` writes only over the version `load` read, and a lost race raises
`ConversationChanged` so the whole step is undone and done again on fresh state
(`Desk.handle` retries it), instead of both steps' effects being kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models as m

# The update-id column's width; longer keys are stored as a digest of themselves.
UPDATE_KEY_LIMIT = 64


class ConversationChanged(Exception):
    """Someone else wrote this conversation since it was read: redo the step on fresh state."""


@dataclass
class ConversationState:
    flow: str = ""
    step: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    # The community the conversation is in, for a person in several (handlers.kit.whereabouts).
    community_id: int | None = None
    # 0: no row yet.  Not part of what flows look at; `store` compares it.
    version: int = field(default=0, compare=False)


def insert_for(session: AsyncSession) -> Any:
    """The dialect's INSERT that knows ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


def update_key(update_id: str) -> str:
    if len(update_id) <= UPDATE_KEY_LIMIT:
        return update_id
    return "sha256:" + hashlib.sha256(update_id.encode("utf-8", "surrogatepass")).hexdigest()[:56]


class Conversations:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def load(self, channel: str, chat_id: str, user_id: str) -> ConversationState:
        row = (await self.session.execute(
            select(m.Conversation.flow, m.Conversation.step, m.Conversation.data, m.Conversation.version,
                   m.Conversation.community_id).where(
                m.Conversation.channel == channel, m.Conversation.chat_id == chat_id, m.Conversation.user_id == user_id
            )
        )).first()
        if row is None:
            return ConversationState()
        return ConversationState(row.flow, row.step, dict(row.data or {}), row.community_id, row.version)

    async def store(self, channel: str, chat_id: str, user_id: str, state: ConversationState, now: datetime) -> None:
        """Write `state` over the version it was loaded with; `ConversationChanged` if that is gone."""
        values = {"flow": state.flow, "step": state.step, "data": dict(state.data), "community_id": state.community_id,
                  "updated_at": now}
        if state.version == 0:
            # First contact: an upsert that does nothing when a concurrent step created the row first.
            insert = insert_for(self.session)
            result = await self.session.execute(
                insert(m.Conversation)
                .values(channel=channel, chat_id=chat_id, user_id=user_id, version=1, **values)
                .on_conflict_do_nothing(index_elements=["channel", "chat_id", "user_id"])
            )
        else:
            result = await self.session.execute(
                update(m.Conversation)
                .where(m.Conversation.channel == channel, m.Conversation.chat_id == chat_id,
                       m.Conversation.user_id == user_id, m.Conversation.version == state.version)
                .values(version=state.version + 1, **values)
                .execution_options(synchronize_session=False)
            )
        if result.rowcount != 1:
            raise ConversationChanged(f"conversation of {channel} user changed concurrently")
        state.version += 1

    async def first_time(self, channel: str, update_id: str, now: datetime) -> bool:
        """Record an update key; False when it was handled before (a redelivered update)."""
        insert = insert_for(self.session)
        result = await self.session.execute(
            insert(m.ProcessedUpdate)
            .values(channel=channel, update_id=update_key(update_id), at=now)
            .on_conflict_do_nothing(index_elements=["channel", "update_id"])
        )
        return result.rowcount == 1

    async def prune_updates(self, before: datetime, *, keep_channels: tuple[str, ...] = ()) -> int:
        """Forget update keys recorded before `before` (not those of `keep_channels`); how many."""
        query = delete(m.ProcessedUpdate).where(m.ProcessedUpdate.at < before)
        if keep_channels:
            query = query.where(m.ProcessedUpdate.channel.not_in(keep_channels))
        result = await self.session.execute(query)
        return int(result.rowcount or 0)

    async def remembered_updates(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(m.ProcessedUpdate)) or 0)
