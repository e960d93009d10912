"""`wuye run` with Telegram and WeChat configured: one process, one desk, one database.
An owner on both channels has the same cases; staff accept on Telegram and the owner
hears it on WeChat and on Telegram."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import App, load_community_file
from bot.runner import Running, start_bot
from bot.wechat import WechatNotConfigured
from tests.conftest import EXAMPLE_COMMUNITY, make_settings
from tests.telegram.botapi_standin import BotApiStandIn
from tests.telegram.conftest import FAST
from tests.telegram.test_tg_end_to_end import Scene, app  # noqa: F401  (the SQLite app of those tests)
from tests.wechat.standin import AES_KEY, APP_ID, APP_SECRET, TOKEN, Follower, WechatStandIn, settle


async def test_both_channels_in_one_process(app: App, tmp_path: Path) -> None:  # noqa: F811
    wechat = WechatStandIn(app.clock.now)
    await wechat.start()
    async with BotApiStandIn(limits=FAST) as api:
        scene = Scene(api, app)
        await load_community_file(app, str(scene.community_file(tmp_path)))
        settings = make_settings(app.settings.database_url, TELEGRAM_BOT_TOKEN=api.token,
                                 TELEGRAM_API_BASE_URL=api.root, WECHAT_APP_ID=APP_ID, WECHAT_APP_SECRET=APP_SECRET,
                                 WECHAT_TOKEN=TOKEN, WECHAT_AES_KEY=AES_KEY, WECHAT_API_BASE_URL=wechat.url,
                                 WECHAT_PORT=0, WECHAT_TEMPLATES="progress=TPL_P,survey=TPL_S",
                                 MEDIA_DIR=str(tmp_path / "media"))
        running: Running = await start_bot(settings, app, limits=FAST, poll_timeout=1)
        try:
            assert running.wechat is not None
            owner_tg = scene.owner
            owner_wx = Follower(wechat, f"http://127.0.0.1:{running.wechat[0].port}/wechat", "oZHANGWEI")
            # The same owner binds on Telegram (contact) and on WeChat (words).
            await scene.say_and_wait(owner_tg, "/start", "分享手机号")
            api.share_contact(owner_tg, "+8613800000001")
            await scene.latest(owner_tg.id, "the binding", "绑定成功！张伟")
            await owner_wx.follow()
            await owner_wx.say("1-1-101 张伟 0001")
            await settle(lambda: any("绑定成功！张伟" in t for t in wechat.texts(owner_wx.openid)), 30)
            # Binding on WeChat tells the Telegram chat that a new chat was bound to the home.
            await scene.latest(owner_tg.id, "the new-chat notice", "刚刚绑定了一个新的")

            # Reported on WeChat, in words typed (no taps needed where a step takes words).
            for text, expect in (("报事报修", "请问是哪里的问题"), ("1-1-101", "描述"),
                                 ("客厅插座没电了", "照片")):
                seen = len(wechat.texts(owner_wx.openid))
                await owner_wx.say(text)
                await settle(lambda: any(expect in t for t in wechat.texts(owner_wx.openid)[seen:]), 30)
            await owner_wx.photo(b"\x89PNG\r\n\x1a\n" + b"socket" * 40)
            await settle(lambda: any("已收到 1 张照片" in t for t in wechat.texts(owner_wx.openid)), 30)
            for text, expect in (("完成", "紧急程度"), ("一般", "什么时候"),
                                 ("明天", "请确认报修信息")):
                seen = len(wechat.texts(owner_wx.openid))
                await owner_wx.say(text)
                await settle(lambda: any(expect in t for t in wechat.texts(owner_wx.openid)[seen:]), 30)
            option = next(o for o in owner_wx.menu().options if "提交" in o[1])
            await owner_wx.tap(*option)
            await settle(lambda: any("报修已提交" in t for t in wechat.texts(owner_wx.openid)), 30)

            # The card reaches the Telegram group, owner masked; 王强 accepts there.
            engineering = scene.groups["engineering"]
            card = await scene.latest(engineering, "the dispatch card", "客厅插座没电了")
            assert "13800000001" not in card.text and "张伟" not in card.text
            # The photo sent on WeChat reaches the Telegram group (uploaded from the media store).
            assert any(m.photo for m in api.transcript(engineering))
            await scene.press(scene.wang, engineering, "接单")
            # The owner hears it on both channels.
            await settle(lambda: any("王强 接单" in t for t in wechat.texts(owner_wx.openid)), 30)
            await scene.latest(owner_tg.id, "the accepted notice on Telegram", "王强 接单")
            # Same owner, same cases: Telegram's "my cases" lists the case reported on WeChat.
            listing = await scene.say_and_wait(owner_tg, "/mycases", "您最近的工单（共 1 个）")
            assert any("#1" in text for row in listing.buttons for text, _ in row)
        finally:
            await running.stop()
            await wechat.stop()


async def test_wechat_only(app: App, tmp_path: Path) -> None:  # noqa: F811
    await load_community_file(app, str(EXAMPLE_COMMUNITY))
    wechat = WechatStandIn(app.clock.now)
    await wechat.start()
    base = dict(WECHAT_APP_ID=APP_ID, WECHAT_APP_SECRET=APP_SECRET, WECHAT_AES_KEY=AES_KEY,
                WECHAT_API_BASE_URL=wechat.url, WECHAT_PORT=0, MEDIA_DIR=str(tmp_path / "media"))
    try:
        # A missing setting stops the start with one line naming it.
        with pytest.raises(WechatNotConfigured, match="WECHAT_TOKEN is not set"):
            await start_bot(make_settings(app.settings.database_url, **base), app)
        running = await start_bot(make_settings(app.settings.database_url, WECHAT_TOKEN=TOKEN, **base), app)
        try:
            assert running.channel is None and running.wechat is not None
            assert app.extras["running_channels"] == {"wechat"}
            owner = Follower(wechat, f"http://127.0.0.1:{running.wechat[0].port}/wechat", "oONLY")
            await owner.follow()
            await settle(lambda: any("请先绑定业主身份" in t for t in wechat.texts(owner.openid)), 30)
        finally:
            await running.stop()
    finally:
        await wechat.stop()
