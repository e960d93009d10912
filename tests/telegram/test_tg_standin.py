"""The stand-in itself answers like the Bot API documentation says, whatever the body encoding."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from tests.telegram.botapi_standin import BotApiStandIn


@pytest.fixture
async def api() -> Any:
    # These tests call back to back on purpose; flood limits are tested elsewhere.
    async with BotApiStandIn(enforce_limits=False) as server:
        yield server


async def call(api: BotApiStandIn, method: str, *, token: str | None = None, **kw: Any) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{api.root}/bot{token or api.token}/{method}", **kw) as response:
            return response.status, await response.json()


async def test_parameters_arrive_as_json_query_string_form_or_multipart(api: BotApiStandIn) -> None:
    user = api.user()
    markup = {"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]}
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user.id))
    form.add_field("text", "multipart")
    form.add_field("reply_markup", json.dumps(markup))
    form.add_field("photo", b"\xff\xd8 a tiny upload", filename="x.jpg")  # a file makes it multipart

    await call(api, "sendMessage", json={"chat_id": user.id, "text": "json", "reply_markup": markup})
    await call(api, "SENDMESSAGE", params={"chat_id": str(user.id), "text": "query"})
    await call(api, "sendMessage", data={"chat_id": str(user.id), "text": "form", "reply_markup": json.dumps(markup)})
    status, body = await call(api, "sendMessage", data=form)

    assert status == 200 and body["ok"] is True
    assert api.texts(user.id) == ["json", "query", "form", "multipart"]
    assert [m.buttons for m in api.transcript(user.id)] == [[[("好", "ok")]], [], [[("好", "ok")]], [[("好", "ok")]]]


async def test_errors_look_like_telegrams(api: BotApiStandIn) -> None:
    user = api.user()
    api.fail_next(1, 429, retry_after=3)

    assert await call(api, "getMe", token="1:wrong") == (
        401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
    )
    assert (await call(api, "noSuchMethod"))[0] == 404
    assert await call(api, "sendMessage", json={"chat_id": user.id, "text": "x"}) == (
        429,
        {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 3",
         "parameters": {"retry_after": 3}},
    )
    assert await call(api, "sendMessage", json={"chat_id": 999, "text": "x"}) == (
        400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    )
    status, body = await call(api, "sendMessage", json={"chat_id": user.id, "text": "x" * 4097})
    assert (status, body["description"]) == (400, "Bad Request: message is too long")


async def test_long_polling_waits_for_updates_and_offset_confirms_them(api: BotApiStandIn) -> None:
    user = api.user()
    first = api.say(user, "一")

    status, body = await call(api, "getUpdates", json={"timeout": 0})
    assert [u["update_id"] for u in body["result"]] == [first["update_id"]]

    waiting = asyncio.create_task(call(api, "getUpdates", json={"offset": first["update_id"] + 1, "timeout": 5}))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # nothing new: the long poll holds
    second = api.say(user, "二")
    status, body = await asyncio.wait_for(waiting, 2)
    assert [u["message"]["text"] for u in body["result"]] == ["二"]

    status, body = await call(api, "getUpdates", json={"offset": second["update_id"] + 1, "timeout": 0})
    assert body["result"] == []


async def test_no_polling_while_a_webhook_is_set(api: BotApiStandIn) -> None:
    await call(api, "setWebhook", json={"url": "http://127.0.0.1:9/hook"})
    status, body = await call(api, "getUpdates", json={})
    assert status == 409 and "webhook is active" in body["description"]
    await call(api, "deleteWebhook", json={})
    assert (await call(api, "getUpdates", json={}))[0] == 200


@pytest.mark.parametrize("library", ["ptb", "aiogram"])
async def test_both_libraries_can_upload_files_and_download_them_again(api: BotApiStandIn, library: str) -> None:
    user = api.user()
    picture = b"\xff\xd8\xff\xe0 pretend jpeg"
    if library == "ptb":
        from telegram import Bot, InputMediaPhoto

        async with Bot(api.token, base_url=f"{api.root}/bot", base_file_url=f"{api.root}/file/bot") as bot:
            sent = await bot.send_photo(user.id, photo=picture)
            album = await bot.send_media_group(user.id, [InputMediaPhoto(picture), InputMediaPhoto(picture)])
            file_id = sent.photo[-1].file_id
            downloaded = bytes(await (await bot.get_file(file_id)).download_as_bytearray())
    else:
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer
        from aiogram.types import BufferedInputFile, InputMediaPhoto

        bot = Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.root)))
        try:
            upload = BufferedInputFile(picture, "p.jpg")
            sent = await bot.send_photo(user.id, photo=upload)
            album = await bot.send_media_group(
                user.id, [InputMediaPhoto(media=upload), InputMediaPhoto(media=upload)]
            )
            file_id = sent.photo[-1].file_id
            downloaded = (await bot.download(file_id)).read()  # type: ignore[union-attr]
        finally:
            await bot.session.close()

    assert downloaded == picture
    assert len(album) == 2 and len(api.transcript(user.id)) == 3
    assert {c.content_type for c in api.calls if c.method in ("sendphoto", "sendmediagroup")} == {"multipart/form-data"}
