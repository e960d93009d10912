"""The WeCom app's callback URL: what members do in the app reaches the desk.

WeCom signs and encrypts every callback (`msg_signature` over token, timestamp, nonce and
the ciphertext; AES with the EncodingAESKey; the corp id inside) — wechatpy's enterprise
crypto checks all three.  A request that fails any check, comes with a timestamp more
than `max_age` from now (a replay), or was seen before (WeCom retries when it waits) is
answered and dropped: nothing reaches the desk.  The answer is immediate and empty; the
desk's replies go through the outbox.  The desk itself refuses an update id it has
handled before, in every process (`Conversations.first_time`).

What becomes an `Inbound`:
* a text message → text (the done flow's note, /my, /case N, the fee…);
* a photo → a photo, fetched from WeCom at once (its media id lapses) into the media
  directory, so other channels can show it;
* a template card tap → the button's key as payload, re-authorised by the desk like a
  Telegram press; the tap's response code is kept first, so the card can be updated;
* anything else (entering the app, voice, files) → ignored, or a polite word.

The toast a press earns (`Outcome.answer`: "someone was quicker", "not your team") has
no place on WeCom, so it goes to the member as a message through the outbox.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import xmltodict
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

from bot import media
from bot.channel import Core
from bot.wecom import CHANNEL
from bot.wecom.api import WecomApi
from handlers.i18n import t
from handlers.messages import Inbound, Outcome, Reply, reply_to_dict
from storage.outbox import Outbox
from storage.wecom_cards import CardCodes

log = logging.getLogger("wuye.wecom")

MAX_BODY = 64 * 1024
MAX_AGE = 300.0  # seconds a callback's timestamp may be off from now
REMEMBER = 10_000


class CallbackServer:
    def __init__(self, core: Core, crypto: WeChatCrypto, *, agent_id: int, codes: CardCodes,
                 sessions: async_sessionmaker[AsyncSession], now: Callable[[], datetime],
                 api: WecomApi | None = None, media_dir: Path | None = None, path: str = "/wecom",
                 on_outbox: Callable[[], None] | None = None, wall: Callable[[], float] = time.time,
                 max_age: float = MAX_AGE) -> None:
        self.core, self.crypto, self.agent_id, self.codes = core, crypto, agent_id, codes
        self.sessions, self._now, self.api, self.media_dir = sessions, now, api, media_dir
        self.path = path
        self.on_outbox = on_outbox
        self._wall, self.max_age = wall, max_age
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self.refused = 0  # forged, stale or replayed requests (for tests and `wuye status`)

    # ------------------------------------------------------------------ the server
    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get(self.path, self._verify)
        app.router.add_post(self.path, self._receive)
        return app

    async def start(self, listen: str, port: int) -> None:
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, listen, port).start()

    async def stop(self) -> None:
        """Stop taking callbacks and finish those taken in."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.finish()

    async def finish(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _fresh(self, request: web.Request) -> bool:
        try:
            stamp = float(request.query.get("timestamp", ""))
        except ValueError:
            return False
        return abs(self._wall() - stamp) <= self.max_age

    def _refuse(self, why: str) -> web.Response:
        self.refused += 1
        log.warning("WeCom callback refused: %s", why)
        return web.Response(status=403, text="")

    async def _verify(self, request: web.Request) -> web.Response:
        """The URL check WeCom makes when the app's callback is saved: echo the decrypted echostr."""
        q = request.query
        if not self._fresh(request):
            return self._refuse("verification with a stale timestamp")
        try:
            echo = self.crypto.check_signature(q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""),
                                               q.get("echostr", ""))
        except Exception:  # a bad signature, ciphertext or corp id
            return self._refuse("verification failed")
        return web.Response(text=echo if isinstance(echo, str) else echo.decode())

    async def _receive(self, request: web.Request) -> web.Response:
        q = request.query
        if not self._fresh(request):
            return self._refuse("stale or missing timestamp")
        try:
            body = await request.text()
            plain = self.crypto.decrypt_message(body, q.get("msg_signature", ""), q.get("timestamp", ""),
                                                q.get("nonce", ""))
            message = xmltodict.parse(plain)["xml"]
        except InvalidSignatureException:
            return self._refuse("bad signature")
        except Exception as exc:  # bad XML, bad ciphertext, another corp's message
            return self._refuse(f"cannot be decrypted ({exc.__class__.__name__})")
        if str(message.get("AgentID", self.agent_id)) != str(self.agent_id):
            return self._refuse("for another app")
        key = _dedupe_key(message)
        if key in self._seen:
            self.refused += 1
            log.info("WeCom callback %s seen before; dropped", key[:12])
            return web.Response(text="")
        self._seen[key] = None
        while len(self._seen) > REMEMBER:
            self._seen.popitem(last=False)
        task = asyncio.create_task(self._handle(message, key), name="wecom callback")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(text="")  # at once: WeCom retries after 5 s without an answer

    # ------------------------------------------------------------------ to the desk
    async def _handle(self, message: dict[str, Any], key: str) -> None:
        try:
            inbound = await self._inbound(message, key)
            if inbound is None:
                return
            outcome = await self.core.handle(inbound)
            await self._toast(inbound, outcome)
        except Exception:
            log.exception("WeCom callback %s could not be handled", key[:12])

    async def _inbound(self, message: dict[str, Any], key: str) -> Inbound | None:
        userid = str(message.get("FromUserName") or "")
        if not userid:
            return None
        kind = str(message.get("MsgType", "")).lower()
        base = dict(channel=CHANNEL, chat_id=userid, user_id=userid, update_id=key)
        if kind == "text":
            return Inbound(**base, text=str(message.get("Content") or ""))
        if kind == "image" and message.get("MediaId"):
            return Inbound(**base, photo=await self._keep_photo(str(message["MediaId"]), key))
        if kind == "event" and str(message.get("Event", "")).lower() == "template_card_event":
            task_id, code = str(message.get("TaskId") or ""), message.get("ResponseCode")
            if task_id and code:
                await self.codes.add(task_id, userid, str(code), self._now())
            return Inbound(**base, payload=str(message.get("EventKey") or ""))
        if kind in ("voice", "video", "file", "location", "link"):
            await self._say(Reply(CHANNEL, userid, t("zh-CN", "wecom.unsupported")))
        return None

    async def _keep_photo(self, media_id: str, key: str) -> str:
        if self.api is None or self.media_dir is None:
            return f"wecom:{media_id}"
        data = await self.api.download(media_id)
        return media.save(self.media_dir, f"wecom-{key[:16]}", data, ".jpg")

    async def _toast(self, inbound: Inbound, outcome: Outcome) -> None:
        if not outcome.answer or inbound.payload is None:
            return
        if any(r.chat_id == inbound.chat_id and r.text == outcome.answer for r in outcome.replies):
            return  # said already
        await self._say(Reply(CHANNEL, inbound.chat_id, outcome.answer))

    async def _say(self, reply: Reply) -> None:
        async with self.sessions.begin() as session:
            await Outbox(session).add(reply.channel, reply.chat_id, reply_to_dict(reply), None, self._now())
        if self.on_outbox:
            self.on_outbox()


def _dedupe_key(message: dict[str, Any]) -> str:
    """One key per thing a member did (at most 64 characters, the desk's update id column):
    a message's MsgId, else the event's sender, time, kind, key and card."""
    if message.get("MsgId"):
        return f"m{message['MsgId']}"[:64]
    parts = [message.get(k) or "" for k in ("FromUserName", "CreateTime", "Event", "EventKey", "TaskId")]
    return "e" + hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()
