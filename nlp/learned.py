"""Learned keyword weights: read ``learned_weights.tsv`` and score a message.

The file is written by ``python -m nlp.learn_weights`` from every labelled
message set (see that module); staff read it like the rules file. Each line is

    keyword <TAB> label <TAB> weight

meaning: when the message contains this keyword, ``label`` gets ``weight``
log-odds points (naive-Bayes style, smoothed). A keyword is

* a jieba word of the normalized message (one character words too: 堵, 偷), or
* any two neighbouring Chinese characters (漏水, 冒烟), wherever they stand.

Per *field* (kind, urgency, report / complaint / service category, area) the
summed weights plus the field's prior give a probability for each label
(a softmax, softened by ``settings.learned_temperature``). The classifier adds
``settings.learned_weight × probability`` to the rule scores of that field, so
a learned field is worth at most a few rule points: a strong hand rule
(燃气味, 我要投诉, 12345) still wins, and the learned words decide where no
rule fired or two rules tie. Staff override a learned keyword in
``rules.yaml`` under ``learned_overrides`` (a weight, or 0 to drop it).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from .rules import AREAS, CATEGORIES, KINDS, URGENCIES
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
#: English words too common to mean anything on their own.
_EN_STOP = frozenset("""a an the is are was were be been am i you he she it we they my our your
his her its their me us him them this that these there here and or but so to of in on at for
with from by as has have had do does did not no can could will would should just very too
also than then please pls hi hello""".split())


def features(text: str, tokens: Iterable[Token]) -> set[str]:
    """The keywords of one normalized message (see module docstring)."""
    out: set[str] = set()
    for t in tokens:
        w = t.text
        if any(ch.isalpha() for ch in w) and len(w) <= 8 and w not in _EN_STOP:
            if w.isascii() and len(w) < 3:
                continue
            out.add(w)
    for run in _CJK_RUN.findall(text):
        for i in range(len(run) - 1):
            out.add(run[i:i + 2])
    return out


@dataclass
class LearnedWeights:
    """keyword → [(field, label, weight)], and each field's prior."""

    weights: dict[str, list[tuple[str, str, float]]] = field(default_factory=dict)
    priors: dict[str, dict[str, float]] = field(default_factory=dict)
    _vec: dict | None = field(default=None, repr=False)
    _base: list | None = field(default=None, repr=False)
    _pos: dict | None = field(default=None, repr=False)

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
        self._vec = None
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
        self._vec = None

    # -- scoring -------------------------------------------------------------

    def _compile(self) -> None:
        index = {lab: i for i, lab in enumerate(LABELS)}
        self._vec = {w: tuple((index[lab], weight) for _f, lab, weight in entries)
                     for w, entries in self.weights.items() if entries}
        base = [0.0] * len(LABELS)
        for prior in self.priors.values():
            for lab, weight in prior.items():
                base[index[lab]] = weight
        self._base = base
        pos: dict[str, dict[str, float]] = {}
        for w, entries in self.weights.items():
            for _f, lab, weight in entries:
                if weight > 0:
                    pos.setdefault(lab, {})[w] = weight
        self._pos = pos

    def score(self, feats: Iterable[str]) -> list[float]:
        """Summed log-odds per label (in the order of ``LABELS``)."""
        if self._vec is None:
            self._compile()
        totals = list(self._base)
        get = self._vec.get
        for w in feats:
            entries = get(w)
            if entries:
                for i, weight in entries:
                    totals[i] += weight
        return totals

    def why(self, feats: Iterable[str], label: str) -> list[tuple[float, str]]:
        """The keywords of ``feats`` that push ``label`` up: (weight, keyword)."""
        if self._vec is None:
            self._compile()
        pos = self._pos.get(label, {})
        return [(pos[w], w) for w in feats if w in pos]

    @staticmethod
    def probabilities(totals: list[float], temperature: float) -> dict[str, float]:
        """Softmax of the totals within each field."""
        out: dict[str, float] = {}
        t = temperature if temperature > 0 else 1.0
        for lo, hi in _SPANS:
            vals = [v / t for v in totals[lo:hi]]
            m = max(vals)
            exps = [math.exp(v - m) for v in vals]
            z = sum(exps)
            for lab, e in zip(LABELS[lo:hi], exps):
                out[lab] = e / z
        return out


LABELS: tuple[str, ...] = tuple(lab for labels in FIELDS.values() for lab in labels)
_SPANS: list[tuple[int, int]] = []
_pos = 0
for _labels in FIELDS.values():
    _SPANS.append((_pos, _pos + len(_labels)))
    _pos += len(_labels)
