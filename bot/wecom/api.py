"""WeCom's server API as far as the desk needs it, on the shared WeChat-family client
(`bot.wxbase`: the access token kept in the database for every process, refreshed once
when refused; busy and rate limits mapped for the outbox).

What is WeCom's own: the token comes from `gettoken` (corp id + the app's secret), a
message to someone not in the app's visible range or gone from the directory (81013,
60111) and a dead robot key (93000) are undeliverable, and `message/send` answers a
card with buttons with a `response_code` that may update it once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channel import DeliveryError, TransientError, Undeliverable
from bot.outbox import worker_name
from bot.wxbase.api import ApiClient, ApiError, raise_for
from bot.wxbase.tokens import Fetched, TokenStore

DEFAULT_API_BASE = "https://qyapi.weixin.qq.com"
PLATFORM = "wecom"
# Will never succeed: no such member / all recipients invalid, robot key gone, app not
# visible to the member, content refused.
UNDELIVERABLE = {60111, 81013, 93000, 60020, 40003, 40008, 44004, 301002, 86008}


def to_delivery_error(error: ApiError) -> DeliveryError:
    if error.errcode in UNDELIVERABLE:
        return Undeliverable(f"errcode {error.errcode}: {error.errmsg[:120]}")
    return TransientError(f"errcode {error.errcode}: {error.errmsg[:120]}")  # unknown: retried, never lost


@dataclass(frozen=True, slots=True)
class Sent:
    msgid: str
    response_code: str | None


class WecomApi:
    def __init__(self, base_url: str, corp_id: str, secret: str, agent_id: int, *,
                 sessions: async_sessionmaker[AsyncSession], now: Callable[[], datetime],
                 timeout: float = 30.0) -> None:
        self.corp_id, self._secret, self.agent_id = corp_id, secret, agent_id
        self.tokens = TokenStore(sessions, PLATFORM, f"{corp_id}:{agent_id}"[:64], self.fetch_token, now=now,
                                 worker=worker_name())
        self.client = ApiClient(base_url, self.tokens, timeout=timeout)

    async def fetch_token(self, force: bool = False) -> Fetched:
        # gettoken has no "force": a new call is a new token (WeCom keeps the old one valid
        # until it expires, so other processes' in-flight calls are not knocked out).
        body, _ = await self.client.raw("GET", "/cgi-bin/gettoken",
                                        params={"corpid": self.corp_id, "corpsecret": self._secret})
        answer = json_answer(body)
        raise_for(answer)
        return Fetched(str(answer["access_token"]), int(answer.get("expires_in", 7200)))

    async def close(self) -> None:
        await self.client.close()

    async def send(self, userid: str, message: dict[str, Any]) -> Sent:
        """`message/send` to one member; a button card answers with a response code."""
        answer = await self.client.call("/cgi-bin/message/send", {"touser": userid, "agentid": self.agent_id, **message})
        if answer.get("invaliduser"):
            raise ApiError(81013, "the member is not in the app's visible range")
        return Sent(str(answer.get("msgid", "")), answer.get("response_code") or None)

    async def update_card(self, userid: str, response_code: str, card: dict[str, Any]) -> None:
        await self.client.call("/cgi-bin/message/update_template_card",
                               {"userids": [userid], "agentid": self.agent_id, "response_code": response_code,
                                "template_card": card})

    async def robot_send(self, key: str, message: dict[str, Any]) -> None:
        """A group robot's webhook: its key is the credential, no access token."""
        body, _ = await self.client.raw("POST", "/cgi-bin/webhook/send", params={"key": key}, payload=message)
        raise_for(json_answer(body))

    async def upload_image(self, name: str, content: bytes) -> str:
        """A temporary image (3 days) for an image message."""
        token = await self.tokens.token()
        data = aiohttp.FormData()
        data.add_field("media", content, filename=name, content_type="application/octet-stream")
        try:
            async with self.client.session.post(f"{self.client.base_url}/cgi-bin/media/upload",
                                                params={"access_token": token, "type": "image"}, data=data) as resp:
                if resp.status >= 500:
                    raise TransientError(f"HTTP {resp.status} from media/upload")
                answer = json_answer(await resp.read())
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TransientError(f"media/upload: {exc.__class__.__name__}") from None
        raise_for(answer)
        return str(answer["media_id"])

    async def download(self, media_id: str) -> bytes:
        """A photo a member sent, while its media id lives."""
        body, _ = await self.client.call_raw("/cgi-bin/media/get", None, method="GET", params={"media_id": media_id})
        return body


def json_answer(body: bytes) -> dict[str, Any]:
    """A WeCom answer's JSON object (also read by `wuye check`); TransientError when it is none."""
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise TransientError("the answer is not JSON") from None
    if not isinstance(answer, dict):
        raise TransientError("unexpected answer")
    return answer
