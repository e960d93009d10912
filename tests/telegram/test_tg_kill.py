"""`wuye run` killed (SIGKILL: no shutdown, no last word to Telegram) in the middle of a burst,
then started again: every update is answered, and handled exactly once.

Long polling confirms an update to Telegram only once the desk has committed it
(bot.telegram.polling), so what the killed process had fetched and not yet handled comes
again after the restart; what it had committed and not yet confirmed comes again too, and
the desk's record of handled updates refuses it.  With the libraries' own pollers (which
confirm a batch as soon as they fetch the next) the updates fetched and not handled were lost.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

import pytest

from tests.telegram.botapi_standin import BotApiStandIn
from tests.telegram.test_tg_stop import replies, stopped, wuye_run

OWNERS = 150
START = 300  # seconds: starting a process on a loaded two-core machine can take a minute or more
# What the killed process had taken to send waits out its lease (60 s by default) before the
# restarted one sends it: a short lease, as an operator of a single process may set.
LEASE = "6"


def _stored(db: Path) -> tuple[dict[str, int], list[str]]:
    """Replies queued per chat, and the update keys recorded as handled, from the database file."""
    with sqlite3.connect(db) as conn:
        per_chat = dict(conn.execute("SELECT chat_id, count(*) FROM outbox WHERE channel = 'telegram' GROUP BY chat_id"))
        keys = [k for (k,) in conn.execute("SELECT update_id FROM processed_updates WHERE channel = 'telegram'")]
    return per_chat, keys


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_a_process_killed_mid_burst_loses_no_update_and_answers_none_twice(tmp_path: Path, framework: str) -> None:
    async with BotApiStandIn() as api:  # Telegram's real limits
        owners = api.users(OWNERS)
        bot = await wuye_run(api, tmp_path, BOT_FRAMEWORK=framework, OUTBOX_LEASE_SECONDS=LEASE)
        await api.until(lambda: api.calls_to("getUpdates"), timeout=START, what="the bot polling")
        for owner in owners:
            api.say(owner, "你好")
        # Some answered, most not yet: the process dies with updates fetched and not handled.
        await api.until(lambda: sum(replies(api, owners).values()) >= 5, timeout=120, what="the first replies")
        bot.send_signal(signal.SIGKILL)
        await asyncio.wait_for(bot.communicate(), 60)
        at_kill = replies(api, owners)
        unanswered_at_kill = sum(1 for n in at_kill.values() if n == 0)
        assert bot.returncode == -signal.SIGKILL
        assert unanswered_at_kill > OWNERS // 2  # killed mid-burst, not after it

        polls = len(api.calls_to("getUpdates"))
        again = await wuye_run(api, tmp_path, BOT_FRAMEWORK=framework, OUTBOX_LEASE_SECONDS=LEASE)
        await api.until(lambda: len(api.calls_to("getUpdates")) > polls, timeout=START, what="the restart polling")
        await api.until(lambda: all(n >= 1 for n in replies(api, owners).values()), timeout=180,
                        what="every owner answered after the restart")
        await asyncio.sleep(2.0)  # nothing more is coming
        again.send_signal(signal.SIGTERM)
        _, err = await stopped(again)
        pending_after = len(api._pending_updates)

    assert again.returncode == 0 and b"Traceback" not in err, err.decode()[-3000:]
    # Handled exactly once: one recorded key per update and one reply queued per owner.
    per_chat, keys = _stored(tmp_path / "w.sqlite3")
    assert len(keys) == len(set(keys)) == OWNERS
    assert {str(o.id): 1 for o in owners} == {chat: n for chat, n in per_chat.items() if int(chat) > 0}
    assert pending_after == 0  # and all of it confirmed to Telegram at the orderly stop
    # Delivered: every owner once — except the messages on their way out at the kill (sent,
    # not yet recorded as sent: the outbox's documented at-least-once window). The outbox sends
    # to several chats at once, so that can be more than one, but only to owners who had
    # their answer before the kill, and never more than once again.
    counts = replies(api, owners)
    assert [o.id for o in owners if counts[o.id] == 0] == []
    twice = {owner: n for owner, n in counts.items() if n > 1}
    assert all(n == 2 and at_kill[owner] >= 1 for owner, n in twice.items()), (twice, at_kill)
