"""The learned keyword weights: reproducible, overridable, bounded."""

from __future__ import annotations

import pytest

import yaml

from nlp import Classifier, learn_weights
from nlp.danger_ngrams import DEFAULT_DANGER_WEIGHTS
from nlp.evaluate import evaluate, load_jsonl
from nlp.learned import DEFAULT_WEIGHTS, LearnedWeights
from nlp.rules import DEFAULT_RULES, RulesError


def _need_all_sets() -> None:
    missing = [str(p) for p in learn_weights.data_sets().values() if not p.exists()]
    if missing:
        pytest.skip(f"labelled sets not found: {', '.join(missing)} (set WUYE_SHARED)")


def _weights(path) -> dict[tuple[str, ...], float]:
    """A weights file's lines (every field but the last is the key, the last the weight)."""
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            *key, weight = line.split("\t")
            rows[tuple(key)] = float(weight)
    return rows


# Another release of scipy/scikit-learn (CI installs the newest) converges the last kept digit
# differently: a weight may move by one rounding step, and one on the edge of the file's floor
# (weights smaller are left out) may be written or not.  A stale file — a labelled line added,
# a rule changed — moves weights by more than that.
def _same_weights(built, packaged, step: float, floor: float) -> list[str]:
    new, old = _weights(built), _weights(packaged)
    moved = []
    for key in new.keys() | old.keys():
        a, b = new.get(key), old.get(key)
        if a is None or b is None:
            if abs(a if b is None else b) > floor + 1.5 * step:
                moved.append(f"{key}: {a} / {b}")
        elif abs(a - b) > 1.5 * step:
            moved.append(f"{key}: {a} / {b}")
    return moved


LEARNED = dict(step=0.01, floor=learn_weights.MIN_WEIGHT)
DANGER = dict(step=0.001, floor=learn_weights.DANGER_MIN_WEIGHT)


def test_packaged_files_are_reproducible_from_the_data(tmp_path):
    _need_all_sets()
    out, danger = tmp_path / "learned.tsv", tmp_path / "danger.tsv"
    assert learn_weights.main(["--out", str(out), "--danger-out", str(danger)]) == 0
    assert not (moved := _same_weights(out, DEFAULT_WEIGHTS, **LEARNED)), \
        f"nlp/learned_weights.tsv is stale: run python -m nlp.learn_weights ({len(moved)} weights: {moved[:5]})"
    assert not (moved := _same_weights(danger, DEFAULT_DANGER_WEIGHTS, **DANGER)), \
        f"nlp/danger_ngrams.tsv is stale: run python -m nlp.learn_weights ({len(moved)} weights: {moved[:5]})"


def test_a_stale_weights_file_is_caught(tmp_path):
    """What the reproducibility test allows is rounding, not a change of the data."""
    lines = DEFAULT_DANGER_WEIGHTS.read_text(encoding="utf-8").splitlines(keepends=True)
    pieces = [i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")]
    jitter, stale = tmp_path / "jitter.tsv", tmp_path / "stale.tsv"
    i = pieces[0]
    *key, weight = lines[i].rstrip("\n").split("\t")
    jitter.write_text("".join(lines[:i] + ["\t".join([*key, f"{float(weight) + 0.001:.3f}"]) + "\n"] + lines[i + 1:]),
                      encoding="utf-8")
    stale.write_text("".join(lines[:i] + ["\t".join([*key, f"{float(weight) + 0.01:.3f}"]) + "\n"] + lines[i + 1:]),
                     encoding="utf-8")
    assert _same_weights(jitter, DEFAULT_DANGER_WEIGHTS, **DANGER) == []
    assert len(_same_weights(stale, DEFAULT_DANGER_WEIGHTS, **DANGER)) == 1


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
    plain = Classifier(learned_path=None, danger_path=None).classify(text)
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
    plain = Classifier(learned_path=None, danger_path=None)
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
    clf = Classifier(learned_path=None, danger_path=None)
    fz = learn_weights._featurizer(clf)
    plain = evaluate(held, learn_weights.predict_split(clf, [], held, fz))
    mixed = evaluate(held, learn_weights.predict_split(clf, train, held, fz))
    assert mixed["kind"] >= plain["kind"]
    assert mixed["emergency_recall"] >= plain["emergency_recall"]
    assert mixed["category"]["complaint"] > plain["category"]["complaint"]


def _feats(text: str) -> set[str]:
    clf = Classifier.default()
    norm = clf.normalize(text)
    return clf.learned_features(norm, clf.segmenter.tokens(norm))


def test_a_denied_word_is_its_own_learned_keyword():
    feats = _feats("电梯停在5楼不动了，里面没有人被困")
    assert "不~被困" in feats and "被困" not in feats
    assert "电梯" in feats  # before the negator: untouched
    # A worried question affirms its cue, as in the rules.
    assert "漏水" in _feats("不是漏水吧？")
    # The denial ends with the clause.
    assert "冒烟" in _feats("没有火，但是插座在冒烟")


def test_learned_cap_is_per_field_or_per_label(tmp_path):
    with open(DEFAULT_RULES, encoding="utf-8") as f:
        settings = yaml.safe_load(f)["settings"]
    settings = dict(settings, learned_weight={"urgency": 5, "urgency.emergency": 0, "kind": 7})
    clf = _with(tmp_path, settings=settings)
    assert clf.settings.learned_cap("urgency.urgent") == 5
    assert clf.settings.learned_cap("urgency.emergency") == 0
    assert clf.settings.learned_cap("report.plumbing") == 0
    # No rule sees danger in a lock forced open with someone maybe still
    # inside: the learned words alone raise the emergency, and a cap of 0 on
    # that one label stops them. (Until round 5 the example was a swing about
    # to snap with children on it; a rule family covers that now.)
    text = "门锁被人撬了，屋里好像还有动静，我不敢进去"
    assert Classifier.default().classify(text).urgency == "emergency"
    # The character n-grams read it too; they have their own switches
    # (danger_ngram_* settings) and are off here to test the cap alone.
    clf.danger = None
    assert clf.classify(text).urgency != "emergency"


@pytest.mark.parametrize("entry", [{"kin": 3}, {"urgency.panic": 3}, {"kind": "high"}])
def test_bad_learned_weight_entries_are_refused(tmp_path, entry):
    with open(DEFAULT_RULES, encoding="utf-8") as f:
        settings = yaml.safe_load(f)["settings"]
    with pytest.raises(RulesError, match="learned_weight"):
        _with(tmp_path, settings=dict(settings, learned_weight=entry))


def test_greetings_alone_say_nothing_but_do_not_hide_a_message():
    clf = Classifier.default()
    for text in ("在吗", "在吗？？", "你好", "您好，请问", "有人吗", "hello?", "ok"):
        r = clf.classify(text)
        assert r.low_confidence and r.confidence == 0.0, text
    r = clf.classify("在吗，电梯坏了")
    assert (r.kind, r.category, r.low_confidence) == ("report", "elevator", False)


def test_every_labelled_set_is_in_the_learning_pool_and_leave_one_out_runs_over_the_independent_ones():
    # Round 7: the unseen sets of rounds 4-6 and the fresh sets of round 7 joined the
    # pool (more varied writing carries further than more rules); the next unseen test
    # lives outside the repository. Leave-one-set-out holds out only sets written by
    # labellers who never saw the rules.
    pool = learn_weights.data_sets()
    on_disk = {p.stem for p in learn_weights.DATA.glob("*.jsonl")}
    assert on_disk <= set(pool)
    assert set(learn_weights.INDEPENDENT) <= set(pool)
    assert not {"dev", "heldout", "heldout2", "tuning"} & set(learn_weights.INDEPENDENT)


def test_the_round_4_unseen_figures_do_not_quietly_fall():
    # Measured once at ed7d302: kind 0.957, emergency recall 0.976 (40/41),
    # urgency 0.907, categories 0.890 / 0.911 / 0.980. A rule or data change
    # that loses more than a message or two here needs a look, not a shrug.
    # Round 5 tuned emergency rules on it (it is seen now: see the data
    # README) and reached recall 1.000 (41/41), precision 0.891 (41/46),
    # urgency 0.930: the floors below were raised to match.
    rows = load_jsonl(learn_weights.DATA / "heldout4.jsonl")
    clf = Classifier.default()
    got = evaluate(rows, [clf.classify(r["text"]).to_dict() for r in rows])
    assert got["kind"] >= 0.94
    assert got["emergency_recall"] >= 0.975
    assert got["emergency_precision"] >= 0.85
    assert got["urgency"] >= 0.91
    assert got["category"]["report"] >= 0.86
    assert got["category"]["complaint"] >= 0.88
    assert got["category"]["service"] >= 0.94


def test_the_heldout5_figures_do_not_quietly_fall():
    # heldout5: 299 messages (105 emergencies, 120 calm look-alikes) written by a labeller who
    # never saw the rules, scored once at the round-5 integration: emergency recall 0.905
    # (95/105), precision 0.826, kind 0.876, urgency 0.856. Below issue 13's target
    # (0.97 / 0.85): the floors guard what we have, the data README says what is missed.
    rows = load_jsonl(learn_weights.DATA / "heldout5.jsonl")
    clf = Classifier.default()
    got = evaluate(rows, [clf.classify(r["text"]).to_dict() for r in rows])
    assert got["emergency_recall"] >= 0.90
    assert got["emergency_precision"] >= 0.82
    assert got["kind"] >= 0.87
    assert got["urgency"] >= 0.85
    # Round 6 tuned the rules on heldout5 (it is tuning data now, still out of
    # the learning pool): recall 1.000 (105/105), precision 0.991, kind 0.886.
    assert got["emergency_recall"] >= 0.99
    assert got["emergency_precision"] >= 0.95


def test_the_heldout6_figures_do_not_quietly_fall():
    # heldout6: 318 messages (110 emergencies, 128 calm look-alikes, 80 ordinary) written
    # before the rules were read (commit 1191e7a), scored once at the end of round 6:
    # emergency recall 0.945 (104/110), precision 0.904 (104/115), kind 0.868, urgency 0.909
    # (the classifier at the start of round 6: recall 0.945, precision 0.874, kind 0.865).
    # Recall is below issue 13's target of 0.97: the floors guard what we have, the nlp
    # README lists what is missed.
    rows = load_jsonl(learn_weights.DATA / "heldout6.jsonl")
    clf = Classifier.default()
    got = evaluate(rows, [clf.classify(r["text"]).to_dict() for r in rows])
    assert got["emergency_recall"] >= 0.94
    assert got["emergency_precision"] >= 0.90
    assert got["kind"] >= 0.86
    assert got["urgency"] >= 0.90


def test_why_names_the_strongest_positive_keywords_first_in_order_on_ties():
    # Session 6 picks them with max/index instead of numpy's stable argsort:
    # the same order, equal weights in the order of the words, none at or
    # below zero, at most ``top``.
    lw = LearnedWeights()
    for word, weight in (("甲", 1.0), ("乙", 3.0), ("丙", 1.0), ("丁", 3.0), ("戊", -2.0), ("己", 0.0)):
        lw.add(word, "kind.report", weight)
        lw.add(word, "kind.inquiry", -weight)
    hits = lw.lookup({"甲", "乙", "丙", "丁", "戊", "己", "不在表里"})
    assert hits.words == sorted(["甲", "乙", "丙", "丁", "戊", "己"])
    order = sorted(hits.words, key=lambda w: -dict(zip("甲乙丙丁戊己", (1, 3, 1, 3, -2, 0)))[w])
    assert lw.why(hits, "kind.report", 2) == order[:2]
    assert lw.why(hits, "kind.report", 10) == order[:4]  # positive only
    assert lw.why(hits, "kind.inquiry", 3) == [w for w in sorted(hits.words) if w == "戊"]
    assert lw.why(lw.lookup(set()), "kind.report", 2) == []


def test_shown_keywords_drop_a_word_inside_a_longer_one():
    from nlp.classifier import _keywords
    from nlp.rules import Fired

    fired = Fired()
    fired.evidence = {"kind.report": [(0, "电梯"), (0, "电梯困人"), (5, "困人"), (7, "漏水")]}
    assert _keywords(fired, ["kind.report"], 0) == ("电梯困人", "漏水")
    # a word that holds a NUL (typed inside an A...B match) takes the plain way
    fired.evidence = {"kind.report": [(0, "水\0爆"), (1, "\0"), (4, "漏水")]}
    assert _keywords(fired, ["kind.report"], 0) == ("水\0爆", "漏水")
