"""The rate limiter on virtual time: when each send may start, to the (fake) second."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Coroutine
from typing import Any

import pytest

from bot.ratelimit import Limits, Rate, RateLimiter, is_group_chat


class VirtualTime:
    """A clock that stands still while any task can run, then jumps to the next wake-up."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        waiter = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), waiter))
        await waiter

    async def run(self, *coros: Coroutine[Any, Any, Any]) -> list[Any]:
        tasks = [asyncio.ensure_future(c) for c in coros]
        while not all(t.done() for t in tasks):
            for _ in range(50):  # let every runnable task reach its next wait
                await asyncio.sleep(0)
            if all(t.done() for t in tasks):
                break
            if not self._sleepers:
                raise AssertionError("every task waits on something that never comes")
            self.now = max(self.now, self._sleepers[0][0])
            while self._sleepers and self._sleepers[0][0] <= self.now:
                heapq.heappop(self._sleepers)[2].set_result(None)
        return [t.result() for t in tasks]


def limiter(time: VirtualTime, limits: Limits | None = None, headroom: float = 0.0) -> RateLimiter:
    return RateLimiter(limits, headroom=headroom, clock=time.clock, sleep=time.sleep)


async def sends(time: VirtualTime, rl: RateLimiter, chat: str, count: int, *, lasting: float = 0.0) -> list[float]:
    """Send `count` messages to `chat` one after the other; when each started."""
    started = []
    for _ in range(count):
        async with rl.turn(chat):
            started.append(time.now)
            if lasting:
                await time.sleep(lasting)
    return started


# Telegram's limits without our additions (private bursts, the group slots kept for emergencies).
STRICT = Limits(private_burst=0, group_reserve=0)
WHOLE_GROUP = Limits(group_reserve=0)


async def test_a_private_chat_gets_one_message_a_second() -> None:
    time = VirtualTime()
    rl = limiter(time, STRICT)

    [started] = await time.run(sends(time, rl, "42", 4))

    assert started == [0.0, 1.0, 2.0, 3.0]


async def test_the_second_counts_from_when_the_previous_send_finished() -> None:
    # The previous message arrived somewhere before its response came back; spacing
    # from the response keeps arrivals a full period apart whatever the delays.
    time = VirtualTime()
    rl = limiter(time, STRICT)

    [started] = await time.run(sends(time, rl, "42", 3, lasting=0.25))

    assert started == [0.0, 1.25, 2.5]


async def test_a_group_gets_twenty_at_once_then_waits_for_the_minute() -> None:
    time = VirtualTime()
    rl = limiter(time, WHOLE_GROUP)

    [started] = await time.run(sends(time, rl, "-1001234", 22))

    assert started[:20] == pytest.approx([i / 30 for i in range(20)])  # at the overall pace
    assert started[20:] == pytest.approx([60.0, 60.0 + 1 / 30])


async def test_many_chats_share_thirty_messages_a_second_evenly() -> None:
    time = VirtualTime()
    rl = limiter(time)

    results = await time.run(*(sends(time, rl, str(1000 + n), 1) for n in range(90)))

    started = sorted(s for [s] in results)
    assert started == pytest.approx([i / 30 for i in range(90)])
    assert all(started[i + 30] - started[i] >= 1.0 - 1e-9 for i in range(60))


async def test_a_group_waiting_for_its_minute_does_not_hold_up_private_chats() -> None:
    time = VirtualTime()
    rl = limiter(time, WHOLE_GROUP)

    group, *private = await time.run(
        sends(time, rl, "-100777", 21), *(sends(time, rl, str(n), 1) for n in range(1, 11))
    )

    assert group[-1] == pytest.approx(60.0)
    assert max(s for [s] in private) < 1.0


async def test_two_senders_to_one_chat_still_keep_its_limit() -> None:
    time = VirtualTime()
    rl = limiter(time, STRICT)

    first, second = await time.run(
        sends(time, rl, "42", 3, lasting=0.1), sends(time, rl, "42", 3, lasting=0.1)
    )

    started = sorted(first + second)
    assert all(b - a >= 1.1 - 1e-9 for a, b in zip(started, started[1:]))


async def test_headroom_stretches_every_period() -> None:
    time = VirtualTime()
    rl = limiter(time, STRICT, headroom=0.1)

    private, group = await time.run(sends(time, rl, "42", 3), sends(time, rl, "-100", 21))

    assert private == pytest.approx([0.0, 1.1, 2.2])
    assert group[20] - group[0] == pytest.approx(66.0)
    assert group[1] - group[0] == pytest.approx(1.1 / 30)  # the overall pace too


async def test_scaled_limits_run_the_same_schedule_faster() -> None:
    time = VirtualTime()
    rl = limiter(time, WHOLE_GROUP.scaled(0.01))

    [started] = await time.run(sends(time, rl, "-100", 21))

    assert started[-1] == pytest.approx(0.6)


async def test_chats_that_went_quiet_are_forgotten() -> None:
    time = VirtualTime()
    rl = limiter(time, Limits(overall=Rate(1000, 1.0)))

    await time.run(*(sends(time, rl, str(n), 1) for n in range(999)))
    time.now += 5
    await time.run(sends(time, rl, "late", 1))

    assert rl.tracked_chats == 1


async def test_an_owner_s_quick_answers_go_at_once_then_the_chat_keeps_one_a_second() -> None:
    time = VirtualTime()
    rl = limiter(time)  # Telegram's limits: a burst of 1 + 4 in a private chat

    [started] = await time.run(sends(time, rl, "42", 8))

    assert started[:5] == pytest.approx([i / 30 for i in range(5)])  # at once (the overall pace)
    assert started[5:] == pytest.approx([1.0, 2.0, 3.0])  # then one a second
    assert all(b - a >= 1.0 - 1e-9 for a, b in zip(started[5:], started[6:]))


async def test_a_burst_comes_back_only_after_the_chat_was_quiet() -> None:
    time = VirtualTime()
    rl = limiter(time, headroom=0.1)

    first, = await time.run(sends(time, rl, "42", 5))
    time.now += 2.2  # two intervals of 1.1 s: two sends' worth back, not five
    second, = await time.run(sends(time, rl, "42", 4))

    assert first == pytest.approx([i * 1.1 / 30 for i in range(5)])
    gaps = [b - second[0] for b in second]
    assert gaps[:2] == pytest.approx([0.0, 1.1 / 30])  # the two refilled go at once
    assert gaps[2] > 0.9 and gaps[3] - gaps[2] == pytest.approx(1.1)  # then the pace


async def urgent_send(time: VirtualTime, rl: RateLimiter, chat: str, at: float) -> float:
    await time.sleep(at)
    async with rl.turn(chat, urgent=True):
        return time.now


async def test_ordinary_cards_leave_a_group_four_slots_for_an_emergency() -> None:
    time = VirtualTime()
    rl = limiter(time)

    ordinary, emergency = await time.run(sends(time, rl, "-100", 18), urgent_send(time, rl, "-100", 1.0))

    assert len([s for s in ordinary if s < 60]) == 16  # then they wait for the minute
    assert emergency == pytest.approx(1.0)  # while the emergency goes at once


async def test_an_emergency_goes_first_in_the_overall_queue() -> None:
    time = VirtualTime()
    rl = limiter(time)

    *crowd, emergency = await time.run(*(sends(time, rl, str(1000 + n), 1) for n in range(90)),
                                       urgent_send(time, rl, "7", 0.5))

    assert emergency < 0.6  # not behind the 75 sends still queued at 0.5 s
    assert sorted(s for [s] in crowd)[-1] > 2.9


def test_group_ids_are_the_negative_ones() -> None:
    assert is_group_chat("-1001234567890") and is_group_chat("-42")
    assert not is_group_chat("123456789")


def test_a_rate_needs_a_count_and_a_period() -> None:
    with pytest.raises(ValueError):
        Rate(0, 1.0)
    with pytest.raises(ValueError):
        Rate(1, 0.0)
