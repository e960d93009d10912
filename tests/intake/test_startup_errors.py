"""Every start-up failure is one line naming what is wrong (issue 15.5), and nothing is
half-written: the database, the SQLite path, the community file."""

from __future__ import annotations

import errno
import sqlite3
import subprocess
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from bot.bootstrap import App, load_community_file
from bot.cli import main
from storage.community_file import CommunityFileError, parse, read
from storage.db import describe_failure
from tests.conftest import EXAMPLE_COMMUNITY
from tests.test_cli import wuye

PG = make_url("postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def one_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def in_process(tmp_path: Path, *args: str, **env: str):  # type: ignore[no-untyped-def]
    """The CLI run in this process (click's runner): the same code, without a new interpreter."""
    from click.testing import CliRunner

    environ = {"DATABASE_URL": f"sqlite:///{tmp_path}/w.sqlite3", **env}
    result = CliRunner().invoke(main, list(args), env=environ, catch_exceptions=False)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def test_an_unreachable_database_is_one_line_from_a_real_process(tmp_path: Path) -> None:
    line = one_line(wuye(tmp_path, "migrate", DATABASE_URL="postgresql://postgres:secret@127.0.0.1:1/test"))
    assert line.startswith("Error: PostgreSQL postgres@127.0.0.1:1/test: unreachable") and "secret" not in line


@pytest.mark.parametrize("url, says", [
    ("postgresql://postgres@127.0.0.1:5432/wuye_no_such_db", "the database does not exist"),
    ("postgresql://wuye_nobody:secret@127.0.0.1:5432/test", "the server refused the login"),
    ("sqlite:////proc/wuye/w.sqlite3", "cannot create its directory /proc/wuye"),
    ("sqlite:////sys/w.sqlite3", "cannot be opened or created"),
    ("sqlite:////dev/full", "the disk is full"),
])
def test_a_database_that_cannot_be_used_is_one_line(tmp_path: Path, url: str, says: str) -> None:
    line = one_line(in_process(tmp_path, "migrate", DATABASE_URL=url))
    assert line.startswith("Error: ") and says in line, line
    assert "secret" not in line


def test_the_shell_and_load_say_the_same_line(tmp_path: Path) -> None:
    for args in (("shell",), ("load", str(EXAMPLE_COMMUNITY))):
        line = one_line(in_process(tmp_path, *args, DATABASE_URL=f"sqlite:///{tmp_path}"))
        assert line == f"Error: SQLite file {tmp_path}: is a directory, not a file"


def test_read_only_and_full_are_named() -> None:
    sqlite_url = make_url("sqlite+aiosqlite:////srv/w.sqlite3")
    assert describe_failure(OSError(errno.EROFS, "Read-only file system"), sqlite_url).endswith(
        "the file system or file is read-only (DATABASE_URL must point to a writable place)")
    assert "read-only" in describe_failure(sqlite3.OperationalError("attempt to write a readonly database"), sqlite_url)
    assert "disk is full" in describe_failure(OSError(errno.ENOSPC, "No space left on device"), PG)


def test_community_files_in_other_encodings_or_nested_too_deep(tmp_path: Path) -> None:
    text = EXAMPLE_COMMUNITY.read_text(encoding="utf-8")
    gbk, utf16 = tmp_path / "gbk.yaml", tmp_path / "utf16.yaml"
    gbk.write_bytes(text.encode("gb18030"))
    utf16.write_bytes(text.encode("utf-16"))
    with pytest.raises(CommunityFileError, match=r"gbk.yaml line \d+: not UTF-8 text \(it looks like GBK"):
        read(gbk)
    assert read(utf16).community.name == "兰亭雅苑"  # Notepad's UTF-16 with its BOM is fine
    for deep in ("[" * 5000 + "]" * 5000, "a: " + "{b: " * 5000 + "1" + "}" * 5000):
        with pytest.raises(CommunityFileError, match="nested too deeply"):
            parse(deep, "deep.yaml")
    line = one_line(in_process(tmp_path, "load", str(gbk)))
    assert "not UTF-8 text" in line


def _with(mutate) -> str:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(EXAMPLE_COMMUNITY.read_text(encoding="utf-8"))
    mutate(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@pytest.mark.parametrize("mutate, key", [
    (lambda d: d["teams"][1].update(name="秩" * 101), "teams.1.name"),
    (lambda d: d["teams"][0]["chats"].update(telegram="-100" + "1" * 70), "teams.0.chats.telegram"),
    (lambda d: d["teams"][0]["chats"].update({"c" * 17: "x"}), "teams.0.chats." + "c" * 17 + ".[key]"),
    (lambda d: d["staff"][2].update(name="陈" * 101), "staff.2.name"),
    (lambda d: d["staff"][0].update(chats={"telegram": "9" * 65}), "staff.0.chats.telegram"),
    (lambda d: d["buildings"][0].update(name="楼" * 101), "buildings.0.name"),
    (lambda d: d["buildings"][0].update(units=["1", "u" * 17]), "buildings.0.units.1"),
    (lambda d: d["buildings"][0].update(rooms=["1-1-" + "9" * 40]), "buildings.0.rooms.0"),
    (lambda d: d["buildings"][0].update(floors=[1, 5000]), "buildings.0.floors"),
    (lambda d: d["services"][0].update(name="灯" * 101), "services.0.name"),
    (lambda d: d["services"][0].update(unit="盏" * 21), "services.0.unit"),
    (lambda d: d["faq"][0].update(code="f" * 33), "faq.0.code"),
    (lambda d: d["community"].update(name="苑" * 201), "community.name"),
])
def test_every_length_the_database_limits_is_checked_with_line_and_key(mutate, key: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommunityFileError) as refused:
        parse(_with(mutate), "c.yaml")
    message = str(refused.value)
    assert message.count("\n") == 0 and f"({key})" in message and message.startswith("c.yaml line "), message


async def test_the_longest_names_allowed_load_on_both_databases(app: App, tmp_path: Path) -> None:
    def longest(d):  # type: ignore[no-untyped-def]
        d["teams"][1]["name"] = "秩" * 100
        d["staff"][2]["name"] = "陈" * 100
        d["staff"][0]["chats"] = {"telegram": "9" * 64}
        d["services"][0].update(name="灯" * 100, name_en="L" * 100, unit="盏" * 20)
        d["faq"][0]["code"] = "f" * 32
        d["community"]["name"] = "苑" * 200
    path = tmp_path / "long.yaml"
    path.write_text(_with(longest), encoding="utf-8")
    summary = await load_community_file(app, str(path))
    assert summary.community == "苑" * 200
