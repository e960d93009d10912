"""An async client for the WeChat-family HTTP APIs (`/cgi-bin/...?access_token=`).

wechatpy's own clients are synchronous and hard-code the platform's URLs; this one runs
on aiohttp with a configurable base URL (the platform's, or a stand-in in tests) and turns
the platforms' error codes into what the outbox worker understands (`bot.channel`):

  40001 / 40014 / 42001  token invalid or expired: a fresh token (`TokenStore.invalidate`)
                         and the call once more — never a loop;
  -1                     system busy: `TransientError` (the worker backs off);
  45009 / 45011          quota or frequency limit: `RetryAfter`;
  43004 / 43101          the person unfollowed or refused: `Undeliverable`;
  anything else          `ApiError` with the code, for the platform adapter to decide
                         (WeChat's 45015 "outside the 48 h window" becomes a template message).

HTTP 5xx, timeouts and connection failures are `TransientError`.  Neither the token
nor the request body is ever logged (bodies hold owners' words).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp

from bot.channel import RetryAfter, TransientError, Undeliverable
from bot.wxbase.tokens import TokenStore

log = logging.getLogger("wuye.wxbase.api")

TOKEN_REFUSED = frozenset({40001, 40014, 42001})
BUSY = -1
RATE_LIMITED = {45009: 60.0, 45011: 2.0}
UNREACHABLE = {43004: "the person does not follow the account", 43101: "the person refused the message"}


class ApiError(Exception):
    """An errcode the client does not handle itself."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg[:120]}")
        self.errcode, self.errmsg = errcode, errmsg


def raise_for(body: dict[str, Any], waits: dict[int, float] | None = None) -> None:
    """Turn an error answer into the exception the outbox understands (token errors excepted)."""
    code = int(body.get("errcode") or 0)
    if code == 0:
        return
    message = str(body.get("errmsg") or "")
    if code == BUSY:
        raise TransientError(f"platform busy (errcode -1)")
    if code in RATE_LIMITED:
        raise RetryAfter((waits or RATE_LIMITED)[code])
    if code in UNREACHABLE:
        raise Undeliverable(f"{UNREACHABLE[code]} (errcode {code})")
    raise ApiError(code, message)


class ApiClient:
    def __init__(self, base_url: str, tokens: TokenStore | None, *, timeout: float = 10.0,
                 rate_limit_waits: dict[int, float] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        # Seconds to wait after each rate-limit code (tests shorten them).
        self.waits = {**RATE_LIMITED, **(rate_limit_waits or {})}
        self.tokens = tokens
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def raw(self, method: str, path: str, *, params: dict[str, str] | None = None,
                  payload: dict[str, Any] | None = None) -> tuple[bytes, str]:
        """One HTTP call without token handling: (body, content type); TransientError on 5xx or network."""
        url = f"{self.base_url}{path}"
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8") if payload is not None else None
        headers = {"Content-Type": "application/json; charset=utf-8"} if data is not None else None
        try:
            async with self.session.request(method, url, params=params, data=data, headers=headers) as response:
                body = await response.read()
                if response.status >= 500:
                    raise TransientError(f"HTTP {response.status} from {path}")
                if response.status >= 400:
                    raise ApiError(response.status, f"HTTP {response.status} from {path}")
                return body, response.headers.get("Content-Type", "")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TransientError(f"{path}: {exc.__class__.__name__}") from None

    async def call(self, path: str, payload: dict[str, Any] | None = None, *, method: str = "POST",
                   params: dict[str, str] | None = None) -> dict[str, Any]:
        """A JSON API call with the access token; refreshed once when the platform refuses it."""
        body = await self.call_raw(path, payload, method=method, params=params)
        return _json(body[0], path)

    async def call_raw(self, path: str, payload: dict[str, Any] | None = None, *, method: str = "POST",
                       params: dict[str, str] | None = None) -> tuple[bytes, str]:
        """Like `call`, for answers that may be a file (media/get): (body, content type);
        a JSON answer carrying an errcode raises like `call`."""
        assert self.tokens is not None
        token = await self.tokens.token()
        for attempt in (1, 2):
            body, kind = await self.raw(method, path, params={**(params or {}), "access_token": token}, payload=payload)
            if "json" not in kind and "text/plain" not in kind:
                return body, kind
            answer = _json(body, path)
            code = int(answer.get("errcode") or 0)
            if code in TOKEN_REFUSED and attempt == 1:
                log.info("access token refused by %s (errcode %s); refreshing once", path, code)
                token = await self.tokens.invalidate(token)
                continue
            if code in TOKEN_REFUSED:
                raise TransientError(f"a fresh token was refused too (errcode {code})")
            raise_for(answer, self.waits)
            return body, kind
        raise AssertionError("unreachable")


def _json(body: bytes, path: str) -> dict[str, Any]:
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TransientError(f"{path}: the answer is not JSON") from None
    if not isinstance(answer, dict):
        raise TransientError(f"{path}: unexpected answer")
    return answer
