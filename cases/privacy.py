"""Masking of owners' personal data for group chats and logs (保密性)."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")
# Mainland mobile numbers and other long digit runs that look like phone numbers.
PHONE_RE = re.compile(r"(?<!\d)(\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")


def mask_phone(phone: str) -> str:
    """138****5678: enough for staff to recognise, not enough to call."""
    digits = "".join(_DIGITS.findall(phone))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_name(name: str) -> str:
    """张*, 欧阳**, J*** — the family name (or initial) only."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def scrub(text: str) -> str:
    """Mask every phone number inside free text (owners type them into descriptions)."""
    return PHONE_RE.sub(lambda m: f"{m.group(2)}****{m.group(4)}", text)
