"""The WeChat sender alone against the stand-in: photos, long texts, menus, and a retry
half-way through a reply that needs several calls."""

from __future__ import annotations

from handlers.kit.messages import Button, Reply
from bot.channel import TransientError
from bot import media
from bot.wechat import WechatChannel
from storage.wechat import WechatContacts
from tests.wechat.conftest import TEMPLATES
from tests.wechat.standin import APP_ID, APP_SECRET, TOKEN, WechatStandIn

import pytest


class _NoCore:
    async def handle(self, inbound):  # type: ignore[no-untyped-def]
        raise AssertionError


async def test_photo_long_text_and_menu_with_a_retry_half_way(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    standin = WechatStandIn(app.clock.now)
    await standin.start()
    channel = WechatChannel(app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, aes_key=None, api_root=standin.url,
                            sessions=app.sessions, core=_NoCore(), now=app.clock.now, media_dir=tmp_path,
                            templates=TEMPLATES)
    try:
        openid = "oSENDER"
        standin.followers.add(openid)
        standin.last_wrote[openid] = app.now()
        photo = media.save(tmp_path, "after", b"\x89PNG\r\n\x1a\n" + b"fixed" * 30)
        text = "维修完成。" * 150  # 750 characters: two messages
        reply = Reply("wechat", openid, text, ((Button("✅ 确认完成", "c|confirm|1"),),),
                      photos=(photo, "AgACAgUAAx-telegram-file-id"))
        # The second call (the first text part) fails once: the retry must not send the photo again.
        sends = standin.custom_sends
        standin.fail_next("message/custom/send", -1, 1, after=1)
        with pytest.raises(TransientError):
            await channel.sender.send(reply)
        await channel.sender.send(reply)  # the outbox's retry of the same item
        sent = standin.transcript(openid)
        assert [s.kind for s in sent] == ["image", "text", "msgmenu"]
        assert sent[0].image == (tmp_path / photo.removeprefix("media:")).read_bytes()
        assert sent[1].text + sent[2].text == text
        assert [label for _, label in sent[2].options] == ["✅ 确认完成"]
        # The option id stands for the payload, for this follower only.
        option_id = int(sent[2].options[0][0])
        async with app.sessions() as session:
            assert await WechatContacts(session).option(option_id, openid) == "c|confirm|1"
            assert await WechatContacts(session).option(option_id, "oSOMEONE_ELSE") is None
        assert standin.custom_sends - sends == 3
    finally:
        await channel.stop()
        await standin.stop()


async def test_more_options_than_one_menu_takes(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    standin = WechatStandIn(app.clock.now)
    await standin.start()
    channel = WechatChannel(app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, aes_key=None, api_root=standin.url,
                            sessions=app.sessions, core=_NoCore(), now=app.clock.now, media_dir=tmp_path)
    try:
        standin.followers.add("oMANY")
        standin.last_wrote["oMANY"] = app.now()
        buttons = tuple((Button(f"服务{n}", f"p|booking|item|1|{n}"),) for n in range(13))
        await channel.sender.send(Reply("wechat", "oMANY", "请选择服务项目：", buttons))
        menus = standin.transcript("oMANY")
        assert [(m.text, len(m.options)) for m in menus] == [("请选择服务项目：", 10), ("⬇️", 3)]
        assert [label for m in menus for _, label in m.options] == [f"服务{n}" for n in range(13)]
    finally:
        await channel.stop()
        await standin.stop()
