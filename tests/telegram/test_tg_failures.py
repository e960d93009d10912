"""When Telegram says no: blocked users, deleted groups, bad tokens, old messages, redeliveries."""

from __future__ import annotations

import aiohttp
import pytest

from bot.delivery import MemoryOutbox
from bot.telegram import InvalidBotToken, build_telegram_channel
from handlers.kit.messages import Button, Reply, rows
from tests.telegram.botapi_standin import BotApiStandIn
from tests.telegram.conftest import FRAMEWORKS, WEBHOOK_SECRET, EchoCore, running_bot


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_blocked_user_and_deleted_group_are_marked_failed_and_others_are_still_served(
    api: BotApiStandIn, framework: str
) -> None:
    blocker, neighbour = api.user("拉黑", None), api.user("邻居", None)
    deleted_group, kicked_group = api.group("已解散的群"), api.group("踢出了机器人的群")
    async with running_bot(api, framework) as bench:
        api.block(blocker)
        api.delete_group(deleted_group)
        api.kick(kicked_group)
        for chat in (blocker.id, deleted_group, kicked_group):
            bench.outbox.put(Reply("telegram", str(chat), "物业通知：明天停水"))
            bench.outbox.put(Reply("telegram", str(chat), "物业通知：后天恢复"))
        bench.deliverer.notify()
        api.say(neighbour, "在吗")

        await api.until(lambda: len(bench.outbox.failed()) == 6, what="six failed notices")
        api.say(neighbour, "还在吗")
        await api.until(lambda: len(api.texts(neighbour.id)) == 2, what="both replies to the neighbour")

    reasons: dict[str, set[str]] = {}
    for row in bench.outbox.failed():
        reasons.setdefault(row.reply.chat_id, set()).add((row.failure or "").lower())
    # (python-telegram-bot rewords "Bad Request: chat not found" as "Chat not found")
    assert {chat: len(r) for chat, r in reasons.items()} == {
        str(blocker.id): 1, str(deleted_group): 1, str(kicked_group): 1
    }
    [blocked_reason], [deleted_reason], [kicked_reason] = (
        reasons[str(blocker.id)], reasons[str(deleted_group)], reasons[str(kicked_group)]
    )
    assert blocked_reason.startswith("403") and "blocked by the user" in blocked_reason
    assert deleted_reason.startswith("400") and "chat not found" in deleted_reason
    assert kicked_reason.startswith("403") and "kicked" in kicked_reason
    assert api.texts(neighbour.id) == ["回声(私聊): 在吗", "回声(私聊): 还在吗"]
    assert api.texts(blocker.id) == api.texts(deleted_group) == api.texts(kicked_group) == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_webhook_update_delivered_twice_reaches_the_core_once(api: BotApiStandIn, framework: str) -> None:
    user = api.user()
    async with running_bot(api, framework, "webhook") as bench:
        update = api.say(user, "报修：厨房水管漏水")
        await api.until(lambda: api.texts(user.id), what="the first reply")

        api.redeliver(update["update_id"])
        api.say(user, "谢谢")  # posted after the redelivery, so handled after it
        await api.until(lambda: len(api.texts(user.id)) == 2, what="the reply to the next message")

    redeliveries = [p for p in api.webhook_posts if p[0] == update["update_id"]]
    assert redeliveries == [(update["update_id"], 200)] * 2
    assert [i.text for i in bench.core.inbounds] == ["报修：厨房水管漏水", "谢谢"]
    assert api.texts(user.id) == ["回声(私聊): 报修：厨房水管漏水", "回声(私聊): 谢谢"]


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_webhook_refuses_updates_without_the_secret(api: BotApiStandIn, framework: str) -> None:
    user = api.user()
    forged = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "伪造",
                                         "chat": {"id": user.id, "type": "private", "first_name": "x"},
                                         "from": {"id": user.id, "is_bot": False, "first_name": "x"}}}
    async with running_bot(api, framework, "webhook") as bench:
        assert api.webhook_secret == WEBHOOK_SECRET
        async with aiohttp.ClientSession() as http:
            for secret in ("wrong", None):
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                async with http.post(api.webhook_url or "", json=forged, headers=headers) as response:
                    assert response.status in (401, 403)
        api.say(user, "真的")
        await api.until(lambda: api.texts(user.id), what="the genuine reply")

    assert [i.text for i in bench.core.inbounds] == ["真的"]


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "token",
    [None, "", "   ", "not-a-token", "123456:too-short", "bot123:AAFq3x9Lk2mZr8Tn4Yv6Bw1Cd5Eh7Gj0Kp2"],
)
def test_a_missing_or_malformed_token_fails_at_once_with_one_line(framework: str, token: str | None) -> None:
    with pytest.raises(InvalidBotToken) as raised:
        build_telegram_channel(framework, token, "http://127.0.0.1:9", EchoCore(MemoryOutbox()))  # type: ignore[arg-type]

    message = str(raised.value)
    assert "TELEGRAM_BOT_TOKEN" in message and "\n" not in message
    if token and token.strip():
        assert token.split(":")[-1] not in message  # a token is a password: never echoed


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_token_telegram_rejects_fails_at_start_with_one_line(api: BotApiStandIn, framework: str) -> None:
    revoked = "1111111111:AAHrevokedrevokedrevokedrevokedrevo"
    channel = build_telegram_channel(framework, revoked, api.root, EchoCore(MemoryOutbox()))  # type: ignore[arg-type]
    try:
        with pytest.raises(InvalidBotToken) as raised:
            await channel.start_polling()
    finally:
        await channel.stop()

    assert str(raised.value) == "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): revoked or mistyped"


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_card_too_old_to_edit_is_sent_anew_and_later_edits_follow_the_new_one(
    api: BotApiStandIn, framework: str
) -> None:
    user = api.user()
    async with running_bot(api, framework) as bench:
        api.say(user, "/card")
        [old] = await api.until(lambda: api.transcript(user.id), what="the card")
        api.make_uneditable(old)

        api.press(user, old, "pick:power")
        await api.until(lambda: len(api.transcript(user.id)) == 2, what="a new card")
        new = api.transcript(user.id)[1]
        api.press(user, new, "done")
        await api.until(lambda: api.transcript(user.id)[1].edits, what="the new card's edit")

    old, new = api.transcript(user.id)
    assert (old.text, old.edits) == ("工单 #7: 请选择类别", [])
    assert new.text == "工单 #7: 已完成"
    assert new.edits == ["工单 #7: 已选择 power"]


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_card_replaced_by_identical_content_stays_one_message(api: BotApiStandIn, framework: str) -> None:
    user = api.user()
    async with running_bot(api, framework) as bench:
        api.say(user, "/card")
        await api.until(lambda: api.transcript(user.id), what="the card")
        api.say(user, "/card")  # same text, same buttons: Telegram says "not modified"
        await api.until(lambda: len(bench.outbox.sent()) == 2, what="the second card settled")

    [card] = api.transcript(user.id)
    assert card.edits == []
    assert bench.outbox.failed() == []
    assert {row.message_id for row in bench.outbox.sent()} == {str(card.message_id)}
    assert "editmessagetext" in [c.method for c in api.calls]


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_bad_and_oversized_replies_do_not_stop_the_chat(api: BotApiStandIn, framework: str) -> None:
    user = api.user()
    async with running_bot(api, framework) as bench:
        too_long_payload = rows([Button("坏按钮", "p" * 65)])  # Telegram allows 64 bytes
        bench.outbox.put(Reply("telegram", str(user.id), "按钮数据太长", buttons=too_long_payload))
        bench.outbox.put(Reply("telegram", str(user.id), "第一段\n" * 2500))  # 10,000 characters
        bench.outbox.put(Reply("telegram", str(user.id), "最后一条"))
        bench.deliverer.notify()
        api.say(user, "/chatty")
        await api.until(lambda: api.transcript(user.id)[-1:] and api.transcript(user.id)[-1].buttons,
                        what="the chatty button")
        query = api.press(user, api.transcript(user.id)[-1], "chatty")
        await api.until(lambda: query in api.answers, what="the answer")

    [failed] = bench.outbox.failed()
    assert failed.reply.text == "按钮数据太长" and "button_data_invalid" in (failed.failure or "").lower()
    texts = api.texts(user.id)
    assert len(texts) == 5  # three parts, the last notice, the chatty prompt
    assert "\n".join(texts[:3]) == "第一段\n" * 2500  # cut at newlines, nothing lost
    assert texts[3:] == ["最后一条", "按一下"]
    assert api.answers[query]["text"] == ("很长的提示" * 60)[:199] + "…"
