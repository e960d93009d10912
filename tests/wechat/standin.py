"""A stand-in for the WeChat Official Account API (api.weixin.qq.com) and for WeChat itself
posting callbacks, on 127.0.0.1, for the channel tests.

Written from the platform's documentation, not from our client:

* `POST /cgi-bin/stable_token` {grant_type, appid, secret, force_refresh} -> {access_token,
  expires_in}: the same token while it is valid; `force_refresh` issues a new one and the
  old one stops working (40001).  `GET /cgi-bin/token` likewise (not used by us).
* every other call wants `?access_token=`: unknown -> 40001, expired -> 42001.
* `POST /cgi-bin/message/custom/send`: text, image, msgmenu.  Allowed only within 48 h of
  the follower's last message, or 3 messages within a minute of a follow, scan or menu click (45015 after), to followers (43004 otherwise).
* `POST /cgi-bin/message/template/send` -> {msgid}; to followers only (43004).
* `GET /cgi-bin/media/get?media_id=` -> the file's bytes (40007 for an unknown id);
  `POST /cgi-bin/media/upload?type=image` (multipart `media`) -> {media_id}.
* `POST /cgi-bin/qrcode/create` -> {ticket, url, expire_seconds}; `POST /cgi-bin/menu/create`.
* errors on demand (`fail_next`): -1 busy, 45009 rate limit, any code; `expire_tokens()`.

And `Follower`: a WeChat user whose messages are posted to our callback URL exactly as
WeChat does — XML, `signature`/`timestamp`/`nonce`/`openid` in the query, in safe mode the
body `<xml><ToUserName/><Encrypt/></xml>` made by wechatpy's `WeChatCrypto.encrypt_message`
with `encrypt_type=aes` and `msg_signature` — and who reads what the account sent them
(`transcript`), taps msgmenu options (the tap comes back as text with `bizmsgmenuid`).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import xmltodict
from aiohttp import web
from wechatpy.crypto import WeChatCrypto

APP_ID = "wx1234567890abcdef"
APP_SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "wuyeStandinToken2026"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
ACCOUNT = "gh_wuye_standin"
WINDOW = timedelta(hours=48)


@dataclass
class Sent:
    """One message as the follower sees it."""

    kind: str  # text | image | msgmenu | template
    text: str
    options: list[tuple[str, str]] = field(default_factory=list)  # (id, label) of a msgmenu
    template_id: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    image: bytes = b""

    def shown(self) -> str:
        if self.kind == "msgmenu":
            return self.text + "".join(f"\n[{label}]" for _, label in self.options)
        if self.kind == "template":
            return "【模板】" + " ".join(str(v.get("value", "")) for v in self.data.values())
        if self.kind == "image":
            return "[图片]"
        return self.text


class WechatStandIn:
    def __init__(self, now: Callable[[], datetime], *, app_id: str = APP_ID, secret: str = APP_SECRET) -> None:
        self.now, self.app_id, self.secret = now, app_id, secret
        self.tokens: dict[str, datetime] = {}  # token -> expires at
        self.current: str | None = None
        self.token_calls = 0
        self.forced = 0
        self.last_wrote: dict[str, datetime] = {}
        # Following, scanning or a menu click allow 3 messages within 1 minute (the docs' table).
        self.short_window: dict[str, tuple[datetime, int]] = {}
        self.followers: set[str] = set()
        self.inbox: dict[str, list[Sent]] = {}
        self.media: dict[str, tuple[bytes, str]] = {}
        self.uploads: dict[str, bytes] = {}
        self.menus: list[dict[str, Any]] = []
        self.qrcodes: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self._failures: list[tuple[str, int, int, int]] = []  # (path, errcode, remaining, let through first)
        self.expire_after: int | None = None  # expire every token after this many custom sends
        self.custom_sends = 0
        self.delay = 0.0  # seconds each customer-service send takes
        self.media_delay = 0.0  # seconds each media download takes
        self._ids = itertools.count(1000)
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --------------------------------------------------------------- server
    async def start(self) -> str:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/cgi-bin/{name:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> WechatStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --------------------------------------------------------------- test controls
    def fail_next(self, path: str, errcode: int, count: int = 1, *, after: int = 0) -> None:
        """The next `count` calls to `path` (e.g. "message/custom/send") answer `errcode`,
        after `after` calls have gone through."""
        self._failures.append((path, errcode, count, after))

    def expire_tokens(self) -> None:
        for token in self.tokens:
            self.tokens[token] = self.now() - timedelta(seconds=1)

    def add_media(self, data: bytes, content_type: str = "image/jpeg") -> str:
        media_id = f"MEDIA_{secrets.token_hex(8)}"
        self.media[media_id] = (data, content_type)
        return media_id

    def transcript(self, openid: str) -> list[Sent]:
        return self.inbox.get(openid, [])

    def texts(self, openid: str) -> list[str]:
        return [s.shown() for s in self.transcript(openid)]

    # --------------------------------------------------------------- API
    def _fail(self, path: str) -> int | None:
        for index, (rule, code, left, first) in enumerate(self._failures):
            if rule == path and left > 0:
                if first > 0:
                    self._failures[index] = (rule, code, left, first - 1)
                    return None
                self._failures[index] = (rule, code, left - 1, 0)
                return code
        return None

    @staticmethod
    def _error(code: int, message: str) -> web.Response:
        return web.json_response({"errcode": code, "errmsg": message})

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.calls.append(name)
        if name in ("stable_token", "token"):
            return await self._token(request, name)
        token = request.query.get("access_token", "")
        if token not in self.tokens:
            return self._error(40001, "invalid credential, access_token is invalid or not latest")
        if self.tokens[token] <= self.now():
            return self._error(42001, "access_token expired")
        code = self._fail(name)
        if code is not None:
            return self._error(code, "injected")
        handler = {
            "message/custom/send": self._custom, "message/template/send": self._template,
            "media/get": self._media_get, "media/upload": self._media_upload,
            "qrcode/create": self._qrcode, "menu/create": self._menu,
        }.get(name)
        if handler is None:
            return self._error(40066, "invalid url")
        return await handler(request)

    async def _token(self, request: web.Request, name: str) -> web.Response:
        self.token_calls += 1
        if name == "stable_token":
            body = await request.json()
            appid, secret, force = body.get("appid"), body.get("secret"), bool(body.get("force_refresh"))
            if body.get("grant_type") != "client_credential":
                return self._error(40002, "invalid grant_type")
        else:
            appid, secret, force = request.query.get("appid"), request.query.get("secret"), True
        if appid != self.app_id:
            return self._error(40013, "invalid appid")
        if secret != self.secret:
            return self._error(40125, "invalid appsecret")
        code = self._fail(name)
        if code is not None:
            return self._error(code, "injected")
        now = self.now()
        if force or self.current is None or self.tokens.get(self.current, now) <= now:
            if force:
                self.forced += 1
            if self.current is not None:
                self.tokens.pop(self.current, None)  # the old token stops working at once
            self.current = f"ACCESS_{secrets.token_hex(16)}"
            self.tokens[self.current] = now + timedelta(seconds=7200)
        left = int((self.tokens[self.current] - now).total_seconds())
        return web.json_response({"access_token": self.current, "expires_in": left})

    def _reachable(self, openid: str) -> web.Response | None:
        if openid not in self.followers:
            return self._error(43004, "require subscribe")
        return None

    async def _custom(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        if self.delay:
            await asyncio.sleep(self.delay)
        openid = body.get("touser", "")
        refused = self._reachable(openid)
        if refused is not None:
            return refused
        wrote = self.last_wrote.get(openid)
        if wrote is None or self.now() - wrote > WINDOW:
            until, left = self.short_window.get(openid, (self.now(), 0))
            if until < self.now() or left <= 0:
                return self._error(45015, "response out of time limit or subscription is canceled")
            self.short_window[openid] = (until, left - 1)
        kind = body.get("msgtype")
        if kind == "text":
            sent = Sent("text", body["text"]["content"])
        elif kind == "image":
            media_id = body["image"]["media_id"]
            if media_id not in self.uploads:
                return self._error(40007, "invalid media_id")
            sent = Sent("image", "", image=self.uploads[media_id])
        elif kind == "msgmenu":
            menu = body["msgmenu"]
            options = [(str(o["id"]), str(o["content"])) for o in menu["list"]]
            sent = Sent("msgmenu", menu.get("head_content", ""), options)
        else:
            return self._error(40008, "invalid message type")
        self.inbox.setdefault(openid, []).append(sent)
        self.custom_sends += 1
        if self.expire_after is not None and self.custom_sends == self.expire_after:
            self.expire_tokens()
        return self._error(0, "ok")

    async def _template(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        openid = body.get("touser", "")
        refused = self._reachable(openid)
        if refused is not None:
            return refused
        if not body.get("template_id"):
            return self._error(40037, "invalid template_id")
        self.inbox.setdefault(openid, []).append(Sent("template", "", template_id=body["template_id"],
                                                      data=body.get("data", {})))
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": next(self._ids)})

    async def _media_get(self, request: web.Request) -> web.Response:
        found = self.media.get(request.query.get("media_id", ""))
        if found is None:
            return self._error(40007, "invalid media_id")
        data, kind = found
        await asyncio.sleep(self.media_delay)
        return web.Response(body=data, content_type=kind,
                            headers={"Content-disposition": 'attachment; filename="photo.jpg"'})

    async def _media_upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form.get("media")
        if upload is None or not hasattr(upload, "file"):
            return self._error(41005, "media data missing")
        media_id = f"UP_{secrets.token_hex(8)}"
        self.uploads[media_id] = upload.file.read()  # type: ignore[union-attr]
        return web.json_response({"type": "image", "media_id": media_id, "created_at": int(self.now().timestamp())})

    async def _qrcode(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        scene = body.get("action_info", {}).get("scene", {})
        if body.get("action_name") not in ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"):
            return self._error(40009, "invalid action_name")
        self.qrcodes.append(body)
        ticket = secrets.token_urlsafe(24)
        return web.json_response({"ticket": ticket, "url": f"http://weixin.qq.com/q/{ticket[:16]}",
                                  "expire_seconds": body.get("expire_seconds", 0), "scene": scene})

    async def _menu(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        buttons = body.get("button", [])
        if not 1 <= len(buttons) <= 3 or any(len(b.get("sub_button", [])) > 5 for b in buttons):
            return self._error(40017, "invalid button size")
        self.menus.append(body)
        return self._error(0, "ok")


class Follower:
    """A WeChat user posting to our callback as WeChat does (see the module docstring)."""

    def __init__(self, standin: WechatStandIn, callback_url: str, openid: str, *, aes_key: str | None = AES_KEY,
                 token: str = TOKEN, app_id: str = APP_ID) -> None:
        self.standin, self.url, self.openid = standin, callback_url, openid
        self.token, self.app_id = token, app_id
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        self._ids = itertools.count(int.from_bytes(hashlib.sha256(openid.encode()).digest()[:4], "big") * 1000)
        self.last_request: tuple[dict[str, str], bytes] | None = None

    def _signature(self, timestamp: str, nonce: str, token: str | None = None) -> str:
        return hashlib.sha1("".join(sorted([token or self.token, timestamp, nonce])).encode()).hexdigest()

    def xml(self, fields: dict[str, Any]) -> str:
        created = int(self.standin.now().timestamp())
        body = {"ToUserName": ACCOUNT, "FromUserName": self.openid, "CreateTime": created, **fields}
        return xmltodict.unparse({"xml": body}, full_document=False)

    def signed(self, xml: str, *, timestamp: int | None = None, token: str | None = None) -> tuple[dict[str, str], bytes]:
        stamp = str(timestamp if timestamp is not None else int(self.standin.now().timestamp()))
        nonce = secrets.token_hex(5)
        query = {"signature": self._signature(stamp, nonce, token), "timestamp": stamp, "nonce": nonce,
                 "openid": self.openid}
        if self.crypto is None:
            return query, xml.encode("utf-8")
        crypto = self.crypto if token is None else WeChatCrypto(token, AES_KEY, self.app_id)
        envelope = xmltodict.parse(crypto.encrypt_message(xml, nonce, stamp))["xml"]
        body = xmltodict.unparse({"xml": {"ToUserName": ACCOUNT, "Encrypt": envelope["Encrypt"]}}, full_document=False)
        query.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
        return query, body.encode("utf-8")

    async def post(self, query: dict[str, str], body: bytes) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session:
            async with session.post(self.url, params=query, data=body,
                                    headers={"Content-Type": "text/xml"}) as response:
                return response.status, await response.text()

    async def send(self, fields: dict[str, Any], *, user_message: bool = True) -> tuple[int, str]:
        if user_message:
            self.standin.last_wrote[self.openid] = self.standin.now()
        elif fields.get("Event") in ("subscribe", "SCAN", "CLICK"):
            self.standin.short_window[self.openid] = (self.standin.now() + timedelta(minutes=1), 3)
        query, body = self.signed(self.xml(fields))
        self.last_request = (query, body)
        return await self.post(query, body)

    def _msg(self) -> dict[str, Any]:
        return {"MsgId": next(self._ids)}

    # What a person does in WeChat.
    async def follow(self, scene: str | None = None) -> tuple[int, str]:
        self.standin.followers.add(self.openid)
        fields: dict[str, Any] = {"MsgType": "event", "Event": "subscribe"}
        if scene is not None:
            fields.update(EventKey=f"qrscene_{scene}", Ticket="TICKET")
        return await self.send(fields, user_message=False)

    async def scan(self, scene: str) -> tuple[int, str]:
        return await self.send({"MsgType": "event", "Event": "SCAN", "EventKey": scene, "Ticket": "TICKET"},
                               user_message=False)

    async def unfollow(self) -> tuple[int, str]:
        self.standin.followers.discard(self.openid)
        return await self.send({"MsgType": "event", "Event": "unsubscribe"}, user_message=False)

    async def say(self, text: str) -> tuple[int, str]:
        return await self.send({"MsgType": "text", "Content": text, **self._msg()})

    async def tap(self, option_id: str, label: str) -> tuple[int, str]:
        return await self.send({"MsgType": "text", "Content": label, "bizmsgmenuid": option_id, **self._msg()})

    async def photo(self, data: bytes) -> tuple[int, str]:
        media_id = self.standin.add_media(data)
        return await self.send({"MsgType": "image", "PicUrl": "http://mmbiz.qpic.cn/x", "MediaId": media_id,
                                **self._msg()})

    async def voice(self, recognition: str) -> tuple[int, str]:
        media_id = self.standin.add_media(b"#!AMR\n", "audio/amr")
        return await self.send({"MsgType": "voice", "MediaId": media_id, "Format": "amr",
                                "Recognition": recognition, **self._msg()})

    async def click(self, key: str) -> tuple[int, str]:
        return await self.send({"MsgType": "event", "Event": "CLICK", "EventKey": key}, user_message=False)

    async def verify_url(self, echostr: str = "echo-123") -> tuple[int, str]:
        stamp = str(int(self.standin.now().timestamp()))
        nonce = secrets.token_hex(5)
        async with aiohttp.ClientSession() as session:
            async with session.get(self.url, params={"signature": self._signature(stamp, nonce), "timestamp": stamp,
                                                     "nonce": nonce, "echostr": echostr}) as response:
                return response.status, await response.text()

    def transcript(self) -> list[Sent]:
        return self.standin.transcript(self.openid)

    def menu(self) -> Sent:
        """The newest msgmenu this follower received."""
        return next(s for s in reversed(self.transcript()) if s.kind == "msgmenu")


async def settle(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until `check()` holds (replies travel through the outbox asynchronously)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the condition")
        await asyncio.sleep(0.02)
