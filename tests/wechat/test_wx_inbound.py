"""Inbound WeChat callbacks: verified, decrypted, answered, and refused when not WeChat's."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from handlers.kit.messages import Reply, reply_to_dict
from storage import models as m
from tests.wechat.conftest import Wx, running
from tests.wechat.standin import settle


async def _rows(wx: Wx) -> tuple[int, int, int, int]:
    async with wx.app.sessions() as session:
        return (await session.scalar(select(func.count()).select_from(m.ProcessedUpdate)) or 0,
                await session.scalar(select(func.count()).select_from(m.OutboxMessage)) or 0,
                await session.scalar(select(func.count()).select_from(m.Case)) or 0,
                await session.scalar(select(func.count()).select_from(m.InboxMessage)) or 0)


async def test_url_check_and_a_first_message(wx: Wx) -> None:
    owner = wx.follower("oOWNER1")
    assert await owner.verify_url("hello-wechat") == (200, "hello-wechat")
    assert (await owner.follow())[0] == 200
    await settle(lambda: len(owner.transcript()) >= 1)
    # The greeting asks a stranger to bind, in Chinese first.
    assert "绑定业主身份" in owner.transcript()[0].text
    # WeChat has no share-contact button: the owner is told to bind in words.
    assert owner.transcript()[0].text.endswith("请直接回复 房号 姓名 手机号后四位。）")
    assert (await owner.say("你好"))[0] == 200


async def test_refusals_record_nothing(wx: Wx) -> None:
    owner = wx.follower("oOWNER2")
    owner.standin.followers.add(owner.openid)
    before = await _rows(wx)
    xml = owner.xml({"MsgType": "text", "Content": "厨房漏水了", "MsgId": 555})
    # Wrong token (a forger without our secret).
    query, body = owner.signed(xml, token="not-our-token")
    assert (await owner.post(query, body))[0] == 403
    # A stale timestamp (a captured request replayed ten minutes later).
    stale = int((wx.app.now() - timedelta(minutes=10)).timestamp())
    query, body = owner.signed(xml, timestamp=stale)
    assert (await owner.post(query, body))[0] == 403
    # Plain text while safe mode is configured (a downgrade).
    query, _ = owner.signed(xml)
    assert (await owner.post({k: v for k, v in query.items() if k not in ("encrypt_type", "msg_signature")},
                             xml.encode()))[0] == 403
    # Malformed XML inside a valid envelope, and an entity bomb.
    for bad in ("<xml><Content>unclosed", '<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><a>&a;</a></xml>'):
        query, body = owner.signed(bad)
        assert (await owner.post(query, body))[0] in (400, 403)
    # Garbage that is not even an envelope.
    query, _ = owner.signed(xml)
    assert (await owner.post(query, b"\x00\xff not xml"))[0] in (400, 403)
    assert await _rows(wx) == before
    assert owner.transcript() == []
    assert wx.channel.endpoint.refused == 6


async def test_replayed_message_is_handled_once(wx: Wx) -> None:
    owner = wx.follower("oOWNER3")
    await owner.follow()
    await settle(lambda: len(owner.transcript()) >= 1)
    await owner.say("/help")
    await settle(lambda: len(owner.transcript()) >= 2)
    assert owner.last_request is not None
    query, body = owner.last_request
    # WeChat's retry (same request) and an attacker's replay within the skew: answered, not redone
    # (the inbox's key; a retry while the first is still handled: tests/wechat/test_wx_inbox.py).
    assert await owner.post(query, body) == (200, "success")
    assert await owner.post(query, body) == (200, "success")
    await wx.flush()
    assert len(owner.transcript()) == 2
    assert wx.channel.endpoint.duplicates == 2
    assert (await _rows(wx))[3] == 2  # the follow and /help, once each


async def test_voice_location_and_unsupported_messages(wx: Wx) -> None:
    owner = wx.follower("oOWNER4")
    await owner.follow()
    await wx.flush()
    seen = len(owner.transcript())
    # A voice message WeChat could not recognise: asked to type it, nothing else happens.
    await owner.voice("")
    await owner.send({"MsgType": "video", "MediaId": "m", "ThumbMediaId": "t", "MsgId": 9001})
    await wx.flush()
    assert owner.standin.texts(owner.openid)[seen:] == [
        "抱歉，没有识别出您的语音内容。请用文字描述，或再说一遍。",
        "暂不支持这种消息。请用文字描述，也可以发送图片。",
    ]
    async with wx.app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(m.Case)) == 0


async def test_unfollowed_owner_is_undeliverable_not_retried(wx: Wx) -> None:
    owner = wx.follower("oOWNER5")
    await owner.follow()
    await wx.flush()
    await owner.unfollow()
    await wx.flush()
    async with wx.app.uow() as uow:
        assert (await uow.session.get(m.WechatContact, owner.openid)).followed is False  # type: ignore[union-attr]
        # Later something for them is queued (a notice, progress): recorded as undeliverable at once.
        await uow.outbox.add("wechat", owner.openid, reply_to_dict(Reply("wechat", owner.openid, "停水通知")),
                             None, wx.app.now())
        await uow.commit()
    wx.deliverer.notify()
    await wx.flush()
    async with wx.app.sessions() as session:
        last = (await session.scalars(select(m.OutboxMessage).order_by(m.OutboxMessage.id.desc()))).first()
    assert last is not None and (last.state, last.attempts) == ("failed", 0)
    assert "does not follow" in last.failure
    assert "停水通知" not in owner.standin.texts(owner.openid)


async def test_plain_mode_without_aes_key(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app.settings.media_dir = tmp_path / "media"
    async with running(app, aes_key=None) as wx:
        owner = wx.follower("oPLAIN", aes_key=None)
        assert (await owner.follow())[0] == 200
        await wx.flush()
        assert "请先绑定业主身份" in owner.transcript()[0].text
        query, body = owner.signed(owner.xml({"MsgType": "text", "Content": "你好", "MsgId": 77}), token="wrong")
        assert (await owner.post(query, body))[0] == 403
