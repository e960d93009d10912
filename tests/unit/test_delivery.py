"""The outbox Deliverer with a scripted sender: order, retries, give-ups, edits, no double sends."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest

from bot.channel import OutboxItem, RetryAfter, TransientError, Undeliverable
from bot.delivery import Deliverer, MemoryOutbox, RetryPolicy
from cases.clock import FakeClock
from handlers.kit.messages import Reply


class ScriptedSender:
    """Records what reached each chat; `fail` scripts what happens to a text's next attempts."""

    channel = "telegram"

    def __init__(self) -> None:
        self.delivered: list[tuple[str, str, str | None]] = []  # (chat, text, edited message id)
        self.attempts: list[str] = []
        self.fail: dict[str, list[Exception]] = {}
        self.closed: dict[str, asyncio.Event] = {}  # chats whose sends hang until set

    async def send(self, reply: Reply, edit_message_id: str | None = None) -> str:
        self.attempts.append(reply.text)
        if (gate := self.closed.get(reply.chat_id)) is not None:
            await gate.wait()
        if self.fail.get(reply.text):
            raise self.fail[reply.text].pop(0)
        self.delivered.append((reply.chat_id, reply.text, edit_message_id))
        return edit_message_id or str(len(self.delivered))

    def texts(self, chat: str) -> list[str]:
        return [text for c, text, _ in self.delivered if c == chat]


def say(outbox: MemoryOutbox, chat: str, *texts: str, replace_key: str | None = None) -> None:
    for text in texts:
        outbox.put(Reply("telegram", chat, text, replace_key=replace_key))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def outbox() -> MemoryOutbox:
    return MemoryOutbox()


@pytest.fixture
def sender() -> ScriptedSender:
    return ScriptedSender()


def deliverer(outbox: object, sender: ScriptedSender, clock: FakeClock, **kw: object) -> Deliverer:
    return Deliverer(outbox, sender, now=clock.now, **kw)  # type: ignore[arg-type]


async def until(condition: object, timeout: float = 2.0) -> None:
    async def wait() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.001)

    await asyncio.wait_for(wait(), timeout)


async def test_a_chat_gets_its_replies_in_order_while_a_stuck_chat_holds_up_nobody(
    outbox: MemoryOutbox, sender: ScriptedSender, clock: FakeClock
) -> None:
    say(outbox, "-100slow", "群1", "群2")
    say(outbox, "7", "甲1", "甲2", "甲3")
    say(outbox, "8", "乙1")
    sender.closed["-100slow"] = asyncio.Event()
    d = deliverer(outbox, sender, clock)

    running = asyncio.create_task(d.run_once())
    await until(lambda: len(sender.delivered) == 4)
    assert sender.texts("7") == ["甲1", "甲2", "甲3"] and sender.texts("8") == ["乙1"]
    assert sender.texts("-100slow") == []

    sender.closed["-100slow"].set()
    await running
    assert sender.texts("-100slow") == ["群1", "群2"]
    assert outbox.unsettled() == []


async def test_retry_after_waits_as_told_and_the_chat_waits_with_it(
    outbox: MemoryOutbox, sender: ScriptedSender, clock: FakeClock
) -> None:
    say(outbox, "7", "一", "二")
    say(outbox, "8", "别的聊天")
    sender.fail["一"] = [RetryAfter(7)]
    d = deliverer(outbox, sender, clock)

    await d.run_once()
    first = outbox.rows[1]
    assert sender.texts("8") == ["别的聊天"] and sender.texts("7") == []
    assert first.not_before == clock.now() + timedelta(seconds=7)
    assert first.attempts == 0  # being told to slow down is not the message's fault

    clock.advance(timedelta(seconds=6))
    await d.run_once()  # "二" is due by the store's account, but must not overtake "一"
    assert sender.texts("7") == []

    clock.advance(timedelta(seconds=1))
    await d.run_once()
    assert sender.texts("7") == ["一", "二"]


async def test_transient_failures_back_off_exponentially_then_give_up(
    outbox: MemoryOutbox, sender: ScriptedSender, clock: FakeClock
) -> None:
    say(outbox, "7", "不稳定", "之后")
    sender.fail["不稳定"] = [TransientError("502 Bad Gateway")] * 5
    d = deliverer(outbox, sender, clock, retry=RetryPolicy(first_delay=2, factor=2, max_delay=10, max_attempts=5))

    delays = []
    for _ in range(4):
        await d.run_once()
        row = outbox.rows[1]
        assert row.not_before is not None
        delays.append((row.not_before - clock.now()).total_seconds())
        assert sender.texts("7") == []  # "之后" waits behind it
        clock.set(row.not_before)
    await d.run_once()

    assert delays == [2, 4, 8, 10]
    assert outbox.rows[1].failure == "gave up after 5 attempts: 502 Bad Gateway"
    assert sender.texts("7") == ["之后"]


async def test_an_undeliverable_reply_is_failed_at_once_and_the_chat_goes_on(
    outbox: MemoryOutbox, sender: ScriptedSender, clock: FakeClock
) -> None:
    say(outbox, "7", "被拉黑", "下一条")
    sender.fail["被拉黑"] = [Undeliverable("403: Forbidden: bot was blocked by the user")]

    await deliverer(outbox, sender, clock).run_once()

    assert [r.failure for r in outbox.failed()] == ["403: Forbidden: bot was blocked by the user"]
    assert sender.texts("7") == ["下一条"]
    assert sender.attempts.count("被拉黑") == 1


async def test_a_reply_with_a_known_replace_key_edits_that_message(
    outbox: MemoryOutbox, sender: ScriptedSender, clock: FakeClock
) -> None:
    d = deliverer(outbox, sender, clock)
    say(outbox, "7", "卡片 v1", replace_key="card-1")
    await d.run_once()
    say(outbox, "7", "卡片 v2", replace_key="card-1")
    say(outbox, "7", "另一张卡", replace_key="card-2")
    await d.run_once()

    assert sender.delivered == [("7", "卡片 v1", None), ("7", "卡片 v2", "1"), ("7", "另一张卡", None)]


class FlakyBookkeeping(MemoryOutbox):
    """mark_sent fails the first time, as a database might."""

    def __init__(self) -> None:
        super().__init__()
        self.refusals = 1

    async def mark_sent(self, item_id: int, message_id: str) -> None:
        if self.refusals:
            self.refusals -= 1
            raise ConnectionError("database went away")
        await super().mark_sent(item_id, message_id)


async def test_a_reply_is_not_sent_again_when_recording_it_failed(sender: ScriptedSender, clock: FakeClock) -> None:
    store = FlakyBookkeeping()
    say(store, "7", "只发一次", "然后这条")
    d = deliverer(store, sender, clock)

    await d.run_once()
    assert sender.texts("7") == ["只发一次"] and len(store.unsettled()) == 2
    await d.run_once()

    assert sender.texts("7") == ["只发一次", "然后这条"]
    assert store.unsettled() == []


class PausingStore(MemoryOutbox):
    """pending() can be held after it has read the rows, like a slow query."""

    def __init__(self) -> None:
        super().__init__()
        self.hold: asyncio.Event | None = None
        self.reading = asyncio.Event()

    async def pending(self, channel: str, now: datetime, limit: int = 500) -> list[OutboxItem]:
        rows = await super().pending(channel, now, limit)
        if self.hold is not None:
            self.reading.set()
            await self.hold.wait()
        return rows


async def test_rows_read_before_a_chat_finished_sending_are_not_sent_again(
    sender: ScriptedSender, clock: FakeClock
) -> None:
    store = PausingStore()
    say(store, "7", "一次")
    sender.closed["7"] = asyncio.Event()
    d = deliverer(store, sender, clock, poll_interval=60, min_fetch_interval=0)
    stop = asyncio.Event()
    running = asyncio.create_task(d.run_forever(stop))
    await until(lambda: sender.attempts)  # the chat's worker is sending "一次"

    store.hold = asyncio.Event()
    d.notify()
    await store.reading.wait()  # a second read saw "一次" still unsent ...
    sender.closed["7"].set()
    await until(lambda: not store.unsettled())  # ... then the send finished and was recorded
    store.hold.set()
    await asyncio.sleep(0.05)
    stop.set()
    await running

    assert sender.texts("7") == ["一次"]


async def test_a_long_backlog_in_one_chat_does_not_hide_other_chats(
    outbox: MemoryOutbox, sender: ScriptedSender, clock: FakeClock
) -> None:
    say(outbox, "-100busy", *[f"群{i}" for i in range(12)])
    say(outbox, "8", "私聊")
    sender.closed["-100busy"] = asyncio.Event()
    d = deliverer(outbox, sender, clock, batch_size=5, min_fetch_interval=0, poll_interval=60)
    stop = asyncio.Event()
    running = asyncio.create_task(d.run_forever(stop))

    await until(lambda: sender.texts("8"))  # found although 12 older rows came first
    sender.closed["-100busy"].set()
    await until(lambda: not outbox.unsettled())
    stop.set()
    await running

    assert sender.texts("-100busy") == [f"群{i}" for i in range(12)]


async def test_notify_sends_new_replies_at_once_and_stop_ends_the_loop(
    outbox: MemoryOutbox, sender: ScriptedSender, clock: FakeClock
) -> None:
    d = deliverer(outbox, sender, clock, poll_interval=60)
    stop = asyncio.Event()
    running = asyncio.create_task(d.run_forever(stop))
    await asyncio.sleep(0.01)

    say(outbox, "7", "马上")
    d.notify()
    await until(lambda: sender.texts("7"), timeout=0.5)
    stop.set()
    await asyncio.wait_for(running, 1)

    assert sender.texts("7") == ["马上"]


async def test_stopping_lets_the_reply_under_way_finish_and_leaves_the_rest_queued(
    outbox: MemoryOutbox, sender: ScriptedSender, clock: FakeClock
) -> None:
    say(outbox, "7", "正在发", "留到下次")
    sender.closed["7"] = asyncio.Event()
    d = deliverer(outbox, sender, clock, poll_interval=60)
    stop = asyncio.Event()
    running = asyncio.create_task(d.run_forever(stop))
    await until(lambda: sender.attempts)

    stop.set()
    sender.closed["7"].set()
    await asyncio.wait_for(running, 1)

    assert sender.texts("7") == ["正在发"]
    assert [r.reply.text for r in outbox.unsettled()] == ["留到下次"]


async def test_retry_policy_delays() -> None:
    policy = RetryPolicy()
    assert [policy.delay(n) for n in range(1, 12)] == [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]
    assert sum(policy.delay(n) for n in range(1, policy.max_attempts)) / 60 == pytest.approx(37.0, abs=0.1)


class DroppedConnection(MemoryOutbox):
    """The first claim and the first mark_sent meet a connection the server dropped; or,
    with `bug`, every claim fails with a bug of the store."""

    def __init__(self, bug: Exception | None = None) -> None:
        super().__init__()
        self.drops = {"claim": 1, "mark_sent": 1}
        self.bug = bug

    def _drop(self, what: str) -> None:
        if self.bug is not None and what == "claim":
            raise self.bug
        if self.drops[what]:
            self.drops[what] -= 1
            raise ConnectionResetError("connection was closed in the middle of operation")

    async def claim(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._drop("claim")
        return await super().claim(*args, **kwargs)

    async def mark_sent(self, item_id: int, message_id: str) -> None:
        self._drop("mark_sent")
        await super().mark_sent(item_id, message_id)


async def test_a_dropped_database_connection_is_one_warning_line_and_the_next_round_delivers(
    sender: ScriptedSender, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    store = DroppedConnection()
    say(store, "7", "只发一次")
    d = deliverer(store, sender, clock, poll_interval=0.01, min_fetch_interval=0)
    stop = asyncio.Event()
    running = asyncio.create_task(d.run_forever(stop))
    await until(lambda: not store.unsettled())
    stop.set()
    await running

    assert sender.texts("7") == ["只发一次"]  # sent once although recording it failed
    logged = [r for r in caplog.records if r.name == "bot.delivery" and r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in logged] == [
        "could not read the telegram outbox: database unavailable (ConnectionResetError); trying again in 0.01 s",
        "delivery to telegram chat 7 interrupted: database unavailable (ConnectionResetError); "
        "its message is tried again on the next round",
    ]
    assert not [r for r in logged if r.exc_info]


async def test_a_bug_in_the_store_keeps_its_traceback(sender: ScriptedSender, clock: FakeClock,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    store = DroppedConnection(bug=KeyError("priority"))
    d = deliverer(store, sender, clock, poll_interval=0.01, min_fetch_interval=0)
    stop = asyncio.Event()
    running = asyncio.create_task(d.run_forever(stop))
    await until(lambda: any(r.exc_info for r in caplog.records))
    stop.set()
    await running

    record = next(r for r in caplog.records if r.exc_info)
    assert record.levelno == logging.ERROR and record.exc_info[0] is KeyError
    assert record.getMessage() == "could not read the telegram outbox; trying again in 0.01 s"


async def test_our_database_failing_under_the_sender_is_no_attempt_but_a_bug_in_it_is(
    outbox: MemoryOutbox, sender: ScriptedSender, clock: FakeClock
) -> None:
    from sqlalchemy.exc import OperationalError

    say(outbox, "7", "数据库断了", "发送器有bug")
    down = OperationalError("SELECT ...", None, ConnectionResetError("connection was closed"))
    sender.fail["数据库断了"] = [down] * 10  # far more than the attempts allowed
    sender.fail["发送器有bug"] = [KeyError("payload")] * 3
    d = deliverer(outbox, sender, clock, retry=RetryPolicy(first_delay=2, factor=2, max_delay=600, max_attempts=3))

    delays = []
    for _ in range(10):
        await d.run_once()
        row = outbox.rows[1]
        assert (row.attempts, row.failure) == (0, None)
        assert row.not_before is not None
        delays.append((row.not_before - clock.now()).total_seconds())
        clock.set(max(r.not_before or clock.now() for r in outbox.rows.values()))
    await d.run_once()

    assert delays[:6] == [2, 4, 8, 16, 32, 60]  # backs off, at most a minute, while it lasts
    assert sender.texts("7") == ["数据库断了"] and outbox.rows[1].attempts == 0
    assert outbox.rows[2].failure == "gave up after 3 attempts: 'payload'"
