"""The sender against the stand-in, one reply at a time: pictures the bot made go up as
WeCom media, long texts go in parts, big keyboards in several cards, a reply that failed
half-way resumes without sending its first part twice, an unknown member or robot key is
undeliverable, and an edit updates the card while a code lasts, then becomes a new message."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import media
from bot.channel import TransientError, Undeliverable
from bot.ratelimit import RateLimiter
from bot.wecom.api import WecomApi
from bot.wecom.sender import WecomSender
from cases.clock import SystemClock
from handlers.kit.messages import Button, Reply, rows
from storage.db import create_engine, session_maker
from storage.wecom_cards import CardCodes
from tests.wecom.conftest import WECOM_FAST
from tests.wecom.standin import AGENT_ID, CORP_ID, SECRET, KnownRobots, WecomStandIn


@pytest.fixture
async def parts(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[tuple[WecomStandIn, WecomSender]]:
    path = tmp_path / "wuye.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    sessions = session_maker(engine)
    clock = SystemClock()
    async with WecomStandIn() as wx:
        api = WecomApi(wx.root, CORP_ID, SECRET, AGENT_ID, sessions=sessions, now=clock.now)
        yield wx, WecomSender(api, CardCodes(sessions), KnownRobots({}), now=clock.now, limiter=RateLimiter(WECOM_FAST),
                              media_dir=tmp_path / "media", rate_wait=0.1)
        await api.close()
    await engine.dispose()


async def test_a_chart_long_text_and_a_big_keyboard(parts: tuple[WecomStandIn, WecomSender], tmp_path: Path) -> None:
    wx, sender = parts
    user = wx.add_member("kf02")
    chart = media.save(tmp_path / "media", "weekly", b"\x89PNG chart bytes")
    await sender.send(Reply("wecom", user, "本周报表", photos=(chart,)))
    [image, caption] = wx.transcript(user)
    assert image.msgtype == "image" and wx.media[image.media_id or ""] == b"\x89PNG chart bytes"
    assert caption.shown == "本周报表"

    long = "\n".join(f"{i}. " + "公共区域照明检查记录" * 12 for i in range(30))
    await sender.send(Reply("wecom", user, long))
    texts = [m.text for m in wx.transcript(user)[2:]]
    assert len(texts) > 1 and "\n".join(texts) == long

    buttons = [Button(f"选项{i}", f"1|m|item{i}") for i in range(8)]
    first = await sender.send(Reply("wecom", user, "请选择", rows(buttons[:4], buttons[4:])))
    cards = wx.cards(user)
    assert [len(c.buttons) for c in cards] == [4, 4] and cards[0].task_id == first


async def test_a_reply_failing_half_way_resumes_and_dead_ends_are_undeliverable(
        parts: tuple[WecomStandIn, WecomSender]) -> None:
    wx, sender = parts
    user = wx.add_member("gc01")
    reply = Reply("wecom", user, "\n".join("第二段" * 200 for _ in range(3)))  # three parts
    sent_before = len(wx.transcript(user))
    # The second of its three parts meets a busy WeCom: the retry sends the rest only.
    wx.fail_next("message/send", -1, after=1)
    with pytest.raises(TransientError):
        await sender.send(reply)
    await sender.send(reply)
    sent = wx.transcript(user)[sent_before:]
    assert len(sent) == 3 and "\n".join(m.text for m in sent) == reply.text

    with pytest.raises(Undeliverable):
        await sender.send(Reply("wecom", "nobody-here", "你好"))
    with pytest.raises(Undeliverable):
        await sender.send(Reply("wecom", "robot:security", "你好"))  # a team without a robot


async def test_an_edit_updates_the_card_while_a_code_lasts(parts: tuple[WecomStandIn, WecomSender]) -> None:
    wx, sender = parts
    user = wx.add_member("gc02")
    accept = rows([Button("✋ 接单", "1|c|accept|9")])
    task = await sender.send(Reply("wecom", user, "工单 #9 待接单", accept, replace_key="card:9"))
    assert await sender.send(Reply("wecom", user, "工单 #9 已接单（王强）", replace_key="card:9"), task) == task
    [card] = wx.cards(user)
    assert card.updates == 1 and "王强" in card.shown and card.buttons == []
    # The code from the send is spent and nobody tapped: the next state is a new message.
    again = await sender.send(Reply("wecom", user, "工单 #9 已完成", replace_key="card:9"), task)
    assert again != task and wx.transcript(user)[-1].shown == "工单 #9 已完成"
