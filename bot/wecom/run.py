"""WeCom beside the other channels in `wuye run`: the API client, the sender with its own
outbox `Deliverer`, and the callback server, started and stopped as one."""

from __future__ import annotations

import asyncio
import logging

from wechatpy.enterprise.crypto import WeChatCrypto

from bot.bootstrap import App
from bot.outbox import sql_deliverer
from bot.ratelimit import Limits, RateLimiter
from bot.channel import DeliveryError
from bot.settings import Settings, SettingsError
from bot.wecom.api import WecomApi
from bot.wecom.callback import callback_endpoint
from bot.wecom.sender import TeamRobots, WecomLimits, WecomSender
from bot.wxbase.api import ApiError
from storage.wecom_cards import CardCodes

log = logging.getLogger("wuye.wecom")


class WecomChannel:
    def __init__(self, settings: Settings, app: App, *, limits: Limits | None = None,
                 rate_wait: float = 60.0) -> None:
        assert settings.wecom_configured, "WECOM_* settings are incomplete"
        assert settings.wecom_secret and settings.wecom_token and settings.wecom_aes_key
        self.settings = settings
        self.api = WecomApi(settings.wecom_api_base_url, str(settings.wecom_corp_id),
                            settings.wecom_secret.get_secret_value(), int(settings.wecom_agent_id or 0),
                            sessions=app.sessions, now=app.clock.now)
        codes = CardCodes(app.sessions)
        self.sender = WecomSender(self.api, codes, TeamRobots(app.sessions), now=app.clock.now,
                                  limiter=RateLimiter(limits or WecomLimits()), media_dir=settings.media_dir,
                                  rate_wait=rate_wait)
        self.deliverer = sql_deliverer(app, self.sender)
        crypto = WeChatCrypto(settings.wecom_token.get_secret_value(), settings.wecom_aes_key.get_secret_value(),
                              str(settings.wecom_corp_id))
        self.callback = callback_endpoint(app.desk, crypto, agent_id=int(settings.wecom_agent_id or 0), codes=codes,
                                          sessions=app.sessions, now=app.clock.now, path=settings.wecom_path,
                                          notify=self.deliverer.notify, api=self.api, media_dir=settings.media_dir,
                                          apologise=app.desk.apologise)

    @property
    def channel(self) -> str:
        return self.sender.channel

    async def start(self, stop: asyncio.Event) -> asyncio.Task[None]:
        """Fetch the token (credentials WeCom refuses stop the start here, in one line; an
        unreachable WeCom does not: cards wait in the outbox), serve callbacks, deliver."""
        try:
            await self.api.tokens.token()
        except ApiError as exc:
            raise SettingsError(f"wuye: WeCom refused the app's credentials (WECOM_CORP_ID, WECOM_SECRET): "
                                f"errcode {exc.errcode}") from None
        except DeliveryError as exc:
            log.warning("WeCom cannot be reached yet (%s); its messages wait in the outbox", exc)
        await self.callback.start(self.settings.wecom_listen, self.settings.wecom_port)
        log.info("WeCom callbacks on %s:%s%s", self.settings.wecom_listen, self.settings.wecom_port,
                 self.settings.wecom_path)
        return asyncio.create_task(self.deliverer.run_forever(stop), name="wecom outbox")

    async def stop_updates(self) -> None:
        await self.callback.stop()

    async def close(self) -> None:
        await self.api.close()
