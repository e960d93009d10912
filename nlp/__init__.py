"""Placeholder classifier, replaced by the jieba keyword classifier (issue 4).

It knows a handful of words so the conversation core can be built and tested; it
marks everything else as low confidence, so the owner is asked to choose.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Classification:
    kind: str
    urgency: str
    category: str
    area: str
    confidence: float
    keywords: tuple[str, ...]
    low_confidence: bool


_RULES = (
    (("煤气", "燃气", "着火", "冒烟"), ("report", "emergency", "security", "home")),
    (("困", "关在电梯"), ("report", "emergency", "elevator", "public")),
    (("灯",), ("report", "normal", "electrical", "public")),
    (("漏水", "水管", "水龙头", "地漏", "滴水"), ("report", "normal", "plumbing", "home")),
)


class Classifier:
    _default: Classifier | None = None

    @classmethod
    def default(cls) -> Classifier:
        cls._default = cls._default or cls()
        return cls._default

    def classify(self, text: str) -> Classification:
        for words, (kind, urgency, category, area) in _RULES:
            hits = tuple(w for w in words if w in text)
            if hits:
                return Classification(kind, urgency, category, area, 0.9, hits, False)
        return Classification("inquiry", "normal", "", "", 0.0, (), True)


def classify(text: str) -> Classification:
    return Classifier.default().classify(text)
