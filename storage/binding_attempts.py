"""The counters behind `cases.binding_guard`, one row per chat and per room.

Each read locks its row for the rest of the transaction (SELECT … FOR UPDATE on
PostgreSQL; SQLite's single writer does the same), so two guesses handled at once by
two processes both count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cases.binding_guard import Attempts
from storage import models as m

CHAT, ROOM = "chat", "room"


def chat_key(channel: str, chat_id: str) -> str:
    return f"{channel}:{chat_id}"[:100]


def room_key(community_id: int, room_id: int) -> str:
    return f"{community_id}:{room_id}"


class BindingAttempts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _row(self, scope: str, key: str, now: datetime) -> m.BindingAttempt:
        dialect = self.session.bind.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        await self.session.execute(
            insert(m.BindingAttempt)
            .values(scope=scope, key=key, failures=0, lockouts=0, refused_contacts=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=["scope", "key"])
        )
        row = await self.session.scalar(
            select(m.BindingAttempt).where(m.BindingAttempt.scope == scope, m.BindingAttempt.key == key)
            .with_for_update().execution_options(populate_existing=True)
        )
        assert row is not None
        return row

    async def get(self, scope: str, key: str, now: datetime) -> Attempts:
        row = await self._row(scope, key, now)
        return Attempts(row.failures, row.lockouts, row.locked_until, row.last_failure_at)

    async def put(self, scope: str, key: str, attempts: Attempts, now: datetime) -> None:
        row = await self._row(scope, key, now)
        row.failures, row.lockouts = attempts.failures, attempts.lockouts
        row.locked_until, row.last_failure_at = attempts.locked_until, attempts.last_failure_at
        row.updated_at = now
        await self.session.flush()

    async def refused_contact(self, scope: str, key: str, now: datetime) -> int:
        """Count a contact card refused in this chat; returns how many so far."""
        row = await self._row(scope, key, now)
        row.refused_contacts += 1
        row.updated_at = now
        await self.session.flush()
        return row.refused_contacts

    async def total_refused_contacts(self) -> int:
        return int(await self.session.scalar(select(func.coalesce(func.sum(m.BindingAttempt.refused_contacts), 0))) or 0)


class BoundChats:
    """Chat identities by their row id: what the owner's "这不是我" button points at."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def id_of(self, channel: str, user_id: str, community_id: int | None = None) -> int | None:
        """The chat user's row (in one community, when given: a person may be bound in several)."""
        query = select(m.Identity.id).where(m.Identity.channel == channel, m.Identity.user_id == user_id)
        if community_id is not None:
            query = query.where(m.Identity.community_id == community_id)
        return await self.session.scalar(query.order_by(m.Identity.id).limit(1))

    async def get(self, identity_id: int) -> m.Identity | None:
        return await self.session.get(m.Identity, identity_id, with_for_update=True)

    async def unbind(self, identity_id: int) -> None:
        row = await self.session.get(m.Identity, identity_id)
        if row is not None:
            row.owner_id, row.verified_at = None, None
            await self.session.flush()
