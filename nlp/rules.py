"""Load the staff-editable rules file and match it against a message.

The rules file (``rules.yaml``) is a list of *groups*. A group says: when any
of these words appears (and, optionally, one word from each ``all_of`` list),
add these weights to these labels. Labels are ``dimension.code`` strings:
``kind.report``, ``urgency.emergency``, ``report.plumbing``,
``complaint.neighbor``, ``service.parking``, ``area.home``. A group fires at
most once per message, however many of its words appear, so a long rant that
repeats 没人管 five times weighs the same as one that says it once; put cues of
different strength in different groups.

Word syntax (explained to staff in the header of ``rules.yaml``):

``电梯``        Chinese, two or more characters: found anywhere in the text.
``堵``          one Chinese character: must be a whole jieba word, so 堵 fires
                in 马桶堵了 but not in 堵车.
``=火``         ``=`` forces whole-word matching for longer words too.
``leak``        English: matches at the start of a word (leak, leaks,
                leaking), never inside one (fleak). ``=gas`` = whole word.
``水管...爆``   the parts in this order within one clause, at most
                ``settings.gap`` characters apart: 水管爆了, 水管突然爆了.

Negation: unless a group says ``negatable: false``, a word does not count
when one of the ``negators`` stands within ``settings.negation_words`` words
before it in the same clause (不是投诉, 没有冒烟, nobody is stuck). A clause that
ends as a question (…吧 / …吗 / ?) keeps the word: 不是漏水吧？ is a worry,
not a denial, and missing an emergency is the worst error we can make.

Mood of a danger cue (``moods`` in the rules file): an emergency cue after a
mood word in the same clause may not be danger *now*. Its group keeps its
other weights but adds no emergency points when the mood is ``hypothetical`` (万一着火了怎么办, 哪天
砸到人), ``past`` (上次被困电梯, 前年水管冻爆了), ``habitual`` (频繁困人, 一下雨就
淹到车轮). A cue under a ``hedge`` (好像有点煤气味？, 是不是漏电了) keeps its
points — a false alarm is cheap — but is danger that is possible, not clear:
the classifier marks it (``Classification.danger_unsure``) so that the desk
asks the owner one yes/no question. A later occurrence of the same
cue outside the mood still counts (上次着火…现在又着火了).

Not-cues (``not_cues``): words that only look like a cue (烟钱, 黑灯瞎火, 漏电开关,
弱电箱). A danger rule does not count a hit whose first part lies inside a
longer not-cue; other rules do (the look-alike rule for smoking reads 抽烟).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from operator import add as _concat, itemgetter
from pathlib import Path
from typing import Any, NamedTuple

import yaml

try:  # libyaml makes loading ~10x faster; it ships with PyYAML wheels.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the build of PyYAML
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

from cases.codes import CATEGORIES as DESK_CATEGORIES, Area, Kind, Urgency

from .segment import Token

DEFAULT_RULES = Path(__file__).resolve().parent / "rules.yaml"

# The labels are the desk's codes (shared/spec/taxonomy.md), defined once in
# cases.codes: a leaf module of enums with no I/O, so the classifier can use it
# without depending on the desk.  Plain strings here: the classifier's answers,
# its weights file and its rules file all speak in strings.
KINDS: tuple[str, ...] = tuple(k.value for k in Kind)
URGENCIES: tuple[str, ...] = tuple(u.value for u in Urgency)
#: The kinds that carry a category (inquiry and suggestion carry none).
CATEGORIES: dict[str, tuple[str, ...]] = {kind.value: cats for kind, cats in DESK_CATEGORIES.items() if cats}
AREAS: tuple[str, ...] = tuple(a.value for a in Area)

#: Every label a group may add weight to.
LABELS: frozenset[str] = frozenset(
    [f"kind.{k}" for k in KINDS]
    + ["urgency.emergency", "urgency.urgent", "urgency.calm"]
    + [f"{kind}.{c}" for kind, cats in CATEGORIES.items() for c in cats]
    + [f"area.{a}" for a in AREAS]
)

# Characters that end a clause. A space ends a clause only between Chinese
# characters (owners often type spaces instead of commas); in English it
# merely separates words.
#: Moods of a danger cue that is not danger now (see module docstring), in
#: the order they are checked.
MOODS = ("hypothetical", "past", "habitual", "hedge")

CLAUSE_PUNCT = frozenset(",.!?;:。、~…()[]【】「」『』\"'\n")
QUESTION_END = re.compile(r"[吗吧嘛么?]")
#: 不 between a verb and one of these is a potential complement (开不了, 出不来,
#: 打不开, 关不上): it says the verb cannot be done, and denies nothing after it
#: (电梯门开不了我在里面 — the owner IS inside).
_COMPLEMENTS = frozenset("了动开来去上下住掉出进回起")
_CJK = re.compile(r"[\u3400-\u9fff]")
# One clause break: a CLAUSE_PUNCT character (an apostrophe only where it
# does not stand between two ASCII letters), or a space with a character on
# both sides, one of them Chinese (see ``_clause_breaks``).
_CLAUSE_BREAK = re.compile(
    "[" + re.escape("".join(sorted(CLAUSE_PUNCT - {"'"}))) + "]"
    + r"|(?<![A-Za-z])'|'(?![A-Za-z])"
    + r"|(?<=[\u3400-\u9fff]) (?=[\s\S])|(?<=[\s\S]) (?=[\u3400-\u9fff])")
_START = itemgetter(1)  # Token.start
_TEXT = itemgetter(0)   # Token.text
#: Hit(a, b, c, d, e, f) without the named tuple's Python-level ``__new__``.
_new = tuple.__new__
_NO_GAP = (0, 0)
#: An index key with more words than this is split by the third character.
_SPLIT_OVER = 4


class RulesError(ValueError):
    """The rules file is malformed; the message says where."""


# --------------------------------------------------------------------------
# patterns


@dataclass(frozen=True, slots=True)
class Pattern:
    """One word from the rules file, compiled."""

    source: str              # as written in the file (for error messages)
    parts: tuple[str, ...]   # one part, or several for A...B
    whole: bool              # must align with word boundaries
    english: bool            # ASCII: word-start boundary semantics

    @property
    def first(self) -> str:
        return self.parts[0]


def compile_word(raw: Any, where: str) -> Pattern:
    if not isinstance(raw, (str, int)) or isinstance(raw, bool):
        raise RulesError(f"{where}: word must be text, got {raw!r}")
    # Fold contractions as normalize.py folds the message ("won't" → "wo not"),
    # or a rule word with n't could never match (round 10: won't light, can't see).
    word = str(raw).strip().lower().replace("\u2019", "'").replace("n't", " not")
    whole = word.startswith("=")
    if whole:
        word = word[1:].strip()
    parts = tuple(p.strip() for p in word.split("..."))
    if not word or any(not p for p in parts):
        raise RulesError(f"{where}: empty word or empty part in {raw!r}")
    english = all(ord(ch) < 128 for ch in word)
    if len(parts) == 1 and not english and len(word) == 1:
        whole = True  # one Chinese character: whole jieba word only
    return Pattern(str(raw), parts, whole, english)


# --------------------------------------------------------------------------
# rule groups and the rule set


@dataclass(frozen=True, slots=True)
class Group:
    why: str
    words: tuple[Pattern, ...]
    all_of: tuple[tuple[Pattern, ...], ...]
    add: tuple[tuple[str, float], ...]
    negatable: bool
    index: int  # position in the file, for stable ordering and messages
    danger: bool = False  # adds emergency points (its cues have a mood)
    denies: bool = False  # takes emergency points away (a look-alike)


#: An entry of the first-characters index (see ``RuleSet._index``).
_Entry = tuple[str, Pattern, int, "tuple[str, int, int] | tuple[()] | None"]


class Hit(NamedTuple):
    # A named tuple for speed, like segment.Token (one per matched word).
    start: int
    end: int
    text: str
    negated: bool
    masked: bool = False  # inside a not-cue: no use to a danger group
    gap: tuple[int, int] = (0, 0)  # A...B: where the text between the parts lies


@dataclass
class Fired:
    """What one message scored: label weights and the words behind them."""

    scores: dict[str, float] = field(default_factory=dict)
    # label → list of (start, matched text), for showing staff why
    evidence: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    # points from the learned keyword weights (see nlp/learned.py), per label,
    # and the message's keywords that have learned weights (nlp.learned.Hits)
    learned: dict[str, float] = field(default_factory=dict)
    learned_hits: Any = None
    # the part of the emergency score that comes from cues under a hedge
    # (好像有点煤气味？): danger possible, not clear
    hedged_emergency: float = 0.0
    # the moods that took emergency points away from danger cues (past, …)
    moods: set[str] = field(default_factory=set)
    # the character n-gram danger probability (nlp/danger_ngrams.py); None
    # when no scorer ran
    danger_ngram: float | None = None
    # whether a low n-gram probability may overrule a rule emergency: not in
    # text written mostly in Latin letters, where the n-grams know too little
    # (the pool is mostly Chinese) for "unfamiliar" to mean "calm"
    danger_ngram_doubts: bool = True

    def score(self, label: str) -> float:
        """Rule points only."""
        return self.scores.get(label, 0.0)

    def total(self, label: str) -> float:
        """Rule points plus learned points."""
        return self.scores.get(label, 0.0) + self.learned.get(label, 0.0)


@dataclass(frozen=True)
class Settings:
    gap: int = 8
    negation_words: int = 3
    emergency_at: float = 4.0
    urgent_at: float = 3.0
    low_confidence_below: float = 0.5
    kind_temperature: float = 2.0
    category_temperature: float = 2.0
    min_evidence: float = 3.0
    complaint_from_report: float = 0.6
    kind_fallback: str = "inquiry"
    complaint_over_report_at: float = 5.0
    kind_tie_order: tuple[str, ...] = KINDS
    area_prior: dict[str, str] = field(default_factory=dict)
    area_prior_weight: float = 1.0
    complaint_thing_public: dict[str, str] = field(default_factory=dict)
    complaint_thing_home: str = "common"
    fallback_category: dict[str, str] = field(default_factory=dict)
    topic_missing_penalty: dict[str, float] = field(default_factory=dict)
    topic_kind_at: float = 0.0
    # learned keyword weights (learned_weights.tsv): per field or label, how
    # many rule points a learned probability of 1.0 is worth; 0 switches off.
    learned_weight: dict[str, float] = field(default_factory=dict)
    learned_temperature: float = 1.0
    learned_keywords: int = 2
    # an emergency from the learned words alone (no rule cue) needs this
    # learned probability; from ``danger_unsure_from`` up to it the desk asks
    # (Classification.danger_unsure); 0 switches the question off
    learned_emergency_alone_at: float = 0.0
    danger_unsure_from: float = 0.0
    # the character n-gram danger scorer (danger_ngrams.tsv), where the rules
    # and learned words leave a message calm: an emergency from this
    # probability, the question from ``danger_ngram_unsure_from``; 0 is off
    danger_ngram_alone_at: float = 0.0
    danger_ngram_unsure_from: float = 0.0
    # ... from this probability the n-grams outvote a look-alike or mood rule;
    # below ``danger_ngram_doubt_below`` a rule emergency the learned words do
    # not back (probability < 0.5) is asked about instead; 0 is off
    danger_ngram_over_denial_at: float = 0.0
    danger_ngram_doubt_below: float = 0.0
    # ... the same for an emergency that rests on a rule of two or more cue
    # lists (all_of: a relative + not back + phone off) with no past or
    # hypothetical mood: such a rule is rarely a question around a danger
    # word; below 0 it is ``danger_ngram_doubt_below`` (round 12)
    danger_ngram_doubt_compound_below: float = -1.0
    # messages with fewer letters/digits/Chinese characters are not scored
    danger_ngram_min_chars: int = 0

    def learned_cap(self, label: str) -> float:
        """Rule points a learned probability of 1.0 is worth for ``label``:
        its own entry (urgency.emergency) or else its field's (urgency)."""
        w = self.learned_weight
        return w[label] if label in w else w.get(label.split(".", 1)[0], 0.0)


class RuleSet:
    """Compiled rules: a first-character index over every word."""

    def __init__(self, data: dict[str, Any], source: str = "<rules>"):
        if not isinstance(data, dict):
            raise RulesError(f"{source}: top level must be a mapping")
        self.source = source
        self.settings = _settings(data.get("settings") or {}, source)
        self.negators = self._negators(data.get("negators") or {})
        self.typos = self._typos(data.get("typos") or {})
        self.abbreviations = self._typos(data.get("abbreviations") or {})
        self.small_talk, self._opener = self._small_talk(data.get("small_talk") or [])
        self._connective = self._connectives(data.get("leading_connectives") or [])
        self.learned_overrides = self._learned_overrides(data.get("learned_overrides") or {})
        self.moods = self._moods(data.get("moods") or {})
        self.not_cues = self._not_cues(data.get("not_cues") or [])
        self.groups = self._groups(data.get("rules"))
        self._index()

    # -- loading -----------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path = DEFAULT_RULES) -> "RuleSet":
        path = Path(path)
        try:
            with open(path, encoding="utf-8") as f:
                data = yaml.load(f, Loader=_Loader)
        except yaml.YAMLError as exc:
            raise RulesError(f"{path}: not valid YAML: {exc}") from exc
        return cls(data, str(path))

    def _negators(self, raw: Any) -> frozenset[str]:
        words: list[str] = []
        for lang in ("zh", "en"):
            items = raw.get(lang) or [] if isinstance(raw, dict) else []
            if not isinstance(items, list):
                raise RulesError(f"{self.source}: negators.{lang} must be a list")
            words += [str(w).strip().lower() for w in items]
        return frozenset(w for w in words if w)

    def _moods(self, raw: Any) -> tuple[tuple[str, re.Pattern[str] | None, frozenset[str]], ...]:
        """Per mood: one pattern for its words of two or more characters (and
        English), and its one-character words, which must be whole tokens
        (怕 in 我怕着火, not in 可怕)."""
        if not isinstance(raw, dict):
            raise RulesError(f"{self.source}: moods must map a mood to a word list")
        out = []
        for mood, words in raw.items():
            if mood not in MOODS:
                raise RulesError(f"{self.source}: moods: unknown mood {mood!r} (known: {', '.join(MOODS)})")
            if not isinstance(words, list):
                raise RulesError(f"{self.source}: moods.{mood} must be a list")
            words = [str(w).strip().lower() for w in words if str(w).strip()]
            single = frozenset(w for w in words if len(w) == 1 and not w.isascii())
            longer = sorted((w for w in words if w not in single), key=len, reverse=True)
            alts = [rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w) for w in longer]
            out.append((mood, re.compile("|".join(alts)) if alts else None, single))
        return tuple(out)

    def _not_cues(self, raw: Any) -> re.Pattern[str] | None:
        if not isinstance(raw, list):
            raise RulesError(f"{self.source}: not_cues must be a list of words")
        words = sorted({str(w).strip().lower() for w in raw if str(w).strip()}, key=len, reverse=True)
        return re.compile("|".join(map(re.escape, words))) if words else None

    def _typos(self, raw: Any) -> dict[str, str]:
        if not isinstance(raw, dict):
            raise RulesError(f"{self.source}: typos must be a mapping wrong: right")
        return {str(k): str(v) for k, v in raw.items()}

    def _small_talk(self, raw: Any) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        """Any small-talk word, and an opening greeting set off by punctuation
        ("在吗，…", "hello, …")."""
        if not isinstance(raw, list):
            raise RulesError(f"{self.source}: small_talk must be a list of words")
        words = sorted({str(w).strip().lower() for w in raw if str(w).strip()}, key=len, reverse=True)
        if not words:
            return None, None
        alternation = "|".join(map(re.escape, words))
        return re.compile(alternation), re.compile(rf"(?:(?:{alternation})(?:[^\w]+|$))+")

    def _connectives(self, raw: Any) -> re.Pattern[str] | None:
        """Leading connectives (另外, 还有, 对了…), each with what follows it up
        to the next word; not 还有人 (someone is still there)."""
        if not isinstance(raw, list):
            raise RulesError(f"{self.source}: leading_connectives must be a list of words")
        words = sorted({str(w).strip().lower() for w in raw if str(w).strip()}, key=len, reverse=True)
        if not words:
            return None
        alternation = "|".join(re.escape(w) + (r"\b" if w.isascii() else "") for w in words)
        return re.compile(rf"(?:(?:{alternation})(?!人)[^\w]*)+")

    def opener_end(self, text: str) -> int:
        """Where the message starts after an opening greeting and a leading
        connective (在吗，另外…; 0: none). The learned words and the n-grams
        read from there: 另外 or 还有 only links the message to an earlier
        one, yet their characters (外 as in 窗外, 还有 as in 还有人) lean to danger."""
        m = self._opener.match(text) if self._opener is not None else None
        end = m.end() if m else 0
        m = self._connective.match(text, end) if self._connective is not None else None
        return m.end() if m else end

    def says_nothing(self, text: str) -> bool:
        """Only greetings, particles, emoji, digits or punctuation: nothing to route."""
        if self.small_talk is not None:
            text = self.small_talk.sub("", text)
        for ch in text:  # a loop: an unfinished any(generator) is dear to close
            if ch.isalpha():
                return False
        return True

    def _learned_overrides(self, raw: Any) -> dict[str, dict[str, float]]:
        if not isinstance(raw, dict):
            raise RulesError(f"{self.source}: learned_overrides must map keyword: {{label: weight}}")
        out: dict[str, dict[str, float]] = {}
        for word, labels in raw.items():
            if not isinstance(labels, dict):
                raise RulesError(f"{self.source}: learned_overrides.{word} must map labels to weights")
            for label, weight in labels.items():
                if label not in LABELS or label == "urgency.calm":
                    raise RulesError(f"{self.source}: learned_overrides.{word}: unknown label {label!r}")
                if not isinstance(weight, (int, float)) or isinstance(weight, bool):
                    raise RulesError(f"{self.source}: learned_overrides.{word}: weight must be a number")
            out[str(word).strip().lower()] = {str(k): float(v) for k, v in labels.items()}
        return out

    def _groups(self, raw: Any) -> tuple[Group, ...]:
        if not isinstance(raw, list) or not raw:
            raise RulesError(f"{self.source}: 'rules' must be a non-empty list")
        groups = []
        for i, item in enumerate(raw):
            where = f"{self.source}: rules[{i}]"
            if not isinstance(item, dict):
                raise RulesError(f"{where}: must be a mapping")
            unknown = set(item) - {"why", "words", "all_of", "add", "negatable"}
            if unknown:
                raise RulesError(f"{where}: unknown keys {sorted(unknown)}")
            why = str(item.get("why", "")).strip()
            where = f"{where} ({why[:30]})" if why else where
            words = tuple(compile_word(w, where) for w in item.get("words") or [])
            all_of_raw = item.get("all_of") or []
            if not isinstance(all_of_raw, list) or any(not isinstance(x, list) for x in all_of_raw):
                raise RulesError(f"{where}: all_of must be a list of word lists")
            all_of = tuple(tuple(compile_word(w, where) for w in lst) for lst in all_of_raw)
            if not words and not all_of:
                raise RulesError(f"{where}: needs words or all_of")
            add_raw = item.get("add")
            if not isinstance(add_raw, dict) or not add_raw:
                raise RulesError(f"{where}: 'add' must map labels to weights")
            add = []
            for label, weight in add_raw.items():
                if label not in LABELS:
                    raise RulesError(f"{where}: unknown label {label!r}")
                if not isinstance(weight, (int, float)) or isinstance(weight, bool):
                    raise RulesError(f"{where}: weight for {label} must be a number")
                add.append((label, float(weight)))
            groups.append(Group(why, words, all_of, tuple(add),
                                bool(item.get("negatable", True)), i,
                                any(lab == "urgency.emergency" and w > 0 for lab, w in add),
                                any(lab == "urgency.emergency" and w < 0 for lab, w in add)))
        return tuple(groups)

    def _index(self) -> None:
        # One id per distinct pattern. For each id, the (group, slot) pairs that
        # use it: slot -1 is the group's ``words``, slot k its k-th ``all_of``
        # list. Matching then touches only groups whose patterns hit.
        self._patterns: dict[Pattern, int] = {}
        self._users: list[list[tuple[int, int]]] = []
        for g in self.groups:
            slots = [(-1, g.words)] + list(enumerate(g.all_of))
            for slot, words in slots:
                for p in set(words):
                    pid = self._patterns.setdefault(p, len(self._patterns))
                    if pid == len(self._users):
                        self._users.append([])
                    self._users[pid].append((g.index, slot))
        self._pattern_list = list(self._patterns)  # by id (dicts keep insertion order)
        self._danger_pids = frozenset(pid for p, pid in self._patterns.items()
                                      if any(self.groups[gi].danger for gi, _ in self._users[pid]))
        # Lookup by the first two characters when the first part has two or
        # more (almost every Chinese word), else by the first character: a
        # position in the text then tries a handful of words, not hundreds.
        # Each entry: (first part, pattern, id, check). check None: one Chinese
        # part matched anywhere, a hit as it stands; (second part, from, to):
        # A...B, which needs the second part between those offsets from the
        # start (``find_at`` looks for it first, and most A...B words stop
        # there); () : anything else, for ``find_at``.
        self._by_two: dict[str, list[_Entry]] = {}
        self._by_one: dict[str, list[_Entry]] = {}
        self._by_token: dict[str, list[tuple[Pattern, int]]] = {}
        gap = self.settings.gap
        for p, pid in self._patterns.items():
            if len(p.parts) == 1 and not p.whole and not p.english:
                check = None
            elif len(p.parts) > 1:
                second = p.parts[1]
                check = (second, len(p.first), len(p.first) + gap + len(second))
            else:
                check = ()
            if p.whole and len(p.parts) == 1 and not p.english:
                self._by_token.setdefault(p.first, []).append((p, pid))
            elif len(p.first) >= 2:
                self._by_two.setdefault(p.first[:2], []).append((p.first, p, pid, check))
            else:
                self._by_one.setdefault(p.first, []).append((p.first, p, pid, check))
        # What matching reads per position: under a two-character key the
        # words of both indexes that may start there (the two-character
        # ones first); a position whose two characters are no key reads the
        # one-character index alone.
        # A key with many words ("no", "电梯") is split by the third
        # character: each part keeps the words of two characters and those
        # whose third is that one, in the same order; "" (the text ends
        # there) and a third character no word has take the words of two.
        self._at: dict[str, tuple[_Entry, ...] | dict[str, tuple[_Entry, ...]]] = {}
        for key, entries in self._by_two.items():
            lst = tuple(entries) + tuple(self._by_one.get(key[0], ()))
            if len(lst) > _SPLIT_OVER:
                short = tuple(e for e in lst if len(e[0]) < 3)
                split = {"": short}
                for third in {e[0][2] for e in lst if len(e[0]) >= 3}:
                    split[third] = tuple(e for e in lst if len(e[0]) < 3 or e[0][2] == third)
                self._at[key] = split
            else:
                self._at[key] = lst
        self._at_one: dict[str, tuple[_Entry, ...]] = {k: tuple(v) for k, v in self._by_one.items()}
        # Per pattern id, its users with what matching asks of each group:
        # (group, slot, negatable, danger).
        self._uses: list[tuple[tuple[int, int, bool, bool], ...]] = [
            tuple((gi, slot, self.groups[gi].negatable, self.groups[gi].danger) for gi, slot in users)
            for users in self._users]
        # Per group, the slots that must all be filled: -1 for ``words``, k
        # for the k-th ``all_of`` list.
        self._needed: list[tuple[int, ...]] = [
            tuple(([-1] if g.words else []) + list(range(len(g.all_of)))) for g in self.groups]

    def dictionary_words(self) -> tuple[str, ...]:
        """Whole-word Chinese patterns, so jieba keeps them as one token."""
        return tuple(sorted(p.first for p in self._patterns
                            if p.whole and not p.english and len(p.first) > 1))

    # -- matching ----------------------------------------------------------

    def match(self, text: str, tokens: list[Token]) -> Fired:
        ctx = _Context(text, tokens, self)
        hits: dict[int, Hit] = {}
        at, at_one = self._at, self._at_one
        startswith = text.startswith
        find_at = ctx.find_at
        find = text.find
        negated = ctx.negated if ctx.has_negator else None
        get_hit = hits.get
        # Per position, the words starting there, in a fixed order (the
        # two-character index, then the one-character one): the order the
        # hits are first found in is the order ties are broken in below.
        # Per pattern the first occurrence that is not negated is kept; a
        # negated one only while no other was found (不是投诉…但我要投诉 →
        # complaint), so once a pattern has a plain hit it is not looked at again.
        # The two characters at each position (the last one alone), built in C.
        keys = list(map(_concat, text, text[1:]))
        keys.append(text[-1:])
        for i, key in enumerate(keys):
            lst = at.get(key)
            if lst is None:
                lst = at_one.get(key[:1])
                if lst is None:
                    continue
            elif lst.__class__ is dict:
                third = text[i + 2:i + 3]
                lst = lst.get(third) or lst[""]
            # Most words sharing the first characters do not match further:
            # compare the whole first part before the (slower) full check.
            for first, p, pid, check in lst:
                if not startswith(first, i):
                    continue
                old = get_hit(pid)
                if old is not None and not old.negated:
                    continue
                if check is None:
                    end = i + len(first)
                    hit = _new(Hit, (i, end, first, negated is not None and negated(i, end),
                                     False, _NO_GAP))
                else:
                    if check and find(check[0], i + check[1], i + check[2]) < 0:
                        continue
                    hit = find_at(p, i)
                    if hit is None:
                        continue
                if old is None or not hit.negated:
                    hits[pid] = hit
        by_token = self._by_token
        for t in tokens:
            found = by_token.get(t.text)
            if found is None:
                continue
            for p, pid in found:
                old = get_hit(pid)
                if old is None or old.negated:
                    neg = negated is not None and negated(t.start, t.end)
                    if old is None or not neg:
                        hits[pid] = _new(Hit, (t.start, t.end, t.text, neg, False, _NO_GAP))
        # Characters covered by a not-cue (烟钱, 黑灯瞎火): only messages with
        # a danger word pay for the scan.
        if self.not_cues is not None and not self._danger_pids.isdisjoint(hits):
            self._mask(ctx, hits)

        # Per group and slot, the earliest usable hit (a negated hit is usable
        # only by groups marked ``negatable: false``).
        best: dict[int, dict[int, Hit]] = {}
        # every usable hit per slot of a danger group, for its mood
        cands: dict[int, dict[int, list[Hit]]] = {}
        uses = self._uses
        for pid, hit in hits.items():
            hit_negated, hit_masked = hit.negated, hit.masked
            for gi, slot, negatable, danger in uses[pid]:
                if hit_negated and negatable:
                    continue
                if danger:
                    if hit_masked:
                        continue  # 烟 in 抽烟: still a word for the look-alike rule
                    cands.setdefault(gi, {}).setdefault(slot, []).append(hit)
                slots = best.get(gi)
                if slots is None:
                    best[gi] = {slot: hit}
                    continue
                old = slots.get(slot)
                if old is None or hit.start < old.start or \
                        (hit.start == old.start and hit.end - hit.start > old.end - old.start):
                    slots[slot] = hit

        fired = Fired()
        groups, needed_of = self.groups, self._needed
        scores, evidence = fired.scores, fired.evidence
        for gi in sorted(best):
            g = groups[gi]
            slots = best[gi]
            needed = needed_of[gi]
            if len(slots) < len(needed):  # its slots are among the needed ones
                continue
            shown = [(slots[k].start, slots[k].text) for k in needed]
            mood = ""
            if g.danger and self.moods:
                mood = self._mood(ctx, [cands[gi][k] for k in needed])
            fired.groups.append(g)
            for label, weight in g.add:
                if mood and label == "urgency.emergency":
                    fired.moods.add(mood)
                    if mood == "hedge":
                        # 好像有点煤气味？ still counts (a false alarm is
                        # cheap), but the classifier marks it as unsure.
                        fired.hedged_emergency += weight
                    else:
                        # Not danger now (万一…, 上次…): the cue still says
                        # what the message is about, not that it is urgent.
                        continue
                scores[label] = scores.get(label, 0.0) + weight
                if weight > 0:
                    if label in evidence:
                        evidence[label].extend(shown)
                    else:
                        evidence[label] = list(shown)
        return fired

    def _mask(self, ctx: "_Context", hits: dict[int, Hit]) -> None:
        """Mark the danger words that lie inside a longer not-cue (烟 in 抽烟),
        taking a later occurrence outside every not-cue where there is one.
        Only messages with a danger word pay for the not-cue scan."""
        text = ctx.text
        spans = [m.span() for m in self.not_cues.finditer(text)]
        if not spans:
            return
        for pid in self._danger_pids.intersection(hits):
            hit = hits[pid]
            p = self._pattern_list[pid]
            if not _inside(spans, hit.start, hit.start + len(p.first)):
                continue
            hits[pid] = hit._replace(masked=True)
            j = text.find(p.first, hit.start + 1)
            while j >= 0:
                later = ctx.find_at(p, j)
                if later is not None and not later.negated and \
                        not _inside(spans, j, j + len(p.first)):
                    hits[pid] = later
                    break
                j = text.find(p.first, j + 1)

    def _mood(self, ctx: "_Context", slots: list[list[Hit]]) -> str:
        """The mood of a danger group's cues ("" when meant now).

        Per slot the first cue that is meant now is taken (any of the slot's
        words, or, in a one-slot group, a later occurrence of the same words:
        上次淹了…现在又进水了),
        else its first cue; the group takes the mood of the rightmost cue taken:
        the thing comes first and what happens to it last (电梯…上次我被困,
        地上很滑…刚才有人差点摔了).
        """
        text = ctx.text
        picked: list[tuple[int, str]] = []
        for hits in slots:
            first: tuple[int, str] | None = None
            for hit in sorted(hits):
                mood = ctx.mood(hit.start, hit.gap)
                if not mood:
                    first = (hit.start, "")
                    break
                # A later occurrence of a one-slot cue stands on its own; in
                # a group of several slots it would tear the event apart
                # (前年水管冻爆了 … 外露的水管).
                again = text.find(hit.text, hit.end) if len(slots) == 1 else -1
                while again >= 0 and ctx.mood(again):
                    again = text.find(hit.text, again + len(hit.text))
                if again >= 0:
                    first = (again, "")
                    break
                if first is None:
                    first = (hit.start, mood)
            picked.append(first)
        return max(picked)[1]


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Is start..end part of a longer not-cue (烟 in 抽烟; 抽烟 itself is not)?"""
    return any(s <= start and end <= e and e - s > end - start for s, e in spans)


def _keep(hits: dict[int, Hit], pid: int, hit: Hit) -> None:
    # Keep the first occurrence that is not negated; an occurrence that is
    # negated only counts if it is the only one (不是投诉…但我要投诉 → complaint).
    # Likewise an occurrence inside a not-cue (烟 in 抽烟…烟全飘进来).
    old = hits.get(pid)
    if old is None or (old.negated, old.masked) > (hit.negated, hit.masked):
        hits[pid] = hit


class _Context:
    """Per-message helpers: clause boundaries, token lookup, negation."""

    __slots__ = ("text", "tokens", "starts", "rules", "breaks", "has_negator")

    def __init__(self, text: str, tokens: list[Token], rules: RuleSet):
        self.text = text
        self.tokens = tokens
        self.starts = list(map(_START, tokens))
        self.rules = rules
        self.breaks = _clause_breaks(text)
        # Most messages hold no negator at all: then nothing is negated.
        self.has_negator = not rules.negators.isdisjoint(map(_TEXT, tokens))

    def clause_end(self, pos: int) -> int:
        i = bisect.bisect_left(self.breaks, pos)
        return self.breaks[i] if i < len(self.breaks) else len(self.text)

    def clause_start(self, pos: int) -> int:
        i = bisect.bisect_right(self.breaks, pos - 1)
        return self.breaks[i - 1] + 1 if i > 0 else 0

    def find_at(self, p: Pattern, i: int) -> Hit | None:
        text = self.text
        first = p.parts[0]
        if not text.startswith(first, i):
            return None
        if p.english and i > 0 and _is_word_char(first[0]) and _is_word_char(text[i - 1]):
            return None
        end = i + len(first)
        if len(p.parts) == 1:
            if p.whole and not self._whole(i, end, p.english):
                return None
            return Hit(i, end, first, self.negated(i, end))
        # A...B...: each next part within settings.gap characters, same clause.
        # The first occurrence within the gap that ends in the clause is the
        # first occurrence within the gap, if that ends in the clause: look
        # for the clause's end only once a part is found (most are not).
        limit = -1
        gap = self.rules.settings.gap
        gaps = []
        for part in p.parts[1:]:
            j = text.find(part, end, end + gap + len(part))
            if j < 0:
                return None
            if limit < 0:
                limit = self.clause_end(i)
            if j + len(part) > limit:
                return None
            gaps.append((end, j))
            end = j + len(part)
        return Hit(i, end, text[i:end], self.negated(i, end, gaps), False, (gaps[0][0], gaps[-1][1]))

    def mood(self, pos: int, gap: tuple[int, int] = (0, 0)) -> str:
        """The mood word standing before ``pos`` in its clause, or between the
        parts of an A...B word (电梯门老夹人), "" if none."""
        c_start = self.clause_start(pos)
        before = self.text[c_start:pos]
        if gap[1] > gap[0]:
            before += "\n" + self.text[gap[0]:gap[1]]
        if not before:
            return ""
        for mood, pattern, single in self.rules.moods:
            if pattern is not None and pattern.search(before):
                return mood
            if single:
                for lo, hi in ((c_start, pos), gap):
                    k = bisect.bisect_left(self.starts, lo)
                    while k < len(self.tokens) and self.tokens[k].start < hi:
                        if self.tokens[k].text in single:
                            return mood
                        k += 1
        return ""

    def _whole(self, start: int, end: int, english: bool) -> bool:
        if english:
            return (end >= len(self.text) or not _is_word_char(self.text[end - 1])
                    or not _is_word_char(self.text[end]))
        k = bisect.bisect_left(self.starts, start)
        if k >= len(self.tokens) or self.tokens[k].start != start:
            return False
        while k < len(self.tokens) and self.tokens[k].end < end:
            k += 1
        return k < len(self.tokens) and self.tokens[k].end == end

    def negated(self, start: int, end: int, gaps: list[tuple[int, int]] = ()) -> bool:
        """Is the word at ``start``..``end`` denied by a negator?

        A negator counts when it is one of the few words just before the word
        in the same clause (不是投诉), or, for A...B patterns, stands in a gap
        between the parts (水管没爆). Negators written inside the word itself
        (没人管) are part of the cue, not a denial of it.
        """
        if not self.has_negator:
            return False
        negators = self.rules.negators
        c_start = self.clause_start(start)
        k = bisect.bisect_left(self.starts, start)  # first token at/after start
        denied = False
        looked = 0
        j = k - 1
        while j >= 0 and looked < self.rules.settings.negation_words:
            t = self.tokens[j]
            if t.end <= c_start:
                break
            if t.text in negators and not self._complement(j):
                denied = True
                break
            looked += 1
            j -= 1
        for g_start, g_end in gaps:
            if denied:
                break
            m = bisect.bisect_left(self.starts, g_start)
            while m < len(self.tokens) and self.tokens[m].start < g_end:
                if self.tokens[m].text in negators:
                    denied = True
                    break
                m += 1
        if denied:
            # 不是漏水吧？ / 是不是没关? — a worried question affirms the cue.
            tail = self.text[end:self.clause_end(end) + 1]
            if QUESTION_END.search(tail):
                return False
        return denied


    def _complement(self, j: int) -> bool:
        """Is token ``j`` the 不 of a potential complement (开不了, 出不来)?"""
        toks = self.tokens
        if toks[j].text != "不" or j == 0 or j + 1 >= len(toks):
            return False
        verb, after = toks[j - 1], toks[j + 1]
        return (verb.end == toks[j].start and after.start == toks[j].end
                and after.text in _COMPLEMENTS and bool(_CJK.match(verb.text))
                and verb.text not in self.rules.negators)


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _clause_breaks(text: str) -> list[int]:
    """Where clauses end: ``CLAUSE_PUNCT`` except an apostrophe inside an
    English word (last month's, i'm), and a space next to a Chinese character."""
    return [m.start() for m in _CLAUSE_BREAK.finditer(text)]


def _settings(raw: dict[str, Any], source: str) -> Settings:
    if not isinstance(raw, dict):
        raise RulesError(f"{source}: settings must be a mapping")
    known = Settings.__dataclass_fields__
    unknown = set(raw) - set(known)
    if unknown:
        raise RulesError(f"{source}: unknown settings {sorted(unknown)}")
    values = dict(raw)
    if "kind_tie_order" in values:
        order = tuple(values["kind_tie_order"])
        if sorted(order) != sorted(KINDS):
            raise RulesError(f"{source}: kind_tie_order must list each kind once")
        values["kind_tie_order"] = order
    for key, allowed in (("area_prior", AREAS),
                         ("complaint_thing_public", CATEGORIES["complaint"])):
        for cat, val in (values.get(key) or {}).items():
            if cat not in CATEGORIES["report"] or val not in allowed:
                raise RulesError(f"{source}: settings.{key}: bad entry {cat}: {val}")
    for kind, cat in (values.get("fallback_category") or {}).items():
        if kind not in CATEGORIES or cat not in CATEGORIES[kind]:
            raise RulesError(f"{source}: settings.fallback_category: bad entry {kind}: {cat}")
    fields = {"kind": KINDS, "urgency": URGENCIES, "area": AREAS, **CATEGORIES}
    for key, w in (values.get("learned_weight") or {}).items():
        fld, _, code = str(key).partition(".")
        if fld not in fields or (code and code not in fields[fld]) or \
                not isinstance(w, (int, float)) or isinstance(w, bool):
            raise RulesError(f"{source}: settings.learned_weight: bad entry {key}: {w}")
    for kind, pen in (values.get("topic_missing_penalty") or {}).items():
        if kind not in CATEGORIES or not isinstance(pen, (int, float)) or isinstance(pen, bool):
            raise RulesError(f"{source}: settings.topic_missing_penalty: bad entry {kind}: {pen}")
    if values.get("kind_fallback", "inquiry") not in KINDS:
        raise RulesError(f"{source}: settings.kind_fallback must be a kind")
    return Settings(**values)
