"""Accuracy floors on the dev set, so a rule edit that breaks things fails CI.

Floors sit a little below what the rules reach today (see the report in the
issue): loose enough for harmless edits, tight enough to catch a regression.
Emergency recall must stay perfect: missing an emergency is the worst error.
Emergency precision: since the learned keyword weights (nlp3) the classifier
traded false alarms for recall on unseen wording (floor 0.75); round 5 went
after the false alarms (moods of a danger cue, not-cues, look-alikes) and the
floor rose to 0.85 (0.923 at the time).
"""

from __future__ import annotations

from nlp import Classifier
from nlp.evaluate import evaluate

FLOORS = {
    "kind": 0.95,
    "urgency": 0.95,
    "area": 0.93,
}
CATEGORY_FLOORS = {"report": 0.93, "complaint": 0.90, "service": 0.93}


def test_dev_accuracy_floors(dev_rows):
    clf = Classifier.default()
    preds = [clf.classify(r["text"]).to_dict() for r in dev_rows]
    result = evaluate(dev_rows, preds)
    for field, floor in FLOORS.items():
        assert result[field] >= floor, f"{field}: {result[field]:.3f} < {floor}"
    for kind, floor in CATEGORY_FLOORS.items():
        assert result["category"][kind] >= floor, f"category[{kind}]: {result['category'][kind]:.3f}"
    assert result["emergency_recall"] == 1.0
    assert result["emergency_precision"] >= 0.85


def test_every_dev_emergency_is_caught(dev_rows):
    missed = [r["text"] for r in dev_rows
              if r["urgency"] == "emergency" and Classifier.default().classify(r["text"]).urgency != "emergency"]
    assert not missed
