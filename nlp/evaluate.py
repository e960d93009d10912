"""Accuracy figures for a labelled message set (shared by the CLI and bench).

Definitions, so figures from different tools compare:
* ``kind`` / ``urgency``: exact match over all messages.
* ``category[k]``: over messages whose *gold* kind is ``k``, the predicted
  category equals the gold one (a wrong kind usually means a wrong category,
  and that is counted as an error — it is what the owner experiences).
* ``area``: over gold reports, predicted area equals gold area.
* emergency recall = caught emergencies / gold emergencies;
  precision = true emergencies / predicted emergencies.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .rules import CATEGORIES, KINDS

Row = Mapping[str, Any]
Predict = Callable[[str], Mapping[str, Any]]


def load_jsonl(path: str | Path) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON: {exc}") from exc
    return rows


def _ratio(ok: int, n: int) -> float | None:
    return ok / n if n else None


def evaluate(rows: Iterable[Row], predictions: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    rows = list(rows)
    preds = list(predictions)
    if len(rows) != len(preds):
        raise ValueError("one prediction per row is needed")
    counts: Counter[str] = Counter()
    confusion: Counter[tuple[str, str]] = Counter()
    for gold, pred in zip(rows, preds):
        gk, pk = gold["kind"], pred["kind"]
        counts["n"] += 1
        counts["kind"] += gk == pk
        counts["urgency"] += gold["urgency"] == pred["urgency"]
        confusion[(gk, pk)] += 1
        if gk in CATEGORIES:
            counts[f"n_cat_{gk}"] += 1
            counts[f"cat_{gk}"] += gold.get("category", "") == pred.get("category", "")
        if gk == "report":
            counts["n_area"] += 1
            counts["area"] += gold.get("area", "") == pred.get("area", "")
        ge, pe = gold["urgency"] == "emergency", pred["urgency"] == "emergency"
        counts["gold_em"] += ge
        counts["pred_em"] += pe
        counts["both_em"] += ge and pe
        counts["all"] += (gk == pk and gold["urgency"] == pred["urgency"]
                          and gold.get("category", "") == pred.get("category", "")
                          and (gk != "report" or gold.get("area") == pred.get("area")))
    n = counts["n"]
    return {
        "n": n,
        "kind": _ratio(counts["kind"], n),
        "urgency": _ratio(counts["urgency"], n),
        "category": {k: _ratio(counts[f"cat_{k}"], counts[f"n_cat_{k}"]) for k in CATEGORIES},
        "area": _ratio(counts["area"], counts["n_area"]),
        "all_fields": _ratio(counts["all"], n),
        "emergency_recall": _ratio(counts["both_em"], counts["gold_em"]),
        "emergency_precision": _ratio(counts["both_em"], counts["pred_em"]),
        "emergency_support": counts["gold_em"],
        "confusion": {g: {p: confusion[(g, p)] for p in KINDS} for g in KINDS},
    }


def _pct(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:6.3f}"


def format_report(r: Mapping[str, Any], title: str = "") -> str:
    lines = []
    if title:
        lines.append(title)
    lines.append(f"messages            {r['n']}")
    lines.append(f"kind accuracy       {_pct(r['kind'])}")
    lines.append(f"urgency accuracy    {_pct(r['urgency'])}")
    for k, v in r["category"].items():
        lines.append(f"category[{k:<9}] {_pct(v)}")
    lines.append(f"area (reports)      {_pct(r['area'])}")
    lines.append(f"all fields right    {_pct(r['all_fields'])}")
    lines.append(f"emergency recall    {_pct(r['emergency_recall'])}   (of {r['emergency_support']})")
    lines.append(f"emergency precision {_pct(r['emergency_precision'])}")
    lines.append("kind confusion (rows = gold, columns = predicted):")
    short = {k: k[:5] for k in KINDS}
    lines.append("  " + " " * 11 + "".join(f"{short[p]:>7}" for p in KINDS))
    for g in KINDS:
        lines.append(f"  {g:<11}" + "".join(f"{r['confusion'][g][p]:>7}" for p in KINDS))
    return "\n".join(lines)


def errors(rows: Iterable[Row], predictions: Iterable[Mapping[str, Any]]) -> list[str]:
    """One line per message with any field wrong (for tuning on dev)."""
    out = []
    for gold, pred in zip(rows, predictions):
        g = (gold["kind"], gold["urgency"], gold.get("category", ""), gold.get("area", ""))
        p = (pred["kind"], pred["urgency"], pred.get("category", ""),
             pred.get("area", "") if gold["kind"] == "report" else "")
        if g != p:
            out.append(f"{'/'.join(g)} <- {'/'.join(p)} "
                       f"[{pred.get('confidence', '')}] {gold['text']}  {pred.get('keywords', '')}")
    return out
