"""What a person sees in Telegram, for both libraries, by long polling and by webhook.

Every test runs four times (ptb / aiogram x polling / webhook) against the
stand-in Bot API over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

from tests.telegram.botapi_standin import BOT_USERNAME
from tests.telegram.conftest import LONG_FIRST, LONG_SECOND, MENUS, Bench


async def test_text_reaches_the_core_as_an_inbound_and_the_reply_lands_in_the_chat(bench: Bench) -> None:
    api = bench.api
    user = api.user("李", "雷", language_code="en")

    update = api.say(user, "楼道灯坏了")

    await api.until(lambda: api.texts(user.id), what="the echo")
    assert api.texts(user.id) == ["回声(私聊): 楼道灯坏了"]
    [inbound] = bench.core.inbounds
    assert inbound.channel == "telegram"
    assert inbound.chat_id == inbound.user_id == str(user.id)
    assert inbound.is_group is False
    assert inbound.text == "楼道灯坏了"
    assert inbound.display_name == "李 雷"
    assert inbound.language == "en"
    # The update id with the chat, message id and date (Telegram restarts its numbering).
    message = update["message"]
    assert inbound.update_id == f"{update['update_id']}:{user.id}:{message['message_id']}:{message['date']}"


async def test_commands_pass_through_and_the_menus_are_published(bench: Bench) -> None:
    api = bench.api
    user = api.user()

    api.say(user, "/start")

    await api.until(lambda: api.texts(user.id), what="the reply to /start")
    assert bench.core.inbounds[0].text == "/start"
    assert api.texts(user.id) == ["回声(私聊): /start"]
    as_published = {key: [(c["command"], c["description"]) for c in cmds] for key, cmds in api.commands.items()}
    assert as_published == {
        ("default", ""): MENUS["zh-CN"],  # what everybody sees unless their language has a menu
        ("default", "zh"): MENUS["zh-CN"],
        ("default", "en"): MENUS["en"],
    }


async def test_button_press_is_answered_and_the_card_is_edited_in_place(bench: Bench) -> None:
    api = bench.api
    user = api.user()
    api.say(user, "/card")
    [card] = await api.until(lambda: api.transcript(user.id), what="the card")
    assert card.buttons == [[("水", "pick:water"), ("电", "pick:power")]]

    query = api.press(user, card, "pick:water")

    await api.until(lambda: query in api.answers, what="the answer to the press")
    assert api.answers[query]["text"] == "已选择 water"
    press = bench.core.inbounds[-1]
    assert (press.payload, press.text, press.chat_id, press.user_id) == (
        "pick:water", None, str(user.id), str(user.id)
    )
    await api.until(lambda: api.transcript(user.id)[0].edits, what="the card edit")
    [card] = api.transcript(user.id)  # still one message: edited, not re-sent
    assert card.text == "工单 #7: 已选择 water"
    assert card.buttons == [[("完成", "done")]]

    query = api.press(user, card, "done")

    await api.until(lambda: len(api.transcript(user.id)[0].edits) == 2, what="the second edit")
    [card] = api.transcript(user.id)
    assert card.text == "工单 #7: 已完成"
    assert card.buttons == []  # the finished card has no buttons left
    assert api.answers[query]["text"] == "完成"


async def test_photo_reaches_the_core_as_the_largest_size_and_can_be_downloaded(bench: Bench) -> None:
    api = bench.api
    user = api.user()

    sizes = api.send_photo(user, caption="天花板漏水")

    await api.until(lambda: api.texts(user.id), what="the reply to the photo")
    largest = sizes[-1]
    [inbound] = bench.core.inbounds
    assert inbound.photo == largest.file_id
    assert inbound.text == "天花板漏水"
    assert api.texts(user.id) == [f"收到照片 {largest.file_id} 说明 天花板漏水"]
    assert await bench.channel.download_file(inbound.photo) == largest.data


async def test_shared_contact_is_passed_through_and_the_phone_keyboard_comes_and_goes(bench: Bench) -> None:
    api = bench.api
    user = api.user()
    api.say(user, "/phone")
    [ask] = await api.until(lambda: api.transcript(user.id), what="the request for a phone number")
    assert ask.contact_request == "分享我的手机号"

    api.share_contact(user, "+8613800138000")
    await api.until(lambda: len(api.transcript(user.id)) == 2, what="the reply to the contact")
    api.share_contact(user, "+8613900139000", contact_user_id=4242, first_name="邻居")
    await api.until(lambda: len(api.transcript(user.id)) == 3, what="the reply to the second contact")

    own, foreign = bench.core.inbounds[1:]
    assert (own.contact_phone, own.contact_user_id, own.user_id) == ("+8613800138000", str(user.id), str(user.id))
    # Someone else's card: passed through as such; deciding is the core's business.
    assert (foreign.contact_phone, foreign.contact_user_id) == ("+8613900139000", "4242")
    first_reply, second_reply = api.transcript(user.id)[1:]
    assert first_reply.removes_keyboard  # the phone keyboard does not linger
    assert second_reply.reply_markup is None


async def test_group_messages_are_marked_as_group_and_answered_in_the_group(bench: Bench) -> None:
    api = bench.api
    group = api.group("幸福里3号楼")
    alice, bob = api.user("Alice", None), api.user("Bob", None)

    api.say(alice, "电梯停了", chat=group)
    api.say(bob, f"/help@{BOT_USERNAME}", chat=group)
    api.say(bob, "/help@some_other_bot", chat=group)  # not for us
    api.say(alice, "谢谢", chat=group)

    await api.until(lambda: len(api.texts(group)) == 3, what="three replies in the group")
    assert api.texts(group) == ["回声(群): 电梯停了", "回声(群): /help", "回声(群): 谢谢"]
    assert [(i.chat_id, i.user_id, i.is_group) for i in bench.core.inbounds] == [
        (str(group), str(alice.id), True),
        (str(group), str(bob.id), True),
        (str(group), str(alice.id), True),
    ]
    assert api.texts(alice.id) == api.texts(bob.id) == []


async def test_reply_with_photos_and_keyboard_shows_the_album_then_the_text_with_buttons(bench: Bench) -> None:
    api = bench.api
    user = api.user()
    photos = [api.send_photo(user)[-1].file_id for _ in range(3)]
    await api.until(lambda: len(api.transcript(user.id)) == 3, what="the replies to the photos")
    bench.core.album = tuple(photos)

    api.say(user, "/album")

    await api.until(lambda: len(api.transcript(user.id)) == 7, what="album and text")
    *album, text = api.transcript(user.id)[3:]
    assert [m.photo for m in album] == photos
    assert len({m.media_group_id for m in album}) == 1 and album[0].media_group_id
    assert text.text == "现场照片"
    assert text.buttons == [[("确认", "ok")]]


async def test_a_5000_character_reply_arrives_as_two_messages_cut_at_the_newline(bench: Bench) -> None:
    api = bench.api
    user = api.user()

    api.say(user, "/long")

    await api.until(lambda: len(api.texts(user.id)) == 2, what="two parts")
    assert api.texts(user.id) == [LONG_FIRST, LONG_SECOND]
