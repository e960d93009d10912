"""Each case event's replies are produced in one place (handlers/announcers.py): no other
module builds a card, the owner's progress message or the first responder's notice, and
the staff-press preamble (authorise → act → announce) exists once (handlers/staff_common.act)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FAN_OUT = {"card_replies", "owner_replies", "tell_first_responder", "first_responder", "moved_card_replies"}


def _calls(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else "")
    return names


def _modules() -> list[Path]:
    return sorted(p for top in ("handlers", "bot", "services") for p in (ROOT / top).rglob("*.py"))


def test_the_fan_out_is_called_only_by_the_announcers() -> None:
    callers = {str(p.relative_to(ROOT)): sorted(_calls(p) & FAN_OUT) for p in _modules()}
    outside = {path: names for path, names in callers.items() if names and not path.endswith("announcers.py")}
    assert outside == {}


def test_the_desk_services_produce_no_chat_text() -> None:
    """(services/reports, the statistics views, writes summaries for chat on purpose.)"""
    for path in sorted((ROOT / "services").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not {m for m in imported if m.endswith(("messages", "cards", "announcers"))}, path


# The staff actions on a case (before and after the layout of issue 12 moved them).
ACTIONS = {"staff.py", "staff_finish.py", "staff_handback.py", "staff_transfer.py",
           "accept.py", "finish.py", "handback.py", "transfer.py"}


def test_the_staff_press_preamble_exists_once() -> None:
    """No staff action loads and authorises a case itself: they call `act` / `may_act`."""
    steps = [p for p in _modules() if p.name in ACTIONS and p.parent.name in ("handlers", "staff")]
    assert len(steps) == 4
    for path in steps:
        calls = _calls(path)
        assert not calls & {"acting_on", "working_case", "may_work_on", "staff_on_case", "save"}, path
        assert calls & {"act", "may_act"}, path
