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

from storage import models as m

# pg_advisory_xact_lock key for outbox claims ("wuye" + 1).
CLAIM_LOCK = 0x77757965_01
# Candidates are read PAGE rows at a time, at most PAGES pages per call.
PAGE, PAGES = 500, 20


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

    async def _due(self, channel: str, now: datetime, limit: int, hold: timedelta | None,
                   worker: str | None, min_priority: int | None = None) -> list[m.OutboxMessage]:
        """Due rows (urgent first, then oldest first) that may go now, up to `limit`.

        Left out: rows held back behind an earlier row of their chat (see `_may_go`); with
        a `worker`, also rows that worker holds (a backlog is read once, not per message),
        rows another worker holds under a live lease, and every row of a chat in which
        another worker holds one.  Candidates are read by the (channel, state, priority,
        id) index a page at a time and judged against the few rows that can stop them
        (pending rows of the same chats that wait for a retry or are claimed), read by the
        (channel, chat_id, state) index: plain index reads whatever the planner's
        statistics say (correlated NOT EXISTS degenerated to a nested loop over the whole
        backlog on a freshly filled PostgreSQL table)."""
        row = m.OutboxMessage
        postgres = self.session.bind.dialect.name == "postgresql"
        taken: list[m.OutboxMessage] = []
        after: tuple[int, int] | None = None
        for _ in range(PAGES):
            query = (select(row).where(row.channel == channel, row.state == "pending", row.not_before <= now)
                     .order_by(row.priority.desc(), row.id).limit(PAGE))
            if worker is not None:
                query = query.where(or_(row.claimed_by.is_(None), row.claim_until < now))
            if min_priority is not None:
                query = query.where(row.priority >= min_priority)
            if after is not None:
                query = query.where(or_(row.priority < after[0], and_(row.priority == after[0], row.id > after[1])))
            if postgres and worker is not None:
                query = query.with_for_update(skip_locked=True)
            page = list(await self.session.scalars(query))
            if not page:
                break
            after = (page[-1].priority, page[-1].id)
            stoppers = await self._stoppers(channel, {r.chat_id for r in page}, now, worker)
            for candidate in page:
                if self._may_go(candidate, stoppers.get(candidate.chat_id, ()), now, hold, worker):
                    taken.append(candidate)
                    if len(taken) >= limit:
                        return taken
            if len(page) < PAGE:
                break
        return taken

    async def _stoppers(self, channel: str, chats: set[str], now: datetime,
                        worker: str | None) -> dict[str, list[m.OutboxMessage]]:
        """Pending rows of `chats` that wait for a retry or that another worker holds."""
        row = m.OutboxMessage
        condition = row.not_before > now
        if worker is not None:
            condition = or_(condition, and_(row.claimed_by.is_not(None), row.claimed_by != worker,
                                            row.claim_until >= now))
        found: dict[str, list[m.OutboxMessage]] = {}
        ordered = sorted(chats)
        for start in range(0, len(ordered), 500):
            rows = await self.session.execute(
                select(row.id, row.chat_id, row.priority, row.replace_key, row.not_before, row.failing_since,
                       row.claimed_by, row.claim_until)
                .where(row.channel == channel, row.chat_id.in_(ordered[start:start + 500]),
                       row.state == "pending", condition))
            for r in rows:
                found.setdefault(r.chat_id, []).append(r)
        return found

    @staticmethod
    def _may_go(candidate: m.OutboxMessage, stoppers: Any, now: datetime, hold: timedelta | None,
                worker: str | None) -> bool:
        """A due row waits behind an earlier row of its chat that waits for a retry and is of
        the same or a higher priority (for at most `hold` once that row keeps failing), and
        behind an earlier waiting row carrying the same replace key (an edit never overtakes
        the message it edits); no row of a chat another worker holds goes."""
        for other in stoppers:
            if (worker is not None and other.claimed_by is not None and other.claimed_by != worker
                    and other.claim_until is not None and other.claim_until >= now):
                return False
            if other.id >= candidate.id or other.not_before <= now:
                continue
            if candidate.replace_key is not None and other.replace_key == candidate.replace_key:
                return False
            if other.priority >= candidate.priority and (
                    other.failing_since is None or hold is None or now - other.failing_since < hold):
                return False
        return True

    async def pending(self, channel: str, now: datetime, limit: int, *, hold: timedelta | None = None
                      ) -> list[m.OutboxMessage]:
        """Due rows (urgent first, then oldest first), without claiming them — but never a row
        held back behind an earlier one of its chat, so a restart cannot reorder a chat."""
        return await self._due(channel, now, limit, hold, None)

    async def claim(self, channel: str, worker: str, now: datetime, lease: timedelta, limit: int,
                    *, hold: timedelta | None = None, min_priority: int | None = None) -> list[m.OutboxMessage]:
        """Claim up to `limit` due rows for `worker` (urgent first, then oldest first) and
        return them; see `_due` for what is left out.  The caller commits."""
        if self.session.bind.dialect.name == "postgresql":
            # Serialise claims between processes: the "chat taken" test must see the other
            # worker's committed claims, or two workers could split one chat between them.
            # (SQLite: every transaction here is BEGIN IMMEDIATE, serialised already.)
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK})
        rows = await self._due(channel, now, limit, hold, worker, min_priority)
        if not rows:
            return []
        until = now + lease
        await self.session.execute(
            update(m.OutboxMessage).where(m.OutboxMessage.id.in_([r.id for r in rows]))
            .values(claimed_by=worker, claim_until=until)
            .execution_options(synchronize_session=False)
        )
        for r in rows:
            r.claimed_by, r.claim_until = worker, until
        return rows

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
