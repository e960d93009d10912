"""WeCom's server API as far as the desk needs it, on aiohttp with a configurable base URL.

Every call answers JSON with `errcode` (0 = fine).  The token (`gettoken`, two hours) is
fetched once and shared by the calls of this process; an answer saying it is invalid or
expired (40014, 42001) refreshes it once and repeats the call.  Other errors become
`WecomError`, which `to_delivery_error` turns into what the outbox should do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.channel import DeliveryError, RetryAfter, TransientError, Undeliverable

log = logging.getLogger("wuye.wecom")

DEFAULT_API_BASE = "https://qyapi.weixin.qq.com"
TOKEN_ERRORS = {40014, 42001, 41001}  # invalid, expired, missing access_token
BUSY = -1
RATE_LIMITED = {45009, 45033}  # API frequency limit; too many concurrent calls
# Will never succeed: no such user / robot, app not visible to them, bad content.
UNDELIVERABLE = {60111, 81013, 93000, 60020, 40003, 40008, 44004, 301002}
SEND_TIMEOUT = 30.0


class WecomError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


def to_delivery_error(error: WecomError, *, rate_wait: float) -> DeliveryError:
    """What the outbox worker does about an error answer (`rate_wait`: seconds to wait on a
    rate limit; WeCom does not say how long, its windows are a minute)."""
    if error.errcode in RATE_LIMITED:
        return RetryAfter(rate_wait)
    if error.errcode in UNDELIVERABLE:
        return Undeliverable(str(error))
    return TransientError(str(error))  # -1 busy, token trouble that outlived a refresh, unknown codes


@dataclass(frozen=True, slots=True)
class Sent:
    msgid: str
    response_code: str | None


class WecomApi:
    def __init__(self, base_url: str, corp_id: str, secret: str, agent_id: int, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.base = base_url.rstrip("/")
        self.corp_id, self._secret, self.agent_id = corp_id, secret, agent_id
        self._clock = clock
        self._token: str | None = None
        self._token_until = 0.0
        self._token_lock = asyncio.Lock()
        self._http: aiohttp.ClientSession | None = None
        self.token_fetches = 0

    async def open(self) -> None:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT),
                                               connector=aiohttp.TCPConnector(limit=16))

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    # ------------------------------------------------------------------ plumbing
    async def _request(self, method: str, path: str, *, params: dict[str, str], body: Any = None,
                       data: aiohttp.FormData | None = None) -> dict[str, Any]:
        await self.open()
        assert self._http is not None
        try:
            async with self._http.request(method, f"{self.base}{path}", params=params,
                                          data=data if data is not None else
                                          (json.dumps(body, ensure_ascii=False).encode() if body is not None else None),
                                          headers=None if data is not None else {"Content-Type": "application/json"}) as resp:
                if resp.status >= 500:
                    raise TransientError(f"HTTP {resp.status} from {path}")
                answer = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, json.JSONDecodeError) as exc:
            raise TransientError(f"{path}: {exc.__class__.__name__}") from None
        if not isinstance(answer, dict):
            raise TransientError(f"{path}: an answer that is not a JSON object")
        code = int(answer.get("errcode", 0) or 0)
        if code:
            raise WecomError(code, str(answer.get("errmsg", ""))[:200])
        return answer

    async def token(self, *, stale: str | None = None) -> str:
        """The access token, fetched when missing, near its end, or the same as `stale`."""
        async with self._token_lock:
            if self._token is not None and self._token != stale and self._clock() < self._token_until:
                return self._token
            answer = await self._request("GET", "/cgi-bin/gettoken",
                                         params={"corpid": self.corp_id, "corpsecret": self._secret})
            self.token_fetches += 1
            self._token = str(answer["access_token"])
            # Refreshed five minutes early, so a call never leaves with a token about to lapse.
            self._token_until = self._clock() + max(60, int(answer.get("expires_in", 7200)) - 300)
            return self._token

    async def call(self, method: str, path: str, body: Any = None, *, params: dict[str, str] | None = None,
                   data: Callable[[], aiohttp.FormData] | None = None) -> dict[str, Any]:
        token = await self.token()
        for attempt in (1, 2):
            try:
                return await self._request(method, path, params={**(params or {}), "access_token": token},
                                           body=body, data=data() if data else None)
            except WecomError as exc:
                if exc.errcode not in TOKEN_ERRORS or attempt == 2:
                    raise
                log.info("WeCom token refused (%s); fetching a new one", exc.errcode)
                token = await self.token(stale=token)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ the calls
    async def send(self, userid: str, message: dict[str, Any]) -> Sent:
        """`message/send` to one member; a button card answers with a response code."""
        answer = await self.call("POST", "/cgi-bin/message/send",
                                 {"touser": userid, "agentid": self.agent_id, **message})
        if answer.get("invaliduser"):
            raise WecomError(81013, f"invalid user {answer['invaliduser']!r}")
        return Sent(str(answer.get("msgid", "")), answer.get("response_code") or None)

    async def update_card(self, userid: str, response_code: str, card: dict[str, Any]) -> None:
        await self.call("POST", "/cgi-bin/message/update_template_card",
                        {"userids": [userid], "agentid": self.agent_id, "response_code": response_code,
                         "template_card": card})

    async def robot_send(self, key: str, message: dict[str, Any]) -> None:
        """A group robot's webhook: the key is the credential, no access token."""
        await self._request("POST", "/cgi-bin/webhook/send", params={"key": key}, body=message)

    async def upload_image(self, name: str, content: bytes) -> str:
        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field("media", content, filename=name, content_type="application/octet-stream")
            return data

        answer = await self.call("POST", "/cgi-bin/media/upload", params={"type": "image"}, data=form)
        return str(answer["media_id"])

    async def download(self, media_id: str) -> bytes:
        """A temporary media file a member sent (a photo for the done flow)."""
        await self.open()
        assert self._http is not None
        token = await self.token()
        try:
            async with self._http.get(f"{self.base}/cgi-bin/media/get",
                                      params={"access_token": token, "media_id": media_id}) as resp:
                body = await resp.read()
                if resp.content_type == "application/json":
                    answer = json.loads(body)
                    raise WecomError(int(answer.get("errcode", -1)), str(answer.get("errmsg", "")))
                return body
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TransientError(f"media/get: {exc.__class__.__name__}") from None
