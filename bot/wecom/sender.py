"""The outbox's `ChannelSender` for WeCom.

Chat ids: a member's userid (the app's `message/send`), or `robot:<team>` (the team's group
robot, whose key is looked up here: it is a credential and stays out of the outbox).  A reply edited in place (`replace_key`) arrives with the task id of the card it
replaces; the card is updated with a live response code when one is left (the one its
send returned, or a newer one from a tap), else the new version is a new message.

A reply that takes several calls (text parts, photos, several cards) remembers how far it
got, so a retry after a failure half-way does not send the first parts twice.  Each call
waits its turn in the limiter: 30 messages a minute to one member, 20 a minute to one
group robot.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import media
from bot.channel import RetryAfter, Undeliverable
from bot.ratelimit import Limits, Rate, RateLimiter
from bot.wecom import CHANNEL, ROBOT_PREFIX, render
from bot.wecom.api import WecomApi, to_delivery_error
from bot.wxbase.api import ApiError
from handlers.kit.messages import NORMAL, Reply
from storage.directory import Directory
from storage.failures import log_failure
from storage.wecom_cards import CardCodes

log = logging.getLogger("wuye.wecom")


@dataclass(frozen=True, slots=True)
class WecomLimits(Limits):
    """WeCom's published limits: an app may send one member 30 messages a minute, a group
    robot takes 20 a minute; calls overall stay far under the corp's 10,000 a minute."""

    overall: Rate = field(default_factory=lambda: Rate(100, 1.0))
    private_chat: Rate = field(default_factory=lambda: Rate(30, 60.0))
    group_chat: Rate = field(default_factory=lambda: Rate(20, 60.0))
    private_burst: int = 0
    group_reserve: int = 4

    def is_group(self, chat_id: str) -> bool:
        return chat_id.startswith(ROBOT_PREFIX)

    def scaled(self, factor: float) -> WecomLimits:
        return WecomLimits(self.overall.scaled(factor), self.private_chat.scaled(factor),
                           self.group_chat.scaled(factor), self.private_burst, self.group_reserve)


class RobotKeys(Protocol):
    async def key(self, team: str) -> str | None:
        """The key of the team's group robot, or None when it has none (any more)."""
        ...


class TeamRobots:
    """Robot keys from the community's team chats, read again after `ttl` seconds (a reloaded
    community file takes effect without a restart)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, ttl: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.sessions, self.ttl, self._clock = sessions, ttl, clock
        self._known: dict[str, tuple[str | None, float]] = {}

    async def key(self, team: str) -> str | None:
        """`team` is a team code, or `<team code>@<community code>` with several communities."""
        known = self._known.get(team)
        if known is not None and self._clock() - known[1] < self.ttl:
            return known[0]
        code, _, community_code = team.partition("@")
        async with self.sessions() as session:
            directory = Directory(session)
            community = await directory.community(community_code) if community_code else None
            found = None if community_code and community is None else \
                await directory.team_chat(CHANNEL, code, community.id if community else None)
        self._known[team] = (found, self._clock())
        return found


def new_task_id() -> str:
    # Unique per app for good (WeCom refuses a task id used before); digits and letters only.
    return f"w{secrets.token_hex(12)}"


@dataclass(slots=True)
class _Progress:
    calls_done: int = 0
    first_id: str | None = None


class WecomSender:
    channel = CHANNEL

    def __init__(self, api: WecomApi, codes: CardCodes, robots: RobotKeys, *, now: Callable[[], datetime],
                 limiter: RateLimiter | None = None, media_dir: Path | None = None,
                 rate_wait: float = 60.0) -> None:
        self.api, self.codes, self.robots, self._now = api, codes, robots, now
        self.limiter = limiter or RateLimiter(WecomLimits())
        self.media_dir = media_dir
        self.rate_wait = rate_wait
        self._partial: OrderedDict[Reply, _Progress] = OrderedDict()

    async def send(self, reply: Reply, edit_message_id: str | None = None) -> str:
        try:
            if reply.chat_id.startswith(ROBOT_PREFIX):
                return await self._robot(reply)
            if edit_message_id is not None:
                updated = await self._update(reply, edit_message_id)
                if updated is not None:
                    return updated
            return await self._member(reply)
        except ApiError as exc:
            raise to_delivery_error(exc) from None
        except RetryAfter:
            # WeCom does not say how long; its windows are a minute (`rate_wait`).
            raise RetryAfter(self.rate_wait) from None

    # ------------------------------------------------------------------ members
    async def _update(self, reply: Reply, task_id: str) -> str | None:
        """The card `task_id` shows the reply now; None when it cannot be updated."""
        groups = render.button_groups(reply)
        if len(groups) > 1 or reply.photos or not render.fits_card(reply.text):
            return None
        code = await self.codes.take(task_id, self._now())
        if code is None:
            return None
        body = render.card(reply.text, groups[0] if groups else (), task_id)
        try:
            async with self.limiter.turn(reply.chat_id, urgent=reply.priority > NORMAL):
                await self.api.update_card(reply.chat_id, code, body)
        except ApiError as exc:
            # A code WeCom no longer takes (spent, lapsed): the new version is a new message.
            # Busy and rate limits propagate: the retry finds the next code or sends anew.
            log.info("card %s could not be updated (errcode %s); sending the new version", task_id, exc.errcode)
            return None
        return task_id

    def _calls(self, reply: Reply) -> list[tuple[str, Any]]:
        """The calls a reply takes, in order: photos, then text or cards."""
        calls: list[tuple[str, Any]] = [("photo", p) for p in reply.photos if media.is_media(p)]
        groups = render.button_groups(reply)
        if not groups:
            calls += [("text", m) for m in render.text_messages(reply.text)]
            return calls
        text = reply.text
        if not render.fits_card(text):
            calls += [("text", m) for m in render.text_messages(text)]
            text = text.strip().partition("\n")[0]
        for i, buttons in enumerate(groups):
            calls.append(("card", (text if i == 0 else render.more_title(), buttons)))
        return calls

    async def _member(self, reply: Reply) -> str:
        progress = self._partial.setdefault(reply, _Progress())
        while len(self._partial) > 1000:
            self._partial.popitem(last=False)
        calls = self._calls(reply)
        userid = reply.chat_id
        last = progress.first_id or ""
        for kind, what in calls[progress.calls_done:]:
            code = None
            async with self.limiter.turn(userid, urgent=reply.priority > NORMAL):
                if kind == "photo":
                    message = {"msgtype": "image", "image": {"media_id": await self._upload(what)}}
                    last = (await self.api.send(userid, message)).msgid
                elif kind == "text":
                    last = (await self.api.send(userid, what)).msgid
                else:
                    text, buttons = what
                    last = new_task_id()
                    code = (await self.api.send(userid, {"msgtype": "template_card",
                                                         "template_card": render.card(text, buttons, last)})).response_code
                    # What a later edit targets: the first card of the reply.
                    progress.first_id = progress.first_id or last
            progress.calls_done += 1  # sent: a retry of this reply starts after it
            if code:
                try:
                    await self.codes.add(last, userid, code, self._now())
                except Exception as exc:  # the card went out; it just cannot be updated later
                    log_failure(log, exc, "the update code of card %s could not be kept", last,
                                then="the card went out and cannot be updated")
        self._partial.pop(reply, None)
        return progress.first_id or last

    async def _upload(self, ref: str) -> str:
        if self.media_dir is None:
            raise Undeliverable("no media directory to upload from")
        try:
            upload = media.read(self.media_dir, ref)
        except media.MediaRefused as exc:
            raise Undeliverable(str(exc)) from None
        return await self.api.upload_image(upload.filename, upload.data)

    # ------------------------------------------------------------------ group robots
    async def _robot(self, reply: Reply) -> str:
        """The read-only team feed: the text without buttons; an edit is posted anew."""
        team = reply.chat_id.removeprefix(ROBOT_PREFIX)
        key = await self.robots.key(team)
        if not key:
            raise Undeliverable(f"team {team} has no WeCom group robot")
        progress = self._partial.setdefault(reply, _Progress())
        messages = render.robot_messages(replace(reply, buttons=()))
        for message in messages[progress.calls_done:]:
            async with self.limiter.turn(reply.chat_id, urgent=reply.priority > NORMAL):
                await self.api.robot_send(key, message)
            progress.calls_done += 1
        self._partial.pop(reply, None)
        return f"robot-{secrets.token_hex(6)}"
