"""The owner's whole journey on WeChat, against the stand-in API, staff working in the console."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.bootstrap import load_files
from bot.scheduler import tick
from cases.lifecycle import Status
from handlers.kit.messages import reply_from_dict
from storage import models as m
from tests.callbacks.conftest import ENGINEERING, bind_staff, case_and_timeline
from tests.callbacks.test_whole_loop import finish_by_buttons
from tests.conftest import ROOT
from tests.harness import People
from tests.wechat.conftest import Wx
from tests.wechat.standin import Follower

PHOTO = b"\x89PNG\r\n\x1a\n" + b"leak-photo" * 50


async def step(wx: Wx, owner: Follower, action, *args) -> list[str]:  # type: ignore[no-untyped-def]
    """Do something as the owner and wait until every reply it caused has been delivered."""
    seen = len(owner.transcript())
    status, body = await action(*args)
    assert (status, body) == (200, "success")
    await wx.flush()
    return owner.standin.texts(owner.openid)[seen:]


async def tap(wx: Wx, owner: Follower, label: str) -> list[str]:
    menu = owner.menu()
    option = next((i, text) for i, text in menu.options if label in text)
    return await step(wx, owner, owner.tap, *option)


async def group_button(wx: Wx, chat: str, label: str) -> str:
    """The payload of a button on the newest message in a console group (from the outbox)."""
    async with wx.app.sessions() as session:
        rows = (await session.scalars(select(m.OutboxMessage).where(m.OutboxMessage.channel == "console",
                                                                     m.OutboxMessage.chat_id == chat)
                                      .order_by(m.OutboxMessage.id.desc()))).all()
    for row in rows:
        for line in reply_from_dict(row.body).buttons:
            for button in line:
                if label in button.text:
                    return button.payload
    raise AssertionError(f"no {label!r} button in {chat}")


async def test_owner_journey(wx: Wx) -> None:
    """Follow, bind in words, report by menu with a voice message and a photo, staff accept
    and finish in their group, the owner confirms by tapping, the survey arrives three days
    later as a template message and is answered in words and taps."""
    app = wx.app
    people = People(app)
    await bind_staff(app, "wq", "王强")
    owner = wx.follower("oZHANGWEI")
    said = await step(wx, owner, owner.follow)
    assert len(said) == 1 and "请先绑定业主身份" in said[0]
    said = await step(wx, owner, owner.say, "1-1-101 张伟 0001")
    assert said[0].startswith("绑定成功！张伟，您的房屋：1-1-101。") and "[🔧 报事报修]" in said[0]
    said = await step(wx, owner, owner.click, "menu:report")  # the custom menu's 报修
    assert said[0].startswith("请问是哪里的问题？")
    await tap(wx, owner, "我家")
    said = await step(wx, owner, owner.voice, "厨房水槽下面的水管一直在滴水")  # recognised speech
    assert said[0].startswith("如方便，请发送现场照片")
    said = await step(wx, owner, owner.photo, PHOTO)
    assert said[0].startswith("已收到 1 张照片")
    await tap(wx, owner, "完成")
    await tap(wx, owner, "一般")
    said = await tap(wx, owner, "明天")
    assert "📝 问题：厨房水槽下面的水管一直在滴水" in said[0] and "📷 照片：1 张" in said[0]
    said = await tap(wx, owner, "提交")
    assert said[0].startswith("✅ 报修已提交，工单号 #1。")
    async with app.uow() as uow:
        case = (await uow.cases.recent(limit=1))[0]
    # The photo was fetched from WeChat into our media store at once (WeChat keeps it 3 days).
    assert len(case.photos) == 1 and case.photos[0].startswith("media:")
    assert (app.settings.media_dir / case.photos[0].removeprefix("media:")).read_bytes() == PHOTO

    # Staff accept in their group (the console) and finish the job there.
    await people.raw_press("wq", await group_button(wx, ENGINEERING, "接单"), chat=ENGINEERING, group=True)
    await finish_by_buttons(people, "wq", "换了阀门")
    await wx.flush()
    said = owner.standin.texts(owner.openid)[-2:]
    assert said[0].startswith("👷 您的工单 #1 已由工程部的 王强 接单")
    assert said[1].startswith("✅ 您的工单 #1 已处理完成。") and "[✅ 确认完成]" in said[1]
    said = await tap(wx, owner, "确认完成")
    assert said[0].startswith("感谢您的确认！工单 #1 已完成。")
    case, _ = await case_and_timeline(app, case.id)
    assert case.status == Status.CLOSED

    # Three days later the owner's 48 h window is closed: the survey comes as a template message.
    app.clock.advance(timedelta(days=3))
    await tick(app)
    await wx.flush()
    invitation = owner.transcript()[-1]
    assert (invitation.kind, invitation.template_id) == ("template", "TPL_SURVEY")
    assert "服务回访 · 工单 #1" in invitation.shown()
    # The owner's answer reopens the conversation; the rest of the survey is taps.
    said = await step(wx, owner, owner.say, "解决了")
    assert said[0].startswith("✅ 已记录：已解决") and "[5⭐]" in said[0]
    await tap(wx, owner, "5⭐")
    await tap(wx, owner, "5⭐")
    said = await tap(wx, owner, "跳过并提交")
    assert said[0].startswith("🙏 感谢您的评价！工单 #1 已归档")
    case, _ = await case_and_timeline(app, case.id)
    assert case.status == Status.SURVEYED
    # Every message reached the owner once: nothing lost, nothing doubled.
    texts = owner.standin.texts(owner.openid)
    assert [t.splitlines()[0][:12] for t in texts] == [t[:12] for t in [
        "为保护您的隐私，首次使用", "绑定成功！张伟，您的房屋", "请问是哪里的问题？选择您", "请简单描述一下是什么问题",
        "如方便，请发送现场照片（", "已收到 1 张照片，可以继", "请选择紧急程度（系统建议", "您希望维修人员什么时候上",
        "请确认报修信息：", "✅ 报修已提交，工单号 #", "👷 您的工单 #1 已由工", "✅ 您的工单 #1 已处理",
        "感谢您的确认！工单 #1 ", "【模板】📋 服务回访 · 工", "✅ 已记录：已解决", "（3/4）服务态度您打几星",
        "（4/4）还有什么想对我们", "🙏 感谢您的评价！工单 #",
    ]]
    assert len(texts) == len(set(texts))
    # Nothing could be sent about the owner that the owner should not see: no other owner's data.
    assert not any("13800000001" in t for t in texts)


async def test_binding_by_room_qr_code(wx: Wx) -> None:
    """The office's QR for 1-1-102 prefills the room; the owner confirms with name and digits."""
    owner = wx.follower("oWANGFANG")
    said = await step(wx, owner, owner.follow, "room:1-1-102")
    assert "请先绑定业主身份" in said[0]
    assert said[1].startswith("您扫描了 1-1-102 的业主绑定二维码")
    said = await step(wx, owner, owner.say, "王芳 0002")
    assert said[0].startswith("绑定成功！王芳，您的房屋：1-1-102。")
    # A scan is no proof: the wrong digits bind nothing.
    other = wx.follower("oSTRANGER")
    await step(wx, other, other.follow)
    await step(wx, other, other.scan, "room:1-1-101")
    said = await step(wx, other, other.say, "张伟 9999")
    assert "没有找到匹配的信息" in said[0]
    async with wx.app.uow() as uow:
        assert await uow.directory.identity("wechat", "oSTRANGER") is not None
        assert (await uow.directory.identity("wechat", "oSTRANGER")).owner_id is None
    # Commands typed as words work as on Telegram (WeChat has no command menu).
    said = await step(wx, owner, owner.say, "/mute")
    assert said[0].startswith("🔕 已设置：今后不再给您发送普通通知。")
    # An unknown room's QR is answered, not bound.
    said = await step(wx, other, other.scan, "room:9-9-999")
    assert any("二维码已失效" in s for s in said)


async def test_forged_menu_option_for_someone_elses_case(wx: Wx) -> None:
    """Another follower sends the option id of the owner's "确认完成": refused like an
    expired button, the case untouched; then a made-up id; then the owner's own tap works."""
    app = wx.app
    people = People(app)
    await bind_staff(app, "wq", "王强")
    owner, other = wx.follower("oZHANGWEI"), wx.follower("oWANGFANG")
    for follower, words in ((owner, "1-1-101 张伟 0001"), (other, "1-1-102 王芳 0002")):
        await step(wx, follower, follower.follow)
        await step(wx, follower, follower.say, words)
    await step(wx, owner, owner.say, "报事报修")  # the menu word typed
    await tap(wx, owner, "我家")
    await step(wx, owner, owner.say, "卫生间地漏堵了")
    for label in ("跳过", "一般", "明天", "提交"):
        await tap(wx, owner, label)
    async with app.uow() as uow:
        case = (await uow.cases.recent(limit=1))[0]
    await people.raw_press("wq", await group_button(wx, ENGINEERING, "接单"), chat=ENGINEERING, group=True)
    await finish_by_buttons(people, "wq", "疏通了地漏")
    await wx.flush()
    confirm = next((i, text) for i, text in owner.menu().options if "确认完成" in text)
    said = await step(wx, other, other.tap, *confirm)
    assert said == ["这个按钮已过期，请使用最新的消息。"]
    said = await step(wx, other, other.tap, "999999999", "确认完成")
    assert "过期" in said[0]
    case_now, _ = await case_and_timeline(app, case.id)
    assert case_now.status == Status.DONE
    said = await step(wx, owner, owner.tap, *confirm)
    assert said[0].startswith(f"感谢您的确认！工单 #{case.id} 已完成。")


async def test_a_community_qr_code_binds_in_that_community(wx: Wx) -> None:
    """With several communities, a community's QR (scene `c_<code>`) decides where the room
    words are looked up: 东苑's A-1-101 is 邱月's; 西苑 has an A-1-101 too."""
    await load_files(wx.app, [str(ROOT / "examples" / "company" / "company.yaml")])
    owner = wx.follower("oQIUYUE")
    said = await step(wx, owner, owner.follow, "c_dongyuan")
    assert "请先绑定业主身份" in said[0]
    said = await step(wx, owner, owner.say, "A-1-101 邱月 1001")
    assert said[0].startswith("绑定成功！邱月，您的房屋：A-1-101。")
    async with wx.app.uow() as uow:
        identity = await uow.directory.identity("wechat", "oQIUYUE")
        east = await uow.directory.community("dongyuan")
    assert identity is not None and east is not None and identity.community_id == east.id
