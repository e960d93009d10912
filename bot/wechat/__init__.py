"""The WeChat Service Account (服务号) channel for owners, on the shared base (bot.wxbase).

    channel = WechatChannel.from_settings(settings, app)
    deliverer = sql_deliverer(app, channel.sender)
    await channel.start()          # the callback endpoint on WECHAT_LISTEN:WECHAT_PORT
    ...
    await channel.stop_updates(); (stop the Deliverer); await channel.stop()

Inbound: bot.wechat.inbound; outbound: bot.wechat.sender; signatures and safe mode:
bot.wechat.crypto; the QR codes and the custom menu for the office: bot.wechat.office.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channel import Core, TransientError
from bot.outbox import worker_name
from bot.wechat.crypto import WechatOpener
from bot.wechat.inbound import CHANNEL, WechatInbound, update_id
from bot.wechat.sender import WechatSender, parse_templates
from bot.wxbase.api import ApiClient, ApiError
from bot.wxbase.callback import Apologise, CallbackEndpoint
from bot.wxbase.tokens import Fetched, TokenStore

log = logging.getLogger("wuye.wechat")

DEFAULT_API_ROOT = "https://api.weixin.qq.com"
__all__ = ["CHANNEL", "WechatChannel", "WechatNotConfigured"]


class WechatNotConfigured(ValueError):
    """A WeChat setting is missing; the message names it (one line for the operator)."""


class WechatChannel:
    def __init__(self, *, app_id: str, app_secret: str, token: str, aes_key: str | None, api_root: str,
                 sessions: async_sessionmaker[AsyncSession], core: Core, now: Callable[[], datetime],
                 media_dir: Path | None, path: str = "/wechat", templates: dict[str, str] | None = None,
                 timezone: str = "Asia/Shanghai", text_field: str = "thing1", time_field: str = "time2",
                 default_locale: str = "zh-CN", on_outbox: Callable[[], None] | None = None,
                 apologise: Apologise | None = None) -> None:
        self.app_id, self._secret = app_id, app_secret
        self.tokens = TokenStore(sessions, CHANNEL, app_id, self._fetch_token, now=now, worker=worker_name())
        self.api = ApiClient(api_root, self.tokens)
        self.sender = WechatSender(self.api, sessions, media_dir, now, templates=templates, timezone=timezone,
                                   text_field=text_field, time_field=time_field, locale=default_locale)
        self.inbound = WechatInbound(sessions, self.api, media_dir or Path("var/media"), now, on_outbox=on_outbox,
                                     default_locale=default_locale)
        self.endpoint = CallbackEndpoint(CHANNEL, WechatOpener(token, app_id, aes_key), self.inbound, core,
                                         sessions=sessions, account=app_id, key=update_id, now=now, path=path,
                                         after=self.inbound.after, apologise=apologise)
        self.port: int | None = None

    @classmethod
    def from_settings(cls, settings, app, *, on_outbox: Callable[[], None] | None = None) -> WechatChannel:  # type: ignore[no-untyped-def]
        def need(value: object, name: str) -> str:
            secret = value.get_secret_value() if hasattr(value, "get_secret_value") else value
            if not secret:
                raise WechatNotConfigured(f"{name} is not set (see README: connecting a WeChat Service Account)")
            return str(secret)

        try:
            templates = parse_templates(settings.wechat_templates)
        except ValueError as exc:
            raise WechatNotConfigured(str(exc)) from None
        return cls(app_id=need(settings.wechat_app_id, "WECHAT_APP_ID"),
                   app_secret=need(settings.wechat_app_secret, "WECHAT_APP_SECRET"),
                   token=need(settings.wechat_token, "WECHAT_TOKEN"),
                   aes_key=settings.wechat_aes_key.get_secret_value() if settings.wechat_aes_key else None,
                   api_root=settings.wechat_api_base_url, sessions=app.sessions, core=app.desk, now=app.clock.now,
                   media_dir=settings.media_dir, path=settings.wechat_path, templates=templates,
                   timezone=settings.timezone, text_field=settings.wechat_template_text_field,
                   time_field=settings.wechat_template_time_field, default_locale=settings.default_locale,
                   on_outbox=on_outbox, apologise=app.desk.apologise)

    async def _fetch_token(self, force: bool) -> Fetched:
        return await stable_token(self.api, self.app_id, self._secret, force)

    async def start(self, listen: str, port: int) -> int:
        self.port = await self.endpoint.start(listen, port)
        log.info("wechat callback listening on %s:%s%s", listen, self.port, self.endpoint.path)
        return self.port

    async def stop_updates(self) -> None:
        await self.endpoint.stop()

    async def stop(self) -> None:
        await self.endpoint.stop()
        await self.api.close()


async def stable_token(api: ApiClient, app_id: str, secret: str, force: bool) -> Fetched:
    """`stable_token`: the same token while valid (normal mode), a new one when forced.
    Also what `wuye check` asks (normal mode: a running bot's token stays valid)."""
    body, _ = await api.raw("POST", "/cgi-bin/stable_token", payload={
        "grant_type": "client_credential", "appid": app_id, "secret": secret, "force_refresh": force})
    try:
        answer = json.loads(body)
    except ValueError:
        raise TransientError("stable_token: the answer is not JSON") from None
    if not answer.get("access_token"):
        code = int(answer.get("errcode") or 0)
        if code == -1:
            raise TransientError("stable_token: platform busy")
        # 40013 bad appid, 40125 bad secret, 40164 IP not on the allow-list: the operator's to fix.
        raise ApiError(code, str(answer.get("errmsg") or "no access_token"))
    return Fetched(str(answer["access_token"]), int(answer.get("expires_in") or 7200))
