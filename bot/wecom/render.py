"""A `Reply` as WeCom messages.

* With buttons, to a member: a `button_interaction` template card — the first line is the
  title, the rest the body; each button's `key` is the reply's typed payload (at most 64
  bytes, WeCom allows 1024), so a tap comes back as exactly what a Telegram press carries.
  A card holds at most six buttons; a keyboard with more goes as several cards.
* Without buttons, to a member: text, in parts of at most 2048 bytes (WeCom's limit).
* A card updated to have no buttons left keeps its text and shows one grey button
  (`replace_text`), as WeCom draws a card that is done with.
* To a group robot: markdown-free text (owners' words must not be read as markup), no
  buttons — the group feed is read-only, staff act in the app.
"""

from __future__ import annotations

from typing import Any

from handlers.kit.i18n import t
from handlers.kit.messages import Button, Reply

TEXT_LIMIT = 2048  # bytes, message/send text
ROBOT_TEXT_LIMIT = 2048  # bytes, webhook text
CARD_BUTTONS = 6
TITLE_LIMIT = 36  # characters WeCom shows in a card's title
BODY_LIMIT = 1000  # characters kept in a card's body; the full text goes before it as text
LOCALE = "zh-CN"  # staff read Chinese (handlers.cards.STAFF_LOCALE)


def split_bytes(text: str, limit: int) -> list[str]:
    """`text` in parts of at most `limit` UTF-8 bytes, cut at a newline where possible."""
    parts: list[str] = []
    while len(text.encode()) > limit:
        cut = len(text.encode()[:limit].decode(errors="ignore"))
        newline = text.rfind("\n", 0, cut)
        if newline > cut // 2:
            cut = newline
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text or not parts:
        parts.append(text)
    return parts


def text_messages(text: str) -> list[dict[str, Any]]:
    return [{"msgtype": "text", "text": {"content": part}} for part in split_bytes(text, TEXT_LIMIT)]


def _title_and_body(text: str) -> tuple[str, str]:
    first, _, rest = text.strip().partition("\n")
    if len(first) > TITLE_LIMIT:
        first, rest = first[:TITLE_LIMIT - 1] + "…", f"{first}\n{rest}".strip()
    return first, rest


def fits_card(text: str) -> bool:
    return len(_title_and_body(text)[1]) <= BODY_LIMIT


def card(text: str, buttons: tuple[Button, ...], task_id: str, *, done_label: str | None = None) -> dict[str, Any]:
    """One `button_interaction` card; no buttons → a grey `done_label` button."""
    title, body = _title_and_body(text)
    if len(body) > BODY_LIMIT:
        body = body[:BODY_LIMIT - 1] + "…"
    content: dict[str, Any] = {
        "card_type": "button_interaction",
        "source": {"desc": t(LOCALE, "wecom.source")},
        "main_title": {"title": title},
        "task_id": task_id,
        "button_list": [{"text": b.text, "style": 1, "key": b.payload} for b in buttons],
    }
    if body:
        content["sub_title_text"] = body
    if not buttons:
        content["replace_text"] = done_label or t(LOCALE, "wecom.no_action")
    return content


def button_groups(reply: Reply) -> list[tuple[Button, ...]]:
    """The reply's buttons in cards of at most six (rows kept together where they fit)."""
    groups: list[list[Button]] = [[]]
    for row in reply.buttons:
        if groups[-1] and len(groups[-1]) + len(row) > CARD_BUTTONS:
            groups.append([])
        for button in row:
            if len(groups[-1]) == CARD_BUTTONS:
                groups.append([])
            groups[-1].append(button)
    return [tuple(g) for g in groups if g]


def robot_messages(reply: Reply) -> list[dict[str, Any]]:
    return [{"msgtype": "text", "text": {"content": part}} for part in split_bytes(reply.text, ROBOT_TEXT_LIMIT)]


def more_title() -> str:
    return t(LOCALE, "wecom.more_options")
