"""Odd input from an owner gets a polite answer; nothing is filed, nothing breaks (on both
databases: PostgreSQL refuses NUL in text)."""

from __future__ import annotations

from bot.bootstrap import App
from tests.dialogues.conftest import BOTH_DATABASES, OWNER
from tests.flows.helpers import all_cases
from tests.harness import People

@BOTH_DATABASES
async def test_odd_input_gets_a_polite_answer(app: App, owner: People) -> None:
    await owner.say(OWNER, "谢\x00谢")  # a NUL inside: read without it (PostgreSQL would refuse it)
    assert "不客气" in owner.last(OWNER)
    await owner.say(OWNER, "\x00\x01")
    assert "内容是空的" in owner.last(OWNER)
    await owner.say(OWNER, "１２３")  # full-width digits at idle
    await owner.say(OWNER, "楼" * 5000)
    assert "内容太长了" in owner.last(OWNER)
    assert await all_cases(app) == []
