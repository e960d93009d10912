"""Turn whatever an owner typed into the one form the rules are written for.

Order matters:
1. ``None``/non-text → ``""`` (callers must never crash us).
2. Cut very long input: a 100 KB paste is not a message an owner typed; the
   head carries the request and keeps latency bounded.
3. NFKC: full-width Latin/digits/punctuation (ＡＢＣ１２３！，) → ASCII, so
   English and room numbers match whatever the input method produced.
4. Lower case, for English keywords.
5. Traditional → simplified (``hant.TABLE``), then context phrases (著火).
6. Homophone/typo fixes from the rules file (点梯→电梯, 露水→漏水), applied
   last so they also catch typos written in traditional characters.
7. Pinyin abbreviations from the rules file (dt→电梯), only as a whole Latin
   word: "dt卡住了" is a lift, "width" keeps its letters.

The output keeps one character per input character wherever possible so the
keyword spans shown to staff read naturally; typo fixes may change length,
which is fine because spans are taken from the normalized text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Mapping

from . import hant

#: Longest input we look at. Real messages are under 500 characters; the cap
#: keeps a pasted log or an attack from costing more than a few milliseconds.
MAX_CHARS = 2000

_SPACES = re.compile(r"\s+")
#: Full-width ASCII (！，？：ＡＢＣ１２３), the ideographic space and … mapped to
#: their compatibility decompositions before NFKC. NFKC would map them the
#: same way (a character replaced by its NFKD does not change the NFKC of the
#: text), but a message with even one of them misses NFKC's quick check and
#: goes through the full composition; with them gone most messages pass it.
_WIDE = {**{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}, 0x3000: " ", 0x2026: "..."}


def to_text(value: Any) -> str:
    """Coerce anything a channel might hand us into a string ("" for None)."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return str(value)
    return value


class Normalizer:
    """Folds width, case, script and known typos. Built once per rule set."""

    def __init__(self, typos: Mapping[str, str] | None = None, max_chars: int = MAX_CHARS,
                 abbreviations: Mapping[str, str] | None = None):
        self.max_chars = max_chars
        phrases = dict(hant.PHRASES)
        phrases.update(typos or {})
        # Longest first so "马桶赌" wins over a shorter overlapping fix.
        keys = sorted(phrases, key=len, reverse=True)
        self._fixes = phrases
        self._fix_re = re.compile("|".join(map(re.escape, keys))) if keys else None
        self._abbrev = {k.lower(): v for k, v in (abbreviations or {}).items()}
        # A Latin word, however it touches Chinese text: dt卡住了, 困在dt里.
        self._abbrev_re = re.compile(
            r"(?<![a-z])(?:" + "|".join(map(re.escape, sorted(self._abbrev, key=len, reverse=True)))
            + r")(?![a-z])") if self._abbrev else None
        # The replacements, made once (not a new lambda per message).
        fixes, abbrev = self._fixes, self._abbrev
        self._fix_one = lambda m: fixes[m.group(0)]
        self._abbrev_one = lambda m: abbrev[m.group(0)]

    def __call__(self, value: Any) -> str:
        text = to_text(value)[: self.max_chars]
        text = unicodedata.normalize("NFKC", text.translate(_WIDE)).lower()
        # English contractions: "isn't"/"doesn’t" → "is not" so the negator
        # "not" is one word the negation check can see.
        text = text.replace("\u2019", "'").replace("n't", " not")
        text = text.translate(hant.TABLE)
        if self._fix_re is not None:
            text = self._fix_re.sub(self._fix_one, text)
        if self._abbrev_re is not None:
            text = self._abbrev_re.sub(self._abbrev_one, text)
        # Collapse runs of whitespace (newlines become one space) so clause
        # logic sees one separator, and trim the ends.
        return _SPACES.sub(" ", text).strip()
