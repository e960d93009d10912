"""The outbox table: every reply is stored in the same transaction as the change that
caused it, then delivered by `bot.delivery` — so a crash loses nothing.

Several delivery workers (bot processes) may share one database.  Each *claims* the rows
it will deliver (`claim`): the row gets the worker's name and a lease (`claim_until`)
that the worker renews while it holds the row; a worker that dies stops renewing, and
once the lease lapses the row is free for the others.  A chat belongs to one worker at a
time — no worker claims a row of a chat in which another worker holds a live claim — so
each chat's order is kept across processes.  On PostgreSQL the claim statement runs under
a transaction-level advisory lock (claims are short and serialised; sending is not) and
takes its rows `FOR UPDATE SKIP LOCKED`; SQLite serialises writers by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import models as m

# pg_advisory_xact_lock key for outbox claims ("wuye" + 1).
CLAIM_LOCK = 0x77757965_01


BULK = -1


def _priority(body: dict[str, Any], notice_id: int | None) -> int:
    """The reply's own priority; a notice's messages are bulk, below conversations, so an
    owner chatting while a 10,000-owner notice goes out is not queued behind it."""
    given = int(body.get("priority") or 0)
    return given if given or notice_id is None else BULK


class Outbox:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, channel: str, chat_id: str, body: dict[str, Any], replace_key: str | None, now: datetime,
                  *, notice_id: int | None = None) -> None:
        self.session.add(
            m.OutboxMessage(
                channel=channel, chat_id=chat_id, body=body, replace_key=replace_key,
                state="pending", not_before=now, created_at=now, notice_id=notice_id,
                priority=_priority(body, notice_id),
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
                     "attempts": 0, "not_before": now, "created_at": now, "failure": "", "notice_id": notice_id,
                     "priority": _priority(body, notice_id)}
                    for channel, chat_id, body in messages
                ],
            )
        return len(messages)

    @staticmethod
    def _held_back(now: datetime, hold: timedelta | None) -> Any:
        """A due row waits behind an earlier row of its chat that waits for a retry and is of
        the same or a higher priority (for at most `hold` once that row keeps failing), and
        behind an earlier row carrying the same replace key (an edit never overtakes the
        message it edits)."""
        row = m.OutboxMessage
        earlier = aliased(m.OutboxMessage)
        still_holding = earlier.failing_since.is_(None)
        if hold is not None:
            still_holding = or_(still_holding, earlier.failing_since > now - hold)
        return (
            select(earlier.id)
            .where(earlier.channel == row.channel, earlier.chat_id == row.chat_id,
                   earlier.state == "pending", earlier.id < row.id,
                   or_(and_(earlier.not_before > now, earlier.priority >= row.priority, still_holding),
                       and_(row.replace_key.is_not(None), earlier.replace_key == row.replace_key,
                            earlier.not_before > now)))
            .exists()
        )

    async def pending(self, channel: str, now: datetime, limit: int, *, hold: timedelta | None = None
                      ) -> list[m.OutboxMessage]:
        """Due rows (urgent first, then oldest first), without claiming them — but never a row
        held back behind an earlier one of its chat (see `_held_back`), so a restart cannot
        reorder a chat."""
        rows = await self.session.scalars(
            select(m.OutboxMessage)
            .where(m.OutboxMessage.channel == channel, m.OutboxMessage.state == "pending",
                   m.OutboxMessage.not_before <= now, ~self._held_back(now, hold))
            .order_by(m.OutboxMessage.priority.desc(), m.OutboxMessage.id)
            .limit(limit)
        )
        return list(rows)

    async def claim(self, channel: str, worker: str, now: datetime, lease: timedelta, limit: int,
                    *, hold: timedelta | None = None, min_priority: int | None = None) -> list[m.OutboxMessage]:
        """Claim up to `limit` due rows for `worker` (urgent first, then oldest first) and
        return them.  Skipped: rows another worker holds under a live lease, every row of a
        chat in which another worker holds one, rows held back behind an earlier row of their
        chat, and rows this worker already holds (so a backlog is read once, not per message).
        The caller commits."""
        row = m.OutboxMessage
        other = aliased(m.OutboxMessage)
        free = or_(row.claimed_by.is_(None), row.claim_until < now)
        chat_taken = (
            select(other.id)
            .where(other.channel == row.channel, other.chat_id == row.chat_id, other.state == "pending",
                   other.claimed_by.is_not(None), other.claimed_by != worker, other.claim_until >= now)
            .exists()
        )
        chosen = (
            select(row.id)
            .where(row.channel == channel, row.state == "pending", row.not_before <= now, free,
                   ~chat_taken, ~self._held_back(now, hold))
            .order_by(row.priority.desc(), row.id)
            .limit(limit)
        )
        if min_priority is not None:
            chosen = chosen.where(row.priority >= min_priority)
        postgres = self.session.bind.dialect.name == "postgresql"
        if postgres:
            # Serialise claims between processes: the "chat taken" test must see the other
            # worker's committed claims, or two workers could split one chat between them.
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK})
            chosen = chosen.with_for_update(skip_locked=True)
        ids = list(await self.session.scalars(chosen))
        if not ids:
            return []
        await self.session.execute(
            update(m.OutboxMessage).where(m.OutboxMessage.id.in_(ids))
            .values(claimed_by=worker, claim_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        rows = await self.session.scalars(
            select(m.OutboxMessage).where(m.OutboxMessage.id.in_(ids))
            .order_by(m.OutboxMessage.priority.desc(), m.OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
        return list(rows)

    async def renew(self, worker: str, until: datetime) -> int:
        """Extend every lease `worker` holds on rows still pending."""
        result = await self.session.execute(
            update(m.OutboxMessage).where(m.OutboxMessage.claimed_by == worker, m.OutboxMessage.state == "pending")
            .values(claim_until=until)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def release(self, worker: str, ids: list[int] | None = None) -> None:
        """Give rows back (all of `worker`'s pending rows when `ids` is None)."""
        query = update(m.OutboxMessage).where(m.OutboxMessage.claimed_by == worker,
                                               m.OutboxMessage.state == "pending")
        if ids is not None:
            if not ids:
                return
            query = query.where(m.OutboxMessage.id.in_(ids))
        await self.session.execute(query.values(claimed_by=None, claim_until=None))

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

    async def health(self, since: datetime) -> list[ChatHealth]:
        """Per channel and chat: messages pending, of those retrying, failed since `since`,
        and the oldest pending message's age reference (its created_at)."""
        row = m.OutboxMessage
        rows = await self.session.execute(
            select(row.channel, row.chat_id,
                   func.count().filter(row.state == "pending"),
                   func.count().filter(and_(row.state == "pending", or_(row.attempts > 0, row.failing_since.is_not(None)))),
                   func.count().filter(and_(row.state == "failed", row.created_at >= since)),
                   func.min(row.created_at).filter(row.state == "pending"),
                   func.min(row.failing_since).filter(row.state == "pending"))
            .where(or_(row.state == "pending", and_(row.state == "failed", row.created_at >= since)))
            .group_by(row.channel, row.chat_id)
            .order_by(row.channel, row.chat_id)
        )
        return [ChatHealth(*r) for r in rows]


@dataclass(frozen=True, slots=True)
class ChatHealth:
    channel: str
    chat_id: str
    pending: int
    retrying: int
    failed: int
    oldest_pending: datetime | None
    failing_since: datetime | None
