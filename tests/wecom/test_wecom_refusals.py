"""What must change nothing: forged and replayed callbacks, a press by someone outside the
team, a press on a stale card.  Each is checked on what a person would notice — the case,
its timeline, the cards and messages in the app."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.bootstrap import App
from cases.lifecycle import Status
from storage.models import InboxMessage
from tests.wecom.conftest import Scene, both_channels
from tests.wecom.standin import AES_KEY, CALLBACK_TOKEN, CORP_ID


async def _timeline(s: Scene, case_id: int) -> list[str]:
    async with s.app.uow() as uow:
        return [i.action for i in await uow.cases.timeline(case_id)]


async def _inbox(s: Scene) -> list[tuple[str, str]]:
    """The WeCom messages recorded (each before it was answered), and their states."""
    async with s.app.sessions() as session:
        return [tuple(r) for r in await session.execute(  # type: ignore[misc]
            select(InboxMessage.key, InboxMessage.state).where(InboxMessage.channel == "wecom"))]


async def _settle() -> None:
    await asyncio.sleep(0.4)  # long enough for a callback that got through to reach the desk


async def test_forged_replayed_and_stale_callbacks_change_nothing(app: App, tmp_path: Path) -> None:
    async with both_channels(app, tmp_path) as s:
        wx = s.wx
        case_id = await s.report_leak()
        card = await s.wx_card(s.wang, f"#{case_id}", button="接单")
        before, recorded = await _timeline(s, case_id), await _inbox(s)
        fields = wx.tap_fields(s.wang, card, "接单")
        xml = wx.event_xml(s.wang, fields)

        # Signed with the wrong token; encrypted for another corp; a signature tampered with.
        wrong = WeChatCrypto("not-the-token", AES_KEY, CORP_ID).encrypt_message(xml, "n1", str(int(wx.clock())))
        query = {"msg_signature": wrong.split("<MsgSignature><![CDATA[")[1].split("]]>")[0],
                 "timestamp": str(int(wx.clock())), "nonce": "n1"}
        assert await wx.post(query, wrong) == 403
        other = WeChatCrypto(CALLBACK_TOKEN, AES_KEY, "wwSomeOtherCorp00").encrypt_message(xml, "n2", str(int(wx.clock())))
        query = {"msg_signature": other.split("<MsgSignature><![CDATA[")[1].split("]]>")[0],
                 "timestamp": str(int(wx.clock())), "nonce": "n2"}
        assert await wx.post(query, other) == 403
        query, body = wx.sealed(xml)
        assert await wx.post({**query, "msg_signature": "0" * 40}, body) == 403
        # A genuine tap captured and sent again ten minutes later: stale.
        query, body = wx.sealed(xml, timestamp=int(wx.clock()) - 600)
        assert await wx.post(query, body) == 403
        # No timestamp at all; the URL check answers only a signed echo.
        assert await wx.post({}, body) == 403
        assert await wx.get(wx.url_check("echo-7d1f")) == (200, "echo-7d1f")
        assert (await wx.get({**wx.url_check("echo-7d1f"), "msg_signature": "0" * 40}))[0] == 403
        await _settle()
        assert await _timeline(s, case_id) == before
        assert (await s.case(case_id)).status == Status.DISPATCHED  # type: ignore[union-attr]
        assert await _inbox(s) == recorded  # nothing refused was recorded

        # The genuine tap, then the very same request again (WeCom's retry, or a replay).
        query, body = wx.sealed(xml)
        assert await wx.post(query, body) == 200
        assert wx.answers[-1] == ""  # WeCom's "received, no passive reply"
        await wx.until(lambda: "王强" in card.shown, what="the card showing 王强")
        assert await wx.post(query, body) == 200  # answered, so WeCom stops retrying …
        await _settle()
        timeline = await _timeline(s, case_id)
        assert timeline.count("accepted") == 1  # … and taken once
        contacts = [m for m in wx.transcript(s.wang) if "13800000001" in m.shown]
        assert len(contacts) == 1
        assert [state for key, state in await _inbox(s) if (key, state) not in recorded] == ["done"]  # one row


async def test_press_from_outside_the_team_and_on_a_stale_card(app: App, tmp_path: Path) -> None:
    async with both_channels(app, tmp_path) as s:
        wx = s.wx
        case_id = await s.report_leak()
        card_wang = await s.wx_card(s.wang, f"#{case_id}", button="接单")
        card_liu = await s.wx_card(s.liu, f"#{case_id}", button="接单")
        before = await _timeline(s, case_id)

        # 张勇 of security sends the engineering card's accept (a signed event from his app).
        accept_key = next(k for t, k in card_wang.buttons if "接单" in t)
        status, _, _ = await wx.deliver(s.ba01, {"MsgType": "event", "Event": "template_card_event",
                                                 "EventKey": accept_key, "TaskId": card_wang.task_id or "",
                                                 "CardType": "button_interaction", "ResponseCode": "x"})
        assert status == 200
        await wx.latest(s.ba01, "工程", what="the refusal to 张勇")
        assert await _timeline(s, case_id) == before
        assert not any("13800000001" in m.shown for m in wx.transcript(s.ba01))

        # A voice message: only text and photos are read, and he is told so.
        await wx.deliver(s.ba01, {"MsgType": "voice", "MediaId": "Mvoice", "Format": "amr", "MsgId": "8800001"})
        await wx.latest(s.ba01, "请发送文字或图片", what="the word on a voice message")

        # 刘洋's card cannot be updated (WeCom refuses the code): it keeps its accept button.
        wx.fail_next("message/update_template_card", 40058, count=4)
        await wx.press(s.wang, card_wang, "接单")
        await wx.latest(s.wang, "13800000001", what="王强's contact")
        await wx.latest(s.liu, "王强", what="the new message telling 刘洋 who took it")
        assert any("接单" in t for t, _ in card_liu.buttons)
        taken = await _timeline(s, case_id)

        # He presses that stale button: told who has it; the case stays 王强's.
        await wx.press(s.liu, card_liu, "接单")
        await wx.latest(s.liu, "已被 王强 接单", what="the stale-card refusal")
        await _settle()
        assert await _timeline(s, case_id) == taken
        case = await s.case(case_id)
        assert case is not None and case.status == Status.ACCEPTED
        async with app.uow() as uow:
            assert (await uow.directory.staff(case.assignee_id)).name == "王强"  # type: ignore[arg-type,union-attr]
        assert not any("13800000001" in m.shown for m in wx.transcript(s.liu))
