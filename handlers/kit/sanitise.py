"""What a channel hands the core is cleaned once, at the edge, before anything reads it.

A NUL character cannot be stored in PostgreSQL text (every write of that text fails, so
an emergency `楼道里着火了\\x00冒烟` was filed on SQLite but not on PostgreSQL); a lone
surrogate (half of an emoji, from a broken client or a JSON `\\ud83d`) cannot be encoded
as UTF-8 at all.  Neither carries meaning, so both go, with the other C0 control
characters a keyboard does not type; line breaks and tabs stay.
"""

from __future__ import annotations

import dataclasses
import re

from handlers.kit.messages import Inbound

# C0 controls but \t \n \r, DEL, and the surrogate range (only ever lone in a str).
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_FIELDS = ("chat_id", "user_id", "text", "payload", "photo", "contact_phone", "contact_user_id", "display_name",
           "language", "update_id")


def clean_text(text: str) -> str:
    """`text` without NUL, lone surrogates and other invisible control characters; CRLF as LF."""
    if text.isascii() and text.isprintable():
        return text
    return _UNWANTED.sub("", text.replace("\r\n", "\n"))


def clean_inbound(inbound: Inbound) -> Inbound:
    """The same inbound with every text field cleaned (the same object when nothing changed)."""
    changes = {}
    for name in _FIELDS:
        value = getattr(inbound, name)
        if isinstance(value, str):
            cleaned = clean_text(value)
            if cleaned != value:
                changes[name] = cleaned
    return dataclasses.replace(inbound, **changes) if changes else inbound
