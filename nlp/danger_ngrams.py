"""Character n-gram danger scorer: how likely a normalized message is an emergency.

The hand rules and the learned keywords read words: a wording nobody wrote a rule
for (着伙, 煤起味, 困咗, dt卡住了, 轿厢里好热, 橘红色的在跳) slips past them. This
scorer reads the characters instead: every 1-, 2- and 3-character piece of the
normalized text (with ``^``/``$`` marking the start and the end), each looked up
once in a table of weights — the coefficients of one logistic regression
"emergency or not", fitted offline by ``python -m nlp.learn_weights`` on every
labelled set (scikit-learn at build time only; the bot reads the file). Scoring is
a dict lookup per piece and one exponential, a few microseconds per message.

The classifier uses the probability only where the rules leave the message calm
(see ``Classifier._danger``): from ``danger_ngram_alone_at`` it is an emergency,
from ``danger_ngram_unsure_from`` the desk asks the owner whether anyone or
anything is in danger. A rule that says "not an emergency" (a look-alike, a past
or hypothetical danger) outranks it, as it does the learned keywords.

The file: ``<bias> TAB weight`` once, then ``piece TAB weight`` per line, pieces
written with ``\\t``/``\\n``/``\\\\`` escaped and a leading ``#`` as ``\\#`` (normalized
text holds no tab or newline, but the file must round-trip whatever it is given).
"""

from __future__ import annotations

import math
import re
from itertools import repeat
from operator import add
from pathlib import Path
from typing import Iterable, Mapping

DEFAULT_DANGER_WEIGHTS = Path(__file__).resolve().parent / "danger_ngrams.tsv"

BIAS = "<bias>"


def pieces(norm: str) -> set[str]:
    """Every 1-, 2- and 3-character piece of ``^norm$`` except a lone blank:
    one function, so that learning and scoring read exactly the same pieces.
    (Pairs and triples by ``map(add, …)`` over shifted copies: the loops run in
    C, which keeps the scorer a small part of a classification.)"""
    text = f"^{norm}$"
    pairs = list(map(add, text, text[1:]))
    out = set(text)
    out.update(pairs)
    out.update(map(add, pairs, text[2:]))
    out.discard(" ")  # normalized text has single blanks: "  " cannot occur
    return out


# Not a letter, digit or Chinese character: every character [^\W_] does not match.
_NOT_CONTENT = re.compile(r"[\W_]")
_LATIN = re.compile(r"[a-z]")
_CJK = re.compile(r"[\u3400-\u9fff]")


def content_chars(norm: str) -> int:
    """Letters, digits and Chinese characters: how much a message says. Below
    ``danger_ngram_min_chars`` the pieces are mostly the ends of a word (很急！,
    好的) and the scorer is not asked; the rules read short cries (救命, 着火了).
    (Counted as all characters but the others, which are few.)"""
    return len(norm) - len(_NOT_CONTENT.findall(norm))


def mostly_latin(norm: str) -> bool:
    """More Latin letters than twice the Chinese characters: an English message
    (or nearly). The pool the n-grams learn from is mostly Chinese, so there a
    low probability says "unfamiliar" more than "calm"."""
    return len(_LATIN.findall(norm)) > 2 * len(_CJK.findall(norm))


def _escape(piece: str) -> str:
    out = piece.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    # a piece of "#1栋" must not read as a comment line
    return "\\" + out if out.startswith("#") else out


def _unescape(field: str) -> str:
    out, i = [], 0
    while i < len(field):
        ch = field[i]
        if ch == "\\" and i + 1 < len(field):
            nxt = field[i + 1]
            out.append({"t": "\t", "n": "\n", "\\": "\\"}.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


class DangerScorer:
    """Read-only after construction; thread-safe."""

    __slots__ = ("bias", "weights")

    def __init__(self, bias: float, weights: Mapping[str, float]):
        self.bias = float(bias)
        self.weights = dict(weights)

    @classmethod
    def load(cls, path: str | Path = DEFAULT_DANGER_WEIGHTS) -> "DangerScorer":
        bias, weights = 0.0, {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                piece, _, weight = line.rstrip("\n").rpartition("\t")
                if piece == BIAS:
                    bias = float(weight)
                else:  # unescaping char by char only where needed: start-up time
                    weights[_unescape(piece) if "\\" in piece else piece] = float(weight)
        return cls(bias, weights)

    def log_odds(self, norm: str) -> float:
        return self.bias + sum(map(self.weights.get, pieces(norm), repeat(0.0)))

    def probability(self, norm: str) -> float:
        z = self.log_odds(norm)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    def top(self, norm: str, k: int = 5) -> list[tuple[str, float]]:
        """The pieces that pushed hardest towards danger (for ``--errors`` and staff)."""
        found = [(p, self.weights[p]) for p in pieces(norm) if p in self.weights]
        return sorted(found, key=lambda e: (-e[1], e[0]))[:k]

    def write(self, path: str | Path, header: Iterable[str] = ()) -> None:
        lines = [f"# {h}\n" if h else "#\n" for h in header]
        lines.append(f"{BIAS}\t{self.bias:.3f}\n")
        for piece in sorted(self.weights):
            lines.append(f"{_escape(piece)}\t{self.weights[piece]:.3f}\n")
        Path(path).write_text("".join(lines), encoding="utf-8")
