"""Learned keyword weights: read ``learned_weights.tsv`` and score a message.

The file is written by ``python -m nlp.learn_weights`` from every labelled
message set (see that module); staff read it like the rules file. Each line is

    keyword <TAB> label <TAB> weight

meaning: when the message contains this keyword, ``label`` gets ``weight``
log-odds points (a logistic regression's coefficient). A keyword is

* a jieba word of the normalized message (one character words too: 堵, 偷), or
* any two neighbouring Chinese characters (漏水, 冒烟), wherever they stand,
* written ``不~word`` when a negator stands just before it (没有人被困 gives
  不~被困, not 被困).

Per *field* (kind, urgency, report / complaint / service category, area) the
summed weights plus the field's prior give a probability for each label
(a softmax, softened by ``settings.learned_temperature``). The classifier adds
``learned_weight × probability`` to the rule scores of that label (the cap is
set per field, or per label such as ``urgency.emergency``), so the learned
words are worth a bounded number of rule points: they decide where no rule
fired or rules are close, and a rule that states a boundary of the taxonomy
outweighs them by being weighted above the cap. Staff override a learned
keyword in ``rules.yaml`` under ``learned_overrides`` (a weight, or 0 to drop it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from operator import add as _concat, itemgetter
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple, Sequence

import numpy as np

from .rules import AREAS, CATEGORIES, CLAUSE_PUNCT, KINDS, QUESTION_END, URGENCIES
from .segment import Token

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "learned_weights.tsv"

#: field name → the labels (as in rules.yaml) it chooses between.
FIELDS: dict[str, tuple[str, ...]] = {
    "kind": tuple(f"kind.{k}" for k in KINDS),
    "urgency": tuple(f"urgency.{u}" for u in URGENCIES),
    "report": tuple(f"report.{c}" for c in CATEGORIES["report"]),
    "complaint": tuple(f"complaint.{c}" for c in CATEGORIES["complaint"]),
    "service": tuple(f"service.{c}" for c in CATEGORIES["service"]),
    "area": tuple(f"area.{a}" for a in AREAS),
}
FIELD_OF: dict[str, str] = {label: f for f, labels in FIELDS.items() for label in labels}
PRIOR = "<prior>"

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_LETTER = re.compile(r"[^\W\d_]")
#: English words too common to mean anything on their own.
_EN_STOP = frozenset("""a an the is are was were be been am i you he she it we they my our your
his her its their me us him them this that these there here and or but so to of in on at for
with from by as has have had do does did not no can could will would should just very too
also than then please pls hi hello""".split())


#: Prefix of a keyword that a negator denies (没有人被困 → 不~被困).
NEG = "不~"
_TEXT = itemgetter(0)  # Token.text


def features(text: str, tokens: Sequence[Token], negators: frozenset[str] = frozenset(),
             scope: int = 3, start: int = 0) -> set[str]:
    """The keywords of one normalized message (see module docstring).

    Words within ``scope`` words after a negator in the same clause are kept
    apart as ``不~word`` (and so are the character pairs that touch them):
    "里面没有人被困" must not count as "有人被困". A worried question (不是漏水吧？)
    affirms its cue and is not denied, as in the rules. Text before ``start``
    (an opening greeting: "在吗，") says nothing and is skipped.
    """
    # Most messages hold no negator: then nothing is denied.
    denied = _denied_chars(text, tokens, negators, scope) \
        if negators and not negators.isdisjoint(map(_TEXT, tokens)) else None
    out: set[str] = set()
    for w, at, _end in tokens:
        if at < start or len(w) > 8 or not (w.isalpha() or _LETTER.search(w)):
            continue
        if w.isascii() and (len(w) < 3 or w in _EN_STOP):
            continue
        out.add(NEG + w if denied and denied[at] else w)
    for m in _CJK_RUN.finditer(text, start):
        run, at = m.group(), m.start()
        if denied is None:
            out.update(map(_concat, run, run[1:]))  # every pair, built in C
            continue
        for i in range(len(run) - 1):
            pair = run[i:i + 2]
            out.add(NEG + pair if denied[at + i] or denied[at + i + 1] else pair)
    return out


def _denied_chars(text: str, tokens: Sequence[Token], negators: frozenset[str],
                  scope: int) -> list[bool] | None:
    """Which characters a negator denies (None: none), as the rules read it."""
    denied: list[bool] | None = None
    left = 0
    for t in tokens:
        if t.text[:1] in CLAUSE_PUNCT:
            left = 0
        elif t.text in negators:
            end = t.end
            while end < len(text) and text[end] not in CLAUSE_PUNCT:
                end += 1
            # 不是漏水吧？ asks about the cue, it does not deny it.
            left = 0 if QUESTION_END.search(text, t.end, end + 1) else scope
        elif left:
            if denied is None:
                denied = [False] * len(text)
            for i in range(t.start, t.end):
                denied[i] = True
            left -= 1
    return denied


class Hits(NamedTuple):
    """A message's keywords that have learned weights (see ``lookup``)."""

    words: list[str]
    rows: np.ndarray
    #: their rows of weights, one per word, a column per label (``LABELS``)
    weights: np.ndarray | None = None


@dataclass
class LearnedWeights:
    """keyword → [(field, label, weight)], and each field's prior."""

    weights: dict[str, list[tuple[str, str, float]]] = field(default_factory=dict)
    priors: dict[str, dict[str, float]] = field(default_factory=dict)
    _row: dict | None = field(default=None, repr=False)
    _mat: np.ndarray | None = field(default=None, repr=False)
    _base: np.ndarray | None = field(default=None, repr=False)

    # -- file format ---------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path = DEFAULT_WEIGHTS) -> "LearnedWeights":
        lw = cls()
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                word, label, weight = line.rstrip("\n").split("\t")
                lw.add(word, label, float(weight))
        return lw

    def add(self, word: str, label: str, weight: float) -> None:
        self._row = None
        fld = FIELD_OF.get(label)
        if fld is None:
            raise ValueError(f"unknown label {label!r} for {word!r}")
        if word == PRIOR:
            self.priors.setdefault(fld, {})[label] = weight
        else:
            self.weights.setdefault(word, []).append((fld, label, weight))

    def override(self, overrides: Mapping[str, Mapping[str, float]]) -> None:
        """Staff overrides from rules.yaml: set (or, with 0, drop) a weight."""
        for word, labels in overrides.items():
            entries = {lab: (f, w) for f, lab, w in self.weights.get(word, [])}
            for label, weight in labels.items():
                fld = FIELD_OF.get(label)
                if fld is None:
                    raise ValueError(f"learned_overrides: unknown label {label!r} for {word!r}")
                if weight == 0:
                    entries.pop(label, None)
                else:
                    entries[label] = (fld, float(weight))
            self.weights[word] = [(f, lab, w) for lab, (f, w) in entries.items()]
        self._row = None

    # -- scoring -------------------------------------------------------------

    def _compile(self) -> None:
        # One row of weights per keyword: scoring a message is then one
        # gather-and-sum over its keywords' rows instead of a Python loop
        # over every (keyword, label) pair.
        words = [w for w, entries in self.weights.items() if entries]
        self._row = {w: i for i, w in enumerate(words)}
        mat = np.zeros((len(words), len(LABELS)))
        for r, w in enumerate(words):
            for _f, lab, weight in self.weights[w]:
                mat[r, _INDEX[lab]] = weight
        self._mat = mat
        base = np.zeros(len(LABELS))
        for prior in self.priors.values():
            for lab, weight in prior.items():
                base[_INDEX[lab]] = weight
        self._base = base

    def lookup(self, feats: Iterable[str]) -> Hits:
        """The keywords of ``feats`` that carry weights, and their rows."""
        if self._row is None:
            self._compile()
        row = self._row
        # sorted: ties in ``why`` go to the first word, and the rows are summed
        # in this order
        words = sorted(filter(row.__contains__, feats))
        rows = np.fromiter(map(row.__getitem__, words), dtype=np.intp, count=len(words))
        return Hits(words, rows, self._mat.take(rows, axis=0))

    def score(self, hits: Hits) -> np.ndarray:
        """Summed log-odds per label (in the order of ``LABELS``)."""
        if not hits.words:
            return self._base.copy()
        weights = hits.weights if hits.weights is not None else self._mat[hits.rows]
        return self._base + weights.sum(axis=0)

    def why(self, hits: Hits, label: str, top: int) -> list[str]:
        """The ``top`` keywords of a message that push ``label`` up most
        (ties: the first in ``hits.words``)."""
        if not hits.words:
            return []
        col = (hits.weights if hits.weights is not None else self._mat[hits.rows])[:, _INDEX[label]]
        # The largest weights, most first, equal ones in the order of the
        # words (a stable sort), positive only: ``top`` rounds of max/index
        # over a few dozen floats, cheaper than sorting them.
        rest = col.tolist()
        at = list(range(len(rest)))
        out = []
        for _ in range(min(top, len(rest))):
            w = max(rest)
            if not w > 0:
                break
            k = rest.index(w)  # the first of equal weights
            out.append(hits.words[at[k]])
            del rest[k], at[k]
        return out

    @staticmethod
    def probabilities(totals: np.ndarray, temperature: float) -> np.ndarray:
        """Softmax of the totals within each field (in the order of ``LABELS``)."""
        v = totals / (temperature if temperature > 0 else 1.0)
        e = np.exp(v - np.repeat(np.maximum.reduceat(v, _STARTS), _SIZES))
        return e / np.repeat(np.add.reduceat(e, _STARTS), _SIZES)


LABELS: tuple[str, ...] = tuple(lab for labels in FIELDS.values() for lab in labels)
_INDEX = {lab: i for i, lab in enumerate(LABELS)}
_SIZES = np.array([len(labels) for labels in FIELDS.values()])
_STARTS = np.concatenate(([0], np.cumsum(_SIZES)[:-1]))
