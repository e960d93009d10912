"""The inbox of WeChat and WeCom callbacks (used by bot.wxbase.callback).

A verified message is recorded here, in its own short transaction, before the platform
is answered; the process that recorded it holds it (`claimed_by`, a lease renewed while
it holds it) and marks it done once the desk handled it.  A row still pending whose
lease lapsed — its process died — is taken again by any process (`claim`), oldest first;
on PostgreSQL `FOR UPDATE SKIP LOCKED` keeps two processes from taking the same row.

The row's `key` is the update key the desk records in `processed_updates` in the same
transaction as its handling, so a row taken again after its handling committed (the
process died before marking it done) is recognised as handled (`handled`) and not
handled twice.  The platform's retry of a recorded message is no new row (the unique key).

An operator sees it in `wuye status` (`health`); a message given up (failed) is listed by
`wuye inbox failed` and put back to pending by `wuye inbox retry` (`failed`, `retry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models as m
from storage.conversations import insert_for

PENDING, DONE, FAILED = "pending", "done", "failed"
CHUNK = 500  # ids in one statement


@dataclass(frozen=True, slots=True)
class Taken:
    """A pending message a process holds."""

    id: int
    key: str
    sender: str
    fields: dict[str, str]
    attempts: int  # how many times a process took it, this time included
    replayed: bool = False  # taken again after another holder (or an earlier run) let it lapse


@dataclass(frozen=True, slots=True)
class ChannelHealth:
    """What `wuye status` shows of one channel's inbox."""

    channel: str
    waiting: int  # pending, held by no live process: taken at the next keep (or start)
    leased: int  # pending, held by a live process: being handled
    failed: int  # given up: the sender got the apology, the message itself was not handled
    oldest_unhandled: datetime | None  # received_at of the oldest pending one, leased or not


@dataclass(frozen=True, slots=True)
class Failed:
    """A message given up, as an operator may see it: no sender, no words."""

    id: int
    channel: str
    received_at: datetime
    attempts: int
    kind: str  # MsgType, and the event's name: text, image, event/subscribe ...


class Inbox:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, channel: str, account: str, messages: list[tuple[str, str, dict[str, str]]],
                     now: datetime, worker: str, until: datetime) -> dict[str, int]:
        """Record messages (key, sender, fields) held by `worker` until `until`, in one
        statement; the ids of those new by key (one recorded before is left out)."""
        insert = insert_for(self.session)
        result = await self.session.execute(
            insert(m.InboxMessage)
            .values([dict(channel=channel, account=account, key=key, sender=sender, fields=fields, received_at=now,
                          state=PENDING, attempts=1, claimed_by=worker, claimed_until=until)
                     for key, sender, fields in messages])
            .on_conflict_do_nothing(index_elements=["channel", "account", "key"])
            .returning(m.InboxMessage.key, m.InboxMessage.id)
        )
        return {key: row_id for key, row_id in result.all()}

    async def claim(self, channel: str, account: str, worker: str, now: datetime, until: datetime, limit: int, *,
                    lapsed_only: bool = True) -> list[Taken]:
        """Take up to `limit` pending messages whose lease lapsed (every pending one with
        `lapsed_only=False`: the one SQLite process at its start), oldest first."""
        row = m.InboxMessage
        query = select(row.id, row.key, row.sender, row.fields, row.attempts).where(
            row.channel == channel, row.account == account, row.state == PENDING)
        if lapsed_only:
            query = query.where((row.claimed_until.is_(None)) | (row.claimed_until < now))
        query = query.order_by(row.id).limit(limit)
        if self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = (await self.session.execute(query)).all()
        await self._set([r.id for r in rows], claimed_by=worker, claimed_until=until, attempts=row.attempts + 1)
        return [Taken(r.id, r.key, r.sender, dict(r.fields), r.attempts + 1, replayed=True) for r in rows]

    async def held_by(self, channel: str, account: str, key: str, worker: str) -> Taken | None:
        """The pending message with this key that `worker` holds, if any (see
        CallbackEndpoint._recorded_unseen: a write whose commit the process could not confirm)."""
        row = m.InboxMessage
        found = (await self.session.execute(
            select(row.id, row.key, row.sender, row.fields, row.attempts).where(
                row.channel == channel, row.account == account, row.key == key, row.state == PENDING,
                row.claimed_by == worker))).first()
        return None if found is None else Taken(found.id, found.key, found.sender, dict(found.fields),
                                                found.attempts, replayed=True)

    async def renew(self, worker: str, ids: list[int], until: datetime) -> None:
        """Extend the leases `worker` holds on these messages (still pending)."""
        await self._set(ids, m.InboxMessage.claimed_by == worker, m.InboxMessage.state == PENDING,
                        claimed_until=until)

    async def release(self, worker: str, ids: list[int]) -> None:
        """Give messages back unhandled (an orderly stop): the next start takes them at once."""
        await self._set(ids, m.InboxMessage.claimed_by == worker, m.InboxMessage.state == PENDING,
                        claimed_by=None, claimed_until=None)

    async def finish(self, ids: list[int], state: str) -> None:
        """Done (their words are no longer kept) or failed (kept, for whoever looks into it)."""
        await self._set(ids, state=state, claimed_by=None, claimed_until=None,
                        **({"fields": {}} if state == DONE else {}))

    async def _set(self, ids: list[int], *where: Any, **values: Any) -> None:
        for start in range(0, len(ids), CHUNK):
            await self.session.execute(
                update(m.InboxMessage).where(m.InboxMessage.id.in_(ids[start:start + CHUNK]), *where)
                .values(**values).execution_options(synchronize_session=False))

    async def handled(self, channel: str, key: str) -> bool:
        """Whether the desk committed its handling of this message (processed_updates)."""
        return bool(await self.session.scalar(select(exists().where(
            m.ProcessedUpdate.channel == channel, m.ProcessedUpdate.update_id == key))))

    async def health(self, now: datetime) -> list[ChannelHealth]:
        """Per channel with anything pending or failed (kept until pruned), by channel."""
        row = m.InboxMessage
        live = and_(row.state == PENDING, row.claimed_until.is_not(None), row.claimed_until >= now)
        rows = await self.session.execute(
            select(row.channel,
                   func.count().filter(and_(row.state == PENDING, ~live)),
                   func.count().filter(live),
                   func.count().filter(row.state == FAILED),
                   func.min(row.received_at).filter(row.state == PENDING))
            .where(or_(row.state == PENDING, row.state == FAILED))
            .group_by(row.channel).order_by(row.channel))
        return [ChannelHealth(*r) for r in rows]

    async def failed(self, limit: int) -> list[Failed]:
        """The messages given up, oldest first."""
        row = m.InboxMessage
        rows = await self.session.execute(
            select(row.id, row.channel, row.received_at, row.attempts, row.fields)
            .where(row.state == FAILED).order_by(row.id).limit(limit))
        return [Failed(r.id, r.channel, r.received_at, r.attempts,
                       "/".join(filter(None, (r.fields.get("MsgType"), r.fields.get("Event")))) or "?")
                for r in rows]

    async def retry(self, ids: list[int] | None) -> list[int]:
        """Put failed messages (these, or all with None) back to pending, held by nobody:
        the next keep of any running process takes them.  Their takes start again from
        nothing, or they would be given up at once (`MAX_TAKES`).  The ids put back."""
        row = m.InboxMessage
        query = select(row.id).where(row.state == FAILED).order_by(row.id)
        if ids is not None:
            query = query.where(row.id.in_(ids))
        found = list(await self.session.scalars(query))
        await self._set(found, row.state == FAILED, state=PENDING, attempts=0, claimed_by=None, claimed_until=None)
        return found

    async def prune(self, before: datetime) -> int:
        """Forget messages done or failed that arrived before `before`; how many."""
        result = await self.session.execute(
            delete(m.InboxMessage).where(m.InboxMessage.state != PENDING, m.InboxMessage.received_at < before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
