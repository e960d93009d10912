"""The outbox worker: gets the replies the core queued into their chats.

The core writes every reply to the outbox (a durable queue) before it answers an
update, so a crash between "decided to reply" and "Telegram accepted it" loses
nothing.  The `Deliverer` drains that queue through a `ChannelSender`:

* it *claims* what it delivers (`OutboxStore.claim`): several processes may deliver
  from one database, each row goes out through one of them, and a chat belongs to one
  worker at a time; a crashed worker's claims lapse and another takes them over.  The
  outbox is read incrementally: a claimed row is never read again by its worker, and
  at most `max_held` items are held in memory, so a 10,000-owner notice is read in
  batches instead of once per message;
* one lane per chat, served by its own task, so different chats are served at the
  same time (a group at 20 msgs/min does not hold up a thousand private chats);
* within a chat, urgent items (emergency cards and alerts, `Reply.priority`) go before
  ordinary ones, in a lane of their own (an ordinary item waiting for the chat's rate
  limit or a retry does not hold them up, and the limiter keeps them a share of each
  group's limit and the first place in the overall queue); within a priority, items go
  in the order they were queued; an edit never overtakes the message it edits (same
  replace key), whatever its priority;
* an item waiting for a retry holds back the later items of its chat of the same or
  lower priority — always for a 429 (the chat is what is slowed down), and for at most
  `hold` once it keeps failing (5xx, network): after that the later items go, and the
  failing one is still retried on its schedule until it goes or is given up;
* an item is only marked sent after the channel accepted it, and a failure to record
  that never re-sends it.

Retry policy (see `RetryPolicy`): a 429 waits exactly as long as the channel asks
and does not count as an attempt; a transient failure (5xx, network) backs off
exponentially (2 s, 4 s, 8 s ... capped at 10 min) and gives up after 12 attempts,
about 37 minutes in all; an undeliverable item (bot blocked, chat gone) is marked
failed at once and the chat's later items still get their own try.  A sender that fails
because our own database does (storage.failures `transient`: a dropped connection, a
server restarting) never reached the platform — senders turn every platform failure into
a `DeliveryError` — so that is no attempt either: it backs off (at most `DB_RETRY_CAP`)
and is tried until the database is back, however long the outage.

What exactly-once cannot cover: a worker that dies after the channel accepted a
message and before it recorded that (a few milliseconds) leaves the row claimed;
when its lease lapses another worker sends it again.  The same holds for a call
that timed out after the platform had accepted it — see `bot.telegram.outgoing`.

`MemoryOutbox` at the bottom is the same queue in memory, for tests and demos.
"""

from __future__ import annotations

import asyncio
import logging
import math
from bisect import insort
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.channel import (
    ChannelSender,
    DeliveryError,
    OutboxItem,
    OutboxStore,
    RetryAfter,
    TransientError,
    Undeliverable,
)
from bot.ratelimit import RateLimiter
from cases.clock import SystemClock
from handlers.kit.messages import NORMAL, Reply
from storage.failures import log_failure, transient

log = logging.getLogger(__name__)

# How long a failing item may hold back the later items of its chat.
HOLD = timedelta(seconds=30)
# The longest wait between tries while our database fails under a sender (they back off as
# transient failures do, but are not attempts: the database may be back any second).
DB_RETRY_CAP = 60.0


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


@dataclass(slots=True)
class _Held:
    """A claimed item and what this worker knows of it since."""

    item: OutboxItem
    attempts: int
    not_before: datetime | None
    failing_since: datetime | None
    message_id: str | None = None  # sent, but recording that failed: record it, never re-send
    outage: int = 0  # tries the sender lost to our database failing (not attempts: for the backoff)

    @property
    def order(self) -> tuple[int, int]:
        return (-self.item.priority, self.item.id)

    def __lt__(self, other: _Held) -> bool:
        return self.order < other.order


@dataclass(slots=True)
class _Lane:
    """One chat's claimed items in delivery order, and the task serving it, if any."""

    items: list[_Held] = field(default_factory=list)
    worker: asyncio.Task[None] | None = None

    def next_due(self, now: datetime, hold: timedelta | None) -> _Held | None:
        """The item to send now, or None (nothing due, or what is due is held back)."""
        first_of_key: dict[str, int] = {}
        for held in self.items:
            key = held.item.reply.replace_key
            if key is not None and first_of_key.get(key, math.inf) > held.item.id:
                first_of_key[key] = held.item.id
        blocked_after = math.inf  # ids above this wait (set by a waiting item of this priority or higher)
        for held in self.items:
            if held.message_id is None and held.not_before is not None and held.not_before > now:
                if held.failing_since is None or hold is None or now - held.failing_since < hold:
                    blocked_after = min(blocked_after, held.item.id)
                continue
            key = held.item.reply.replace_key
            if held.item.id > blocked_after or (key is not None and first_of_key[key] < held.item.id):
                continue
            return held
        return None

    def wake_at(self, hold: timedelta | None) -> datetime | None:
        """When something in this lane may become sendable by the clock alone."""
        times = []
        for held in self.items:
            if held.not_before is not None:
                times.append(held.not_before)
            if held.failing_since is not None and hold is not None:
                times.append(held.failing_since + hold)
        return min(times) if times else None


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
        max_held: int = 2000,
        poll_interval: float = 1.0,
        min_fetch_interval: float = 0.2,
        hold: timedelta | None = HOLD,
        renew_every: float = 20.0,
        store_connections: int = 3,
    ) -> None:
        self._store = store
        self._sender = sender
        self._limiter = limiter
        self._now = now or SystemClock().now
        self._retry = retry or RetryPolicy()
        self._batch_size = batch_size
        self._max_held = max(max_held, batch_size)
        self._poll_interval = poll_interval
        # New replies wake the loop (notify); reading the outbox at most this often costs
        # a new reply at most this much latency and keeps a burst from costing a query
        # per message.  A claim is six round trips to the database (bench/company.py
        # rate): at 25 replies a second per process, one every 0.2 s takes five at once.
        self._min_fetch_interval = min_fetch_interval
        self._hold = hold
        self._renew_every = renew_every
        # One lane per chat and class (urgent or not): an urgent item never waits behind an
        # ordinary one that is waiting for the chat's rate limit or for a retry.
        self._lanes: dict[tuple[str, bool], _Lane] = {}
        self._held = 0
        # Thousands of lanes may finish a send at once (a notice); their bookkeeping shares
        # a few database connections, so the pool is never exhausted and the owners'
        # conversations (intake) always find a connection free.
        self._store_turn = asyncio.Semaphore(store_connections)
        self._wake = asyncio.Event()
        self._notified = True  # look at once on start
        self._more = False  # the last claim was cut short: there may be more to claim
        self._stop: asyncio.Event | None = None  # run_forever's; workers check it between items
        self._attempted = 0
        self.delivered = 0  # items sent and recorded by this worker
        self._claims = 0  # claim rounds finished so far, and what the last one took (for flush)
        self._claims_started = 0
        self._claimed_last = 0

    @property
    def channel(self) -> str:
        return self._sender.channel

    @property
    def held(self) -> int:
        """Items claimed and not yet settled (what this worker has in memory)."""
        return self._held

    def notify(self) -> None:
        """New replies are in the outbox: look now instead of at the next poll."""
        self._notified = True
        self._wake.set()

    async def flush(self, timeout: float = 10.0) -> bool:
        """While `run_forever` runs: wait until everything due now has been sent (or put
        off for a retry), at most `timeout` seconds; True when nothing due is left.  Used on
        stop, after the last updates were handled, so their replies go out before exit."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            started = self._claims_started
            self.notify()
            while self._claims <= started and loop.time() < deadline:
                await asyncio.sleep(0.01)
            now = self._now()
            busy = any(lane.worker is not None or lane.next_due(now, self._hold) is not None
                       for lane in self._lanes.values())
            if not busy and not self._more and self._claimed_last == 0:
                return True
            await asyncio.sleep(0.02)
        return False

    async def run_once(self) -> int:
        """Deliver what is due now and wait until that is done; returns the number of sends tried."""
        self._attempted = 0
        await self._claim()
        workers = self._start_lanes()
        if workers:
            await asyncio.gather(*workers)
        return self._attempted

    async def run_forever(self, stop: asyncio.Event, *, drain_timeout: float = 10.0) -> None:
        """Deliver until `stop` is set, then let each chat finish the item it is sending
        and give back the claims on the rest (another worker, or the next start, sends them)."""
        self._stop = stop
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        polled = -math.inf
        try:
            while not stop.is_set():
                self._wake.clear()
                fetched_at = loop.time()
                if self._notified or self._more or fetched_at - polled >= self._poll_interval:
                    room = self._held <= self._max_held - self._batch_size
                    if room or self._notified:
                        polled = fetched_at
                        try:
                            # Full of a broadcast: still take new conversation replies and
                            # emergencies at once; the broadcast's next batch waits for room.
                            await self._claim(urgent_only=not room)
                        except Exception as exc:
                            log_failure(log, exc, "could not read the %s outbox", self.channel,
                                        then=f"trying again in {self._poll_interval:.3g} s")
                            self._more = False
                        self._notified = False
                self._start_lanes()
                if self._held and loop.time() - renewed >= self._renew_every:
                    renewed = loop.time()
                    try:
                        await self._store.renew(self._now())
                    except Exception as exc:
                        log_failure(log, exc, "could not renew the %s outbox claims", self.channel,
                                    then=f"trying again in {self._renew_every:.3g} s")
                await self._sleep_until_due(stop)
                rest = self._min_fetch_interval - (loop.time() - fetched_at)
                if rest > 0 and not stop.is_set():
                    await asyncio.sleep(rest)
            await self._drain(drain_timeout)
        finally:
            self._stop = None
            await self._release_all()

    async def _claim(self, *, urgent_only: bool = False) -> None:
        """Claim due items until there are none or `max_held` are held (with `urgent_only`:
        every due item above bulk priority, however many are held)."""
        self._claims_started += 1
        try:
            await self._claim_round(urgent_only=urgent_only)
        finally:
            # Counted when the round is over: flush waits for a whole round begun after its call.
            self._claims += 1

    async def _claim_round(self, *, urgent_only: bool) -> None:
        now = self._now()
        self._claimed_last = 0
        if urgent_only:
            items = await self._store.claim(self.channel, now, self._batch_size, hold=self._hold,
                                            min_priority=NORMAL)
            self._take(items)
            return
        self._more = False
        while self._held < self._max_held:
            limit = min(self._batch_size, self._max_held - self._held)
            items = await self._store.claim(self.channel, now, limit, hold=self._hold)
            self._take(items)
            if len(items) < limit:
                return
        self._more = True

    def _take(self, items: list[OutboxItem]) -> None:
        self._claimed_last += len(items)
        for item in items:
            key = (item.reply.chat_id, item.priority > NORMAL)
            other = self._lanes.get((key[0], not key[1]))
            replace_key = item.reply.replace_key
            if other is not None and replace_key is not None and any(
                    h.item.reply.replace_key == replace_key for h in other.items):
                key = (key[0], not key[1])  # an edit stays behind the message it edits
            lane = self._lanes.get(key)
            if lane is None:
                lane = self._lanes[key] = _Lane()
            insort(lane.items, _Held(item, item.attempts, item.not_before, item.failing_since))
            self._held += 1

    def _start_lanes(self) -> list[asyncio.Task[None]]:
        now = self._now()
        workers = []
        for key, lane in self._lanes.items():
            if lane.worker is None and lane.next_due(now, self._hold) is not None:
                lane.worker = asyncio.create_task(self._serve(key, lane), name=f"deliver {key[0]}")
                workers.append(lane.worker)
        return workers

    async def _serve(self, key: tuple[str, bool], lane: _Lane) -> None:
        try:
            while self._stop is None or not self._stop.is_set():
                held = lane.next_due(self._now(), self._hold)
                if held is None:
                    break
                await self._deliver(lane, held)
        except Exception as exc:
            # A store failure: the item stays held (a sent one remembers its message id, so
            # it is only recorded, not sent again) and is tried again on the next round.
            log_failure(log, exc, "delivery to %s chat %s interrupted", self.channel, key[0],
                        then="its message is tried again on the next round")
        finally:
            lane.worker = None
            if not lane.items and self._lanes.get(key) is lane:
                del self._lanes[key]
            if lane.items or (self._more and self._held <= self._max_held - self._batch_size):
                self._wake.set()  # a retry to time, or room for the next batch

    def _settle(self, lane: _Lane, held: _Held) -> None:
        lane.items.remove(held)
        self._held -= 1

    async def _deliver(self, lane: _Lane, held: _Held) -> None:
        """Try one item: sent and recorded, failed for good, or rescheduled."""
        item, reply = held.item, held.item.reply
        if held.message_id is None:
            edit_id = None
            if reply.replace_key:
                async with self._store_turn:
                    edit_id = await self._store.message_id_for(reply.channel, reply.chat_id, reply.replace_key)
            self._attempted += 1
            try:
                if self._limiter is not None:
                    async with self._limiter.turn(reply.chat_id, urgent=reply.priority > NORMAL):
                        message_id = await self._sender.send(reply, edit_id)
                else:
                    message_id = await self._sender.send(reply, edit_id)
            except RetryAfter as exc:
                log.info("chat %s: slowed down by the channel for %ss", reply.chat_id, exc.seconds)
                # Being told to slow down is not the message's fault: no attempt counted.
                await self._postpone(held, exc.seconds, held.attempts, failing=False)
                return
            except Undeliverable as exc:
                log.warning("chat %s: item %s undeliverable: %s", reply.chat_id, item.id, exc.reason)
                async with self._store_turn:
                    await self._store.mark_failed(item.id, exc.reason)
                self._settle(lane, held)
                return
            except Exception as exc:
                if not isinstance(exc, DeliveryError) and transient(exc):
                    # Our own database failed under the sender (the window it reads, the
                    # token it keeps): the platform was never reached, so it is no attempt —
                    # an outage, however long, must not use up the message's attempts.
                    log_failure(log, exc, "chat %s: the sender failed", reply.chat_id,
                                then="its message is tried again later (not counted as an attempt)")
                    held.outage += 1
                    await self._postpone(held, min(DB_RETRY_CAP, self._retry.delay(held.outage)), held.attempts,
                                         failing=True)
                    return
                if not isinstance(exc, TransientError):
                    # A bug in a sender must not lose the message: retry it like a 5xx.
                    log_failure(log, exc, "chat %s: the sender failed", reply.chat_id,
                                then="its message is tried again later")
                attempts = held.attempts + 1
                if attempts >= self._retry.max_attempts:
                    reason = f"gave up after {attempts} attempts: {exc}"
                    log.warning("chat %s: item %s %s", reply.chat_id, item.id, reason)
                    async with self._store_turn:
                        await self._store.mark_failed(item.id, reason)
                    self._settle(lane, held)
                    return
                log.info("chat %s: transient failure (%s), attempt %d", reply.chat_id, exc, attempts)
                await self._postpone(held, self._retry.delay(attempts), attempts, failing=True)
                return
            held.message_id = message_id
        async with self._store_turn:
            await self._store.mark_sent(item.id, held.message_id)
        self.delivered += 1
        self._settle(lane, held)

    async def _postpone(self, held: _Held, seconds: float, attempts: int, *, failing: bool) -> None:
        now = self._now()
        held.not_before = now + timedelta(seconds=seconds)
        held.attempts = attempts
        if failing and held.failing_since is None:
            held.failing_since = now
        async with self._store_turn:
            await self._store.retry_later(held.item.id, held.not_before, attempts, failing_since=held.failing_since)

    async def _sleep_until_due(self, stop: asyncio.Event) -> None:
        timeout = self._poll_interval
        now = self._now()
        for lane in self._lanes.values():
            if lane.worker is None:
                at = lane.wake_at(self._hold)
                if at is not None and at > now:
                    timeout = min(timeout, (at - now).total_seconds())
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _drain(self, timeout: float) -> None:
        workers = {lane.worker for lane in self._lanes.values() if lane.worker is not None}
        if not workers:
            return
        _, unfinished = await asyncio.wait(workers, timeout=timeout)
        for worker in unfinished:
            worker.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)

    async def _release_all(self) -> None:
        try:
            await self._store.release(None)
        except Exception:
            # Not fatal: the leases lapse by themselves and another worker takes the rows.
            log.warning("could not give back the %s outbox claims; they lapse in a minute", self.channel)
        self._lanes.clear()
        self._held = 0


@dataclass(slots=True)
class OutboxRow:
    """One queued reply and what became of it (MemoryOutbox's bookkeeping)."""

    id: int
    reply: Reply
    attempts: int = 0
    not_before: datetime | None = None
    message_id: str | None = None
    failure: str | None = None
    failing_since: datetime | None = None
    claimed: bool = False


class MemoryOutbox:
    """`OutboxStore` in memory: for tests and demos, forgets everything on exit.

    Follows the protocol literally: `pending` (and `claim`) return every due item,
    including those queued behind an item that waits for a retry; keeping them back
    is the Deliverer's job.  One process, so a claim never lapses.
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
                due.append(OutboxItem(row.id, row.reply, row.attempts, row.reply.priority, row.not_before,
                                      row.failing_since))
                if len(due) >= limit:
                    break
        return due

    async def claim(self, channel: str, now: datetime, limit: int = 500, *,
                    hold: timedelta | None = None, min_priority: int | None = None) -> list[OutboxItem]:
        due = [item for item in await self.pending(channel, now, len(self._open) or 1)
               if not self._open[item.id].claimed and (min_priority is None or item.priority >= min_priority)]
        taken = sorted(due, key=lambda i: (-i.priority, i.id))[:limit]
        for item in taken:
            self._open[item.id].claimed = True
        return taken

    async def renew(self, now: datetime) -> None:
        return None

    async def release(self, item_ids: list[int] | None = None) -> None:
        for row in self._open.values():
            if item_ids is None or row.id in item_ids:
                row.claimed = False

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

    async def retry_later(self, item_id: int, not_before: datetime, attempts: int, *,
                          failing_since: datetime | None = None) -> None:
        row = self.rows[item_id]
        row.not_before = not_before
        row.attempts = attempts
        row.failing_since = failing_since

    async def message_id_for(self, channel: str, chat_id: str, replace_key: str) -> str | None:
        return self._message_ids.get((channel, chat_id, replace_key))

    # What tests look at.
    def sent(self) -> list[OutboxRow]:
        return [r for r in self.rows.values() if r.message_id is not None]

    def failed(self) -> list[OutboxRow]:
        return [r for r in self.rows.values() if r.failure is not None]

    def unsettled(self) -> list[OutboxRow]:
        return list(self._open.values())
