"""Matching an owner's question against the community's FAQ (pure: no I/O).

Owners phrase questions freely, so three signals add up:
- meaning words the office listed for each answer — its keywords and synonyms
  ("物业费", "管理费", "parking"): a hit scores its length, shared by every answer
  that lists the same word (a word all answers share says little), and a question
  word ("几点", "怎么", "多少") alone scores almost nothing — "垃圾几点扔" is about
  rubbish, not office hours;
- the question's own words (jieba tokens, when a tokenizer is given) found among
  the answer's meaning words and in its question;
- how much the question resembles the FAQ's own question (shared character pairs),
  which catches rephrasings that use none of the listed words.
A question that matches nothing well enough gets no answer rather than a wrong one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from cases.records import Faq
from nlp.hant import TABLE as TRADITIONAL

MIN_SCORE = 2.0  # one specific two-character word ("车位") is enough
MIN_RESEMBLANCE = 0.45
_NOISE = re.compile(r"[\W_]+", re.UNICODE)
# Words that ask, rather than say what about: weak evidence on their own.
QUESTION_WORDS = frozenset({
    "几点", "怎么", "怎样", "多少", "哪里", "在哪", "哪儿", "什么", "时候", "什么时候", "时间", "可以", "能不能", "如何",
    "是否", "有没有", "请问", "一下", "how", "what", "when", "where", "can", "is", "are", "do", "does", "the",
    "open", "开门", "上班", "几号",
})
_WEAK = 0.25
# Tokens every question about this place shares: no evidence for one answer over another.
_COMMON = frozenset({"小区", "物业", "我们", "你们", "我家", "业主", "这里", "这个", "那个", "知道", "想问", "问问"})

Tokenizer = Callable[[str], Iterable[str]]


@dataclass(frozen=True, slots=True)
class Match:
    faq: Faq
    score: float


def _pairs(text: str) -> set[str]:
    text = _NOISE.sub("", text.lower())
    return {text[i:i + 2] for i in range(len(text) - 1)}


# What is worked out from an FAQ entry alone is worked out once per process: the same few
# entries are matched against every question (bench/company.py steps).
@lru_cache(maxsize=4096)
def _faq_pairs(text: str) -> frozenset[str]:
    return frozenset(_pairs(text))


def resemblance(a: str, b: str) -> float:
    """Share of the FAQ question's character pairs found in the owner's question."""
    return _share(_pairs(a), _pairs(b))


def _share(theirs: set[str], ours: set[str] | frozenset[str]) -> float:
    return len(theirs & ours) / len(ours) if ours else 0.0


@lru_cache(maxsize=4096)
def _whole_word(keyword: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(keyword)}\b")


def _contains(text: str, keyword: str) -> bool:
    # Latin keywords must match whole words ("pay" is not in "repayment"); Chinese has no spaces.
    if keyword.isascii():
        return _whole_word(keyword).search(text) is not None
    return keyword in text


@lru_cache(maxsize=4096)
def _words(faq: Faq) -> frozenset[str]:
    return frozenset(k.strip().lower() for k in faq.keywords if k and k.strip())


def _weight(word: str, shared_by: int) -> float:
    base = min(len(word), 4) if not word.isascii() else min(len(word.split()) * 2, 4)
    if word in QUESTION_WORDS:
        base *= _WEAK
    return base / max(shared_by, 1) ** 0.5


def best_match(question: str, faqs: list[Faq], tokens: Tokenizer | None = None) -> Match | None:
    """The best-scoring FAQ, or None when nothing matches well enough."""
    q = question.lower().strip().translate(TRADITIONAL)  # "物業電話" asks what "物业电话" asks
    if not _NOISE.sub("", q):
        return None
    shared = Counter(w for faq in faqs for w in _words(faq))
    own = {t.strip().lower() for t in tokens(q)} if tokens else set()
    own = {t for t in own if len(t) >= 2 and t not in QUESTION_WORDS and t not in _COMMON and _NOISE.sub("", t)}
    asked_pairs = _pairs(q)
    best: Match | None = None
    for faq in faqs:
        words = _words(faq)
        hits = {w for w in words if _contains(q, w)}
        score = sum(_weight(w, shared[w]) for w in hits)
        # A token of the owner's that is one of the answer's words (or inside one) but was
        # not counted already: "电瓶车" against "电瓶车充电".
        asked = faq.question_zh.lower() + " " + faq.question_en.lower()
        score += sum(min(len(t), 4) if not t.isascii() else 1.0
                     for t in own if (t in words or t in asked) and not any(t in h or h in t for h in hits))
        looks_like = max(_share(asked_pairs, _faq_pairs(faq.question_zh)), _share(asked_pairs, _faq_pairs(faq.question_en)))
        if score < MIN_SCORE and looks_like < MIN_RESEMBLANCE:
            continue
        total = score + 10 * looks_like
        if best is None or total > best.score:
            best = Match(faq, total)
    return best


def answer_in(faq: Faq, locale: str) -> tuple[str, str]:
    """(question, answer) in the owner's language, falling back to Chinese."""
    if locale == "en" and faq.answer_en:
        return faq.question_en or faq.question_zh, faq.answer_en
    return faq.question_zh, faq.answer_zh
