"""/notice end to end through the core on the console channel: scope by buttons, text, photo,
urgency, the preview, sending, what every owner's phone receives, and the status later."""

from __future__ import annotations

from sqlalchemy import delete, update

from bot.bootstrap import App, build_app
from handlers.kit.messages import reply_from_dict
from storage import models as m
from tests.conftest import make_settings
from tests.flows.helpers import pick
from tests.harness import People
from tests.notices.conftest import GROUPS, OWNER_USERS, STAFF_USERS, Delivery, notice_outbox, notice_rows, owners_in

WATER = "6月3日9:00-12:00 2号楼停水检修，请提前储水。"


def owners_who_got(phones, wanted) -> set[str]:  # type: ignore[no-untyped-def]
    """The owners' chats that received a message `wanted(reply)` is true of (staff previews aside)."""
    return {chat for chat in OWNER_USERS if any(wanted(r) for r in phones.received[chat])}


async def compose(people: People, user: str, scope: tuple[str, ...], text: str, *, urgent: bool = False,
                  photo: str | None = None) -> None:
    """Go through /notice up to the preview: scope buttons, text, photo, urgency."""
    await people.say(user, "/notice")
    for label in scope:
        await people.press(user, label)
    await people.say(user, text)
    if photo:
        await people.photo(user, photo)
        await people.press(user, "下一步")
    else:
        await people.press(user, "不配图")
    await people.press(user, "紧急通知" if urgent else "普通通知")


async def test_a_building_notice_reaches_exactly_its_owners_and_muted_ones_only_when_urgent(
        app: App, people: People, office, owners, delivery: Delivery) -> None:
    building_2 = owners_in("2-")
    assert building_2 == {"o5", "o10", "o11", "o12", "o13"}
    await people.say("o12", "/mute")  # 孙鹏 2-1-401 takes ordinary notices off

    await people.say("lj", "/notice")
    assert people.last("lj") == "📢 发布通知：发给哪些业主？"
    assert [b.text for row in people.chats["lj"][-1].buttons for b in row][:4] == ["🏘 全小区", "1号楼", "2号楼", "3号楼"]
    await people.press("lj", "2号楼")  # one unit only: no unit question
    assert people.last("lj").startswith("范围：2号楼。\n请输入通知内容（1000 字以内）")
    await people.say("lj", WATER)
    assert "需要配一张图片吗" in people.last("lj")
    await people.press("lj", "不配图")
    assert "普通通知还是紧急通知" in people.last("lj")
    await people.press("lj", "普通通知")

    preview, summary = people.chats["lj"][-2:]
    assert preview.text == f"【物业通知】兰亭雅苑\n{WATER}" and preview.photos == () and preview.buttons == ()
    assert summary.text == ("👆 以上是业主将收到的内容。\n范围：2号楼（普通通知）\n将发送给 4 位业主（4 个聊天）。"
                            "另有 1 位业主已关闭普通通知，不会收到。\n确认无误请点“发送”。")
    await people.press("lj", "发送给 4 位业主")
    assert people.last("lj").startswith("✅ 通知 #1 已发送给 4 位业主（4 个聊天）")

    await delivery.run()
    phones = delivery.phones
    reached = owners_who_got(phones, lambda r: WATER in r.text)
    assert reached == building_2 - {"o12"}
    for user in reached:  # exactly the preview, once
        notices = [r for r in phones.received[user] if WATER in r.text]
        assert [(r.text, r.photos) for r in notices] == [(preview.text, preview.photos)]
    # Nobody else heard of it: not the other owners, not the staff, not the team groups.
    others = set(OWNER_USERS) - reached
    assert not any(WATER in r.text for chat in [*others, *GROUPS, *STAFF_USERS] if chat != "lj"
                   for r in phones.received[chat])
    [notice] = await notice_rows(app)
    assert (notice.scope, notice.target, notice.recipients, notice.urgent) == ("building", {"building": "2"}, 4, False)

    # An urgent one reaches the owner who muted ordinary notices too.
    await compose(people, "lj", ("2号楼",), "2号楼燃气管道抢修，请勿使用明火！", urgent=True)
    assert "将发送给 5 位业主（5 个聊天）。\n" in people.last("lj")  # nobody left out
    await people.press("lj", "发送")
    await delivery.run()
    assert phones.texts("o12") == ["🔕 已设置：今后不再给您发送普通通知。停水停电、燃气等紧急通知仍会照常发送。发送 /unmute 可恢复接收。",
                                   "【紧急通知】兰亭雅苑\n2号楼燃气管道抢修，请勿使用明火！"]
    assert owners_who_got(phones, lambda r: "燃气管道抢修" in r.text) == building_2


async def test_unit_ranges_a_photo_and_each_owner_in_their_language(
        app: App, people: People, office, owners, delivery: Delivery) -> None:
    await people.say("zl", "/notice")
    await people.press("zl", "1号楼")
    assert people.last("zl").startswith("1号楼：发给整栋楼，还是部分单元？")
    await people.press("zl", "1单元")
    assert people.last("zl") == "1号楼，从 1单元 开始，到哪个单元为止？"
    await people.press("zl", "到 2单元")
    assert people.last("zl").startswith("范围：1号楼 1–2单元。")
    await people.say("zl", "1号楼电梯年检，6月5日全天停用。")
    await people.photo("zl", "photo-elevator-1")
    assert people.last("zl").startswith("已附图片。")
    await people.photo("zl", "photo-elevator-2")  # a second one replaces the first
    await people.press("zl", "下一步")
    await people.press("zl", "普通通知")
    preview = people.chats["zl"][-2]
    assert preview.photos == ("photo-elevator-2",)
    assert "范围：1号楼 1–2单元（普通通知）\n将发送给 9 位业主" in people.last("zl")
    await people.press("zl", "发送")

    # Unit 2 only: the last unit needs no "up to" question.
    await people.say("zl", "/notice")
    await people.press("zl", "1号楼")
    await people.press("zl", "2单元")
    assert people.last("zl").startswith("范围：1号楼 2单元。")
    await people.say("zl", "2单元水箱清洗。")
    await people.press("zl", "不配图")
    await people.press("zl", "普通通知")
    await people.press("zl", "发送给 4 位业主")

    # The whole community, with Emily Carter reading English.
    await compose(people, "zl", ("全小区",), "小区消防演练，6月6日上午10点。")
    await people.press("zl", "发送给 20 位业主")

    await delivery.run()
    phones = delivery.phones
    assert owners_who_got(phones, lambda r: r.photos == ("photo-elevator-2",)) == owners_in("1-1-", "1-2-")
    assert owners_who_got(phones, lambda r: "水箱清洗" in r.text) == owners_in("1-2-")
    assert phones.texts("o20") == ["[Notice from 兰亭雅苑]\n小区消防演练，6月6日上午10点。"]
    assert phones.texts("o1")[-1] == "【物业通知】兰亭雅苑\n小区消防演练，6月6日上午10点。"
    rows = await notice_rows(app)
    assert [(n.scope, n.target, n.recipients) for n in rows] == [
        ("units", {"building": "1", "units": ["1", "2"]}, 9), ("units", {"building": "1", "units": ["2"]}, 4),
        ("community", {}, 20)]


async def test_the_sender_sees_the_count_and_later_delivered_failed_and_pending(
        app: App, people: People, office, owners, delivery: Delivery) -> None:
    await compose(people, "cx", ("全小区",), "本周六小区绿化修剪，请将车辆停入地库。")
    await people.press("cx", "发送")
    assert people.last("cx").startswith("✅ 通知 #1 已发送给 20 位业主（20 个聊天），正在按平台限速陆续送达。")

    await people.press("cx", "#1 送达情况")
    assert people.last("cx").endswith("共 20 条：✅ 已送达 0 · ⛔ 未送达 0（业主屏蔽了机器人或聊天已不存在） · ⏳ 发送中 20")

    delivery.phones.blocked = {"o3", "o17"}  # two owners blocked the bot
    await delivery.run()
    assert {state for chat, state, _ in await notice_outbox(app) if chat in ("o3", "o17")} == {"failed"}
    await people.press("cx", "#1 送达情况")
    status = people.last("cx")
    assert status.startswith("#1 ") and "· 全小区 · 普通 · 陈晓\n“本周六小区绿化修剪，请将车辆停入地库。”" in status
    assert status.endswith("共 20 条：✅ 已送达 18 · ⛔ 未送达 2（业主屏蔽了机器人或聊天已不存在） · ⏳ 发送中 0")
    assert people.answers[-1] == ""  # the press is answered with the message, not a toast

    # /notices: the latest first, each with its figures; another entitled colleague sees them too.
    long_text = "3号楼外墙清洗，请关好窗户。" * 5
    await compose(people, "lzy", ("3号楼",), long_text)
    await people.press("lzy", "发送")
    await people.say("lj", "/notices")
    listing = people.last("lj")
    assert listing.startswith("📢 最近 2 条通知：\n\n#2 ")
    assert f"· 3号楼 · 普通 · 林志远\n“{long_text[:40]}…”" in listing
    assert "共 7 条：✅ 已送达 0 · ⛔ 未送达 0（业主屏蔽了机器人或聊天已不存在） · ⏳ 发送中 7" in listing
    assert "共 20 条：✅ 已送达 18 · ⛔ 未送达 2" in listing


async def test_people_without_the_role_are_refused_and_nothing_is_sent(
        app: App, people: People, office, owners, delivery: Delivery) -> None:
    for user in ("wq", "mjg", "hp"):  # an engineer, the engineering manager, the quality inspector
        await people.say(user, "/notice")
        assert people.last(user) == "您的岗位不能发布通知，请联系管家、客服或经理发布。"
        await people.say(user, "/notices")
        assert people.last(user) == "您的岗位不能发布通知，请联系管家、客服或经理发布。"
    await people.say("o1", "/notice")  # an owner
    assert people.last("o1") == "发布通知只对物业办公人员开放。"
    await people.say("stranger", "/notice")
    assert people.last("stranger") == "发布通知只对物业办公人员开放。"
    await people.say("o1", "/notices")
    assert people.last("o1") == "发布通知只对物业办公人员开放。"

    # A real notice, then its status button pressed by people who may not see it.
    await compose(people, "lj", ("全小区",), "电梯维保通知。")
    await people.press("lj", "发送")
    status = people.button("lj", "#1 送达情况")
    for user in ("wq", "o1", "stranger"):
        before = len(people.chats[user])
        await people.raw_press(user, status)
        assert people.answers[-1] in ("您的岗位不能发布通知，请联系管家、客服或经理发布。", "发布通知只对物业办公人员开放。")
        assert len(people.chats[user]) == before  # a toast only
    await people.raw_press("lj", status.replace("|1", "|99"))
    assert people.answers[-1] == "没有找到通知 #99。"

    # A notice-flow button forged by an engineer is stale for them.
    await compose(people, "lj", ("全小区",), "第二条通知。")
    await people.raw_press("wq", people.button("lj", "发送"))
    assert people.last("wq") == "这个按钮已过期，请使用最新的消息。"
    # A sender who leaves the office between the preview and "send" is refused.
    async with app.uow() as uow:
        await uow.session.execute(update(m.Staff).where(m.Staff.id == office["lj"]).values(active=False))
        await uow.commit()
    await people.press("lj", "发送")
    assert people.last("lj") == "您的员工账号已停用，不能发布通知。如有疑问请联系客服中心。"
    assert len(await notice_rows(app)) == 1 and len(await notice_outbox(app)) == 20


async def test_bad_input_at_every_step_is_answered_politely_and_changes_nothing(
        app: App, people: People, office, owners) -> None:
    await people.say("lj", "/notice")
    await people.say("lj", "2号楼")  # typed instead of pressed
    assert people.last("lj") == "请点击上面的按钮选择，或输入“取消”退出。"
    await people.raw_press("lj", pick(people, "lj", "2号楼", "b:9"))  # a building that does not exist
    assert people.last("lj") == "请点击上面的按钮选择，或输入“取消”退出。"
    await people.press("lj", "1号楼")
    await people.raw_press("lj", pick(people, "lj", "1单元", "u:7"))  # a unit that does not exist
    assert people.last("lj") == "请点击上面的按钮选择，或输入“取消”退出。"
    await people.raw_press("lj", pick(people, "lj", "1单元", "u:x"))
    assert people.last("lj") == "请点击上面的按钮选择，或输入“取消”退出。"
    await people.press("lj", "2单元")

    await people.say("lj", "   ")
    assert people.last("lj") == "内容是空的，请再输入一次。"
    await people.say("lj", "停" * 10_000)
    assert people.last("lj") == "内容太长了（10000 字），请精简到 1000 字以内。"
    await people.say("lj", "🎉🎉🎉")
    assert people.last("lj") == "请用文字描述一下，光有表情我们看不明白 🙏"
    await people.photo("lj", "photo-without-caption")
    assert people.last("lj") == "这一步需要您输入文字哦。"
    await people.say("lj", "停" * 1000)  # exactly the limit is fine
    assert people.last("lj").startswith("需要配一张图片吗")

    await people.say("lj", "随便说点什么")
    assert people.last("lj") == "请发送一张图片，或点按钮继续。"
    await people.press("lj", "不配图")
    await people.say("lj", "紧急")
    assert people.last("lj") == "请点击上面的按钮选择，或输入“取消”退出。"
    await people.press("lj", "普通通知")
    await people.say("lj", "好的")
    assert people.last("lj") == "请点击上面的按钮选择，或输入“取消”退出。"
    old_send = people.button("lj", "发送")

    await people.say("lj", "返回")
    assert "普通通知还是紧急通知" in people.last("lj")
    await people.raw_press("lj", old_send)  # the preview's button, after going back
    assert people.last("lj") == "这个按钮已过期，请使用最新的消息。"
    await people.say("lj", "取消")
    assert people.last("lj") == "已取消，有需要随时找我。"
    await people.raw_press("lj", old_send)
    assert people.last("lj") == "这个按钮已过期，请使用最新的消息。"
    await people.raw_press("lj", "1|p|notice|preview|1|send|x")  # malformed
    assert people.last("lj") == "这个按钮已过期，请使用最新的消息。"
    assert await notice_rows(app) == [] and await notice_outbox(app) == []

    # "Send" pressed twice: the second press is stale, one notice goes out.
    await compose(people, "lj", ("3号楼",), "3号楼消防检查。")
    send = people.button("lj", "发送")
    await people.raw_press("lj", send)
    await people.raw_press("lj", send)
    assert people.last("lj") == "这个按钮已过期，请使用最新的消息。"
    assert len(await notice_rows(app)) == 1 and len(await notice_outbox(app)) == 7


async def test_nobody_in_scope_means_nothing_to_send(app: App, people: People, office) -> None:
    """No owner has linked the bot yet: the sender is told, and there is no send button."""
    await compose(people, "lj", ("3号楼",), "3号楼停电通知。")
    assert people.last("lj") == "范围（3号楼）内还没有业主绑定机器人，没有可发送的对象。请返回重新选择，或取消。"
    assert "发送" not in " ".join(b.text for row in people.chats["lj"][-1].buttons for b in row)
    await people.say("lj", "发送")
    assert people.last("lj") == "范围（3号楼）内还没有业主绑定机器人，没有可发送的对象。请返回重新选择，或取消。"
    assert await notice_rows(app) == []


async def test_english_speaking_staff_compose_in_english(app: App, people: People, office, owners) -> None:
    await people.say("lzy", "/lang en")
    await people.say("lzy", "/notice")
    assert people.last("lzy") == "📢 New notice: which owners is it for?"
    await people.press("lzy", "Whole community")
    assert people.last("lzy").startswith("Scope: the whole community.\nPlease type the notice (up to 1000 characters)")
    await people.say("lzy", "Water off on 3 June, 9:00-12:00.")
    await people.press("lzy", "No picture")
    await people.press("lzy", "Ordinary")
    preview, summary = people.chats["lzy"][-2:]
    assert preview.text == "[Notice from 兰亭雅苑]\nWater off on 3 June, 9:00-12:00."
    assert summary.text.startswith("👆 This is what owners will receive.\nScope: the whole community (ordinary notice)\n"
                                   "It goes to 20 owners (20 chats).")
    await people.press("lzy", "Send to 20 owners")
    assert people.last("lzy").startswith("✅ Notice #1 is going out to 20 owners (20 chats)")


async def test_a_restart_in_the_middle_resumes_where_the_sender_was(
        app: App, people: People, office, owners, database_url: str, clock, tmp_path) -> None:
    await people.say("lj", "/notice")
    await people.press("lj", "3号楼")
    await people.say("lj", "3号楼二次供水水箱清洗，6月4日停水。")
    await app.close()

    again = await build_app(make_settings(database_url, MEDIA_DIR=str(tmp_path / "media")), clock)
    try:
        resumed = People(again)
        resumed.chats = people.chats  # the old messages are still on the sender's phone
        await resumed.press("lj", "不配图")
        await resumed.press("lj", "普通通知")
        assert resumed.chats["lj"][-2].text == "【物业通知】兰亭雅苑\n3号楼二次供水水箱清洗，6月4日停水。"
        await resumed.press("lj", "发送给 7 位业主")
        assert resumed.last("lj").startswith("✅ 通知 #1 已发送给 7 位业主")
        rows = await notice_outbox(again)
        assert {chat for chat, _, _ in rows} == owners_in("3-")
        assert {reply_from_dict(body).text for chat, _, body in rows if chat != "o20"} == {
            "【物业通知】兰亭雅苑\n3号楼二次供水水箱清洗，6月4日停水。"}
    finally:
        await again.close()


async def test_a_building_that_leaves_the_register_midway_is_chosen_again(app: App, people: People, office,
                                                                           owners) -> None:
    """A community file reloaded while a notice is being written: nothing is sent to a stale scope."""
    async def drop_building(code: str) -> None:
        async with app.uow() as uow:
            await uow.session.execute(delete(m.Building).where(m.Building.code == code))
            await uow.commit()

    await people.say("lj", "/notice")
    await people.press("lj", "1号楼")
    await drop_building("1")
    await people.press("lj", "1单元")
    scope_gone, again = people.texts("lj")[-2:]
    assert scope_gone == "所选楼栋或单元已不在业主登记中，请重新选择范围。" and again == "📢 发布通知：发给哪些业主？"
    assert [b.text for b in people.chats["lj"][-1].buttons[0]] == ["🏘 全小区", "2号楼", "3号楼"]

    await people.press("lj", "3号楼")
    await people.say("lj", "3号楼电梯停运。")
    await people.press("lj", "不配图")
    await drop_building("3")
    await people.press("lj", "普通通知")
    assert people.last("lj") == "所选楼栋或单元已不在业主登记中，请重新选择范围。"
    await people.say("lj", "发送")  # the flow has ended: this is just chat now
    assert await notice_rows(app) == [] and await notice_outbox(app) == []
