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
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from typing import NamedTuple
from pathlib import Path

import jieba

HERE = Path(__file__).resolve().parent
MAIN_DICT = HERE / "jieba_small.txt"
USER_DICT = HERE / "userdict.txt"

# jieba logs "Building prefix dict…" at DEBUG to stderr on every start; the
# CLI writes JSON on stdout and must keep stderr for real problems.
jieba.setLogLevel(logging.WARNING)

_lock = threading.Lock()


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


class Segmenter:
    """Thread-safe wrapper around one ``jieba.Tokenizer``."""

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

    def tokens(self, text: str) -> list[Token]:
        out: list[Token] = []
        pos = 0
        for word in self._tk.cut(text, HMM=False):
            end = pos + len(word)
            if not word.isspace():
                out.append(Token(word, pos, end))
            pos = end
        return out
