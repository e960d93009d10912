"""A stand-in for WeCom's server API and callbacks, on 127.0.0.1, for the channel tests.

Written from WeCom's documentation (developer.work.weixin.qq.com: 获取access_token,
发送应用消息 and its 模板卡片 button_interaction, 更新模版卡片消息, 群机器人配置说明,
上传/获取临时素材, 接收消息与事件 with 模板卡片事件, 加解密方案), not from our client:

* `GET /cgi-bin/gettoken?corpid&corpsecret` → `access_token`, `expires_in`; every other
  app call needs `access_token` (missing 41001, unknown 40014, expired 42001);
* `POST /cgi-bin/message/send` (text, image, template_card): one recipient per call here
  (what our sender does); a member outside the app's visible range → `invaliduser` and
  81013; a `button_interaction` card needs a task id never used before in the app, at most
  six buttons, and answers a `response_code`;
* `POST /cgi-bin/message/update_template_card`: a response code (from a send or a tap)
  updates the card once, within 72 hours, for the listed members who received it;
* `POST /cgi-bin/webhook/send?key=`: a group robot; an unknown key 93000; more than 20
  messages in a minute 45009 (counted as a violation: our pacing should never earn it);
* `POST /cgi-bin/media/upload`, `GET /cgi-bin/media/get`: temporary media;
* `GET /cgi-bin/agent/get?agentid=`: the app's details; any other agent id 40056 (the
  token belongs to the one app whose secret fetched it);
* a member's 30 messages a minute from one app: beyond that 45009 (a violation too).

Callbacks: the stand-in signs and encrypts events exactly as WeCom does (wechatpy's
enterprise `WeChatCrypto`: AES with the EncodingAESKey, the corp id inside, SHA1
`msg_signature`) and POSTs them to the app's callback URL — a tap on a card's button
(`template_card_event` with EventKey, TaskId and a fresh ResponseCode), a text, a photo.

Errors on demand: `fail_next(path, errcode)` (-1 busy, 45009 rate limit, 42001 expired…),
`expire_tokens()`.  Codes the documentation leaves open are the stand-in's choice: an
invalid or spent response code, or a task id used before, answer 40058 (invalid parameter).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.ratelimit import Rate

CORP_ID = "ww0a1b2c3d4e5f6a7b"
SECRET = "standin-app-secret-0123456789abcdefABCDEF"
AGENT_ID = 1000002
CALLBACK_TOKEN = "WuyeCallbackToken42"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
CODE_LIFETIME = 72 * 3600
INVALID = 40058


class KnownRobots:
    """Our side's team → robot key mapping for tests that have no community file
    (`bot.wecom.sender.RobotKeys`)."""

    def __init__(self, keys: dict[str, str]) -> None:
        self.keys = keys

    async def key(self, team: str) -> str | None:
        return self.keys.get(team)


class ApiFault(Exception):
    def __init__(self, errcode: int, errmsg: str, **extra: Any) -> None:
        super().__init__(errmsg)
        self.errcode, self.errmsg, self.extra = errcode, errmsg, extra


@dataclass
class AppMessage:
    """One message as the member sees it in the app (a card with its updates applied)."""

    msgid: str
    userid: str
    msgtype: str
    text: str = ""
    card: dict[str, Any] | None = None
    task_id: str | None = None
    updates: int = 0
    media_id: str | None = None

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(text, key) of the buttons that can still be pressed."""
        if not self.card or self.card.get("replace_text"):
            return []
        return [(b["text"], b["key"]) for b in self.card.get("button_list", [])]

    @property
    def shown(self) -> str:
        """What the member reads: text, or the card's title, body and grey button."""
        if self.card is None:
            return self.text
        parts = [self.card.get("main_title", {}).get("title", ""), self.card.get("sub_title_text", ""),
                 self.card.get("replace_text", "")]
        return "\n".join(p for p in parts if p)


@dataclass
class ResponseCode:
    msgid: str
    issued: float
    used: bool = False


class WecomStandIn:
    def __init__(self, *, robot_rate: Rate = Rate(20, 60.0), member_rate: Rate = Rate(30, 60.0),
                 clock: Callable[[], float] = time.time, token_ttl: int = 7200) -> None:
        self.robot_rate, self.member_rate, self.clock, self.token_ttl = robot_rate, member_rate, clock, token_ttl
        self.crypto = WeChatCrypto(CALLBACK_TOKEN, AES_KEY, CORP_ID)
        self.members: set[str] = set()
        self.robots: set[str] = set()
        self.callback_url: str | None = None
        self.tokens: dict[str, float] = {}
        self.token_fetches = 0
        self.messages: list[AppMessage] = []
        self._by_msgid: dict[str, AppMessage] = {}
        self._task_ids: set[str] = set()
        self.codes: dict[str, ResponseCode] = {}
        self.robot_posts: dict[str, list[str]] = defaultdict(list)
        self.media: dict[str, bytes] = {}
        self.calls: list[tuple[str, int]] = []  # (path, errcode answered)
        self.violations: list[str] = []
        self.answers: list[str] = []  # the bodies our callback answered with
        self._faults: dict[str, deque[int]] = defaultdict(deque)
        self._sent_at: dict[str, deque[float]] = defaultdict(deque)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> WecomStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_get("/cgi-bin/gettoken", self._gettoken)
        app.router.add_post("/cgi-bin/message/send", self._api(self._send))
        app.router.add_post("/cgi-bin/message/update_template_card", self._api(self._update))
        app.router.add_post("/cgi-bin/webhook/send", self._robot)
        app.router.add_post("/cgi-bin/media/upload", self._api(self._upload))
        app.router.add_get("/cgi-bin/media/get", self._media_get)
        app.router.add_get("/cgi-bin/agent/get", self._api(self._agent))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ test controls
    def add_member(self, userid: str) -> str:
        self.members.add(userid)
        return userid

    def add_robot(self) -> str:
        key = f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(6)}"
        self.robots.add(key)
        return key

    def fail_next(self, path: str, errcode: int, count: int = 1, *, after: int = 0) -> None:
        """After `after` more calls, the next `count` calls to `path` (e.g. "message/send",
        "webhook/send") answer `errcode`."""
        self._faults[path].extend([0] * after + [errcode] * count)

    def expire_tokens(self) -> None:
        for token in self.tokens:
            self.tokens[token] = 0.0

    def transcript(self, userid: str) -> list[AppMessage]:
        return [m for m in self.messages if m.userid == userid]

    def cards(self, userid: str, contains: str = "") -> list[AppMessage]:
        return [m for m in self.transcript(userid) if m.card is not None and contains in m.shown]

    async def until(self, condition: Callable[[], Any], *, timeout: float = 15.0, what: str = "") -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            found = condition()
            if found:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what or condition}")

    async def latest(self, userid: str, contains: str, *, what: str = "") -> AppMessage:
        def find() -> AppMessage | None:
            return next((m for m in reversed(self.transcript(userid)) if contains in m.shown), None)

        return await self.until(find, what=what or f"{contains!r} for {userid}")

    def event_xml(self, userid: str, fields: dict[str, str | int]) -> str:
        body = "".join(f"<{k}><![CDATA[{v}]]></{k}>" if isinstance(v, str) else f"<{k}>{v}</{k}>"
                       for k, v in fields.items())
        return (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{userid}]]></FromUserName>"
                f"<CreateTime>{int(self.clock())}</CreateTime>{body}<AgentID>{AGENT_ID}</AgentID></xml>")

    def sealed(self, xml: str, *, timestamp: int | None = None) -> tuple[dict[str, str], str]:
        """The query and body WeCom POSTs for `xml`: encrypted, signed."""
        stamp = str(timestamp if timestamp is not None else int(self.clock()))
        nonce = secrets.token_hex(6)
        envelope = self.crypto.encrypt_message(xml, nonce, stamp)
        signature = envelope.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
        return {"msg_signature": signature, "timestamp": stamp, "nonce": nonce}, envelope

    def url_check(self, echo: str) -> dict[str, str]:
        """The query of WeCom's GET when the callback URL is saved: `echostr` encrypted, signed."""
        stamp, nonce = str(int(self.clock())), secrets.token_hex(6)
        envelope = self.crypto.encrypt_message(echo, nonce, stamp)
        encrypted = envelope.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
        signature = envelope.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
        return {"msg_signature": signature, "timestamp": stamp, "nonce": nonce, "echostr": encrypted}

    async def get(self, query: dict[str, str]) -> tuple[int, str]:
        assert self.callback_url, "set callback_url first"
        async with aiohttp.ClientSession() as http:
            async with http.get(self.callback_url, params=query) as resp:
                return resp.status, await resp.text()

    async def post(self, query: dict[str, str], body: str) -> int:
        assert self.callback_url, "set callback_url first"
        async with aiohttp.ClientSession() as http:
            async with http.post(self.callback_url, params=query, data=body.encode()) as resp:
                self.answers.append(await resp.text())
                return resp.status

    async def deliver(self, userid: str, fields: dict[str, str | int]) -> tuple[int, dict[str, str], str]:
        query, body = self.sealed(self.event_xml(userid, fields))
        return await self.post(query, body), query, body

    def tap_fields(self, userid: str, message: AppMessage, label: str) -> dict[str, str | int]:
        """What WeCom sends when `userid` taps the button labelled `label` (a fresh response code)."""
        key = next((k for text, k in message.buttons if label in text), None)
        assert key is not None, f"no {label!r} button on {message.shown[:40]!r} ({message.buttons})"
        assert message.userid == userid, "a member taps only cards they received"
        code = self._new_code(message.msgid)
        return {"MsgType": "event", "Event": "template_card_event", "EventKey": key, "TaskId": message.task_id or "",
                "CardType": "button_interaction", "ResponseCode": code}

    async def press(self, userid: str, message: AppMessage, label: str) -> int:
        status, _, _ = await self.deliver(userid, self.tap_fields(userid, message, label))
        return status

    async def say(self, userid: str, text: str) -> int:
        status, _, _ = await self.deliver(userid, {"MsgType": "text", "Content": text,
                                                   "MsgId": str(next(self._ids) + 7_000_000_000)})
        return status

    async def send_photo(self, userid: str, data: bytes = b"\x89PNG fake photo") -> int:
        media_id = f"M{secrets.token_hex(8)}"
        self.media[media_id] = data
        status, _, _ = await self.deliver(userid, {"MsgType": "image", "PicUrl": "http://example.invalid/p.jpg",
                                                   "MediaId": media_id, "MsgId": str(next(self._ids) + 7_000_000_000)})
        return status

    def rate_violations(self) -> list[str]:
        return list(self.violations)

    # ------------------------------------------------------------------ the API
    def _new_code(self, msgid: str) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = ResponseCode(msgid, self.clock())
        return code

    def _answer(self, path: str, body: dict[str, Any]) -> web.Response:
        self.calls.append((path, int(body.get("errcode", 0))))
        return web.json_response(body)

    def _fault(self, path: str) -> None:
        queue = self._faults.get(path)
        if queue:
            code = queue.popleft()
            if code == 0:
                return
            raise ApiFault(code, {-1: "system busy", 45009: "api freq out of limit",
                                  42001: "access_token expired"}.get(code, "injected"))

    async def _gettoken(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("corpid") != CORP_ID or q.get("corpsecret") != SECRET:
            return self._answer("gettoken", {"errcode": 40001, "errmsg": "invalid credential"})
        try:
            self._fault("gettoken")
        except ApiFault as fault:
            return self._answer("gettoken", {"errcode": fault.errcode, "errmsg": fault.errmsg})
        token = secrets.token_urlsafe(32)
        self.tokens[token] = self.clock() + self.token_ttl
        self.token_fetches += 1
        return self._answer("gettoken", {"errcode": 0, "errmsg": "ok", "access_token": token,
                                         "expires_in": self.token_ttl})

    def _api(self, handler: Callable[..., Any]) -> Callable[[web.Request], Any]:
        async def serve(request: web.Request) -> web.Response:
            path = request.path.removeprefix("/cgi-bin/")
            token = request.query.get("access_token")
            try:
                if not token:
                    raise ApiFault(41001, "access_token missing")
                if token not in self.tokens:
                    raise ApiFault(40014, "invalid access_token")
                if self.tokens[token] <= self.clock():
                    raise ApiFault(42001, "access_token expired")
                self._fault(path)
                result = await handler(request)
            except ApiFault as fault:
                return self._answer(path, {"errcode": fault.errcode, "errmsg": fault.errmsg, **fault.extra})
            return self._answer(path, {"errcode": 0, "errmsg": "ok", **result})
        return serve

    def _count(self, chat: str, rate: Rate, what: str) -> None:
        now = time.monotonic()
        sent = self._sent_at[chat]
        while sent and sent[0] <= now - rate.period:
            sent.popleft()
        if len(sent) >= rate.count:
            self.violations.append(f"{what}: more than {rate.count} in {rate.period}s")
            raise ApiFault(45009, "api freq out of limit")
        sent.append(now)

    async def _send(self, request: web.Request) -> dict[str, Any]:
        p = await request.json()
        if p.get("agentid") != AGENT_ID:
            raise ApiFault(40056, "invalid agentid")
        userid = str(p.get("touser", ""))
        if "|" in userid or userid not in self.members:
            raise ApiFault(81013, "user & party & tag all invalid", invaliduser=userid)
        self._count(f"member:{userid}", self.member_rate, f"member {userid}")
        msgid = f"msg{next(self._ids)}"
        kind = p.get("msgtype")
        message = AppMessage(msgid, userid, str(kind))
        result: dict[str, Any] = {"msgid": msgid}
        if kind == "text":
            content = p.get("text", {}).get("content", "")
            if not content or len(content.encode()) > 2048:
                raise ApiFault(44004, "empty or too long content")
            message.text = content
        elif kind == "image":
            media_id = p.get("image", {}).get("media_id")
            if media_id not in self.media:
                raise ApiFault(40007, "invalid media_id")
            message.media_id = media_id
        elif kind == "template_card":
            card = p.get("template_card", {})
            self._check_card(card)
            if card["task_id"] in self._task_ids:
                raise ApiFault(INVALID, "task_id exist")
            self._task_ids.add(card["task_id"])
            message.card, message.task_id = card, card["task_id"]
            result["response_code"] = self._new_code(msgid)
        else:
            raise ApiFault(40008, "invalid message type")
        self.messages.append(message)
        self._by_msgid[msgid] = message
        return result

    @staticmethod
    def _check_card(card: dict[str, Any]) -> None:
        if card.get("card_type") != "button_interaction":
            raise ApiFault(INVALID, "only button_interaction cards in this stand-in")
        if not card.get("main_title", {}).get("title") or not card.get("task_id"):
            raise ApiFault(INVALID, "main_title.title and task_id are required")
        buttons = card.get("button_list", [])
        if len(buttons) > 6 or any(not b.get("text") or len(b.get("key", "").encode()) > 1024 for b in buttons):
            raise ApiFault(INVALID, "button_list: at most 6, each with text and a key of at most 1024 bytes")
        if not buttons and not card.get("replace_text"):
            raise ApiFault(INVALID, "a card without buttons needs replace_text")

    async def _update(self, request: web.Request) -> dict[str, Any]:
        p = await request.json()
        code = self.codes.get(str(p.get("response_code", "")))
        if code is None or code.used or self.clock() - code.issued > CODE_LIFETIME:
            raise ApiFault(INVALID, "invalid response_code")
        code.used = True
        message = self._by_msgid[code.msgid]
        if not (p.get("atall") or message.userid in p.get("userids", [])):
            raise ApiFault(INVALID, "no recipient of the card listed")
        if "template_card" in p:
            card = dict(p["template_card"])
            self._check_card(card)
            message.card = card
        elif "button" in p:
            assert message.card is not None
            message.card = {**message.card, "replace_text": p["button"].get("replace_name", "")}
        message.updates += 1
        return {"invaliduser": []}

    async def _robot(self, request: web.Request) -> web.Response:
        key = request.query.get("key", "")
        try:
            if key not in self.robots:
                raise ApiFault(93000, "invalid webhook url")
            self._fault("webhook/send")
            p = await request.json()
            self._count(f"robot:{key}", self.robot_rate, f"robot {key[:8]}")
            if p.get("msgtype") not in ("text", "markdown"):
                raise ApiFault(40008, "invalid message type")
            content = p[p["msgtype"]].get("content", "")
            if not content or len(content.encode()) > 4096:
                raise ApiFault(44004, "empty or too long content")
        except ApiFault as fault:
            return self._answer("webhook/send", {"errcode": fault.errcode, "errmsg": fault.errmsg})
        self.robot_posts[key].append(content)
        return self._answer("webhook/send", {"errcode": 0, "errmsg": "ok"})

    async def _agent(self, request: web.Request) -> dict[str, Any]:
        if request.query.get("agentid") != str(AGENT_ID):
            raise ApiFault(40056, "invalid agentid")
        return {"agentid": AGENT_ID, "name": "物业服务台", "close": 0, "isreportenter": 0,
                "allow_userinfos": {"user": [{"userid": userid} for userid in sorted(self.members)]}}

    async def _upload(self, request: web.Request) -> dict[str, Any]:
        if request.query.get("type") != "image":
            raise ApiFault(40004, "invalid media type")
        form = await request.post()
        part = form.get("media")
        if part is None or not hasattr(part, "file"):
            raise ApiFault(41006, "media data missing")
        media_id = f"M{secrets.token_hex(8)}"
        self.media[media_id] = part.file.read()  # type: ignore[union-attr]
        return {"type": "image", "media_id": media_id, "created_at": str(int(self.clock()))}

    async def _media_get(self, request: web.Request) -> web.Response:
        try:
            self._fault("media/get")
        except ApiFault as fault:
            return self._answer("media/get", {"errcode": fault.errcode, "errmsg": fault.errmsg})
        token = request.query.get("access_token", "")
        if token not in self.tokens or self.tokens[token] <= self.clock():
            return self._answer("media/get", {"errcode": 42001 if token in self.tokens else 40014,
                                              "errmsg": "token"})
        data = self.media.get(request.query.get("media_id", ""))
        if data is None:
            return self._answer("media/get", {"errcode": 40007, "errmsg": "invalid media_id"})
        self.calls.append(("media/get", 0))
        return web.Response(body=data, content_type="image/jpeg")
