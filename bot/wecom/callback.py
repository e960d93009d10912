"""The WeCom app's callback URL: what members do in the app reaches the desk.

The shared endpoint (`bot.wxbase.callback`) refuses stale timestamps, checks the
signature, records the message in the inbox before answering, de-duplicates and hands it
to the desk; WeCom's part is here:

* `WecomOpener`: wechatpy's enterprise crypto — `msg_signature` over token, timestamp,
  nonce and ciphertext, AES with the EncodingAESKey, and the corp id inside the plaintext
  (another corp's message does not decrypt as ours);
* `Translator`: a message as an `Inbound` —
  - text → text (the done flow's note and fee, /my, /case N …);
  - a photo → a photo, fetched at once (WeCom's media ids lapse) into the media directory;
  - a template card tap → the button's key as payload, re-authorised by the desk like a
    Telegram press; the tap's response code is kept first, so the card can be updated;
  - a message for another app of the corp → refused; entering the app and other events →
    nothing; voice, files, locations → a polite word that only text and photos are read.
  Its `update_id` (at most 64 characters, the desk's column; the inbox's key too) makes a
  retry or a replay that reaches another process a duplicate there too;
* `Toasts`: the desk answers a press with a toast ("someone was quicker", "not your
  team"); WeCom has none, so when the press gave the member nothing else to read it
  reaches them as a message through the outbox.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wechatpy.enterprise.crypto import WeChatCrypto

from bot import media
from bot.channel import Core, DeliveryError
from bot.wecom import CHANNEL
from bot.wecom.api import WecomApi
from bot.wxbase.api import ApiError
from bot.wxbase.callback import Apologise, CallbackEndpoint, Refused
from handlers.kit.i18n import t
from handlers.kit.messages import Inbound, Outcome, Reply, reply_to_dict
from storage.outbox import Outbox
from storage.wecom_cards import CardCodes

log = logging.getLogger("wuye.wecom")

STAFF_LOCALE = "zh-CN"


class WecomOpener:
    def __init__(self, crypto: WeChatCrypto) -> None:
        self.crypto = crypto

    def verify(self, query: Mapping[str, str]) -> str:
        try:
            echo = self.crypto.check_signature(query.get("msg_signature", ""), query.get("timestamp", ""),
                                               query.get("nonce", ""), query.get("echostr", ""))
        except Exception as exc:  # bad signature, ciphertext or corp id: wechatpy raises several kinds
            raise Refused(f"URL check failed ({exc.__class__.__name__})") from None
        return echo.decode() if isinstance(echo, bytes) else str(echo)

    def open(self, query: Mapping[str, str], body: bytes) -> str:
        try:
            plain = self.crypto.decrypt_message(body.decode("utf-8", "replace"), query.get("msg_signature", ""),
                                                query.get("timestamp", ""), query.get("nonce", ""))
        except Exception as exc:
            raise Refused(f"signature or ciphertext refused ({exc.__class__.__name__})") from None
        return plain.decode() if isinstance(plain, bytes) else str(plain)


class Outbound:
    """Writes a reply the channel itself owes a member (a toast, a polite refusal)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], now: Callable[[], datetime],
                 notify: Callable[[], None] | None = None) -> None:
        self.sessions, self._now, self.notify = sessions, now, notify

    async def say(self, reply: Reply) -> None:
        async with self.sessions.begin() as session:
            await Outbox(session).add(reply.channel, reply.chat_id, reply_to_dict(reply), None, self._now())
        if self.notify:
            self.notify()


def update_id(fields: Mapping[str, str]) -> str:
    if fields.get("MsgId"):
        return f"m{fields['MsgId']}"[:64]
    parts = [fields.get(k, "") for k in ("FromUserName", "CreateTime", "Event", "EventKey", "TaskId")]
    return "e" + hashlib.sha1("|".join(parts).encode()).hexdigest()


class Translator:
    def __init__(self, agent_id: int, codes: CardCodes, outbound: Outbound, *, now: Callable[[], datetime],
                 api: WecomApi | None = None, media_dir: Path | None = None) -> None:
        self.agent_id, self.codes, self.outbound, self._now = agent_id, codes, outbound, now
        self.api, self.media_dir = api, media_dir
        self.refused = 0

    async def __call__(self, fields: dict[str, str]) -> Inbound | None:
        userid = fields.get("FromUserName", "")
        if fields.get("AgentID", str(self.agent_id)) != str(self.agent_id):
            self.refused += 1
            log.warning("WeCom message for app %s, not ours; dropped", fields.get("AgentID", "")[:20])
            return None
        kind = fields.get("MsgType", "").lower()
        base = dict(channel=CHANNEL, chat_id=userid, user_id=userid, update_id=update_id(fields))
        if kind == "text":
            return Inbound(**base, text=fields.get("Content", ""))  # type: ignore[arg-type]
        if kind == "image" and fields.get("MediaId"):
            try:
                photo = await self._keep_photo(fields["MediaId"], base["update_id"])
            except (ApiError, DeliveryError) as exc:
                # WeCom would not hand the photo over: say so rather than lose it silently.
                log.warning("a WeCom photo could not be fetched: %s", exc)
                await self.outbound.say(Reply(CHANNEL, userid, t(STAFF_LOCALE, "wecom.photo_failed")))
                return None
            return Inbound(**base, photo=photo)  # type: ignore[arg-type]
        if kind == "event" and fields.get("Event", "").lower() == "template_card_event":
            if fields.get("TaskId") and fields.get("ResponseCode"):
                await self.codes.add(fields["TaskId"], userid, fields["ResponseCode"], self._now())
            return Inbound(**base, payload=fields.get("EventKey", ""))  # type: ignore[arg-type]
        if kind in ("voice", "video", "file", "location", "link"):
            await self.outbound.say(Reply(CHANNEL, userid, t(STAFF_LOCALE, "wecom.unsupported")))
        return None

    async def _keep_photo(self, media_id: str, key: str) -> str:
        if self.api is None or self.media_dir is None:
            return f"wecom:{media_id}"
        return media.save(self.media_dir, f"wecom-{key[1:17]}", await self.api.download(media_id), ".jpg")


class Toasts:
    """The desk, with the toast of a press delivered as a message (WeCom shows no toasts)."""

    def __init__(self, core: Core, outbound: Outbound) -> None:
        self.core, self.outbound = core, outbound

    async def handle(self, inbound: Inbound) -> Outcome:
        outcome = await self.core.handle(inbound)
        # A toast is fleeting on Telegram; here it would stay in the chat.  So it is said only
        # when the press left the member nothing else to read (a refusal: "someone was quicker").
        if outcome.answer and inbound.payload is not None and not any(
                r.channel == CHANNEL and r.chat_id == inbound.chat_id for r in outcome.replies):
            await self.outbound.say(Reply(CHANNEL, inbound.chat_id, outcome.answer))
        return outcome


@web.middleware
async def _empty_answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    """WeCom takes an empty 200 as "received, no passive reply" (WeChat's "success" is not
    in WeCom's documentation), so the shared endpoint's "success" goes out empty."""
    response = await handler(request)
    if request.method == "POST" and isinstance(response, web.Response) and response.status == 200 \
            and response.text == "success":
        return web.Response(status=200, text="")
    return response


class WecomEndpoint(CallbackEndpoint):
    """The shared endpoint, answering as WeCom expects (`_empty_answer`)."""

    def application(self) -> web.Application:
        app = super().application()
        app.middlewares.append(_empty_answer)
        return app


def callback_endpoint(core: Core, crypto: WeChatCrypto, *, agent_id: int, codes: CardCodes,
                      sessions: async_sessionmaker[AsyncSession], now: Callable[[], datetime], path: str,
                      notify: Callable[[], None] | None = None, api: WecomApi | None = None,
                      media_dir: Path | None = None, max_skew: float = 300.0,
                      apologise: Apologise | None = None) -> CallbackEndpoint:
    outbound = Outbound(sessions, now, notify)
    translate = Translator(agent_id, codes, outbound, now=now, api=api, media_dir=media_dir)
    return WecomEndpoint("wecom", WecomOpener(crypto), translate, Toasts(core, outbound), sessions=sessions,
                         account=str(crypto.corp_id), key=update_id, now=now,
                         path=path, max_skew=max_skew, apologise=apologise)
