"""Leave-one-set-out for the emergency decision only, with cached fold models.

    python bench/loso_danger.py                      # shipped settings, every independent set
    python bench/loso_danger.py --sweep danger_ngram_alone_at=0.35,0.4,0.45
    python bench/loso_danger.py --misses heldout13   # print the held set's misses and false alarms
    python bench/loso_danger.py --extra FILE.jsonl   # also score FILE as a fresh set (not in the pool)

``python -m nlp.learn_weights --loso`` rebuilds every learned field and the n-gram
scorer for each held set and classifies it: about an hour on the shared machine.
Emergency recall and precision depend only on the learned *urgency* weights and the
n-grams, so this harness fits just those per held set (``learn(..., fields=...)``),
caches them under ``--cache`` (keyed by the training rows and the rules file's
reading of text: typos, abbreviations, negators and the rule words jieba is given,
unless ``--loose``), then
re-decides ``Classifier._danger`` for each settings variant of ``--sweep`` from one
matching per message. The pooled line of the shipped settings equals the emergency
columns of ``--loso`` (same folds, same code path: ``classify`` up to ``decide``).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import pickle
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nlp.classifier import Classifier  # noqa: E402
from nlp.danger_ngrams import content_chars, mostly_latin  # noqa: E402
from nlp.evaluate import load_jsonl  # noqa: E402
from nlp.learn_weights import (INDEPENDENT, _danger_reader, _featurizer, learn,  # noqa: E402
                               learn_danger, load_all)


def _key(clf: Classifier, train: list[dict], loose: bool = False) -> str:
    h = hashlib.sha1()
    for r in train:
        h.update(f"{r['text']}\t{r['urgency']}\n".encode())
    rules = clf.rules
    h.update(repr((rules.typos, rules.abbreviations, sorted(rules.negators),
                   clf.settings.negation_words)).encode())
    if not loose:
        h.update(repr(sorted(rules.dictionary_words())).encode())
    return h.hexdigest()[:16]


def fold_models(clf, train, featurize, cache: Path, loose: bool = False):
    strict = cache / f"{_key(clf, train)}.pkl"
    relaxed = cache / f"loose-{_key(clf, train, loose=True)}.pkl"
    for path in (strict, relaxed) if loose else (strict,):
        if path.exists():
            return pickle.loads(path.read_bytes())
    lw = learn(train, featurize, fields=("urgency",))
    ds = learn_danger(train, _danger_reader(clf))
    cache.mkdir(parents=True, exist_ok=True)
    blob = pickle.dumps((lw, ds))
    strict.write_bytes(blob)
    relaxed.write_bytes(blob)
    return lw, ds


def read(clf, text):
    """``Classifier.classify`` up to ``decide``: (fired, norm) or None for empty input."""
    norm = clf.normalize(text)
    if clf.rules.says_nothing(norm):
        return None
    tokens = clf.segmenter.tokens(norm)
    fired = clf.rules.match(norm, tokens)
    start = clf.rules.opener_end(norm)
    clf._add_learned(fired, clf.learned_features(norm, tokens, start))
    s = clf.settings
    if content_chars(norm) >= s.danger_ngram_min_chars:
        fired.danger_ngram = clf.danger.probability(norm[start:])
    return fired, norm


def decide(clf, item):
    if item is None:
        return False, False
    fired, norm = item
    q = fired.danger_ngram
    if q is not None:
        fired.danger_ngram_doubts = q >= clf.settings.danger_ngram_doubt_below or not mostly_latin(norm)
    return clf._danger(fired)


def score(gold, got):
    tp = sum(g and e for g, (e, _) in zip(gold, got))
    fp = sum((not g) and e for g, (e, _) in zip(gold, got))
    fn = sum(g and not e for g, (e, _) in zip(gold, got))
    asked = sum(u for _, u in got)
    caught = sum(g and (not e) and u for g, (e, u) in zip(gold, got))
    rec = tp / (tp + fn) if tp + fn else 1.0
    prec = tp / (tp + fp) if tp + fp else 1.0
    return tp, fp, fn, rec, prec, asked, caught


def line(name, n, s):
    tp, fp, fn, rec, prec, asked, caught = s
    return (f"{name:<22} n {n:5d}  recall {rec:.3f} ({tp}/{tp + fn})  precision {prec:.3f}  "
            f"fp {fp:3d}  asked {asked} ({asked / max(n, 1):.1%})  missed-but-asked {caught}/{fn}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default="/tmp/wuye_loso_cache")
    ap.add_argument("--sweep", action="append", default=[],
                    help="setting=v1,v2,... (several: every combination)")
    ap.add_argument("--sets", default="", help="comma-separated held sets (default: INDEPENDENT)")
    ap.add_argument("--extra", action="append", default=[],
                    help="a fresh JSONL set scored with models fitted on the whole pool")
    ap.add_argument("--misses", default="", help="comma-separated sets whose errors to print ('all')")
    ap.add_argument("--loose", action="store_true",
                    help="reuse fold models after rule words changed (jieba's extra dictionary "
                         "moves a few learned features): quick while editing; final figures without")
    ap.add_argument("--quiet", action="store_true", help="pooled lines only")
    args = ap.parse_args(argv)

    clf = Classifier(learned_path=None, danger_path=None)
    rows = load_all()
    featurize = _featurizer(clf)
    held_sets = [s for s in args.sets.split(",") if s] or list(INDEPENDENT)
    misses = set(args.misses.split(",")) if args.misses else set()

    work = []  # (name, gold rows, items)
    for held in held_sets:
        test = [r for r in rows if r["set"] == held]
        texts = {r["text"] for r in test}
        train = [r for r in rows if r["set"] != held and r["text"] not in texts]
        lw, ds = fold_models(clf, train, featurize, Path(args.cache), args.loose)
        clf.set_learned(lw)
        clf.danger = ds
        work.append((held, test, [read(clf, r["text"]) for r in test]))
    for path in args.extra:
        test = list(load_jsonl(path))
        texts = {r["text"] for r in test}
        train = [r for r in rows if r["text"] not in texts]
        lw, ds = fold_models(clf, train, featurize, Path(args.cache), args.loose)
        clf.set_learned(lw)
        clf.danger = ds
        work.append((Path(path).stem + "*", test, [read(clf, r["text"]) for r in test]))

    base = clf.settings
    cap = base.learned_cap("urgency.emergency")
    grid = []
    for spec in args.sweep:
        name, vals = spec.split("=", 1)
        grid.append([(name, float(v)) for v in vals.split(",")])
    for combo in itertools.product(*grid) if grid else [()]:
        clf.settings = dataclasses.replace(base, **dict(combo))
        label = " ".join(f"{k}={v:g}" for k, v in combo) or "shipped settings"
        print(f"== {label}")
        pooled_gold, pooled_got = [], []
        for name, test, items in work:
            gold = [r["urgency"] == "emergency" for r in test]
            got = [decide(clf, it) for it in items]
            if not name.endswith("*"):
                pooled_gold += gold
                pooled_got += got
            if not args.quiet or name.endswith("*"):
                print(line(name, len(test), score(gold, got)))
            if name.rstrip("*") in misses or "all" in misses:
                for r, g, (e, u), it in zip(test, gold, got, items):
                    if g != e:
                        q = it[0].danger_ngram if it else None
                        p = it[0].learned.get("urgency.emergency", 0.0) / cap if it else 0
                        rule = it[0].score("urgency.emergency") if it else 0
                        tag = "MISS" if g else "FA  "
                        print(f"  {tag} {name} asked={int(u)} rule={rule:.1f} p={p:.2f} "
                              f"q={q if q is None else round(q, 2)} | {r['text']}")
        print(line("pooled", len(pooled_gold), score(pooled_gold, pooled_got)), flush=True)
    clf.settings = base
    return 0


if __name__ == "__main__":
    sys.exit(main())
