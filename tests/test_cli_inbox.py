"""The WeChat/WeCom inbox as an operator sees it, run as real processes on both databases:
`wuye status` counts per channel what waits, what is being handled and what was given up,
and says a given-up message needs someone; `wuye inbox failed` lists those (never who or
what), `wuye inbox retry` puts them back for the running bot, audited, all or nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.bootstrap import App
from storage import models as m
from storage.inbox import FAILED, Inbox
from tests.conftest import ROOT

SECRET = "我的电话13812345678，厨房漏水"


def wuye(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          env=environ, cwd=ROOT, timeout=120)


async def _seed(app: App) -> dict[str, int]:
    """WeChat: one waiting for 2 hours, one being handled, two given up; WeCom: one handled.
    Real times: the command runs on the wall clock, not the tests' clock."""
    now = datetime.now(timezone.utc)
    fields = {"MsgType": "text", "Content": SECRET}
    async with app.sessions.begin() as session:
        inbox = Inbox(session)
        # The one waiting: its process died (the lease lapsed long ago).
        ids = await inbox.record("wechat", "wxA", [("wx:1", "oOWNER1", fields)], now - timedelta(hours=2),
                                 "dead", now - timedelta(hours=2))
        ids |= await inbox.record("wechat", "wxA", [("wx:2", "oOWNER2", fields)], now, "alive", now + timedelta(minutes=5))
        ids |= await inbox.record("wechat", "wxA", [("wx:3", "oOWNER3", fields),
                                                    ("wx:4", "oOWNER4", {"MsgType": "event", "Event": "subscribe"})],
                                  now - timedelta(hours=5), "dead", now)
        ids |= await inbox.record("wecom", "corp", [("m5", "zhangsan", fields)], now, "alive", now)
        await inbox.finish([ids["wx:3"], ids["wx:4"]], FAILED)
        await inbox.finish([ids["m5"]], "done")
    return ids


async def test_status_says_what_waits_and_that_given_up_messages_need_someone(app: App, database_url: str) -> None:
    empty = wuye(database_url, "status")
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.splitlines()[-1] == "收件箱（微信/企业微信）：没有待处理或失败的消息 / " \
                                            "inbox (WeChat/WeCom): nothing pending, nothing failed"
    await _seed(app)
    result = wuye(database_url, "status")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    wechat = next(line for line in lines if line.startswith("wechat 收件箱"))
    zh, en = wechat.split(" / ")
    assert zh.startswith("wechat 收件箱：待处理 1，处理中 1，失败 2，最早未处理：已等 ")
    assert en.startswith("wechat inbox: 1 pending, 1 in progress, 2 failed; oldest unhandled: waiting ")
    assert 120 <= int(re.search(r"waiting (\d+) min", en)[1]) <= 125  # type: ignore[index]
    # Nothing of WeCom's is pending or failed: no line for it.
    assert not any(line.startswith("wecom") for line in lines)
    alert = lines.index(wechat) + 1
    assert lines[alert].startswith("需要处理：wechat 有 2 条消息多次处理失败已放弃")
    assert "wuye inbox retry --all-failed" in lines[alert]
    assert lines[alert + 1].startswith("ACTION NEEDED: wechat has 2 message(s) given up")
    assert "13812345678" not in result.stdout and "oOWNER" not in result.stdout


async def test_failed_messages_listed_and_put_back_all_or_nothing(app: App, database_url: str) -> None:
    ids = await _seed(app)
    failed = wuye(database_url, "inbox", "failed", "--lang", "en")
    assert failed.returncode == 0, failed.stderr
    lines = failed.stdout.splitlines()
    assert lines[0] == "Id | Channel | Received (Asia/Shanghai) | Times taken | Kind"
    assert [[line.split(" | ")[i] for i in (0, 3, 4)] for line in lines[1:]] == [[f"#{ids['wx:3']}", "1", "text"],
                                                               [f"#{ids['wx:4']}", "1", "event/subscribe"]]
    assert "13812345678" not in failed.stdout and "oOWNER" not in failed.stdout

    # A mistyped id (one still pending) refuses the whole command: nothing is put back.
    refused = wuye(database_url, "inbox", "retry", "--id", str(ids["wx:3"]), "--id", str(ids["wx:1"]))
    assert refused.returncode == 1
    assert f"nothing was changed: #{ids['wx:1']}" in refused.stderr
    assert await _states(app) == {"wx:1": "pending", "wx:2": "pending", "wx:3": "failed", "wx:4": "failed",
                                  "m5": "done"}
    assert wuye(database_url, "inbox", "retry").returncode == 2  # neither --id nor --all-failed

    done = wuye(database_url, "inbox", "retry", "--all-failed")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"已把 2 条失败消息放回待处理（#{ids['wx:3']}, #{ids['wx:4']}）")
    async with app.sessions() as session:
        back = (await session.execute(select(m.InboxMessage.state, m.InboxMessage.attempts, m.InboxMessage.claimed_by,
                                             m.InboxMessage.fields).where(m.InboxMessage.key == "wx:3"))).one()
        audit = (await session.execute(select(m.AuditEntry.action, m.AuditEntry.remote, m.AuditEntry.data))).all()
    # Free for any process to take, its takes counted afresh, the message itself still there.
    assert tuple(back) == ("pending", 0, None, {"MsgType": "text", "Content": SECRET})
    assert [tuple(a) for a in audit] == [("inbox_retry", "cli", {"ids": [ids["wx:3"], ids["wx:4"]]})]
    after = wuye(database_url, "status").stdout
    assert "wechat 收件箱：待处理 3，处理中 1，失败 0" in after and "需要处理" not in after
    assert wuye(database_url, "inbox", "failed").stdout.strip() == "没有处理失败的消息"


async def _states(app: App) -> dict[str, str]:
    async with app.sessions() as session:
        return dict((await session.execute(select(m.InboxMessage.key, m.InboxMessage.state))).all())  # type: ignore[arg-type]
