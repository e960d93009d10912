"""``python -m nlp classify`` and ``python -m nlp evaluate`` as subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nlp", *args], input=stdin, text=True,
                          encoding="utf-8", capture_output=True, cwd=REPO, timeout=60)


def test_classify_reads_json_and_plain_lines():
    stdin = "\n".join([
        json.dumps({"text": "地库有股煤气味", "id": 7}, ensure_ascii=False),
        "帮我约个保洁阿姨",
        "",
        '{"text": null}',
        "{not json",
    ]) + "\n"
    p = run("classify", stdin=stdin)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""  # jieba's start-up chatter must not leak
    lines = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(lines) == 4  # the blank line is skipped
    assert lines[0]["urgency"] == "emergency" and lines[0]["text"] == "地库有股煤气味"
    assert lines[1]["kind"] == "service" and lines[1]["category"] == "housekeeping"
    assert lines[2]["low_confidence"] is True
    assert lines[3]["text"] == "{not json"
    assert "煤气味" in p.stdout  # ensure_ascii=False
    for d in lines:
        assert {"kind", "urgency", "category", "area", "confidence", "keywords", "low_confidence"} <= set(d)


def test_evaluate_prints_every_figure(tmp_path):
    data = tmp_path / "mini.jsonl"
    rows = [
        {"text": "电梯困人了", "kind": "report", "urgency": "emergency", "category": "elevator", "area": "public"},
        {"text": "物业费怎么交", "kind": "inquiry", "urgency": "normal", "category": ""},
        {"text": "帮我约个保洁", "kind": "service", "urgency": "normal", "category": "housekeeping"},
        {"text": "楼道灯坏了一个月了没人修", "kind": "complaint", "urgency": "normal", "category": "equipment"},
    ]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    p = run("evaluate", str(data))
    assert p.returncode == 0, p.stderr
    for needle in ("kind accuracy", "urgency accuracy", "category[report", "category[complaint",
                   "category[service", "area (reports)", "emergency recall", "emergency precision",
                   "kind confusion"):
        assert needle in p.stdout
    assert "kind accuracy        1.000" in p.stdout


def test_evaluate_says_how_often_the_danger_question_is_asked(tmp_path):
    data = tmp_path / "mini.jsonl"
    rows = [
        {"text": "好像有点煤气味？", "kind": "report", "urgency": "emergency", "category": "security",
         "area": "home"},
        {"text": "物业费怎么交", "kind": "inquiry", "urgency": "normal", "category": ""},
    ]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    p = run("evaluate", str(data))
    assert p.returncode == 0, p.stderr
    assert "danger_unsure       1 of 2 asked (50.0%): 1 emergencies on a hedged cue, 0 not emergencies" in p.stdout
    out = run("classify", stdin="是不是漏电了\n")
    assert json.loads(out.stdout)["danger_unsure"] is True
