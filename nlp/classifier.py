"""Decide kind, urgency, category and area from the scores the rules give.

The rules file says which words push which labels; this module turns the
totals into one answer and says how sure it is. The decisions that are not
plain "highest score wins" are spelled out here because they encode the
taxonomy's boundary conventions, not vocabulary:

* A fault reported with a protest (没人管, 拖了一个月, 说好的没来) is a
  complaint once the protest score reaches ``complaint_over_report_at``,
  however many fault words the owner used (taxonomy rule of thumb).
* Urgency is thresholded, not arg-maxed: a single strong emergency cue
  (燃气味, 困在电梯) is enough, because missing an emergency is the worst error
  and a false alarm is cheap. A hedge (不急, no rush) lowers ``urgent`` to
  ``normal`` but never lowers an emergency: an owner who says 不急 about a
  gas smell still gets the duty team.
* A report or a service needs a topic: request words (帮忙, 麻烦帮我) with
  no service object, or fault words with no broken thing, lose
  ``topic_missing_penalty`` points, so 麻烦帮忙查下监控 stays a report and
  能请园艺师傅来看看吗 stays a service.
* A message that names a broken thing or a service object (a report or
  service category scores at least ``topic_kind_at``) but carries no kind
  cue at all takes the kind of that topic, not a question: 路灯白天也亮着
  needs no fault verb to be a fault, 家里有两台旧电脑想回收 no request word.
* Danger possible but not clear sets ``danger_unsure`` so that the desk
  asks the owner "现在有人员或财产危险吗？" instead of guessing; ``urgency``
  is then the safe guess until the owner answers. Two cases: an emergency
  that rests only on a danger cue under a hedge (好像有点煤气味？, 是不是漏电了:
  still ``emergency``, a false alarm is cheap), and no emergency but learned
  words whose emergency probability lies between ``danger_unsure_from`` and
  ``learned_emergency_alone_at`` (settings; not ``emergency``: the learned
  words alone are not sure enough to call the duty team). Never set where a
  look-alike rule says "not an emergency" or on a calm message.
* The character n-gram danger scorer (``danger_ngrams.py``, round 7) reads
  what no rule or keyword names (着伙, 轿厢里好热, 橘红色的在跳). Where the
  rules and learned words leave a message calm, its probability makes an
  emergency from ``danger_ngram_alone_at`` and asks from
  ``danger_ngram_unsure_from``; a look-alike or mood rule still wins below
  ``danger_ngram_over_denial_at``. The other way, a rule emergency that
  neither the n-grams (below ``danger_ngram_doubt_below``) nor the learned
  words (below 0.5) back — a question or a past event told around a danger
  word (着火的时候能坐电梯吗) — is asked about instead of called; since
  round 12 not when it rests on a rule of several cue lists with no past or
  hypothetical mood (``danger_ngram_doubt_compound_below``: 独居 + 几天联系
  不上, a relative not back + phone left at home), which a question around
  one danger word rarely matches.
* Inquiries and suggestions carry no same-day urgency (asking when the water
  cut ends is not a water cut), but an emergency cue still raises them.
* A complaint's category comes from its own cues (neighbour, developer,
  12345…) plus the *thing* complained about, mapped by the rules file:
  a shared lift → ``equipment``, a stairwell → ``housing``; a fault in the
  owner's home that nobody came for → ``common``.
* Area uses home/public cues plus the category's usual place (a lift is
  public, a tap is at home) as a tie-breaker.

Confidence is how clearly the chosen kind beats the runner-up (a logistic
of the score gap) times, where a category is needed, the square root of the
same figure for the category, damped when even the winner has little
evidence. Below ``low_confidence_below`` the
answer is flagged so the conversation asks the owner to choose.
"""

from __future__ import annotations

import gc
import math
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .danger_ngrams import DEFAULT_DANGER_WEIGHTS, DangerScorer, content_chars, mostly_latin
from .learned import DEFAULT_WEIGHTS, LABELS, LearnedWeights, features
from .normalize import Normalizer
from .place import only_a_place
from .rules import CATEGORIES, DEFAULT_RULES, KINDS, Fired, RuleSet
from .segment import Segmenter, Token

_EMERGENCY = LABELS.index("urgency.emergency")
# Label names built once ("kind.report", "report.plumbing"): decide() reads
# dozens of them per message.
_KIND = {k: f"kind.{k}" for k in KINDS}
_CAT = {kind: {c: f"{kind}.{c}" for c in cats} for kind, cats in CATEGORIES.items()}


@dataclass(frozen=True, slots=True)
class Classification:
    kind: str
    urgency: str
    category: str
    area: str
    confidence: float
    keywords: tuple[str, ...]
    low_confidence: bool
    # Danger is possible but not clear (neither a confident emergency nor calm):
    # the desk asks the owner one yes/no question instead of guessing.
    danger_unsure: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["keywords"] = list(self.keywords)
        return d


#: The answer for input that carries no words at all (empty, emoji, digits).
def _empty() -> Classification:
    return Classification("inquiry", "normal", "", "", 0.0, (), True)


class Classifier:
    """Keyword classifier over one rules file. Thread-safe after construction."""

    _default: ClassVar["Classifier | None"] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, rules_path: str | Path | None = None,
                 learned_path: str | Path | None = DEFAULT_WEIGHTS,
                 danger_path: str | Path | None = DEFAULT_DANGER_WEIGHTS):
        self.rules = RuleSet.load(rules_path or DEFAULT_RULES)
        self.settings = self.rules.settings
        self._caps = np.array([self.settings.learned_cap(lab) for lab in LABELS])
        self._tie_order = {k: i for i, k in enumerate(self.settings.kind_tie_order)}
        self.normalize = Normalizer(self.rules.typos, abbreviations=self.rules.abbreviations)
        self.segmenter = Segmenter(extra_words=self.rules.dictionary_words())
        self.learned: LearnedWeights | None = None
        if learned_path is not None and Path(learned_path).exists():
            self.set_learned(LearnedWeights.load(learned_path))
        self.danger: DangerScorer | None = None
        if danger_path is not None and Path(danger_path).exists():
            self.danger = DangerScorer.load(danger_path)

    def set_learned(self, learned: LearnedWeights | None) -> None:
        """Use these learned weights (None: rules only); applies the staff
        overrides of ``learned_overrides`` in the rules file."""
        if learned is not None and self.rules.learned_overrides:
            learned.override(self.rules.learned_overrides)
        self.learned = learned

    @classmethod
    def default(cls) -> "Classifier":
        """The process-wide instance over the packaged rules (built once)."""
        if cls._default is None:
            with cls._default_lock:
                if cls._default is None:
                    cls._default = cls()
                    # The rule and weight tables live as long as the process:
                    # move them out of the collector's way, or every full
                    # collection rescans ~100k objects mid-conversation.
                    gc.collect()
                    gc.freeze()
        return cls._default

    # ------------------------------------------------------------------

    def classify(self, text: Any) -> Classification:
        try:
            norm = self.normalize(text)
        except Exception:  # noqa: BLE001 - bad input must never raise
            return _empty()
        if self.rules.says_nothing(norm):
            return _empty()  # 在吗, 你好, emoji, digits: nothing to read, ask
        tokens = self.segmenter.tokens(norm)
        fired = self.rules.match(norm, tokens)
        start = self.rules.opener_end(norm)
        place_only = only_a_place(norm)
        if self.learned is not None and self.settings.learned_weight:
            self._add_learned(fired, self.learned_features(norm, tokens, start))
            if place_only:
                # "在1号楼1单元门口": emergencies are written with their place so often that the
                # learned words lean towards danger for the place alone (nlp.place).
                fired.learned["urgency.emergency"] = 0.0
        s = self.settings
        if self.danger is not None and (s.danger_ngram_unsure_from or s.danger_ngram_alone_at) \
                and not place_only and content_chars(norm) >= s.danger_ngram_min_chars:
            q = fired.danger_ngram = self.danger.probability(norm[start:])
            fired.danger_ngram_doubts = q >= s.danger_ngram_doubt_below or not mostly_latin(norm)
        return self.decide(fired)

    def learned_features(self, norm: str, tokens: list[Token], start: int | None = None) -> set[str]:
        """The keywords the learned weights read in a normalized message: one
        place, so that learning (learn_weights) and classifying see the same.
        ``start``: ``rules.opener_end(norm)``, if already known."""
        if start is None:
            start = self.rules.opener_end(norm)
        return features(norm, tokens, self.rules.negators, self.settings.negation_words, start)

    def danger_text(self, norm: str) -> str:
        """The part of a normalized message the n-gram danger scorer reads (and
        learns from): after an opening greeting or connective, as the learned
        words (``classify`` slices it itself, with the start it already has)."""
        return norm[self.rules.opener_end(norm):]

    def _add_learned(self, fired: Fired, feats: set[str]) -> None:
        """Learned points per label: the label's learned cap × its learned
        probability (kept apart from the rule scores, which the topic and
        protest decisions read on their own)."""
        hits = self.learned.lookup(feats)
        probs = self.learned.probabilities(self.learned.score(hits), self.settings.learned_temperature)
        points = probs * self._caps
        if _rules_deny_emergency(fired):
            points[_EMERGENCY] = 0.0
        fired.learned = dict(zip(LABELS, points.tolist()))
        fired.learned_hits = hits

    def decide(self, fired: Fired) -> Classification:
        s = self.settings
        score = fired.scores.get  # fired.score(label) is score(label, 0.0)
        kind_scores = {k: score(_KIND[k], 0.0) for k in KINDS}
        for k, penalty in s.topic_missing_penalty.items():
            if kind_scores[k] > 0:
                # (loops, not any(...) over a generator: this runs for every
                # message, and an unfinished generator is dear to close)
                for lab in _CAT[k].values():
                    if score(lab, 0.0) > 0:
                        break
                else:
                    kind_scores[k] -= penalty
        if max(kind_scores.values()) <= 0:
            # No kind cue at all: a clearly named broken thing or service
            # object counts as one (路灯白天也亮着 → report), before the
            # learned words, which lean to "question" on bare topics.
            topic = self._kind_from_topic(fired)
            if topic:
                kind_scores[topic] = self.settings.topic_kind_at
        rule_kind_scores = dict(kind_scores)
        learned = fired.learned.get
        for k in KINDS:
            kind_scores[k] += learned(_KIND[k], 0.0)
        emergency, danger_unsure = self._danger(fired)
        candidates = KINDS
        if emergency:
            # Someone at risk is never "just a question" or "a suggestion",
            # whatever question words the panic produced (总阀在哪啊 快来人).
            candidates = tuple(k for k in KINDS if k not in ("inquiry", "suggestion"))
        order = self._tie_order
        kind, top = "", 0.0  # the highest score; ties: first in kind_tie_order
        for k in candidates:
            v = kind_scores[k]
            if not kind or v > top or (v == top and order[k] < order[kind]):
                kind, top = k, v
        rivals = {k: kind_scores[k] for k in candidates}
        if kind == "report" and rule_kind_scores["complaint"] >= s.complaint_over_report_at:
            # Taxonomy: a fault reported together with a protest about how it
            # was handled is a complaint, however detailed the fault is. The
            # fault then supports the complaint instead of competing with it.
            kind = "complaint"
            rivals.pop("report")
        if kind_scores[kind] <= 0:
            # Nothing recognisable: ask, don't guess. With a danger cue but no
            # kind cue, the safe reading is a report (it goes to the duty team).
            kind = "report" if emergency else s.kind_fallback
        p_kind = _margin_confidence(rivals, kind, s.kind_temperature)

        urgency = self._urgency(fired, kind, emergency)
        area_label = self._area(fired)
        category, p_cat = self._category(fired, kind, area_label)
        area = area_label(category) if kind == "report" else ""

        # A learned probability counts as at most half of ``min_evidence``:
        # an answer from the learned words alone (no rule fired) stays low
        # confidence, and the owner is asked instead of guessed for.
        evidence = max(rule_kind_scores[kind] + self._learned_evidence(fired, f"kind.{kind}"),
                       fired.score("urgency.emergency")
                       + self._learned_evidence(fired, "urgency.emergency"))
        damp = min(1.0, max(evidence, 0.0) / s.min_evidence) if s.min_evidence > 0 else 1.0
        confidence = p_kind * (math.sqrt(p_cat) if category else 1.0) * damp
        confidence = round(max(0.0, min(1.0, confidence)), 3)

        labels = [f"kind.{kind}"]
        if urgency != "normal":
            labels.append(f"urgency.{urgency}")
        if category:
            labels.append(f"{kind}.{category}")
            thing = self._main_report_category(fired)
            if kind == "complaint" and thing and \
                    self._complaint_thing(thing, area_label(thing)) == category:
                labels.append(f"report.{thing}")
        if area:
            labels.append(f"area.{area}")
        keywords = _keywords(fired, labels, s.learned_keywords, self.learned)
        return Classification(kind, urgency, category, area, confidence, keywords,
                              confidence < s.low_confidence_below, danger_unsure)

    # ------------------------------------------------------------------

    def _learned_evidence(self, fired: Fired, label: str) -> float:
        cap = self.settings.learned_cap(label)
        p = fired.learned.get(label, 0.0) / cap if cap else 0.0
        return 0.5 * self.settings.min_evidence * p

    def _kind_from_topic(self, fired: Fired) -> str:
        """No kind cue at all: a clearly named broken thing or service object
        decides (路灯白天也亮着 → report, 家里有两台旧电脑想回收 → service)."""
        at = self.settings.topic_kind_at
        if at <= 0:
            return ""
        best, best_score = "", 0.0
        for kind in ("report", "service"):
            for lab in _CAT[kind].values():
                score = fired.score(lab)
                if score >= at and score > best_score:
                    best, best_score = kind, score
        return best

    def _danger(self, fired: Fired) -> tuple[bool, bool]:
        """(emergency, danger_unsure) — see the module docstring.

        An emergency needs ``emergency_at`` points from rules and learned words
        together; from the learned words alone (no rule cue) it needs the
        learned probability ``learned_emergency_alone_at``. Unsure: an
        emergency that rests on a cue under a hedge (好像有点煤气味？ — still an
        emergency, a false alarm is cheap, but the desk asks), or no emergency
        but a learned emergency probability of at least ``danger_unsure_from``.
        """
        s = self.settings
        rule = fired.score("urgency.emergency")
        cap = s.learned_cap("urgency.emergency")
        p = fired.learned.get("urgency.emergency", 0.0) / cap if cap else 0.0
        emergency = rule + fired.learned.get("urgency.emergency", 0.0) >= s.emergency_at
        if emergency and rule <= 0 and p < s.learned_emergency_alone_at:
            emergency = False
        q = fired.danger_ngram
        if emergency:
            if q is not None and q < self._doubt_below(fired) and p < 0.5 and fired.danger_ngram_doubts:
                # Neither the characters nor the learned words see danger where
                # a rule did (着火的时候能坐电梯吗, 上回那次停电…): ask, don't call.
                # Not in English, which the n-grams have seen too little of.
                return False, True
            unsure = fired.hedged_emergency > 0 and rule - fired.hedged_emergency < s.emergency_at
            return True, unsure
        unsure = rule >= 0 and 0 < s.danger_unsure_from <= p
        # The character n-grams read wordings no rule or learned keyword knows
        # (着伙, 轿厢里好热, 橘红色的在跳); a look-alike or mood rule wins unless
        # the n-grams are very sure (电梯门开着就往上走了 差点把我夹住).
        if q is not None and (not _rules_deny_emergency(fired)
                              or 0 < s.danger_ngram_over_denial_at <= q):
            if 0 < s.danger_ngram_alone_at <= q:
                return True, False
            unsure = unsure or 0 < s.danger_ngram_unsure_from <= q
        return False, unsure

    def _doubt_below(self, fired: Fired) -> float:
        """Below this n-gram probability a rule emergency is asked about, not
        called: ``danger_ngram_doubt_compound_below`` when a danger rule of
        several cue lists fired and no past or hypothetical mood took points
        (a relative not back + dementia, out of contact for days + lives
        alone: wordings the n-grams have rarely seen, yet two or three
        independent cues agree), else ``danger_ngram_doubt_below``."""
        s = self.settings
        if s.danger_ngram_doubt_compound_below >= 0 and not (fired.moods - {"hedge"}) and any(
                g.danger and len(g.all_of) + bool(g.words) >= 2 for g in fired.groups):
            return s.danger_ngram_doubt_compound_below
        return s.danger_ngram_doubt_below

    def _urgency(self, fired: Fired, kind: str, emergency: bool) -> str:
        s = self.settings
        if emergency:
            return "emergency"
        if kind in ("inquiry", "suggestion"):
            return "normal"
        urgent = fired.total("urgency.urgent")
        if urgent >= s.urgent_at and fired.score("urgency.calm") <= 0:
            return "urgent"
        return "normal"

    def _area(self, fired: Fired):
        s = self.settings
        home = fired.total("area.home")
        public = fired.total("area.public")

        def label(category: str) -> str:
            prior = s.area_prior.get(category, "home")
            h = home + (s.area_prior_weight if prior == "home" else 0.0)
            p = public + (s.area_prior_weight if prior == "public" else 0.0)
            if h == p:
                return prior
            return "home" if h > p else "public"

        return label

    def _complaint_thing(self, report_category: str, area: str) -> str:
        if area == "home":
            return self.settings.complaint_thing_home
        return self.settings.complaint_thing_public.get(report_category, "common")

    @staticmethod
    def _main_report_category(fired: Fired) -> str:
        score = fired.scores.get
        best, top = "", 0.0
        for c, lab in _CAT["report"].items():  # ties: first in the taxonomy
            v = score(lab, 0.0)
            if v > top:
                best, top = c, v
        return best

    def _category(self, fired: Fired, kind: str, area_label) -> tuple[str, float]:
        if kind not in CATEGORIES:
            return "", 1.0
        s = self.settings
        rule, learned = fired.scores.get, fired.learned.get  # fired.total(lab)
        scores = {c: rule(lab, 0.0) + learned(lab, 0.0) for c, lab in _CAT[kind].items()}
        if kind == "complaint":
            # The thing complained about counts too, mapped to the complaint
            # categories of the callback instruction (see module docstring).
            # Only the main thing: a leak that also mentions a lamp is one
            # complaint about a leak, not two half-complaints.
            thing = self._main_report_category(fired)
            if thing:
                target = self._complaint_thing(thing, area_label(thing))
                scores[target] += fired.score(f"report.{thing}") * s.complaint_from_report
        best = max(scores, key=scores.__getitem__)  # ties: first in the taxonomy (dict order)
        if scores[best] <= 0:
            return s.fallback_category.get(kind, CATEGORIES[kind][0]), 0.0
        return best, _margin_confidence(scores, best, s.category_temperature)


def _rules_deny_emergency(fired: Fired) -> bool:
    """A rule says "this is not an emergency" (an overflow pipe, a gas hob that
    won't ignite: negative emergency weight), or a danger cue was read as not
    meant now (万一着火了, 上次被困) and no other cue is meant now: the learned
    words and the n-grams would only repeat that cue without its mood."""
    if fired.moods and fired.moods != {"hedge"} and fired.score("urgency.emergency") <= 0:
        return True
    for g in fired.groups:
        if g.denies:
            return True
    return False


def _margin_confidence(scores: dict[str, float], chosen: str, temperature: float) -> float:
    """Probability that ``chosen`` beats the runner-up, from the score gap.

    A two-way logistic on (chosen − best other): a gap of 0 gives 0.5, a gap
    of one strong cue (≈3) gives ~0.8–0.9. Comparing with the runner-up
    rather than a softmax over every label keeps a clear single-cue message
    confident; what makes an answer doubtful is a close second, not the
    number of labels that did not fire.
    """
    t = temperature if temperature > 0 else 1.0
    others = [v for k, v in scores.items() if k != chosen]
    second = max(others) if others else 0.0
    gap = scores.get(chosen, 0.0) - max(second, 0.0)
    return 1.0 / (1.0 + math.exp(-gap / t))


def _keywords(fired: Fired, labels: list[str], learned_top: int = 2,
              learned: LearnedWeights | None = None) -> tuple[str, ...]:
    found: dict[str, int] = {}
    for label in labels:
        for start, text in fired.evidence.get(label, ()):
            if text not in found or start < found[text]:
                found[text] = start
    # Drop a word shown inside a longer shown word (电梯 inside 电梯困人):
    # the words are distinct, so a word found twice in all of them joined
    # (by a character no word holds) is inside another one.
    words = sorted(found, key=lambda w: (found[w], -len(w)))
    joined = "\0".join(words)
    if joined.count("\0") == len(words) - 1 or not words:
        kept = [w for w in words if joined.count(w) == 1]
    else:  # a word holds the separator (a NUL typed inside an A...B match)
        kept = [w for w in words if not any(w != o and w in o for o in words)]
    # Then the learned keywords that pushed each shown label most.
    if learned_top > 0 and learned is not None:
        for label in labels:
            if fired.learned.get(label, 0.0) <= 0:
                continue
            for word in learned.why(fired.learned_hits, label, learned_top):
                for o in kept:
                    if word in o:
                        break
                else:
                    kept.append(word)
    return tuple(kept)


def classify(text: Any) -> Classification:
    """Classify one owner message with the cached default classifier."""
    return Classifier.default().classify(text)
