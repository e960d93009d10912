"""Replies to owners on the Service Account (the outbox's `ChannelSender` for "wechat").

* Inside the 48 h customer-service window: `message/custom/send` — text; buttons as a
  `msgmenu` (tappable options; each option's id is a row of `wechat_menu_options` holding
  the button's payload for this openid, see bot.wechat.inbound); photos of the media store
  uploaded (`media/upload`) and sent as images.  WeChat cannot edit a sent message: a card
  "edited in place" arrives as a new message.
* Outside it (known from the owner's last message, or told by errcode 45015; 45047 —
  too many messages in this window — is treated alike): a template message whose
  template the operator configured for what the reply is about (`Reply.kind`): progress,
  confirm, survey, notice, urgent.  A reply about nothing templated (a conversation step)
  cannot reach the owner then and is recorded as undeliverable — the next thing the
  owner writes opens the window again.
* A reply needing several calls (photos, then the text) remembers what went out, so a
  retry after a failure half-way does not send the first part twice.

Quota and platform errors come from bot.wxbase.api: busy -> backoff, rate limit -> wait,
unfollowed -> undeliverable, token refused -> refreshed once.
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import media
from bot.channel import TransientError, Undeliverable
from bot.wxbase.api import ApiClient, ApiError
from handlers.kit.i18n import t
from handlers.kit.messages import Reply
from storage import models as m
from storage.wechat import WechatContacts

log = logging.getLogger("wuye.wechat.sender")

CHANNEL = "wechat"
WINDOW_CLOSED = frozenset({45015, 45047})
TEXT_PART = 600  # characters per text message (WeChat takes about 2,000 bytes)
MENU_OPTIONS = 10
THING = 20  # characters a template's "thing" field takes
TEMPLATE_KINDS = ("progress", "confirm", "survey", "notice", "urgent")


def parse_templates(setting: str) -> dict[str, str]:
    """"progress=ID,survey=ID" -> {"progress": "ID", ...}; ValueError names a bad entry."""
    templates: dict[str, str] = {}
    for entry in filter(None, (e.strip() for e in setting.split(","))):
        kind, _, template_id = entry.partition("=")
        if kind.strip() not in TEMPLATE_KINDS or not template_id.strip():
            raise ValueError(f"WECHAT_TEMPLATES entry {entry[:40]!r}: use kind=template_id with kind one of "
                             + ", ".join(TEMPLATE_KINDS))
        templates[kind.strip()] = template_id.strip()
    return templates


def template_kind(kind: str | None) -> str | None:
    """Which configured template a reply about `kind` (a catalogue key) goes out with."""
    if not kind:
        return None
    if kind.startswith("survey."):
        return "survey"
    if kind == "notices.urgent":
        return "urgent"
    if kind.startswith("notices."):
        return "notice"
    if kind == "progress.done":
        return "confirm"
    if kind.startswith(("progress.", "staff.", "followup.", "escalation.", "phone_callback.")):
        return "progress"
    return None


class WechatSender:
    channel = CHANNEL

    def __init__(self, api: ApiClient, sessions: async_sessionmaker[AsyncSession], media_dir: Path | None,
                 now: Callable[[], datetime], *, templates: dict[str, str] | None = None, timezone: str = "Asia/Shanghai",
                 text_field: str = "thing1", time_field: str = "time2", locale: str = "zh-CN") -> None:
        self.api, self.sessions, self.media_dir, self.now = api, sessions, media_dir, now
        self.templates = templates or {}
        self.zone = ZoneInfo(timezone)
        self.text_field, self.time_field, self.locale = text_field, time_field, locale
        self._ids = itertools.count(1)
        self._progress: OrderedDict[int, int] = OrderedDict()  # id(reply) -> calls already made
        self.templated = 0  # replies that went out as template messages

    async def send(self, reply: Reply, edit_message_id: str | None = None) -> str:
        async with self.sessions() as session:
            closed = await WechatContacts(session).window_closed(reply.chat_id, self.now())
            if reply.contact_button:
                # WeChat has no "share my phone number" button: say how to bind in words instead.
                locale = await session.scalar(select(m.Identity.locale).where(
                    m.Identity.channel == CHANNEL, m.Identity.user_id == reply.chat_id)) or self.locale
                reply = replace(reply, text=f"{reply.text}\n{t(locale, 'wechat.no_contact_button')}",
                                contact_button=None)
        if closed:
            return await self._template(reply)
        try:
            return await self._custom(reply)
        except ApiError as exc:
            if exc.errcode in WINDOW_CLOSED:
                self._progress.pop(id(reply), None)
                return await self._template(reply)
            raise Undeliverable(f"refused by WeChat ({exc})") from None

    # ------------------------------------------------------------ customer-service messages
    def _calls(self, reply: Reply) -> list[tuple[str, object]]:
        calls: list[tuple[str, object]] = [("image", ref) for ref in reply.photos if media.is_media(ref)]
        text = reply.text or ""
        parts = [text[i:i + TEXT_PART] for i in range(0, len(text), TEXT_PART)] or [""]
        buttons = [b for row in reply.buttons for b in row]
        for part in parts[:-1]:
            calls.append(("text", part))
        if not buttons:
            if parts[-1]:
                calls.append(("text", parts[-1]))
            return calls
        # More options than one menu shows go on in further menus, each still tappable.
        for start in range(0, len(buttons), MENU_OPTIONS):
            head = parts[-1] if start == 0 else "⬇️"
            calls.append(("menu", (head, buttons[start:start + MENU_OPTIONS])))
        return calls

    async def _custom(self, reply: Reply) -> str:
        done = self._progress.get(id(reply), 0)
        calls = self._calls(reply)
        for index, (kind, value) in enumerate(calls):
            if index < done:
                continue
            await self._call(reply.chat_id, kind, value)
            self._progress[id(reply)] = index + 1
            while len(self._progress) > 10_000:
                self._progress.popitem(last=False)
        self._progress.pop(id(reply), None)
        return f"wx-c{next(self._ids)}"

    async def _call(self, openid: str, kind: str, value: object) -> None:
        if kind == "text":
            body: dict[str, object] = {"msgtype": "text", "text": {"content": value}}
        elif kind == "image":
            body = {"msgtype": "image", "image": {"media_id": await self._upload(str(value))}}
        else:
            head, buttons = value  # type: ignore[misc]
            options = []
            async with self.sessions.begin() as session:
                contacts = WechatContacts(session)
                for button in buttons:
                    option = await contacts.add_option(openid, button.payload, self.now())
                    options.append({"id": str(option), "content": button.text})
            body = {"msgtype": "msgmenu", "msgmenu": {"head_content": head, "list": options,
                                                       "tail_content": t(self.locale, "wechat.menu_hint")}}
        await self.api.call("/cgi-bin/message/custom/send", {"touser": openid, **body})

    async def _upload(self, ref: str) -> str:
        if self.media_dir is None:
            raise Undeliverable("no MEDIA_DIR to upload photos from")
        try:
            upload = media.read(self.media_dir, ref)
        except media.MediaRefused as exc:
            raise Undeliverable(str(exc)) from None
        form = aiohttp.FormData()
        form.add_field("media", upload.data, filename=upload.filename,
                       content_type="image/png" if upload.filename.endswith(".png") else "image/jpeg")
        assert self.api.tokens is not None
        token = await self.api.tokens.token()
        try:
            async with self.api.session.post(f"{self.api.base_url}/cgi-bin/media/upload",
                                             params={"access_token": token, "type": "image"}, data=form) as response:
                if response.status >= 500:
                    raise TransientError(f"media/upload: HTTP {response.status}")
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientError(f"media/upload: {exc.__class__.__name__}") from None
        if int(answer.get("errcode") or 0) in (40001, 40014, 42001):
            await self.api.tokens.invalidate(token)
            raise TransientError("media/upload: token refused; refreshed")
        if not answer.get("media_id"):
            raise TransientError(f"media/upload: errcode {answer.get('errcode')}")
        return str(answer["media_id"])

    # ------------------------------------------------------------ template messages
    async def _template(self, reply: Reply) -> str:
        which = template_kind(reply.kind)
        template_id = self.templates.get(which or "") or (self.templates.get("notice") if which == "urgent" else None)
        if template_id is None:
            raise Undeliverable(f"outside the 48 h window and no template for {reply.kind or 'this message'}")
        first = next((line.strip() for line in (reply.text or "").splitlines() if line.strip()), "")
        short = first if len(first) <= THING else first[:THING - 1] + "…"
        when = self.now().astimezone(self.zone).strftime("%Y-%m-%d %H:%M")
        try:
            answer = await self.api.call("/cgi-bin/message/template/send", {
                "touser": reply.chat_id, "template_id": template_id,
                "data": {self.text_field: {"value": short}, self.time_field: {"value": when}},
            })
        except ApiError as exc:  # a template id or field the account does not have: an operator's fix
            raise Undeliverable(f"template message refused by WeChat ({exc})") from None
        self.templated += 1
        return f"wx-t{answer.get('msgid', next(self._ids))}"
