"""Pacing outgoing messages so a channel stays inside its flood limits.

Telegram documents three limits for bots: about 30 messages a second overall, one
message a second in a private chat, and 20 messages a minute in a group.  Going
over them earns a 429 with `retry_after`, which delays everything queued for that
chat; pacing ourselves is cheaper than being told off.

Telegram counts messages when they arrive, and the time between our decision to
send and the arrival varies (network, a busy event loop).  So:

* a per-chat limit is a sliding window ("at most `count` sends in any `period`")
  whose clock starts when a send *finishes* (its response is back), which is
  after it arrived.  A chat's sends spaced that way arrive spaced at least as
  far apart, whatever the delays; a short exchange in a group still goes out at
  once;
* the overall limit is an even pace, one send every `period / count`, with a
  little `headroom`: it keeps every window within the limit and avoids releasing
  30 requests at the same instant, which is what arrives bunched up at the far
  end.  The cost is at most 1/30 s of latency when busy.

The overall limit is the bot's, whichever process sends: with `shared` (a schedule
in Redis, `bot.shared_pace`) every process takes its starts from one schedule, so
two processes together keep the one limit; without it the pace is this process's.

Time is injected (`clock`, `sleep`) so unit tests run on a fake clock and the
integration tests can scale the periods down.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.shared_pace import SharedPace


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `count` sends in any window of `period` seconds."""

    count: int
    period: float

    def __post_init__(self) -> None:
        if self.count < 1 or self.period <= 0:
            raise ValueError(f"a rate needs count >= 1 and period > 0, got {self.count}/{self.period}s")

    def scaled(self, factor: float) -> Rate:
        return Rate(self.count, self.period * factor)


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's published limits; tests pass scaled-down copies."""

    overall: Rate = field(default_factory=lambda: Rate(30, 1.0))
    private_chat: Rate = field(default_factory=lambda: Rate(1, 1.0))
    group_chat: Rate = field(default_factory=lambda: Rate(20, 60.0))
    # Sends a private chat may take at once beyond its pace ("short bursts" are allowed):
    # an owner pressing buttons quickly gets every answer at once, a long exchange still
    # averages `private_chat`.  0 = strictly one per period.
    private_burst: int = 4
    # Slots of a group's window ordinary sends leave free, so an emergency card or alert
    # to a group busy with ordinary cards still goes at once.
    group_reserve: int = 4

    def scaled(self, factor: float) -> Limits:
        """The same counts over periods multiplied by `factor` (0.01 = a hundred times faster)."""
        return Limits(
            self.overall.scaled(factor),
            self.private_chat.scaled(factor),
            self.group_chat.scaled(factor),
            self.private_burst,
            self.group_reserve,
        )

    def for_chat(self, chat_id: str) -> Rate:
        return self.group_chat if self.is_group(chat_id) else self.private_chat

    def is_group(self, chat_id: str) -> bool:
        """Whether `chat_id` is paced as a group (another channel's limits say it their way)."""
        return is_group_chat(chat_id)


def is_group_chat(chat_id: str) -> bool:
    """Telegram gives groups and supergroups negative ids; users have positive ones."""
    return chat_id.strip().startswith("-")


class _ChatWindow:
    """One chat's sends: those under way, and when the last `count` finished."""

    __slots__ = ("rate", "finished", "under_way", "waiters", "users")

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self.finished: deque[float] = deque(maxlen=rate.count)
        self.under_way = 0
        self.waiters: list[asyncio.Future[None]] = []
        self.users = 0  # tasks inside RateLimiter.turn for this chat

    def wait_time(self, now: float, headroom: float, reserve: int = 0) -> float | None:
        """Seconds until a send may start; None while it depends on a send under way.
        `reserve` slots of the window are kept free (for urgent sends)."""
        # The last `count` sends are those under way plus the latest finished ones;
        # the oldest of them must have finished a full period ago.
        needed = self.rate.count - reserve - self.under_way
        if needed <= 0:
            return None
        if len(self.finished) < needed:
            return 0.0
        oldest = self.finished[-needed]
        return max(0.0, oldest + self.rate.period * (1 + headroom) - now)

    def finish(self, now: float) -> None:
        self.under_way -= 1
        self.finished.append(now)
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)
        self.waiters.clear()

    def idle(self, now: float, headroom: float) -> bool:
        """True when the window no longer constrains anything and can be forgotten."""
        return (
            self.users == 0
            and self.under_way == 0
            and (not self.finished or now - self.finished[-1] >= self.rate.period * (1 + headroom))
        )


class _ChatBucket:
    """A private chat with bursts: a token bucket of `1 + burst` sends refilled at the
    chat's pace (GCRA: a send may start once `tat - burst * interval` has passed, and
    moves `tat` one interval on).  Counted at the start; the headroom absorbs the
    variation in arrival, and at most `1 + burst` sends are under way at once."""

    __slots__ = ("interval", "burst", "tat", "under_way", "waiters", "users")

    def __init__(self, rate: Rate, burst: int) -> None:
        self.interval = rate.period / rate.count
        self.burst = burst
        self.tat = -math.inf
        self.under_way = 0
        self.waiters: list[asyncio.Future[None]] = []
        self.users = 0

    def wait_time(self, now: float, headroom: float, reserve: int = 0) -> float | None:
        if self.under_way > self.burst:
            return None
        step = self.interval * (1 + headroom)
        return max(0.0, self.tat - self.burst * step - now)

    def started(self, now: float, headroom: float) -> None:
        self.tat = max(self.tat, now) + self.interval * (1 + headroom)

    def finish(self, now: float) -> None:
        self.under_way -= 1
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)
        self.waiters.clear()

    def idle(self, now: float, headroom: float) -> bool:
        return self.users == 0 and self.under_way == 0 and self.tat <= now


class _Pace:
    """One start every `period / count` seconds, on a schedule: `last` is the slot the
    previous start took, not the moment it happened.  A start that woke late (a sleep
    overshoots by a millisecond or two, a busy loop more) does not push every later slot
    back — that drift alone kept broadcasts 10% under the limit; up to one slot of
    lateness is made up, and a sliding window over the actual starts (at most `count`
    in any `period`, stretched by the headroom) makes sure catching up never bunches
    more than the limit together."""

    __slots__ = ("interval", "period", "last", "starts")

    def __init__(self, rate: Rate) -> None:
        self.interval = rate.period / rate.count
        self.period = rate.period
        self.last: float | None = None
        self.starts: deque[float] = deque(maxlen=rate.count)

    def wait_time(self, now: float, headroom: float) -> float:
        if self.last is None:
            return 0.0
        wait = self.last + self.interval * (1 + headroom) - now
        if len(self.starts) == self.starts.maxlen:
            wait = max(wait, self.starts[0] + self.period * (1 + headroom) - now)
        return max(0.0, wait)

    def take(self, now: float, headroom: float) -> None:
        step = self.interval * (1 + headroom)
        if self.last is None or now - (self.last + step) > step:
            self.last = now  # idle (or very late): a fresh schedule from now, nothing made up
        else:
            self.last += step
        self.starts.append(now)


class _PriorityLock:
    """A FIFO lock with two queues: urgent waiters are handed the lock before ordinary ones."""

    def __init__(self) -> None:
        self._locked = False
        self._queues: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (deque(), deque())

    async def acquire(self, urgent: bool = False) -> None:
        if not self._locked and not (self._queues[0] or self._queues[1]):
            self._locked = True
            return
        waiter = asyncio.get_running_loop().create_future()
        self._queues[0 if urgent else 1].append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed the lock just as we were cancelled: pass it on
            raise

    def release(self) -> None:
        for queue in self._queues:
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the lock passes straight to this waiter
                    return
        self._locked = False


class RateLimiter:
    """Wrap each API call that puts a message in a chat in `async with limiter.turn(chat_id):`.

    Senders to different chats never wait for each other's per-chat limit: a task
    first waits for its own chat's window without holding anything, and only then
    queues (first come, first served) for the shared overall pace.  So each chat
    with something to send gets its turn in every round, and a chat with a long
    backlog (a group's mass notice) cannot starve the others.

    `headroom` stretches every period by that fraction (0.05 = 5% under the
    published limit) to absorb the variation in delay on the overall pace.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        headroom: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        shared: SharedPace | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self._shared = shared
        self._headroom = headroom
        self._clock = clock
        self._sleep = sleep
        self._overall = _Pace(self.limits.overall)
        self._overall_turn = _PriorityLock()
        self._chats: dict[str, _ChatWindow | _ChatBucket] = {}
        self._turns = 0

    @asynccontextmanager
    async def turn(self, chat_id: str, *, urgent: bool = False) -> AsyncIterator[None]:
        """Wait until a send to `chat_id` keeps within the limits; it counts until the block ends.

        An `urgent` send (an emergency card or alert) goes first in the overall queue and
        may use the `group_reserve` slots of a group's window that ordinary sends leave free."""
        chat = self._chats.get(chat_id)
        if chat is None:
            if self.limits.private_burst and not self.limits.is_group(chat_id):
                chat = self._chats[chat_id] = _ChatBucket(self.limits.private_chat, self.limits.private_burst)
            else:
                chat = self._chats[chat_id] = _ChatWindow(self.limits.for_chat(chat_id))
        chat.users += 1
        try:
            await self._wait_for_turn(chat, 0 if urgent or not self.limits.is_group(chat_id) else self.limits.group_reserve,
                                      urgent)
            try:
                yield
            finally:
                chat.finish(self._clock())
        finally:
            chat.users -= 1

    async def _wait_for_turn(self, chat: _ChatWindow | _ChatBucket, reserve: int, urgent: bool) -> None:
        while True:
            if await self._chat_ready(chat, reserve):
                await self._overall_turn.acquire(urgent)
                try:
                    # Another task sending to the same chat may have gone first while
                    # we queued; give the turn back rather than make every chat wait.
                    if chat.wait_time(self._clock(), self._headroom, reserve) != 0.0:
                        continue
                    await self._overall_slot()
                    now = self._clock()
                    self._overall.take(now, self._headroom)
                    chat.under_way += 1
                    if isinstance(chat, _ChatBucket):
                        chat.started(now, self._headroom)
                    self._turns += 1
                    if self._turns % 1000 == 0:
                        self._forget_idle_chats(now)
                    return
                finally:
                    self._overall_turn.release()

    async def _overall_slot(self) -> None:
        """Wait for this send's place in the overall pace: the shared schedule's next slot,
        or this process's own pace without one (or while it cannot be reached)."""
        if self._shared is not None:
            wait = await self._shared.take_slot(self._overall.interval * (1 + self._headroom))
            if wait is not None:
                if wait > 0:
                    await self._sleep(wait)
                return
        while (wait := self._overall.wait_time(self._clock(), self._headroom)) > 0:
            await self._sleep(wait)

    async def _chat_ready(self, chat: _ChatWindow | _ChatBucket, reserve: int = 0) -> bool:
        """Wait (without holding anything) until the chat's window may allow a send."""
        wait = chat.wait_time(self._clock(), self._headroom, reserve)
        if wait is None:
            waiter = asyncio.get_running_loop().create_future()
            chat.waiters.append(waiter)
            await waiter
            return False
        if wait > 0:
            await self._sleep(wait)
            return False
        return True

    def _forget_idle_chats(self, now: float) -> None:
        # One window per chat ever messaged would grow without bound in a long-lived bot.
        for chat_id in [c for c, w in self._chats.items() if w.idle(now, self._headroom)]:
            del self._chats[chat_id]

    @property
    def tracked_chats(self) -> int:
        return len(self._chats)
