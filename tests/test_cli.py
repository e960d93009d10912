"""The operator's command line, run as an operator would: a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from storage.db import _alembic_config
from tests.conftest import EXAMPLE_COMMUNITY


def _head() -> str:
    """The newest migration (one head: parallel branches' migrations are chained when merged)."""
    (head,) = ScriptDirectory.from_config(_alembic_config()).get_heads()
    return head


HEAD = _head()


def wuye(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/w.sqlite3", **env}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          env=environ, cwd=tmp_path, timeout=120)


def test_migrate_load_and_list(tmp_path: Path) -> None:
    assert wuye(tmp_path, "version").stdout.startswith("wuye ")
    assert f"revision {HEAD}" in wuye(tmp_path, "migrate").stdout
    loaded = wuye(tmp_path, "load", str(EXAMPLE_COMMUNITY))
    assert loaded.returncode == 0 and "48 rooms, 20 owners, 14 staff" in loaded.stdout
    assert wuye(tmp_path, "cases").stdout.strip() == "没有工单"
    assert wuye(tmp_path, "cases", "--lang", "en").stdout.strip() == "No cases"
    missing = wuye(tmp_path, "cases", "99", "--lang", "en")
    assert missing.returncode == 1 and "There is no case #99" in missing.stderr


def test_bad_setting_fails_with_one_clear_line(tmp_path: Path) -> None:
    result = wuye(tmp_path, "migrate", TIMEZONE="Mars/Olympus")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == "wuye: bad setting TIMEZONE: Value error, unknown time zone 'Mars/Olympus'"


def test_bad_community_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("community: {code: x, name: X}\nbuildings: []\nteams: []\n", encoding="utf-8")
    result = wuye(tmp_path, "load", str(bad))
    assert result.returncode == 1 and "line 2 (buildings)" in result.stderr


def test_status_reports_delivery_health(tmp_path: Path) -> None:
    assert wuye(tmp_path, "load", str(EXAMPLE_COMMUNITY)).returncode == 0
    result = wuye(tmp_path, "status")
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["outbox: nothing pending, nothing failed in the last 7 days",
                                          "收件箱（微信/企业微信）：没有待处理或失败的消息 / "
                                          "inbox (WeChat/WeCom): nothing pending, nothing failed"]
