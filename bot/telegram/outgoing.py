"""Turning a `Reply` into Bot API calls, the same way whichever library makes them.

What Telegram needs that the channel-neutral `Reply` does not say:

* photos go first (one `sendPhoto`, or `sendMediaGroup` for up to ten), then the
  text carrying the keyboard, whose message id is what later edits target;
* a text over 4096 characters (UTF-16 code units, as Telegram counts) is sent in
  parts, cut at a newline where possible, with the keyboard on the last part;
* an edit in place that Telegram refuses because the message is too old or gone
  becomes a new message; "message is not modified" is success;
* a reply keyboard asking for the phone number is shown for `contact_button` and
  taken away again with the next plain reply, so a stale button does not linger;
* a reply that needs several calls and fails halfway resumes where it stopped
  when retried, so the photos that already went out are not sent twice;
* a photo named `media:<file>` is a file the bot made (a chart) and is uploaded
  from the media directory (`bot.media` refuses anything else); other photos are
  file ids Telegram already has and pass through as they are.

Library adapters subclass `BotApiSender` and implement four calls, translating
their library's errors into `ApiFailure` (an error answer from the Bot API) or
`TransientError` (no answer: network trouble, timeouts).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from bot import media
from bot.channel import DeliveryError, RetryAfter, TransientError, Undeliverable
from bot.media import Upload
from bot.ratelimit import RateLimiter, is_group_chat
from handlers.kit.messages import Button, Reply

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# Read timeout of the calls that send: far longer than the Bot API takes to answer even
# when Telegram is slow.  Telegram has no idempotency key, so a call that timed out after
# the server had accepted it is sent again by the retry — a duplicate.  The libraries'
# defaults (python-telegram-bot: 5 s) made that window wide; at 60 s what remains is a
# connection cut after the server accepted and before its answer arrived.  Edits are safe
# to retry ("message is not modified" counts as success); a new message cannot be looked
# up afterwards, so it is retried (a duplicate is better than a lost emergency card).
SEND_TIMEOUT = 60.0
# HTTP connections for sending, so a slow answer in one chat does not hold up the rest.
SEND_CONNECTIONS = 16
TEXT_LIMIT = 4096
MEDIA_GROUP_MAX = 10


@dataclass(frozen=True, slots=True)
class InlineKeyboard:
    rows: tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class ContactKeyboard:
    """One-time reply keyboard with a single "share my phone number" button."""

    label: str


@dataclass(frozen=True, slots=True)
class RemoveKeyboard:
    pass


Markup = InlineKeyboard | ContactKeyboard | RemoveKeyboard | None


@dataclass(frozen=True, slots=True)
class SendPhotos:
    """One call: `sendPhoto` for a single photo, `sendMediaGroup` for 2 to 10."""

    photos: tuple[str, ...]
    markup: Markup = None


@dataclass(frozen=True, slots=True)
class SendText:
    text: str
    markup: Markup = None


Step = SendPhotos | SendText
# What a photo becomes for an API call: a file id (or URL) Telegram knows, or bytes to upload.
Photo = str | Upload


class ApiFailure(Exception):
    """An error answer from the Bot API, whichever library received it."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        retry_after: float | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def _says(self, *phrases: str) -> bool:
        # Libraries reword descriptions (python-telegram-bot drops "Bad Request: " and
        # capitalizes), so match the distinctive phrase, case-insensitively.
        text = self.description.lower()
        return any(p in text for p in phrases)

    @property
    def not_modified(self) -> bool:
        return self.code == 400 and self._says("message is not modified")

    @property
    def cannot_edit(self) -> bool:
        return self.code == 400 and self._says(
            "message can't be edited", "message to edit not found", "message_id_invalid"
        )


def to_delivery_error(failure: ApiFailure) -> DeliveryError:
    """What the outbox worker should do about an error answer."""
    if failure.retry_after is not None or failure.code == 429:
        return RetryAfter(failure.retry_after if failure.retry_after is not None else 1.0)
    if failure.migrate_to_chat_id is not None:
        # The core keys chats by id and has no way to learn the new one from here.
        return Undeliverable(
            f"the group was upgraded to a supergroup, new chat id {failure.migrate_to_chat_id}"
        )
    if failure.code in (400, 403):
        # 403: blocked by the user, kicked from the group, user deactivated.
        # 400: chat not found, group deleted, a malformed message.  Retrying cannot help.
        return Undeliverable(f"{failure.code}: {failure.description}")
    # 401/404 (token revoked, wrong API root), 409, 5xx: may heal, so retry with backoff.
    return TransientError(f"{failure.code}: {failure.description}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut `text` into parts Telegram accepts, preferring newlines, then spaces, as cut points.

    The newline or space at a cut is dropped; parts that would be blank are left out.
    """
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        fits = _chars_within(rest, limit)
        cut = rest.rfind("\n", 0, fits + 1)
        if cut < fits // 2:
            cut = rest.rfind(" ", 0, fits + 1)
        if cut < fits // 2:
            head, rest = rest[:fits], rest[fits:]
        else:
            head, rest = rest[:cut], rest[cut + 1 :]
        if head.strip():
            parts.append(head)
    if rest.strip():
        parts.append(rest)
    return parts


def _chars_within(text: str, limit: int) -> int:
    """How many leading characters of `text` fit in `limit` UTF-16 code units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


@dataclass(slots=True)
class _Progress:
    done: int = 0
    last_message_id: int | None = None


class BotApiSender(ABC):
    """`ChannelSender` for Telegram; adapters supply the four API calls."""

    channel = CHANNEL
    _PROGRESS_KEPT = 1000

    def __init__(self, limiter: RateLimiter | None, media_dir: Path | None = None) -> None:
        self._limiter = limiter
        # Where `media:` photos are uploaded from; without it they are refused.
        self._media_dir = media_dir
        # Replies that failed after some of their calls went out, and how far they got.
        self._partial: OrderedDict[tuple[Reply, str | None], _Progress] = OrderedDict()
        # Chats currently showing our "share phone number" keyboard (in memory only:
        # after a restart a stale keyboard stays until the user uses or hides it).
        self._contact_keyboard_shown: set[str] = set()

    @abstractmethod
    async def _send_text(self, chat_id: str, text: str, markup: Markup) -> int: ...

    @abstractmethod
    async def _send_photo(self, chat_id: str, photo: Photo, markup: Markup) -> int: ...

    @abstractmethod
    async def _send_media_group(self, chat_id: str, photos: Sequence[Photo]) -> list[int]: ...

    @abstractmethod
    async def _edit_text(
        self, chat_id: str, message_id: int, text: str, markup: InlineKeyboard | None
    ) -> None: ...

    @abstractmethod
    async def _get_chat(self, chat_id: str) -> None:
        """getChat: returns if the bot can see the chat, raises ApiFailure if not."""

    async def chat_refusal(self, chat_id: str) -> str | None:
        """Why Telegram would refuse a message to `chat_id` ("Bad Request: chat not found",
        "Forbidden: bot was kicked from the supergroup chat"), or None if the bot is in it.
        Network trouble raises TransientError: that says nothing about the chat."""
        try:
            await self._get_chat(chat_id)
        except ApiFailure as failure:
            if failure.code in (400, 403):
                return failure.description
            raise TransientError(f"{failure.code}: {failure.description}") from failure
        return None

    async def send(self, reply: Reply, edit_message_id: str | None = None) -> str:
        if edit_message_id is not None and self._can_edit(reply, edit_message_id):
            if await self._edit(reply, edit_message_id):
                return edit_message_id
        return await self._send_new(reply, edit_message_id)

    def _can_edit(self, reply: Reply, message_id: str) -> bool:
        # editMessageText changes text and inline buttons only: anything else is a new message.
        return (
            message_id.isdigit()
            and not reply.photos
            and not reply.contact_button
            and bool(reply.text.strip())
            and utf16_len(reply.text) <= TEXT_LIMIT
        )

    async def _edit(self, reply: Reply, message_id: str) -> bool:
        markup = InlineKeyboard(reply.buttons) if reply.buttons else None
        try:
            async with self._turn(reply.chat_id, reply.priority > 0):
                await self._edit_text(reply.chat_id, int(message_id), reply.text, markup)
        except ApiFailure as failure:
            if failure.not_modified:
                return True
            if failure.cannot_edit:
                log.info("chat %s: message %s cannot be edited, sending anew", reply.chat_id, message_id)
                return False
            raise to_delivery_error(failure) from failure
        return True

    async def _send_new(self, reply: Reply, edit_message_id: str | None) -> str:
        steps = self._plan(reply)
        if not steps:
            raise Undeliverable("the reply has neither text nor photos")
        key = (reply, edit_message_id)
        progress = self._partial.pop(key, None) or _Progress()
        for index, step in enumerate(steps[progress.done :], start=progress.done):
            try:
                async with self._turn(reply.chat_id, reply.priority > 0):
                    message_id = await self._run(reply.chat_id, step)
            except Exception as exc:
                error = to_delivery_error(exc) if isinstance(exc, ApiFailure) else exc
                if progress.done and not isinstance(error, Undeliverable):
                    self._remember(key, progress)
                if error is exc:
                    raise
                raise error from exc
            progress.done = index + 1
            progress.last_message_id = message_id
        self._note_keyboard(reply.chat_id, steps[-1].markup)
        return str(progress.last_message_id)

    def _plan(self, reply: Reply) -> list[Step]:
        markup = self._markup_for(reply)
        steps: list[Step] = [
            SendPhotos(tuple(reply.photos[i : i + MEDIA_GROUP_MAX]))
            for i in range(0, len(reply.photos), MEDIA_GROUP_MAX)
        ]
        parts = split_text(reply.text) if reply.text else []
        if parts:
            steps += [SendText(part) for part in parts[:-1]]
            steps.append(SendText(parts[-1], markup))
        elif steps and markup is not None:
            if len(steps[-1].photos) == 1:  # type: ignore[union-attr]
                steps[-1] = SendPhotos(steps[-1].photos, markup)  # type: ignore[union-attr]
            else:
                log.warning("chat %s: an album cannot carry buttons; dropped them", reply.chat_id)
        return steps

    def _markup_for(self, reply: Reply) -> Markup:
        if reply.buttons:
            if reply.contact_button:
                log.warning(
                    "chat %s: one message cannot carry both inline buttons and the contact "
                    "keyboard; kept the buttons",
                    reply.chat_id,
                )
            return InlineKeyboard(reply.buttons)
        if reply.contact_button:
            if is_group_chat(reply.chat_id):
                # Telegram offers request_contact buttons in private chats only.
                log.info("chat %s: no contact keyboard in a group", reply.chat_id)
                return None
            return ContactKeyboard(reply.contact_button)
        if reply.chat_id in self._contact_keyboard_shown:
            return RemoveKeyboard()
        return None

    def _note_keyboard(self, chat_id: str, markup: Markup) -> None:
        if isinstance(markup, ContactKeyboard):
            self._contact_keyboard_shown.add(chat_id)
        elif isinstance(markup, RemoveKeyboard):
            self._contact_keyboard_shown.discard(chat_id)

    async def _run(self, chat_id: str, step: Step) -> int:
        if isinstance(step, SendText):
            return await self._send_text(chat_id, step.text, step.markup)
        photos = [self._photo(ref) for ref in step.photos]
        if len(photos) == 1:
            return await self._send_photo(chat_id, photos[0], step.markup)
        return (await self._send_media_group(chat_id, photos))[-1]

    def _photo(self, ref: str) -> Photo:
        """A file id as it is; a `media:` file read for upload, if it is one we may send."""
        if not media.is_media(ref):
            return ref
        if self._media_dir is None:
            raise Undeliverable("a media photo, but no media directory is configured (MEDIA_DIR)")
        try:
            return media.read(self._media_dir, ref)
        except media.MediaRefused as refused:
            # Never retried: the reference itself is wrong, or the file is gone.
            raise Undeliverable(f"media photo refused: {refused}") from None

    def _turn(self, chat_id: str, urgent: bool = False) -> AbstractAsyncContextManager[None]:
        # Every call that puts something in the chat waits for its turn, so a reply
        # sent in three calls counts three times against the limits; urgent replies
        # (emergencies) go first and may use a group's reserved slots.
        return self._limiter.turn(chat_id, urgent=urgent) if self._limiter is not None else nullcontext()

    def _remember(self, key: tuple[Reply, str | None], progress: _Progress) -> None:
        self._partial[key] = progress
        while len(self._partial) > self._PROGRESS_KEPT:
            self._partial.popitem(last=False)
