"""What crosses the line between a channel adapter and the conversation core.

A channel turns whatever arrived (a Telegram update, a console line) into an
`Inbound`; the core answers with `Reply` objects and the channel turns those into
API calls. Nothing here knows about Telegram or aiogram.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button; `payload` is an encoded `handlers.kit.payloads` value (<= 64 bytes)."""

    text: str
    payload: str


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a person did: sent text, pressed a button, sent a photo or shared a contact."""

    channel: str
    chat_id: str
    user_id: str
    is_group: bool = False
    text: str | None = None
    payload: str | None = None
    photo: str | None = None
    contact_phone: str | None = None
    # Telegram tells whose contact was shared; only the sender's own is accepted.
    contact_user_id: str | None = None
    display_name: str | None = None
    language: str | None = None
    # Channel-level identity of the update, used to process redeliveries once.
    update_id: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """One message the core wants delivered to a chat of the same channel."""

    channel: str
    chat_id: str
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    photos: tuple[str, ...] = ()
    # Messages sharing a key replace each other (a dispatch card edited in place).
    replace_key: str | None = None
    # When set, the channel shows its "share my phone number" keyboard with this label.
    contact_button: str | None = None
    # URGENT (emergency alerts and cards) overtakes ordinary messages to the same chat.
    priority: int = 0
    # What an owner-facing message is about (the catalogue key, e.g. "progress.done"), for a
    # channel that must pick a form for it: WeChat's template message outside its 48 h window.
    kind: str | None = None


NORMAL, URGENT = 0, 1
# A photo the bot keeps as a file of its media directory (bot.media): any channel can upload
# it, unlike a channel's own file ids.
MEDIA_PREFIX = "media:"


def rows(*rows_: list[Button] | tuple[Button, ...]) -> tuple[tuple[Button, ...], ...]:
    """Build a keyboard from rows of buttons."""
    return tuple(tuple(r) for r in rows_ if r)


@dataclass(slots=True)
class Outcome:
    """The replies one inbound produced; `answer` is the toast for a button press."""

    replies: list[Reply] = field(default_factory=list)
    answer: str | None = None


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    """The JSON shape a reply is stored in the outbox with."""
    return asdict(reply)


def reply_from_dict(body: dict[str, Any]) -> Reply:
    buttons = tuple(tuple(Button(**b) for b in row) for row in body.get("buttons", ()))
    return Reply(**{**body, "buttons": buttons, "photos": tuple(body.get("photos", ()))})
