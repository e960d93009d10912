"""Masking of owners' personal data for group chats and logs (保密性).

Owners type their numbers every way a keyboard allows: `138 0000 0001`, `138.0000.0001`,
`138_0000_0001`, full-width `１３８００００００01`, with zero-width spaces pasted in
between.  `scrub` therefore finds numbers on a normalised shadow of the text (NFKC,
every decimal digit as ASCII, zero-width characters gone, runs of separators between
digits allowed) and masks the matching stretch of the original, so the rest of the
text — Chinese punctuation included — reads exactly as typed.

Besides mobile numbers it masks mainland ID-card numbers (18 characters, last one a
digit or X) and the full names of the owner register (`NAMES`, filled when the
register is loaded), so a description naming a neighbour is as safe as one naming
its author.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Zero-width and invisible formatting characters people paste between digits.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"))
# str.translate looks up every character; a search finds the (rare) text that needs it ten times faster.
_HAS_INVISIBLE = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")
# Anything that may become a digit under NFKC or is one already: ASCII and Unicode decimal
# digits (\d), super/subscripts, circled and full-width digits.
_DIGITLIKE = re.compile(r"[\d\u00b2\u00b3\u00b9\u2070-\u2079\u2080-\u2089\u2460-\u249b\u24ea-\u24ff\u2776-\u2793]")
# Separators allowed between the digits of one number (after NFKC: full-width forms are ASCII).
_SEP = r"[ \t.\-_/·•~()\u2010-\u2015]"
_RUN = re.compile(rf"\+?[0-9](?:{_SEP}{{0,3}}[0-9])*(?:{_SEP}{{0,3}}[Xx])?")
_PHONE = re.compile(r"(?:86)?1[3-9][0-9]{9}")
_ID_CARD = re.compile(r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9X]")
_DIGITS = re.compile(r"[0-9]")
# The shortest number masked is a mobile (11 digits; an ID card is 17 and a digit or X), so a
# text with fewer digit-like characters than this holds none (every character the shadow turns
# into a digit is digit-like: tests/unit/test_privacy.py); the archive scrubs a hundred
# thousand descriptions, most of them with a few digits or none.
_FEWEST_DIGITS = 10

# Kept for callers that look for a plainly written mobile number (the desk's own texts).
PHONE_RE = re.compile(r"(?<!\d)(\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")


@lru_cache(maxsize=1)
def _shadow_table() -> dict[int, str]:
    """Characters that fold to one ASCII character: every Unicode decimal digit (Arabic-Indic,
    full-width, mathematical…), and what NFKC turns into one ASCII character (superscripts,
    circled digits, full-width punctuation, ideographic space).  One-to-one, so positions in
    the shadow are positions in the text.  Built on first use (about 50 ms)."""
    table: dict[int, str] = {}
    for cp in range(0x80, 0x20000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        digit = unicodedata.decimal(c, None)
        if digit is not None:
            table[cp] = str(digit)
            continue
        folded = unicodedata.normalize("NFKC", c)
        if len(folded) == 1 and folded.isascii():
            table[cp] = folded
    return table


def _visible(text: str) -> str:
    """`text` without invisible formatting characters."""
    return text.translate(_INVISIBLE) if _HAS_INVISIBLE.search(text) else text


def normalise(text: str) -> str:
    """Invisible characters removed, then NFKC folding to ASCII where it is one character to one
    (digits of every script, full-width forms), so numbers read as numbers."""
    text = _visible(text)
    return text if text.isascii() else text.translate(_shadow_table())  # the table folds no ASCII


def mask_phone(phone: str) -> str:
    """138****5678: enough for staff to recognise, not enough to call."""
    digits = "".join(_DIGITS.findall(normalise(phone)))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_id_card(number: str) -> str:
    """110***********123X: the region's first digits and the last four."""
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"


def mask_name(name: str) -> str:
    """张*, 欧阳**, J*** — the family name (or initial) only."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def _mask_numbers(text: str) -> str:
    """Mask phones and ID numbers found on the normalised shadow of `text` (invisible
    characters already removed)."""
    shadow = text if text.isascii() else text.translate(_shadow_table())  # same length: index i is text[i]
    spans: list[tuple[int, int, str]] = []
    for run in _RUN.finditer(shadow):
        digits, where = [], []
        for j in range(run.start(), run.end()):
            ch = shadow[j]
            if "0" <= ch <= "9" or ch in "Xx":
                digits.append(ch.upper())
                where.append(j)
        compact = "".join(digits)
        if len(compact) < 11:
            continue
        taken = [False] * len(compact)
        for pattern, masker in ((_ID_CARD, mask_id_card), (_PHONE, mask_phone)):
            for m in pattern.finditer(compact):
                if any(taken[m.start():m.end()]) or "X" in compact[m.start():m.end() - 1]:
                    continue
                for k in range(m.start(), m.end()):
                    taken[k] = True
                start = where[m.start()]
                if m.start() == 0 and shadow[run.start()] == "+":
                    start = run.start()  # "+8613800000001" masks as 138****0001, plus and all
                spans.append((start, where[m.end() - 1] + 1, masker(m.group())))
    for start, end, masked in sorted(spans, reverse=True):
        text = text[:start] + masked + text[end:]
    return text


class NameRegister:
    """The owner register's full names, masked wherever they appear in text for groups and logs.

    Filled when a community file or owner list is loaded and at start; process-wide like
    the logging set-up it serves.  Matching is one compiled trie-shaped regex, so masking
    costs about the same with 20 names or 50,000.
    """

    def __init__(self) -> None:
        self._names: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, names: Iterable[str]) -> None:
        new = {n.strip() for n in names if n and len(n.strip()) >= 2} - self._names
        if new:
            with self._lock:
                self._names |= new
                self._pattern = None

    def __contains__(self, name: str) -> bool:
        return name in self._names

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self._names))

    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None and self._names:
            with self._lock:
                self._pattern = re.compile(_trie_regex(self._names))
        return self._pattern

    def mask(self, text: str) -> str:
        pattern = self._compiled()
        return pattern.sub(lambda m: mask_name(m.group()), text) if pattern else text


def _trie_regex(words: Iterable[str]) -> str:
    """One regex matching any of `words`, longest first, shaped as a trie (fast in `re`)."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:  # type: ignore[type-arg]
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return f"(?:{body})?"
        return body

    return build(trie)


NAMES = NameRegister()


def scrub(text: str) -> str:
    """Free text made fit for a group chat or a log: phone and ID numbers masked however they
    were typed, and the owner register's full names masked (invisible characters dropped)."""
    if not text:
        return text
    text = _visible(text)
    if len(_DIGITLIKE.findall(text)) >= _FEWEST_DIGITS:
        text = _mask_numbers(text)
    return NAMES.mask(text)


def leaks(text: str, names: Iterable[str] = ()) -> list[str]:
    """What in `text` would identify an owner: unmasked phone or ID numbers, and any of `names`
    (default: the register) written in full.  Used by the privacy tests and the fuzz tier."""
    found = []
    if text and _DIGITLIKE.search(text):
        masked = _mask_numbers(text.translate(_INVISIBLE))
        if masked != text.translate(_INVISIBLE):
            found.append("number")
    for name in names or NAMES:
        if name in text:
            found.append(name)
    return found
