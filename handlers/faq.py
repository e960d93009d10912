"""Matching an owner's question against the community's FAQ (pure: no I/O).

Two signals, because owners phrase questions freely:
- keywords the office listed for each answer ("物业费", "parking"): a hit scores its
  length, so a specific phrase outweighs a vague one ("物业费怎么交" beats "交");
- how much the question resembles the FAQ's own question (shared character pairs),
  which catches rephrasings that use none of the keywords.
A question that matches nothing well enough gets no answer rather than a wrong one:
it goes to customer service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cases.records import Faq

MIN_KEYWORD_SCORE = 2  # one two-character keyword ("车位") is enough
MIN_RESEMBLANCE = 0.45
_NOISE = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Match:
    faq: Faq
    score: float


def _pairs(text: str) -> set[str]:
    text = _NOISE.sub("", text.lower())
    return {text[i:i + 2] for i in range(len(text) - 1)}


def resemblance(a: str, b: str) -> float:
    """Share of the FAQ question's character pairs found in the owner's question."""
    theirs, ours = _pairs(a), _pairs(b)
    return len(theirs & ours) / len(ours) if ours else 0.0


def _keyword_score(question: str, faq: Faq) -> int:
    q = question.lower()
    return sum(len(k) for k in {k.strip().lower() for k in faq.keywords} if k and _contains(q, k))


def _contains(text: str, keyword: str) -> bool:
    # Latin keywords must match whole words ("pay" is not in "repayment"); Chinese has no spaces.
    if keyword.isascii():
        return re.search(rf"\b{re.escape(keyword)}\b", text) is not None
    return keyword in text


def best_match(question: str, faqs: list[Faq]) -> Match | None:
    """The best-scoring FAQ, or None when nothing matches well enough."""
    best: Match | None = None
    for faq in faqs:
        keywords = _keyword_score(question, faq)
        looks_like = max(resemblance(question, faq.question_zh), resemblance(question, faq.question_en))
        if keywords < MIN_KEYWORD_SCORE and looks_like < MIN_RESEMBLANCE:
            continue
        score = keywords + 10 * looks_like
        if best is None or score > best.score:
            best = Match(faq, score)
    return best


def answer_in(faq: Faq, locale: str) -> tuple[str, str]:
    """(question, answer) in the owner's language, falling back to Chinese."""
    if locale == "en" and faq.answer_en:
        return faq.question_en or faq.question_zh, faq.answer_en
    return faq.question_zh, faq.answer_zh
