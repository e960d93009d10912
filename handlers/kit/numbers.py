"""The one way a number typed or carried in a button becomes an int.

`str.isdigit()` is true for "²", "①" and other Unicode digits that `int()` then
refuses (or, for Arabic-Indic digits, silently accepts), and a long run of digits
makes a number no column can hold.  Every number a person sends — a case number,
a button's id, a unit index, a date part — goes through `parse_int`, which takes
ASCII digits only and answers None for anything else or anything out of range.
"""

from __future__ import annotations

# Ids are BIGINT on PostgreSQL; nothing a person types is meaningfully longer.
MAX_ID = 2**63 - 1


def parse_int(text: object, *, lo: int = 0, hi: int = MAX_ID) -> int | None:
    """The int written in `text` with ASCII digits only (surrounding blanks allowed), within [lo, hi]."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if lo <= text <= hi else None
    if not isinstance(text, str):
        return None
    digits = text.strip()
    if not digits or len(digits) > 19 or not (digits.isascii() and digits.isdigit()):
        return None
    value = int(digits)
    return value if lo <= value <= hi else None

# Case numbers people type: twelve digits is more cases than any property will have.
CASE_NUMBER_MAX = 10**12 - 1
