"""The stand-in keeps the platform's rules (so the channel tests mean something)."""

from __future__ import annotations

import json
from datetime import timedelta

import aiohttp

from tests.wechat.standin import APP_ID, APP_SECRET, WechatStandIn


async def _post(url: str, payload: dict, **params: str) -> dict:  # type: ignore[type-arg]
    async with aiohttp.ClientSession() as session:
        async with session.post(url, params=params, data=json.dumps(payload)) as response:
            return await response.json(content_type=None)


async def test_tokens_window_and_followers(clock) -> None:  # type: ignore[no-untyped-def]
    async with WechatStandIn(clock.now) as api:
        token_url, send_url = f"{api.url}/cgi-bin/stable_token", f"{api.url}/cgi-bin/message/custom/send"
        body = {"grant_type": "client_credential", "appid": APP_ID, "secret": APP_SECRET}
        assert (await _post(token_url, {**body, "secret": "wrong"}))["errcode"] == 40125
        first = (await _post(token_url, body))["access_token"]
        assert (await _post(token_url, body))["access_token"] == first  # normal mode: the same token
        forced = (await _post(token_url, {**body, "force_refresh": True}))["access_token"]
        assert forced != first
        text = {"touser": "oA", "msgtype": "text", "text": {"content": "hi"}}
        assert (await _post(send_url, text, access_token=first))["errcode"] == 40001  # replaced by the forced one
        assert (await _post(send_url, text, access_token=forced))["errcode"] == 43004  # not a follower
        api.followers.add("oA")
        assert (await _post(send_url, text, access_token=forced))["errcode"] == 45015  # never wrote
        api.last_wrote["oA"] = clock.now()
        assert (await _post(send_url, text, access_token=forced))["errcode"] == 0
        clock.advance(timedelta(hours=48, seconds=1))
        assert (await _post(send_url, text, access_token=forced))["errcode"] == 42001  # the token expired too
        fresh = (await _post(token_url, body))["access_token"]
        assert (await _post(send_url, text, access_token=fresh))["errcode"] == 45015  # the window closed
        template = {"touser": "oA", "template_id": "T", "data": {"thing1": {"value": "x"}}}
        assert (await _post(f"{api.url}/cgi-bin/message/template/send", template, access_token=fresh))["msgid"]
        api.fail_next("message/template/send", 45009)
        assert (await _post(f"{api.url}/cgi-bin/message/template/send", template,
                            access_token=fresh))["errcode"] == 45009
        assert api.texts("oA") == ["hi", "【模板】x"]
