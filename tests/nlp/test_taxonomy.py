"""One taxonomy: the classifier's labels are exactly the desk's codes (cases.codes), and
those are the codes of shared/spec/taxonomy.md.

nlp takes its label lists from cases.codes, so they cannot drift by being written
twice; what can still drift is checked here: the spec's tables, the label names in
the staff-edited rules file, the learned weights file and the labelled message sets,
and what the classifier actually answers (every code it may give, and no other).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from cases.codes import CATEGORIES, Area, Kind, Urgency
from nlp import Classifier
from nlp.learned import DEFAULT_WEIGHTS, PRIOR
from nlp.rules import DEFAULT_RULES
from tests.nlp.conftest import DEV, shared_dir

DATA = Path(__file__).resolve().parent / "data"
SPEC = shared_dir() / "spec" / "taxonomy.md"
# The rules file's one label that is not a code: the owner's hedge "不急" (it lowers urgent).
RULES_ONLY = {"urgency.calm"}


def desk_labels() -> set[str]:
    """Every `dimension.code` label the desk can receive from the classifier."""
    return ({f"kind.{k}" for k in Kind} | {f"urgency.{u}" for u in Urgency} | {f"area.{a}" for a in Area}
            | {f"{kind}.{c}" for kind, cats in CATEGORIES.items() for c in cats})


def spec_codes() -> dict[str, list[str]]:
    """The code columns of the spec's tables, by dimension (kind, urgency, report, …), and
    the two areas named in the report section's lead-in."""
    if not SPEC.exists():
        pytest.skip(f"taxonomy spec not found at {SPEC} (set WUYE_SHARED)")
    codes: dict[str, list[str]] = defaultdict(list)
    section = ""
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        if heading := re.match(r"## (\w+)", line):
            section = heading.group(1)
        elif lead := re.match(r"For `(\w+)`", line):
            section = lead.group(1)
            if "`area`" in line:
                codes["area"] = re.findall(r"`(\w+)` [\u4e00-\u9fff]", line)
        elif row := re.match(r"\| `(\w+)` \|", line):
            codes[section].append(row.group(1))
    return dict(codes)


def test_the_desks_codes_are_the_specs() -> None:
    spec = spec_codes()
    assert spec["kind"] == [k.value for k in Kind]
    assert spec["urgency"] == [u.value for u in Urgency]
    assert spec["area"] == [a.value for a in Area]
    for kind in Kind:
        assert spec.get(kind.value, []) == list(CATEGORIES[kind]), kind


def test_the_rules_file_speaks_only_in_codes() -> None:
    raw = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    used = {label for group in raw["rules"] for label in group.get("add", {})}
    assert used - RULES_ONLY <= desk_labels(), sorted(used - RULES_ONLY - desk_labels())
    settings = raw["settings"]
    assert sorted(settings["kind_tie_order"]) == sorted(Kind)
    assert settings["kind_fallback"] in set(Kind)


def test_the_learned_weights_speak_only_in_codes() -> None:
    labels = set()
    for line in DEFAULT_WEIGHTS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            labels.add(line.split("\t")[1])
    assert labels == desk_labels(), (sorted(labels - desk_labels()), sorted(desk_labels() - labels))
    assert PRIOR not in labels


def labelled_sets() -> list[Path]:
    return sorted(DATA.glob("*.jsonl")) + ([DEV] if DEV.exists() else [])


def test_the_labelled_messages_speak_only_in_codes() -> None:
    for path in labelled_sets():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            where = f"{path.name}:{n}"
            kind = Kind(row["kind"])
            assert row["urgency"] in set(Urgency), where
            assert (row.get("category") or "") in (CATEGORIES[kind] or ("",)), where
            assert (row.get("area") or "") in ({a.value for a in Area} if kind == Kind.REPORT else {""}), where


def test_the_classifier_answers_exactly_the_desks_codes() -> None:
    """Over the held-out sets, every answer is a desk code and every desk code is given:
    a code the classifier never gives is a route the desk has that owners cannot reach."""
    clf = Classifier.default()
    seen: dict[str, set[str]] = defaultdict(set)
    for path in sorted(DATA.glob("heldout*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            r = clf.classify(json.loads(line)["text"])
            seen["kind"].add(r.kind)
            seen["urgency"].add(r.urgency)
            seen[r.kind].add(r.category)
            seen[f"area of {r.kind}"].add(r.area)
    assert seen["kind"] == set(Kind)
    assert seen["urgency"] == set(Urgency)
    for kind in Kind:
        assert seen[kind] == (set(CATEGORIES[kind]) or {""}), kind
        assert seen[f"area of {kind}"] == ({a.value for a in Area} if kind == Kind.REPORT else {""}), kind
