"""From a Service Account message (its XML fields) to the desk's `Inbound`.

  text           -> text; a tapped msgmenu option (`bizmsgmenuid`) -> the button press it
                    stands for, only if that option was sent to this very openid (anything
                    else becomes an unreadable payload, which the desk answers as expired);
                    a menu word typed (报修, 我的工单 ...) -> the same press as the menu button
  image          -> downloaded at once through media/get into the media store (`media:` ref)
  voice          -> WeChat's speech recognition (`Recognition`) as text
  location       -> its label as text
  subscribe      -> /start (with a room QR scene: the QR binding prompt)
  SCAN           -> the QR binding prompt
  CLICK          -> the menu button press of its key
  unsubscribe    -> remembered (replies to them are undeliverable), nothing for the desk

A room QR code binds only after the owner confirms with name and last phone digits: the
scan remembers the room for 30 minutes and starts the ordinary binding; "李明 6789" then
becomes "5-3-1808 李明 6789" — the same guarded check (attempt limits, lockouts, the
owner's other chats told) as binding in words.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import media
from bot.channel import DeliveryError
from bot.wxbase.api import ApiClient, ApiError
from handlers.kit.i18n import LOCALES, t
from handlers.kit.messages import Inbound, Reply, reply_to_dict
from handlers.kit.payloads import Menu, encode
from handlers.owner.communities import DEEP_LINK_PREFIX
from storage import models as m
from storage.outbox import Outbox
from storage.wechat import WechatContacts

log = logging.getLogger("wuye.wechat.inbound")

CHANNEL = "wechat"
QR_PREFIX = "room:"
FORGED = "wx:unknown-option"  # not a payload: the desk answers it as an expired button
_NAME_DIGITS = re.compile(r"^\s*(\S{1,20})\s+([0-9]{4})\s*$")
# Custom-menu keys (wuye wechat menu) and the menu words owners may type instead.
MENU_KEYS = ("report", "complaint", "service", "inquiry", "mycases")


def menu_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for locale in LOCALES:
        for item in MENU_KEYS:
            words[t(locale, f"wechat.menu_{item}").lower()] = item
            words[t(locale, f"menu.{item}").split(" ", 1)[-1].lower()] = item
    return words


class WechatInbound:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], api: ApiClient, media_dir: Path,
                 now: Callable[[], datetime], *, on_outbox: Callable[[], None] | None = None,
                 default_locale: str = "zh-CN") -> None:
        self.sessions, self.api, self.media_dir, self.now = sessions, api, media_dir, now
        self.on_outbox = on_outbox
        self.default_locale = default_locale
        self._words = menu_words()

    async def __call__(self, f: dict[str, str]) -> Inbound | None:
        openid, kind = f["FromUserName"], f.get("MsgType", "")
        key = update_id(f)
        base = dict(channel=CHANNEL, chat_id=openid, user_id=openid, update_id=key)
        if kind == "event":
            return await self._event(f, base)
        now = self.now()
        async with self.sessions.begin() as session:
            contacts = WechatContacts(session)
            await contacts.wrote(openid, now)
            if kind == "text":
                return await self._text(session, contacts, f, base, now)
        if kind == "image":
            photo = await self._download(f.get("MediaId", ""), f.get("MsgId", "x"))
            if photo is None:
                await self._say(openid, "wechat.photo_failed")
                return None
            return Inbound(**base, photo=photo)
        if kind == "voice":
            words = (f.get("Recognition") or "").strip()
            if not words:
                await self._say(openid, "wechat.voice_unclear")
                return None
            return Inbound(**base, text=words)
        if kind == "location":
            label = (f.get("Label") or "").strip() or f"{f.get('Location_X', '')},{f.get('Location_Y', '')}"
            return Inbound(**base, text=t(await self._locale(openid), "wechat.location", label=label))
        await self._say(openid, "wechat.unsupported")
        return None

    async def _text(self, session: AsyncSession, contacts: WechatContacts, f: dict[str, str],
                    base: dict[str, object], now: datetime) -> Inbound:
        openid, text = f["FromUserName"], f.get("Content", "")
        option = f.get("bizmsgmenuid", "").strip()
        if option:
            payload = await contacts.option(int(option), openid) if option.isdigit() and len(option) < 19 else None
            if payload is None:
                log.warning("wechat: a menu option not sent to this follower was tapped (refused)")
            return Inbound(**base, payload=payload or FORGED)
        item = self._words.get(text.strip().lower())
        if item is not None:
            return Inbound(**base, payload=encode(Menu(item)))
        match = _NAME_DIGITS.match(text)
        if match is not None and await contacts.pending_scan(openid, now):
            room = await contacts.take_scan(openid, now)
            if room:
                return Inbound(**base, text=f"{room} {match.group(1)} {match.group(2)}")
        return Inbound(**base, text=text)

    async def _event(self, f: dict[str, str], base: dict[str, object]) -> Inbound | None:
        openid, event, key = f["FromUserName"], f.get("Event", "").lower(), f.get("EventKey", "")
        now = self.now()
        if event == "unsubscribe":
            async with self.sessions.begin() as session:
                await WechatContacts(session).follows(openid, False)
            return None
        if event not in ("subscribe", "scan", "click"):
            return None  # VIEW (a link opened), LOCATION reports, template delivery receipts
        async with self.sessions.begin() as session:
            # Following, scanning and menu clicks open a (short) window to answer in.
            await WechatContacts(session).wrote(openid, now)
            room = _room(f)
            if room is not None:
                known = await session.scalar(select(m.Room.id).where(m.Room.code == room).limit(1))
                if known is None:
                    await self._queue(session, openid, "wechat.qr_unknown")
                else:
                    await WechatContacts(session).scanned(openid, room, now)
        if event == "click":
            return Inbound(**base, payload=encode(Menu(key[5:]))) if key[5:] in MENU_KEYS and key.startswith("menu:") \
                else None
        # A community's QR code (scene `c_<code>`) starts the conversation in that community.
        community = _community_scene(f)
        return Inbound(**base, text=f"/start {community}" if community else "/start")

    async def after(self, f: dict[str, str], inbound: Inbound) -> None:
        """Once the desk answered a room QR scan (its greeting starts the binding), the QR
        prompt follows it, so the owner reads it last."""
        if _room(f) is None:
            return
        async with self.sessions.begin() as session:
            if await WechatContacts(session).pending_scan(inbound.chat_id, self.now()):
                await self._queue(session, inbound.chat_id, "wechat.qr_scanned", room=_room(f))

    async def _locale(self, openid: str) -> str:
        async with self.sessions() as session:
            locale = await session.scalar(select(m.Identity.locale).where(
                m.Identity.channel == CHANNEL, m.Identity.user_id == openid))
        return locale or self.default_locale

    async def _queue(self, session: AsyncSession, openid: str, key: str, **fields: object) -> None:
        locale = await session.scalar(select(m.Identity.locale).where(
            m.Identity.channel == CHANNEL, m.Identity.user_id == openid)) or self.default_locale
        reply = Reply(CHANNEL, openid, t(locale, key, **fields))
        await Outbox(session).add(CHANNEL, openid, reply_to_dict(reply), None, self.now())
        if self.on_outbox:
            self.on_outbox()

    async def _say(self, openid: str, key: str) -> None:
        async with self.sessions.begin() as session:
            await self._queue(session, openid, key)

    async def _download(self, media_id: str, msg_id: str) -> str | None:
        """The photo into the media store (WeChat keeps it only three days); None when it failed."""
        if not media_id:
            return None
        try:
            data, kind = await self.api.call_raw("/cgi-bin/media/get", method="GET", params={"media_id": media_id})
            suffix = ".png" if "png" in kind else ".jpg"
            return media.save(self.media_dir, f"wx-{re.sub(r'[^0-9A-Za-z]', '', msg_id)[:24] or 'photo'}", data, suffix)
        except (DeliveryError, ApiError, media.MediaRefused, OSError) as exc:
            log.warning("wechat: could not download a photo: %s", exc)
            return None


def update_id(f: Mapping[str, str]) -> str:
    """The message's update key: what the desk and the inbox de-duplicate it by.  An event's
    includes its key: two scans within one second (CreateTime's unit) are two events."""
    if f.get("MsgId"):
        return f"wx:{f['MsgId']}"
    return f"wx:{f['FromUserName']}:{f.get('CreateTime', '')}:{f.get('Event', '')}:{f.get('EventKey', '')}"[:200]


def _community_scene(f: dict[str, str]) -> str | None:
    """The `c_<community code>` scene of a community QR code's follow or scan event."""
    if f.get("MsgType") != "event" or f.get("Event", "").lower() not in ("subscribe", "scan"):
        return None
    scene = f.get("EventKey", "").removeprefix("qrscene_")
    return scene[:66] if scene.startswith(DEEP_LINK_PREFIX) and scene.isprintable() and " " not in scene else None


def _room(f: dict[str, str]) -> str | None:
    """The room code of a room QR scan event (`qrscene_room:5-3-1808` on follow, `room:…` on scan)."""
    if f.get("MsgType") != "event" or f.get("Event", "").lower() not in ("subscribe", "scan"):
        return None
    scene = f.get("EventKey", "").removeprefix("qrscene_")
    room = scene.removeprefix(QR_PREFIX) if scene.startswith(QR_PREFIX) else None
    return room[:32] if room else None
