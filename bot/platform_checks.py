"""`wuye check` for the WeChat Service Account and WeCom (企业微信).

What `wuye run` would only find out at its first message is said here, one line each
(Chinese / English, from the `cli.check` catalogue):

* the settings: complete (WeChat: app id, secret, callback token, and the AES key only in
  safe mode; WeCom: all five) and well-formed as the platforms' admin pages show them;
* the credentials: an access token is asked for exactly as the channel asks (WeChat's
  `stable_token` in normal mode, WeCom's `gettoken`), straight from the platform — never
  the token kept in the database, which would hide a secret changed since; a refusal names
  the platform's error code and what to do (a wrong secret, an IP not on the allow-list);
  neither call invalidates the token a running bot holds;
* WeCom's app: `agent/get` with that token, so an agent id that is not the secret's app is
  caught before the first card fails;
* WeCom's team group robots: each key is probed with an empty text, which WeCom refuses
  without posting anything — 93000 for a key it does not know (a removed robot, a typo),
  a content error for a live one.  Refused ones are named per team as Telegram's groups
  are (bot.chat_checks), the key shortened: it is a credential.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

from bot.bootstrap import App
from bot.channel import DeliveryError
from bot.chat_checks import refused_group_chats
from bot.settings import Settings
from bot.wecom import CHANNEL as WECOM
from bot.wecom.api import WecomApi, json_answer
from bot.wechat import stable_token
from bot.wxbase.api import ApiClient, ApiError
from handlers.kit.i18n import LOCALES, catalogue, t

WECHAT = "wechat"
WECHAT_SETTINGS = ("WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_TOKEN")
WECOM_SETTINGS = ("WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_AES_KEY")
ROBOT_KEY_GONE = 93000

# The shapes the platforms' admin pages show.
FORMS: dict[str, re.Pattern[str]] = {
    "WECHAT_APP_ID": re.compile(r"wx[0-9a-f]{16}"),
    "WECHAT_APP_SECRET": re.compile(r"[0-9a-f]{32}"),
    "WECHAT_TOKEN": re.compile(r"[A-Za-z0-9]{3,32}"),
    "WECHAT_AES_KEY": re.compile(r"[A-Za-z0-9]{43}"),
    "WECOM_CORP_ID": re.compile(r"w[wx][0-9a-f]{16}"),
    "WECOM_SECRET": re.compile(r"\S{16,128}"),
    "WECOM_TOKEN": re.compile(r"[A-Za-z0-9]{1,32}"),
    "WECOM_AES_KEY": re.compile(r"[A-Za-z0-9]{43}"),
}


def both(key: str, **fields: object) -> str:
    """One line, Chinese first, then English; `platform` is named in each language."""
    texts = []
    for locale in LOCALES:
        filled = {name: t(locale, str(value)) if name == "platform" else value for name, value in fields.items()}
        texts.append(t(locale, key, **filled))
    return " / ".join(texts)


def _value(settings: Settings, name: str) -> str | None:
    value = getattr(settings, name.lower())
    if value is None:
        return None
    text = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return text or None


def wechat_present(settings: Settings) -> bool:
    return any(_value(settings, name) for name in (*WECHAT_SETTINGS, "WECHAT_AES_KEY"))


def wecom_present(settings: Settings) -> bool:
    return any(_value(settings, name) for name in WECOM_SETTINGS)


def setting_lines(settings: Settings, platform: str, names: tuple[str, ...]) -> list[str]:
    """A line for the missing settings (all in one), one for each malformed one."""
    missing = [name for name in names if not _value(settings, name)]
    lines = [both("cli.check.missing", platform=f"cli.check.platform.{platform}", names=", ".join(missing))] \
        if missing else []
    optional = ("WECHAT_AES_KEY",) if platform == WECHAT else ()
    for name in (*names, *optional):
        value = _value(settings, name)
        if value is None:
            continue
        form = FORMS.get(name)
        bad = (form is not None and not form.fullmatch(value)) or (name == "WECOM_AGENT_ID" and int(value) <= 0)
        if bad:
            lines.append(both(f"cli.check.malformed.{name}"))
    return lines


def refusal_line(platform: str, error: ApiError, key: str = "cli.check.refused", **fields: object) -> str:
    todo = f"cli.check.todo.{platform}_{error.errcode}"
    known = all(todo in catalogue(locale) for locale in LOCALES)
    texts = []
    for locale in LOCALES:
        advice = t(locale, todo) if known else t(locale, f"cli.check.todo.{platform}_other", errmsg=error.errmsg[:120])
        texts.append(t(locale, key, platform=t(locale, f"cli.check.platform.{platform}"), code=error.errcode,
                       todo=advice, **fields))
    return " / ".join(texts)


async def _asked(platform: str, url: str, setting: str, timeout: float,
                 call: Callable[[], Awaitable[Any]]) -> tuple[Any, list[str]]:
    """(the answer, []) or (None, [the line saying why there is none])."""
    try:
        return await asyncio.wait_for(call(), timeout), []
    except ApiError as exc:
        return None, [refusal_line(platform, exc)]
    except (DeliveryError, TimeoutError) as exc:
        reason = str(exc) or f"no answer in {timeout:.0f} s"
        return None, [both("cli.check.unreachable", platform=f"cli.check.platform.{platform}", url=url,
                           reason=reason, setting=setting)]


async def wechat_lines(settings: Settings, timeout: float) -> list[str]:
    """Settings and credentials of the Service Account; [] when all is well."""
    lines = setting_lines(settings, WECHAT, WECHAT_SETTINGS)
    if lines:
        return lines  # a token asked for with settings known to be wrong only repeats the line
    client = ApiClient(settings.wechat_api_base_url, None, timeout=timeout)
    try:
        _, refused = await _asked(WECHAT, settings.wechat_api_base_url, "WECHAT_API_BASE_URL", timeout,
                                  lambda: stable_token(client, str(_value(settings, "WECHAT_APP_ID")),
                                                       str(_value(settings, "WECHAT_APP_SECRET")), False))
        return refused
    finally:
        await client.close()


class RobotProbe:
    """`ChatLookup` for bot.chat_checks: a team's WeCom group robot key, probed with an
    empty text (refused by WeCom whatever the key, so nothing is ever posted)."""

    channel = WECOM

    def __init__(self, api: WecomApi) -> None:
        self.api = api

    @staticmethod
    def shown(key: str) -> str:
        return f"robot {key[:8]}…"

    async def chat_refusal(self, chat_id: str) -> str | None:
        try:
            await self.api.robot_send(chat_id, {"msgtype": "text", "text": {"content": ""}})
        except ApiError as exc:
            if exc.errcode == ROBOT_KEY_GONE:
                return f"errcode {exc.errcode}: {exc.errmsg[:80]}"
        return None  # a live key: only the empty content was refused


async def wecom_lines(settings: Settings, app: App, timeout: float) -> list[str]:
    """Settings, credentials, the app's agent id and the teams' robots; [] when all is well."""
    lines = setting_lines(settings, WECOM, WECOM_SETTINGS)
    if lines:
        return lines
    assert settings.wecom_secret is not None
    api = WecomApi(settings.wecom_api_base_url, str(settings.wecom_corp_id), settings.wecom_secret.get_secret_value(),
                   int(settings.wecom_agent_id or 0), sessions=app.sessions, now=app.clock.now, timeout=timeout)
    url, setting = settings.wecom_api_base_url, "WECOM_API_BASE_URL"
    try:
        fetched, refused = await _asked(WECOM, url, setting, timeout, lambda: api.fetch_token(False))
        if refused:
            return refused

        async def agent() -> None:
            body, _ = await api.client.raw("GET", "/cgi-bin/agent/get",
                                           params={"access_token": fetched.token, "agentid": str(api.agent_id)})
            answer = json_answer(body)
            if int(answer.get("errcode") or 0):
                raise ApiError(int(answer["errcode"]), str(answer.get("errmsg") or ""))

        try:
            await asyncio.wait_for(agent(), timeout)
        except ApiError as exc:
            return [refusal_line(WECOM, exc, "cli.check.agent_refused", agent_id=api.agent_id)]
        except (DeliveryError, TimeoutError) as exc:
            return [both("cli.check.unreachable", platform="cli.check.platform.wecom", url=url,
                         reason=str(exc) or f"no answer in {timeout:.0f} s", setting=setting)]
        return await refused_group_chats(app, RobotProbe(api))
    finally:
        await api.close()
