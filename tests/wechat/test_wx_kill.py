"""`wuye run` on WeChat killed (SIGKILL: no shutdown) holding messages WeChat was already told
"success" for, then started again: every owner is answered, and no message is handled twice.

WeChat does not send again a message it got "success" for.  The endpoint answers at the
latest 3 s after a message came, handled or not; before the inbox, a message still
unhandled then lived only in the process's memory, and a kill lost it.  Here each owner of
the second group sends a photo, which WeChat's media/get (the stand-in) takes 8 s to hand
over: every photo is acknowledged at 3 s and still unhandled at the kill.  The first group's
texts are handled at once.  The third group posts as the process dies: what WeChat got no
"success" for it posts again (its retry) once the process is back — recorded before the kill
or not, each is handled once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import aiohttp

from tests.conftest import EXAMPLE_COMMUNITY, ROOT
from tests.wechat.standin import AES_KEY, APP_ID, APP_SECRET, TOKEN, Follower, WechatStandIn, settle

OWNERS = 40  # in each of the three groups
START = 300  # seconds: starting a process on a loaded two-core machine can take a minute or more
PHOTO = b"\x89PNG\r\n\x1a\n" + b"leak" * 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wuye_run(tmp_path: Path, standin: WechatStandIn, port: int, log: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECOM_", "WECHAT_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/w.sqlite3", COMMUNITY_FILE=str(EXAMPLE_COMMUNITY),
               PYTHONPATH=str(ROOT), WECHAT_APP_ID=APP_ID, WECHAT_APP_SECRET=APP_SECRET, WECHAT_TOKEN=TOKEN,
               WECHAT_AES_KEY=AES_KEY, WECHAT_API_BASE_URL=standin.url, WECHAT_PORT=str(port),
               MEDIA_DIR=str(tmp_path / "media"))
    with open(tmp_path / log, "wb") as err:  # a file, not a pipe nobody reads while it runs
        return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
                                                    stdout=asyncio.subprocess.DEVNULL, stderr=err)


async def listening(follower: Follower, process: asyncio.subprocess.Process) -> None:
    """Until the callback URL answers WeChat's URL check."""
    deadline = asyncio.get_running_loop().time() + START
    while asyncio.get_running_loop().time() < deadline:
        assert process.returncode is None, "wuye run ended during its start"
        try:
            if (await follower.verify_url())[0] == 200:
                return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.5)
    raise AssertionError("wuye run did not start listening")


def stored(db: Path) -> tuple[dict[str, int], list[str], Counter[str]]:
    """Replies queued per chat, the update keys handled, and the inbox's rows per state."""
    with sqlite3.connect(db) as conn:
        per_chat = dict(conn.execute("SELECT chat_id, count(*) FROM outbox WHERE channel = 'wechat' GROUP BY chat_id"))
        keys = [k for (k,) in conn.execute("SELECT update_id FROM processed_updates WHERE channel = 'wechat'")]
        states = Counter(dict(conn.execute("SELECT state, count(*) FROM inbox GROUP BY state")))
    return per_chat, keys, states


async def test_a_process_killed_holding_acknowledged_messages_answers_each_once_after_restart(tmp_path: Path) -> None:
    standin = WechatStandIn(lambda: datetime.now(timezone.utc))
    await standin.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}/wechat"
    texts, photos, late = ([Follower(standin, url, f"o{group}{i:03d}") for i in range(OWNERS)]
                           for group in ("TEXT", "PHOTO", "LATE"))
    everyone = texts + photos + late
    standin.followers.update(f.openid for f in everyone)
    try:
        bot = await wuye_run(tmp_path, standin, port, "first.log")
        await listening(texts[0], bot)
        standin.media_delay = 8.0
        answers = await asyncio.gather(*(f.say("你好") for f in texts), *(f.photo(PHOTO) for f in photos))
        assert set(answers) == {(200, "success")}  # every one acknowledged...
        dying = [asyncio.create_task(f.say("你好")) for f in late]
        await asyncio.sleep(0.3)  # some recorded, some handled, some not even sent yet
        bot.send_signal(signal.SIGKILL)
        await asyncio.wait_for(bot.wait(), 60)
        assert bot.returncode == -signal.SIGKILL
        late_answers = await asyncio.gather(*dying, return_exceptions=True)
        at_kill = {f.openid: len(f.transcript()) for f in everyone}
        # ... and the photos still unhandled when the process died.
        assert sum(1 for f in photos if at_kill[f.openid] == 0) > OWNERS // 2, at_kill

        standin.media_delay = 0.0
        again = await wuye_run(tmp_path, standin, port, "second.log")
        await listening(texts[0], again)
        # WeChat posts again what it got no "success" for (same MsgId, same signature).
        retried = [f for f, answer in zip(late, late_answers) if answer != (200, "success")]
        for f in retried:
            assert f.last_request is not None
            assert await f.post(*f.last_request) == (200, "success")
        await settle(lambda: all(f.transcript() for f in everyone), 180)
        await asyncio.sleep(2.0)  # nothing more is coming
        again.send_signal(signal.SIGTERM)
        await asyncio.wait_for(again.wait(), 120)
    finally:
        await standin.stop()

    log = (tmp_path / "second.log").read_text(errors="replace")
    assert again.returncode == 0 and "Traceback" not in log, log[-3000:]
    per_chat, keys, states = stored(tmp_path / "w.sqlite3")
    # Handled exactly once: one key per message, every message of the inbox done.
    assert len(keys) == len(set(keys)) == 3 * OWNERS
    assert states == {"done": 3 * OWNERS}
    # One handling's replies for each: the same number for everyone who sent the same thing.
    replies = {group: {per_chat.get(f.openid, 0) for f in owners}
               for group, owners in (("text", texts + late), ("photo", photos))}
    assert len(replies["text"]) == 1 and len(replies["photo"]) == 1 and 0 not in replies["text"] | replies["photo"], \
        replies
    # Delivered: each reply once — except one on its way out at the kill (sent, not yet
    # recorded as sent: the outbox's documented at-least-once window), only to owners who
    # had their answer before the kill.
    for f in everyone:
        extra = len(f.transcript()) - per_chat[f.openid]
        assert extra == 0 or (extra == 1 and at_kill[f.openid] >= 1), (f.openid, f.transcript(), at_kill[f.openid])
    print(f"kill test: photos unhandled at the kill {sum(1 for f in photos if at_kill[f.openid] == 0)}/{OWNERS}, "
          f"late posts retried by WeChat {len(retried)}/{OWNERS}")
