"""From a Telegram update to an `Inbound`, and the order in which the core sees them.

`inbound_from_update` reads python-telegram-bot's and aiogram's `Update` objects
alike: both libraries mirror the Bot API's field names (`message.chat.id`,
`from_user`, `callback_query.data`, `photo[].file_id` ...), so one translation
serves both adapters and the two cannot drift apart.

`UpdateGate` sits between a library's update stream and `Core.handle`:

* it drops an update it has already taken in (a webhook redelivery) — a
  bounded in-memory first line, logged and counted; the core dedupes durably as well.
  An update is known by `update_key`: Telegram's `update_id` together with what the
  update carries (chat, message id and date, or the button press's own id), because
  Telegram restarts its numbering (after a week without updates, or for a new token)
  and a bare id seen before must not swallow a new message;
* it hands each chat's updates to the core one at a time, in arrival order,
  while different chats are handled concurrently;
* it always answers a button press, with the core's toast or with nothing, so
  the user's client stops showing a spinner — even when the core failed;
* it knows which updates it has taken in and not yet handled (`first_open`, `take`),
  so polling and the webhook confirm an update to Telegram only once it is handled
  (bot.telegram.polling, bot.telegram.webhook).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict, deque
from typing import Any

from bot.channel import Core
from bot.telegram.outgoing import CHANNEL
from handlers.kit.messages import Inbound
from handlers.kit.sanitise import clean_inbound

log = logging.getLogger(__name__)

# The update kinds the adapters ask Telegram for; everything else is not our business.
ALLOWED_UPDATES = ["message", "callback_query"]

# Telegram shows at most 200 characters of a button-press toast.
ANSWER_LIMIT = 200

_ADDRESSED_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})@([A-Za-z0-9_]+)(?=\s|$)")


def update_key(update: Any) -> str:
    """The update's identity for deduplication: its id plus what it carries.

    A redelivery repeats all of it; an update of a restarted numbering that happens to
    reuse an id differs in chat, message id or date (or, for a button press, in the
    press's own id, unique across Telegram)."""
    query = getattr(update, "callback_query", None)
    if query is not None:
        return f"{update.update_id}:q{query.id}"
    message = getattr(update, "message", None) or getattr(update, "edited_message", None)
    if message is not None:
        date = getattr(message, "date", None)
        stamp = int(date.timestamp()) if hasattr(date, "timestamp") else date
        return f"{update.update_id}:{message.chat.id}:{getattr(message, 'message_id', None)}:{stamp}"
    return str(update.update_id)


def inbound_from_update(update: Any, bot_username: str | None = None) -> Inbound | None:
    """The `Inbound` for a library `Update`, or None when there is nothing for the core.

    Nothing for the core: edits, stickers, voice notes, service messages (someone
    joined), commands addressed to another bot in a group, buttons not on a chat
    message.  Text is cleaned here, once (NUL, lone surrogates: `handlers.kit.sanitise`).
    """
    inbound = _inbound(update, bot_username)
    return clean_inbound(inbound) if inbound is not None else None


def _inbound(update: Any, bot_username: str | None) -> Inbound | None:
    update_id = update_key(update)
    query = update.callback_query
    if query is not None:
        message = query.message
        if message is None or query.data is None:
            return None
        return Inbound(
            channel=CHANNEL,
            chat_id=str(message.chat.id),
            user_id=str(query.from_user.id),
            is_group=message.chat.type != "private",
            payload=query.data,
            display_name=query.from_user.full_name,
            language=query.from_user.language_code,
            update_id=update_id,
        )

    message = update.message
    if message is None or message.from_user is None:
        return None
    if message.text is not None:
        text = _strip_bot_mention(message.text, bot_username)
        if text is None:
            return None
    else:
        text = message.caption
    photo = _largest(message.photo)
    contact = message.contact
    if text is None and photo is None and contact is None:
        return None
    return Inbound(
        channel=CHANNEL,
        chat_id=str(message.chat.id),
        user_id=str(message.from_user.id),
        is_group=message.chat.type != "private",
        text=text,
        photo=photo,
        contact_phone=contact.phone_number if contact is not None else None,
        contact_user_id=str(contact.user_id) if contact is not None and contact.user_id else None,
        display_name=message.from_user.full_name,
        language=message.from_user.language_code,
        update_id=update_id,
    )


def _strip_bot_mention(text: str, bot_username: str | None) -> str | None:
    """"/start@our_bot x" -> "/start x"; None for a command meant for another bot.

    In groups Telegram clients append the bot's name to commands; the core should
    see the same command whichever chat it came from.
    """
    match = _ADDRESSED_COMMAND.match(text)
    if match is None:
        return text
    if bot_username and match.group(2).lower() != bot_username.lower():
        return None
    return f"/{match.group(1)}{text[match.end():]}"


def _largest(sizes: Any) -> str | None:
    """Telegram sends each photo in several sizes; the core wants the best one."""
    if not sizes:
        return None
    best = max(sizes, key=lambda s: (s.width * s.height, s.file_size or 0))
    return best.file_id


class RecentUpdateIds:
    """The last `size` update keys seen, oldest forgotten first."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._ids: OrderedDict[int | str, None] = OrderedDict()

    def first_time(self, update_id: int | str) -> bool:
        if update_id in self._ids:
            return False
        self._ids[update_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True


class UpdateGate:
    """Dedup, per-chat ordering, the core call and the button-press answer (see module doc)."""

    def __init__(self, core: Core, *, remember_updates: int = 10_000) -> None:
        self._core = core
        self._recent = RecentUpdateIds(remember_updates)
        self._lanes: dict[str, deque[tuple[Inbound, Any, int]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Telegram ids of the updates taken in and not yet handled (bot.telegram.polling
        # confirms nothing from the lowest of them on), and a wake-up for each one done.
        self._open: set[int] = set()
        self._progress = asyncio.Event()
        # Updates refused as already taken in (each also logged).
        self.duplicates = 0
        # Set by the adapter once it knows who it is (getMe), for "/cmd@name" in groups.
        self.bot_username: str | None = None

    def submit(self, update: Any) -> None:
        """Take in one library `Update`; call in arrival order, it does not wait for the core."""
        if not self._recent.first_time(update_key(update)):
            self.duplicates += 1
            log.info("update %s arrived again; already taken in (refused as a duplicate)", update.update_id)
            return
        query = update.callback_query
        inbound = inbound_from_update(update, self.bot_username)
        if inbound is None:
            if query is not None:
                self._spawn(self._answer(query, None))
            return
        lane = self._lanes.get(inbound.chat_id)
        if lane is None:
            lane = self._lanes[inbound.chat_id] = deque()
            self._spawn(self._run_lane(inbound.chat_id, lane))
        self._open.add(update.update_id)
        lane.append((inbound, query, update.update_id))

    async def take(self, update: Any) -> None:
        """`submit`, then return once that update is handled: a webhook answers Telegram only
        then, so an update the process dies with is posted again."""
        self.submit(update)
        while update.update_id in self._open:
            await self.wait_progress(1.0)

    def first_open(self) -> int | None:
        """The lowest Telegram update id taken in and not yet handled (None: all handled)."""
        return min(self._open) if self._open else None

    def open_count(self) -> int:
        return len(self._open)

    async def wait_progress(self, timeout: float) -> None:
        """Return when an update has been handled since the call, or after `timeout` seconds."""
        try:
            await asyncio.wait_for(self._progress.wait(), timeout)
        except TimeoutError:
            pass

    def _done(self, update_id: int) -> None:
        self._open.discard(update_id)
        self._progress.set()
        self._progress = asyncio.Event()

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for updates already taken in to be handled; cancel what takes longer."""
        if not self._tasks:
            return
        _, unfinished = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_lane(self, chat_id: str, lane: deque[tuple[Inbound, Any, int]]) -> None:
        try:
            while lane:
                inbound, query, update_id = lane.popleft()
                await self._handle(inbound, query)
                # Handled: committed by the desk, or answered with its apology.  Cancelled
                # (a drain that ran out of time), it stays open and is never confirmed.
                self._done(update_id)
        finally:
            if self._lanes.get(chat_id) is lane:
                del self._lanes[chat_id]

    async def _handle(self, inbound: Inbound, query: Any) -> None:
        answer = None
        try:
            outcome = await self._core.handle(inbound)
            answer = outcome.answer
        except Exception:
            log.exception("the core failed on telegram update %s", inbound.update_id)
        if query is not None:
            await self._answer(query, answer)

    async def _answer(self, query: Any, text: str | None) -> None:
        if text and len(text) > ANSWER_LIMIT:
            text = text[: ANSWER_LIMIT - 1] + "…"
        try:
            await query.answer(text=text or None)
        except Exception as exc:
            # Too late (queries expire) or network trouble: the press itself was handled.
            log.warning("could not answer button press %s: %s", query.id, exc)
