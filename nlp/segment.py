"""jieba segmentation with a small main dictionary and our trade words.

Why not jieba's default dictionary: it holds 350k words (5 MB) and building
or even loading its prefix cache costs 0.6–0.8 s, which alone would break the
1 s cold-start budget. The classifier needs segmentation for three things
only — whole-word matching of one-character cues (堵, 偷, 烟 must not fire
inside 堵车, 小偷小摸… 烟头), negation scope (不是/没有 one or two words before a
cue, but not 是不是 or 不管), and splitting English words — and for that the
50k most frequent words of jieba's own dictionary plus ``userdict.txt`` give
the same tokens around our cues. ``jieba_small.txt`` is generated from the
installed jieba by ``python -m nlp.build_dict``; jieba is MIT-licensed.

jieba keeps a marshal cache of the prefix dictionary next to a temp dir; we
point it at ``$WUYE_CACHE_DIR`` or ``~/.cache/wuye`` (falling back to the
system temp dir) so a read-only install still starts fast after its first run.
HMM is off: new-word discovery would glue a cue to its neighbours (堵了 →
one unknown word) and costs about twice the time.

``Segmenter.tokens`` does not call ``jieba.cut``: it walks jieba's own prefix
dictionary (``FREQ``) with jieba's own arithmetic (``cut(text, HMM=False)``:
the same blocks, the same most probable route, the same tie-breaks, the same
gluing of single Latin letters and digits), but in one pass per block with no
generators, DAG dict or per-position ``max`` over a generator — less than half
of jieba's time (session 6, issue #13). ``tests/nlp/test_segment.py`` checks
it token for token against ``jieba.cut`` on every labelled message and on
random text.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from math import log
from pathlib import Path
from typing import NamedTuple

import jieba

HERE = Path(__file__).resolve().parent
MAIN_DICT = HERE / "jieba_small.txt"
USER_DICT = HERE / "userdict.txt"

# jieba logs "Building prefix dict…" at DEBUG to stderr on every start; the
# CLI writes JSON on stdout and must keep stderr for real problems.
jieba.setLogLevel(logging.WARNING)

_lock = threading.Lock()

# jieba's own block and "English" patterns (jieba/__init__.py, 0.42): a block
# is a run of these characters, cut by the dictionary; every other character
# outside whitespace is a token of its own.
_RE_HAN = re.compile("[\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]+")
_ENG = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def cache_dir() -> str:
    """A writable directory for jieba's prefix-dictionary cache."""
    candidates = []
    if os.environ.get("WUYE_CACHE_DIR"):
        candidates.append(Path(os.environ["WUYE_CACHE_DIR"]))
    xdg = os.environ.get("XDG_CACHE_HOME")
    candidates.append(Path(xdg) / "wuye" if xdg else Path.home() / ".cache" / "wuye")
    for path in candidates:
        try:
            path.mkdir(parents=True, exist_ok=True)
            if os.access(path, os.W_OK):
                return str(path)
        except OSError:
            continue
    return tempfile.gettempdir()


def read_userdict(path: Path | None) -> list[tuple[str, int | None, str | None]]:
    """Parse ``userdict.txt``: ``word [freq] [tag]`` lines, ``#`` comments.

    jieba's own ``load_userdict`` has no comment syntax (a ``#`` line would be
    added as a word), and staff need comments to keep the list readable.
    Without a frequency jieba computes the smallest one that keeps the word
    whole, which is what we want for trade terms.
    """
    if path is None or not path.exists():
        return []
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            word, freq, tag = parts[0], None, None
            if len(parts) > 1 and parts[1].isdigit():
                freq = int(parts[1])
                tag = parts[2] if len(parts) > 2 else None
            elif len(parts) > 1:
                tag = parts[1]
            out.append((word, freq, tag))
    return out


class Token(NamedTuple):
    # A named tuple, not a frozen dataclass: a message makes dozens of these
    # and a tuple is several times cheaper to build.
    text: str
    start: int
    end: int


#: Token(a, b, c) without the named tuple's Python-level ``__new__``.
_new = tuple.__new__
_ABSENT = object()


class Segmenter:
    """Thread-safe wrapper around one ``jieba.Tokenizer``. Its dictionary is
    read once, when built: a word added to ``_tk`` later would not be seen."""

    def __init__(self, main_dict: Path = MAIN_DICT, user_dict: Path | None = USER_DICT,
                 extra_words: tuple[str, ...] = ()):
        self._tk = jieba.Tokenizer(dictionary=str(main_dict))
        self._tk.tmp_dir = cache_dir()
        with _lock:  # jieba's initialize is not re-entrant
            self._tk.initialize()
            for word, freq, tag in read_userdict(user_dict):
                self._tk.add_word(word, freq, tag)
            for word in extra_words:
                self._tk.add_word(word)
        # The dictionary is complete now. Per entry what jieba's route adds
        # for the word, log(freq) − log(total), computed once (None: only a
        # prefix of longer words); 60k entries, ~10 ms at start.
        logtotal = log(self._tk.total)
        self._unknown = 0.0 - logtotal  # jieba: log(FREQ.get(ch) or 1) - logtotal
        self._logp: dict[str, float | None] = {
            w: (log(f) - logtotal if f else None) for w, f in self._tk.FREQ.items()}

    def tokens(self, text: str) -> list[Token]:
        """The words of ``text`` with their spans, blanks left out: what
        ``jieba.cut(text, HMM=False)`` gives, computed without jieba's
        generators (see the module docstring)."""
        out: list[Token] = []
        pos = 0
        for m in _RE_HAN.finditer(text):
            start = m.start()
            # Between blocks: each character that is not blank is a token.
            for i in range(pos, start):
                ch = text[i]
                if not ch.isspace():
                    out.append(_new(Token, (ch, i, i + 1)))
            pos = m.end()
            self._cut_block(m.group(), start, out)
        for i in range(pos, len(text)):
            ch = text[i]
            if not ch.isspace():
                out.append(_new(Token, (ch, i, i + 1)))
        return out

    def _cut_block(self, sentence: str, offset: int, out: list[Token]) -> None:
        """jieba's ``__cut_DAG_NO_HMM`` on one block: for each position, from
        the end, the best route over the dictionary words starting there
        (score log(freq) − log(total) plus the route after the word; an
        unknown character scores log(1) − log(total); ties go to the longer
        word, as jieba's ``max`` over (score, end) does); then the words along
        the route, runs of single Latin letters or digits glued together."""
        get = self._logp.get
        n = len(sentence)
        score = [0.0] * (n + 1)
        nxt = [0] * (n + 1)
        for k in range(n - 1, -1, -1):
            best = bx = None
            i = k
            frag = sentence[k]
            while i < n:
                lp = get(frag, _ABSENT)
                if lp is _ABSENT:
                    break
                if lp is not None:
                    s = lp + score[i + 1]
                    if best is None or s >= best:  # ties: the later end
                        best, bx = s, i
                i += 1
                frag = sentence[k:i + 1]
            if best is None:
                best, bx = self._unknown + score[k + 1], k
            score[k] = best
            nxt[k] = bx + 1
        x = 0
        buf = ""
        buf_at = 0
        while x < n:
            y = nxt[x]
            if y - x == 1 and sentence[x] in _ENG:
                if not buf:
                    buf_at = x
                buf += sentence[x]
            else:
                if buf:
                    out.append(_new(Token, (buf, offset + buf_at, offset + x)))
                    buf = ""
                out.append(_new(Token, (sentence[x:y], offset + x, offset + y)))
            x = y
        if buf:
            out.append(_new(Token, (buf, offset + buf_at, offset + n)))
