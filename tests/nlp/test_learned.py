"""The learned keyword weights: reproducible, overridable, bounded."""

from __future__ import annotations

import hashlib

import pytest

import yaml

from nlp import Classifier
from nlp import learn_weights
from nlp.learned import DEFAULT_WEIGHTS, LearnedWeights
from nlp.rules import DEFAULT_RULES


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _need_all_sets() -> None:
    missing = [str(p) for p in learn_weights.data_sets().values() if not p.exists()]
    if missing:
        pytest.skip(f"labelled sets not found: {', '.join(missing)} (set WUYE_SHARED)")


def test_packaged_file_is_reproducible_from_the_data(tmp_path):
    _need_all_sets()
    out = tmp_path / "learned.tsv"
    assert learn_weights.main(["--out", str(out)]) == 0
    assert _sha(out) == _sha(DEFAULT_WEIGHTS), \
        "nlp/learned_weights.tsv is stale: run python -m nlp.learn_weights"


def test_file_lines_are_keyword_label_weight():
    lw = LearnedWeights.load(DEFAULT_WEIGHTS)
    assert len(lw.weights) > 1000
    assert set(lw.priors) == {"kind", "urgency", "report", "complaint", "service", "area"}


def _with(tmp_path, **extra) -> Classifier:
    with open(DEFAULT_RULES, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    data.update(extra)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return Classifier(rules_path=path)


def test_learned_words_decide_where_no_rule_fires(tmp_path):
    # "车位" style wording the rules may not know: with learned weights off
    # entirely the answer falls back; with them it follows the data.
    text = "想问问地库那个月卡续一下"
    plain = Classifier(learned_path=None).classify(text)
    learned = Classifier.default().classify(text)
    assert learned.kind in ("service", "inquiry")
    assert plain.confidence <= 1.0


def test_staff_override_beats_learned_weight(tmp_path):
    text = "阳台那边有点怪怪的"
    base = Classifier.default().classify(text)
    # Push a made-up keyword hard towards suggestion: the override must win.
    clf = _with(tmp_path, learned_overrides={"怪怪": {"kind.suggestion": 40, "kind.report": 0}})
    assert clf.classify(text).kind == "suggestion"
    assert "怪怪" in clf.classify(text).keywords
    assert base.kind != "suggestion"


def test_learned_weight_zero_switches_learning_off(tmp_path):
    with open(DEFAULT_RULES, encoding="utf-8") as f:
        settings = yaml.safe_load(f)["settings"]
    off = {k: 0 for k in settings["learned_weight"]}
    settings = dict(settings, learned_weight=off)
    clf = _with(tmp_path, settings=settings)
    plain = Classifier(learned_path=None)
    for text in ("电梯坏了", "物业费怎么交", "楼上天天装修吵死了", "想请个保洁"):
        assert clf.classify(text) == plain.classify(text)


def test_a_rule_that_denies_an_emergency_beats_learned_words():
    # The "won't ignite" look-alike rule has a negative emergency weight.
    assert Classifier.default().classify("燃气灶打不着火了").urgency != "emergency"


def test_bad_input_is_still_a_valid_low_confidence_answer():
    clf = Classifier.default()
    for bad in (None, "", "   ", "🙂🙂", "12345", b"\xff\xfe", 3.5, "在吗", "x" * 5000):
        r = clf.classify(bad)
        assert r.kind in ("report", "complaint", "service", "inquiry", "suggestion")
        assert 0.0 <= r.confidence <= 1.0
    assert clf.classify("在吗").low_confidence


def test_cross_validation_runs_and_learned_helps_on_the_untuned_set():
    _need_all_sets()
    rows = learn_weights.load_all()
    held = [r for r in rows if r["set"] == "heldout2"]
    train = [r for r in rows if r["set"] != "heldout2"]
    clf = Classifier(learned_path=None)
    fz = learn_weights._featurizer(clf)
    from nlp.evaluate import evaluate
    plain = evaluate(held, learn_weights.predict_split(clf, [], held, fz))
    mixed = evaluate(held, learn_weights.predict_split(clf, train, held, fz))
    assert mixed["kind"] >= plain["kind"]
    assert mixed["emergency_recall"] >= plain["emergency_recall"]
    assert mixed["category"]["complaint"] > plain["category"]["complaint"]
