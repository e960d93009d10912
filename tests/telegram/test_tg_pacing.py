"""Pacing at Telegram's real limits, over HTTP: an owner's own quick exchange is not
slowed to one message a second (short bursts are allowed), the chat still keeps its pace."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.ratelimit import Limits
from handlers.kit.messages import Button, Inbound, Outcome, Reply, rows
from tests.telegram.botapi_standin import BotApiStandIn
from tests.telegram.conftest import FRAMEWORKS, running_bot

REAL = Limits()


class ButtonCore:
    """/menu shows five buttons; each press is answered with a new message."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner

    async def handle(self, inbound: Inbound) -> Outcome:
        if inbound.payload is not None:
            reply = Reply("telegram", inbound.chat_id, f"收到第 {inbound.payload} 下")
        else:
            reply = Reply("telegram", inbound.chat_id, "请选择",
                          buttons=rows([Button(str(n), str(n)) for n in range(1, 6)]))
        self.inner.outbox.put(reply)
        self.inner.deliverer.notify()
        return Outcome([reply], None)


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_five_button_presses_within_two_seconds_get_five_answers_within_two_seconds(framework: str) -> None:
    async with BotApiStandIn(limits=REAL) as api:
        owner = api.user()
        async with running_bot(api, framework, limits=REAL, headroom=0.03) as bench:
            bench.channel._gate._core = ButtonCore(bench.core)  # type: ignore[attr-defined]
            api.say(owner, "/menu")
            [menu] = await api.until(lambda: api.transcript(owner.id), what="the menu")
            first = time.monotonic()
            pressed_at = []
            for n in range(1, 6):
                pressed_at.append(time.monotonic())
                api.press(owner, menu, str(n))
                if n < 5:
                    await asyncio.sleep(0.4)
            await api.until(lambda: len(api.texts(owner.id)) == 6, timeout=5, what="five answers")

    assert api.texts(owner.id)[1:] == [f"收到第 {n} 下" for n in range(1, 6)]
    arrived = [at for at, chat in api.sends if chat == owner.id][1:]
    assert arrived[-1] - first < 2.0  # presses over 1.6 s, every answer in within 2 s
    assert max(a - p for a, p in zip(arrived, pressed_at)) < 0.5  # each answered at once, none paced to 1/s
    assert api.rate_violations() == [] and api.throttled == []
