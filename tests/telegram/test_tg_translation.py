"""The translation pieces on their own: Reply -> API calls, Update -> Inbound, the update gate."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from bot.channel import RetryAfter, TransientError, Undeliverable
from bot.telegram.inbound import RecentUpdateIds, UpdateGate, inbound_from_update
from bot.telegram.menus import menu_calls
from bot.telegram.outgoing import (
    ApiFailure,
    BotApiSender,
    ContactKeyboard,
    InlineKeyboard,
    Markup,
    RemoveKeyboard,
    split_text,
    to_delivery_error,
    utf16_len,
)
from bot.telegram.token import InvalidBotToken, validate_token
from handlers.kit.messages import Button, Inbound, Outcome, Reply, rows

# ------------------------------------------------------------------ splitting text


def test_a_text_within_the_limit_is_one_part() -> None:
    assert split_text("短消息") == ["短消息"]


def test_a_long_text_is_cut_at_the_last_newline_that_fits() -> None:
    text = "a" * 3000 + "\n" + "b" * 3000
    assert split_text(text) == ["a" * 3000, "b" * 3000]


def test_without_newlines_it_is_cut_at_a_space_and_then_anywhere() -> None:
    assert split_text("word " * 1000) == ["word " * 818 + "word", "word " * 181]
    assert split_text("字" * 5000) == ["字" * 4096, "字" * 904]


def test_length_counts_utf16_units_like_telegram() -> None:
    parts = split_text("😀" * 3000)  # 6,000 UTF-16 units
    assert [utf16_len(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == "😀" * 3000


def test_no_blank_parts() -> None:
    assert split_text("x" * 4096 + "\n\n\n") == ["x" * 4096]


# ------------------------------------------------------------- replies to API calls


class RecordingSender(BotApiSender):
    """A BotApiSender whose API calls are recorded; `fail_on` makes the n-th call fail."""

    def __init__(self) -> None:
        super().__init__(limiter=None)
        self.calls: list[tuple[Any, ...]] = []
        self.fail_on: dict[int, Exception] = {}
        self._next_id = 100

    def _record(self, *call: Any) -> int:
        failure = self.fail_on.pop(len(self.calls), None)
        if failure is not None:
            raise failure
        self.calls.append(call)
        self._next_id += 1
        return self._next_id

    async def _send_text(self, chat_id: str, text: str, markup: Markup) -> int:
        return self._record("text", chat_id, text, markup)

    async def _send_photo(self, chat_id: str, photo: str, markup: Markup) -> int:
        return self._record("photo", chat_id, photo, markup)

    async def _send_media_group(self, chat_id: str, photos: Sequence[str]) -> list[int]:
        first = self._record("album", chat_id, tuple(photos))
        self._next_id += len(photos) - 1
        return list(range(first, first + len(photos)))

    async def _edit_text(self, chat_id: str, message_id: int, text: str, markup: InlineKeyboard | None) -> None:
        self._record("edit", chat_id, message_id, text, markup)

    async def _get_chat(self, chat_id: str) -> None:
        self._record("get_chat", chat_id)


OK = rows([Button("好", "ok")])


async def test_photos_go_first_then_the_text_carries_the_keyboard() -> None:
    sender = RecordingSender()
    photos = tuple(f"photo{i}" for i in range(11))

    message_id = await sender.send(Reply("telegram", "7", "现场照片", buttons=OK, photos=photos))

    assert sender.calls == [
        ("album", "7", photos[:10]),
        ("photo", "7", "photo10", None),
        ("text", "7", "现场照片", InlineKeyboard(OK)),
    ]
    assert message_id == "112"  # the text's, which later edits target


async def test_a_lone_photo_without_text_carries_the_keyboard_itself() -> None:
    sender = RecordingSender()
    await sender.send(Reply("telegram", "7", "", buttons=OK, photos=("p",)))
    assert sender.calls == [("photo", "7", "p", InlineKeyboard(OK))]


async def test_an_empty_reply_is_undeliverable() -> None:
    with pytest.raises(Undeliverable):
        await RecordingSender().send(Reply("telegram", "7", "  "))


async def test_the_phone_keyboard_is_shown_in_private_chats_and_removed_by_the_next_plain_reply() -> None:
    sender = RecordingSender()
    await sender.send(Reply("telegram", "7", "请分享手机号", contact_button="分享"))
    await sender.send(Reply("telegram", "7", "谢谢"))
    await sender.send(Reply("telegram", "7", "再见"))
    await sender.send(Reply("telegram", "-100", "群里不能要手机号", contact_button="分享"))
    await sender.send(Reply("telegram", "8", "两者都要", buttons=OK, contact_button="分享"))

    assert [call[3] for call in sender.calls] == [
        ContactKeyboard("分享"), RemoveKeyboard(), None, None, InlineKeyboard(OK)
    ]


async def test_a_retried_reply_resumes_after_the_calls_that_went_out() -> None:
    sender = RecordingSender()
    reply = Reply("telegram", "7", "说明", photos=("a", "b"))
    sender.fail_on[1] = ApiFailure(500, "Internal Server Error")

    with pytest.raises(TransientError):
        await sender.send(reply)
    await sender.send(reply)

    assert sender.calls == [("album", "7", ("a", "b")), ("text", "7", "说明", None)]


async def test_an_edit_that_changes_nothing_is_a_success() -> None:
    sender = RecordingSender()
    sender.fail_on[0] = ApiFailure(400, "Message is not modified: specified new message content ...")

    assert await sender.send(Reply("telegram", "7", "卡片", buttons=OK), edit_message_id="55") == "55"
    assert sender.calls == []


@pytest.mark.parametrize("refusal", ["Bad Request: message can't be edited", "Message to edit not found"])
async def test_a_message_that_cannot_be_edited_is_sent_anew(refusal: str) -> None:
    sender = RecordingSender()
    sender.fail_on[0] = ApiFailure(400, refusal)

    message_id = await sender.send(Reply("telegram", "7", "卡片", buttons=OK), edit_message_id="55")

    assert sender.calls == [("text", "7", "卡片", InlineKeyboard(OK))]
    assert message_id != "55"


async def test_replies_an_edit_cannot_express_are_sent_anew() -> None:
    sender = RecordingSender()
    await sender.send(Reply("telegram", "7", "带照片", photos=("p",)), edit_message_id="55")
    await sender.send(Reply("telegram", "7", "x" * 5000), edit_message_id="55")
    assert [c[0] for c in sender.calls] == ["photo", "text", "text", "text"]


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (ApiFailure(429, "Too Many Requests: retry after 3", retry_after=3), RetryAfter),
        (ApiFailure(403, "Forbidden: bot was blocked by the user"), Undeliverable),
        (ApiFailure(400, "Bad Request: chat not found"), Undeliverable),
        (ApiFailure(400, "Group migrated", migrate_to_chat_id=-1009), Undeliverable),
        (ApiFailure(500, "Internal Server Error"), TransientError),
        (ApiFailure(502, "Bad Gateway"), TransientError),
        (ApiFailure(401, "Unauthorized"), TransientError),
    ],
)
def test_what_the_outbox_worker_is_told(failure: ApiFailure, expected: type) -> None:
    error = to_delivery_error(failure)
    assert type(error) is expected
    if isinstance(error, RetryAfter):
        assert error.seconds == 3
    if failure.migrate_to_chat_id:
        assert "-1009" in str(error)


# ------------------------------------------------------------------ updates to Inbound

USER = {"id": 501, "is_bot": False, "first_name": "王", "last_name": "芳", "language_code": "zh-hans"}
PRIVATE = {"id": 501, "type": "private", "first_name": "王"}
GROUP = {"id": -1002003004005, "type": "supergroup", "title": "业主群"}


def message(chat: dict[str, Any] = PRIVATE, **content: Any) -> dict[str, Any]:
    return {"message_id": 9, "date": 1_780_000_000, "chat": chat, "from": USER, **content}


def as_library_update(library: str, raw: dict[str, Any]) -> Any:
    if library == "ptb":
        from telegram import Update

        return Update.de_json(raw, None)
    from aiogram.types import Update as AiogramUpdate

    return AiogramUpdate.model_validate(raw)


LIBRARIES = ["ptb", "aiogram"]


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_photo_becomes_its_largest_size_whatever_the_order(library: str) -> None:
    sizes = [
        {"file_id": "mid", "file_unique_id": "m", "width": 320, "height": 240, "file_size": 20_000},
        {"file_id": "big", "file_unique_id": "b", "width": 1280, "height": 960, "file_size": 90_000},
        {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 68, "file_size": 1_000},
    ]
    update = as_library_update(library, {"update_id": 77, "message": message(photo=sizes, caption="漏水")})

    assert inbound_from_update(update) == Inbound(
        channel="telegram", chat_id="501", user_id="501", is_group=False, text="漏水", photo="big",
        # The update id with the chat, message id and date: Telegram reuses bare ids.
        display_name="王 芳", language="zh-hans", update_id="77:501:9:1780000000",
    )


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_contact_from_someone_who_is_not_on_telegram_has_no_user_id(library: str) -> None:
    contact = {"phone_number": "+8613800138000", "first_name": "物业"}
    update = as_library_update(library, {"update_id": 1, "message": message(contact=contact)})

    inbound = inbound_from_update(update)
    assert inbound is not None
    assert (inbound.contact_phone, inbound.contact_user_id, inbound.text) == ("+8613800138000", None, None)


@pytest.mark.parametrize("library", LIBRARIES)
def test_group_commands_lose_our_name_and_other_bots_commands_are_ignored(library: str) -> None:
    ours = as_library_update(library, {"update_id": 1, "message": message(GROUP, text="/help@Wuye_Bot 电梯")})
    theirs = as_library_update(library, {"update_id": 2, "message": message(GROUP, text="/help@other_bot")})

    inbound = inbound_from_update(ours, "wuye_bot")
    assert inbound is not None and (inbound.text, inbound.is_group) == ("/help 电梯", True)
    assert inbound_from_update(theirs, "wuye_bot") is None


@pytest.mark.parametrize("library", LIBRARIES)
def test_stickers_and_joins_are_not_for_the_core(library: str) -> None:
    sticker = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1,
               "is_animated": False, "is_video": False}
    joined = as_library_update(library, {"update_id": 1, "message": message(GROUP, new_chat_members=[USER])})
    stuck = as_library_update(library, {"update_id": 2, "message": message(sticker=sticker)})

    assert inbound_from_update(joined) is None
    assert inbound_from_update(stuck) is None


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_button_press_carries_its_payload_and_the_chat_of_the_card(library: str) -> None:
    raw = {"update_id": 5, "callback_query": {
        "id": "q1", "from": USER, "chat_instance": "ci", "data": "case:7:take",
        "message": message(GROUP, text="工单 #7", **{"from": {"id": 1, "is_bot": True, "first_name": "bot"}}),
    }}

    inbound = inbound_from_update(as_library_update(library, raw))

    assert inbound == Inbound(
        channel="telegram", chat_id=str(GROUP["id"]), user_id="501", is_group=True, payload="case:7:take",
        display_name="王 芳", language="zh-hans", update_id="5:qq1",
    )


# ------------------------------------------------------------------------ the gate


class SlowCore:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []

    async def handle(self, inbound: Inbound) -> Outcome:
        said = inbound.text or inbound.payload
        self.started.append(f"{inbound.chat_id}:{said}")
        if said == "boom":
            raise RuntimeError("core bug")
        await asyncio.sleep(0.02 if inbound.chat_id == "1" else 0)
        self.finished.append(f"{inbound.chat_id}:{said}")
        return Outcome([], answer="收到")


def fake_update(update_id: int, chat: int, text: str | None = None, press: bool = False) -> SimpleNamespace:
    user = SimpleNamespace(id=chat, full_name="x", language_code=None)
    msg = SimpleNamespace(chat=SimpleNamespace(id=chat, type="private"), from_user=user, text=text,
                          caption=None, photo=None, contact=None)
    if not press:
        return SimpleNamespace(update_id=update_id, message=msg, callback_query=None)
    answers: list[str | None] = []

    async def answer(text: str | None = None) -> None:
        answers.append(text)

    query = SimpleNamespace(id=f"q{update_id}", data=text, from_user=user, message=msg, answer=answer, answers=answers)
    return SimpleNamespace(update_id=update_id, message=None, callback_query=query)


async def test_the_gate_keeps_each_chats_order_and_lets_other_chats_pass() -> None:
    core = SlowCore()
    gate = UpdateGate(core)  # type: ignore[arg-type]

    for n, (chat, text) in enumerate([(1, "a"), (1, "b"), (2, "c"), (1, "d"), (2, "e")]):
        gate.submit(fake_update(n, chat, text))
    await gate.drain()

    assert [s for s in core.finished if s.startswith("1:")] == ["1:a", "1:b", "1:d"]
    assert core.finished.index("2:e") < core.finished.index("1:b")  # chat 2 did not wait for chat 1


async def test_the_gate_drops_repeats_and_always_answers_presses() -> None:
    core = SlowCore()
    gate = UpdateGate(core, remember_updates=100)  # type: ignore[arg-type]
    good, bad = fake_update(1, 3, "ok", press=True), fake_update(2, 3, "boom", press=True)

    gate.submit(good)
    gate.submit(good)
    gate.submit(bad)
    await gate.drain()

    assert core.started == ["3:ok", "3:boom"]
    assert good.callback_query.answers == ["收到"]
    assert bad.callback_query.answers == [None]  # the core failed; the spinner still stops


def test_recent_update_ids_forget_the_oldest() -> None:
    recent = RecentUpdateIds(size=3)
    assert [recent.first_time(i) for i in (1, 2, 3, 1, 4, 1)] == [True, True, True, False, True, True]


# ------------------------------------------------------------------ menus and tokens


def test_the_default_menu_is_the_default_languages_and_codes_are_two_letters() -> None:
    menus = {"zh-CN": [("/Start", "开始")], "en-US": [("start", "Start")]}
    assert menu_calls(menus, "zh-CN") == [
        (None, [("start", "开始")]), ("zh", [("start", "开始")]), ("en", [("start", "Start")])
    ]


def test_a_well_formed_token_is_returned_stripped() -> None:
    token = "7654321098:AAFq3x9Lk2mZr8Tn4Yv6Bw1Cd5Eh7Gj0Kp2"
    assert validate_token(f"  {token}\n") == token
    with pytest.raises(InvalidBotToken, match="TELEGRAM_BOT_TOKEN is not set"):
        validate_token(None)
