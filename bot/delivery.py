"""The outbox worker: gets the replies the core queued into their chats.

The core writes every reply to the outbox (a durable queue) before it answers an
update, so a crash between "decided to reply" and "Telegram accepted it" loses
nothing.  The `Deliverer` drains that queue through a `ChannelSender`:

* one worker per chat, so a chat's replies arrive in the order they were queued,
  while different chats are served at the same time (a group at 20 msgs/min does
  not hold up a thousand private chats);
* an item that failed and will be retried blocks the items queued after it in
  the same chat until it has gone out, so order survives retries;
* an item is only marked sent after the channel accepted it, and a channel
  failure never re-sends items that already went out.

Retry policy (see `RetryPolicy`): a 429 waits exactly as long as the channel asks
and does not count as an attempt; a transient failure (5xx, network) backs off
exponentially (2 s, 4 s, 8 s ... capped at 10 min) and gives up after 12 attempts,
about 37 minutes in all; an undeliverable item (bot blocked, chat gone) is marked
failed at once and the chat's later items still get their own try.

`MemoryOutbox` at the bottom is the same queue in memory, for tests and demos.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.channel import (
    ChannelSender,
    OutboxItem,
    OutboxStore,
    RetryAfter,
    TransientError,
    Undeliverable,
)
from bot.ratelimit import RateLimiter
from cases.clock import SystemClock
from handlers.messages import Reply

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff for transient failures."""

    first_delay: float = 2.0
    factor: float = 2.0
    max_delay: float = 600.0
    max_attempts: int = 12

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt (1-based)."""
        return min(self.max_delay, self.first_delay * self.factor ** max(0, attempts - 1))


class Deliverer:
    """Delivers due outbox items for one channel; see the module docstring.

    `limiter` paces one API call per item; leave it out when the sender paces its
    own calls (the Telegram sender does, because one reply can take several calls:
    photos first, long texts in parts).
    """

    def __init__(
        self,
        store: OutboxStore,
        sender: ChannelSender,
        limiter: RateLimiter | None = None,
        *,
        now: Callable[[], datetime] | None = None,
        retry: RetryPolicy | None = None,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        min_fetch_interval: float = 0.02,
    ) -> None:
        self._store = store
        self._sender = sender
        self._limiter = limiter
        self._now = now or SystemClock().now
        self._retry = retry or RetryPolicy()
        self._batch_size = batch_size
        self._fetch_limit = batch_size
        self._poll_interval = poll_interval
        # While a burst drains, every chat that finishes wakes the loop; reading the
        # outbox once per wake-up would mean a query per message.  Waking up at most
        # this often costs a new reply at most this much latency.
        self._min_fetch_interval = min_fetch_interval
        # Chats with a worker running; their items are not handed out again.
        self._busy: set[str] = set()
        # Chats whose worker ended while `pending()` was running: the rows we are about
        # to read may predate that worker's mark_sent, so they are skipped this round.
        self._finished_while_fetching: set[str] | None = None
        # Chats waiting for a retry: items queued after the failed one must wait too,
        # although the store reports them as due.
        self._held: dict[str, datetime] = {}
        # Sent, but mark_sent failed (database hiccup): record it again, never re-send.
        self._unrecorded: dict[int, str] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._look_again_when_a_chat_frees = False
        self._stop: asyncio.Event | None = None  # run_forever's; workers check it between items

    @property
    def channel(self) -> str:
        return self._sender.channel

    def notify(self) -> None:
        """New replies are in the outbox: look now instead of at the next poll."""
        self._wake.set()

    async def run_once(self) -> int:
        """Deliver what is due now and wait until that is done; returns the number of items taken."""
        workers, taken = await self._start_due_chats()
        if workers:
            await asyncio.gather(*workers)
        return taken

    async def run_forever(self, stop: asyncio.Event, *, drain_timeout: float = 10.0) -> None:
        """Deliver until `stop` is set, then let each chat finish the item it is sending."""
        self._stop = stop
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            self._wake.clear()
            fetched_at = loop.time()
            try:
                await self._start_due_chats()
            except Exception:
                log.exception("could not read the %s outbox; trying again", self.channel)
            await self._sleep_until_due(stop)
            rest = self._min_fetch_interval - (loop.time() - fetched_at)
            if rest > 0 and not stop.is_set():
                await asyncio.sleep(rest)
        await self._drain(drain_timeout)
        self._stop = None

    async def _start_due_chats(self) -> tuple[list[asyncio.Task[None]], int]:
        now = self._now()
        self._finished_while_fetching = set()
        try:
            items = await self._store.pending(self.channel, now, self._fetch_limit)
        finally:
            just_finished, self._finished_while_fetching = self._finished_while_fetching, None

        batches: dict[str, list[OutboxItem]] = {}
        waiting_for_a_free_chat = False
        for item in sorted(items, key=lambda i: i.id):
            chat = item.reply.chat_id
            if chat in self._busy or chat in just_finished:
                waiting_for_a_free_chat = True
            elif not self._is_held(chat, now):
                batches.setdefault(chat, []).append(item)

        full = len(items) >= self._fetch_limit
        self._look_again_when_a_chat_frees = waiting_for_a_free_chat or full
        if full and self._fetch_limit < self._batch_size * 64:
            # There may be other chats' items beyond the limit, behind a long backlog
            # of chats already being served (a slow group): look further at once.
            self._fetch_limit *= 2
            self._wake.set()
        elif not full:
            self._fetch_limit = max(self._batch_size, self._fetch_limit // 2)

        workers = []
        for chat, batch in batches.items():
            self._busy.add(chat)
            worker = asyncio.create_task(self._deliver_chat(chat, batch), name=f"deliver {chat}")
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)
            workers.append(worker)
        return workers, sum(len(b) for b in batches.values())

    def _is_held(self, chat: str, now: datetime) -> bool:
        until = self._held.get(chat)
        if until is None:
            return False
        if until <= now:
            del self._held[chat]
            return False
        return True

    async def _deliver_chat(self, chat: str, batch: list[OutboxItem]) -> None:
        try:
            for item in batch:
                if (self._stop is not None and self._stop.is_set()) or not await self._deliver(item):
                    break
        except Exception:
            # A store failure: the item is still pending and will be picked up again.
            log.exception("delivery to %s chat %s interrupted", self.channel, chat)
        finally:
            self._busy.discard(chat)
            if self._finished_while_fetching is not None:
                self._finished_while_fetching.add(chat)
            if self._look_again_when_a_chat_frees:
                self._wake.set()

    async def _deliver(self, item: OutboxItem) -> bool:
        """Try one item; False means it waits for a retry and the chat's later items wait with it."""
        reply = item.reply
        message_id = self._unrecorded.get(item.id)
        if message_id is None:
            edit_id = None
            if reply.replace_key:
                edit_id = await self._store.message_id_for(
                    reply.channel, reply.chat_id, reply.replace_key
                )
            try:
                if self._limiter is not None:
                    async with self._limiter.turn(reply.chat_id):
                        message_id = await self._sender.send(reply, edit_id)
                else:
                    message_id = await self._sender.send(reply, edit_id)
            except RetryAfter as exc:
                log.info("chat %s: slowed down by the channel for %ss", reply.chat_id, exc.seconds)
                return await self._postpone(item, exc.seconds, item.attempts)
            except Undeliverable as exc:
                log.warning("chat %s: item %s undeliverable: %s", reply.chat_id, item.id, exc.reason)
                await self._store.mark_failed(item.id, exc.reason)
                return True
            except Exception as exc:
                if not isinstance(exc, TransientError):
                    # A bug in a sender must not lose the message: retry it like a 5xx.
                    log.exception("chat %s: sender failed unexpectedly", reply.chat_id)
                attempts = item.attempts + 1
                if attempts >= self._retry.max_attempts:
                    reason = f"gave up after {attempts} attempts: {exc}"
                    log.warning("chat %s: item %s %s", reply.chat_id, item.id, reason)
                    await self._store.mark_failed(item.id, reason)
                    return True
                log.info("chat %s: transient failure (%s), attempt %d", reply.chat_id, exc, attempts)
                return await self._postpone(item, self._retry.delay(attempts), attempts)
            self._unrecorded[item.id] = message_id
        await self._store.mark_sent(item.id, message_id)
        del self._unrecorded[item.id]
        return True

    async def _postpone(self, item: OutboxItem, seconds: float, attempts: int) -> bool:
        not_before = self._now() + timedelta(seconds=seconds)
        self._held[item.reply.chat_id] = not_before
        await self._store.retry_later(item.id, not_before, attempts)
        return False

    async def _sleep_until_due(self, stop: asyncio.Event) -> None:
        timeout = self._poll_interval
        if self._held:
            earliest = min(self._held.values())
            timeout = min(timeout, max(0.0, (earliest - self._now()).total_seconds()))
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _drain(self, timeout: float) -> None:
        if not self._workers:
            return
        _, unfinished = await asyncio.wait(set(self._workers), timeout=timeout)
        for worker in unfinished:
            worker.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)


@dataclass(slots=True)
class OutboxRow:
    """One queued reply and what became of it (MemoryOutbox's bookkeeping)."""

    id: int
    reply: Reply
    attempts: int = 0
    not_before: datetime | None = None
    message_id: str | None = None
    failure: str | None = None


class MemoryOutbox:
    """`OutboxStore` in memory: for tests and demos, forgets everything on exit.

    Follows the protocol literally: `pending` returns every due item, including
    those queued behind an item that waits for a retry; keeping them back is the
    Deliverer's job.
    """

    def __init__(self) -> None:
        self.rows: dict[int, OutboxRow] = {}
        self._open: dict[int, OutboxRow] = {}
        self._next_id = 1
        self._message_ids: dict[tuple[str, str, str], str] = {}

    def put(self, reply: Reply, *, not_before: datetime | None = None) -> int:
        row = OutboxRow(self._next_id, reply, not_before=not_before)
        self._next_id += 1
        self.rows[row.id] = self._open[row.id] = row
        return row.id

    async def add(self, reply: Reply, *, not_before: datetime | None = None) -> int:
        return self.put(reply, not_before=not_before)

    async def pending(self, channel: str, now: datetime, limit: int = 500) -> list[OutboxItem]:
        due = []
        for row in self._open.values():
            if row.reply.channel == channel and (row.not_before is None or row.not_before <= now):
                due.append(OutboxItem(row.id, row.reply, row.attempts))
                if len(due) >= limit:
                    break
        return due

    async def mark_sent(self, item_id: int, message_id: str) -> None:
        row = self.rows[item_id]
        if row.message_id is not None or row.failure is not None:
            raise ValueError(f"outbox item {item_id} was already settled")
        row.message_id = message_id
        del self._open[item_id]
        if row.reply.replace_key:
            key = (row.reply.channel, row.reply.chat_id, row.reply.replace_key)
            self._message_ids[key] = message_id

    async def mark_failed(self, item_id: int, reason: str) -> None:
        row = self.rows[item_id]
        row.failure = reason
        self._open.pop(item_id, None)

    async def retry_later(self, item_id: int, not_before: datetime, attempts: int) -> None:
        row = self.rows[item_id]
        row.not_before = not_before
        row.attempts = attempts

    async def message_id_for(self, channel: str, chat_id: str, replace_key: str) -> str | None:
        return self._message_ids.get((channel, chat_id, replace_key))

    # What tests look at.
    def sent(self) -> list[OutboxRow]:
        return [r for r in self.rows.values() if r.message_id is not None]

    def failed(self) -> list[OutboxRow]:
        return [r for r in self.rows.values() if r.failure is not None]

    def unsettled(self) -> list[OutboxRow]:
        return list(self._open.values())
