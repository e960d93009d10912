"""`wuye load` of a company file and the commands' --community with several communities:
the real CLI (click, in this process) on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from tests.conftest import EXAMPLE_COMMUNITY, ROOT

COMPANY = ROOT / "examples" / "company"


@pytest.fixture
def wuye(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, list(args), env={"DATABASE_URL": f"sqlite:///{tmp_path}/w.sqlite3"})

    return run


def test_a_company_file_loads_its_communities_and_commands_ask_which(wuye) -> None:  # type: ignore[no-untyped-def]
    loaded = wuye("load", str(COMPANY / "company.yaml"))
    assert loaded.exit_code == 0, loaded.output
    assert [line.split(":")[0] for line in loaded.output.splitlines()] == ["loaded 兰亭雅苑", "loaded 东苑小区",
                                                                          "loaded 西苑小区"]
    assert wuye("load", str(COMPANY / "company.yaml")).output == loaded.output  # idempotent
    # Without --community a command says which exist instead of taking the first.
    for command in (("cases",), ("report", "--from", "2026-06-01", "--to", "2026-06-08"),
                    ("load-owners", str(ROOT / "examples" / "owner-register.csv"))):
        result = wuye(*command)
        assert result.exit_code == 1, command
        assert "3 communities are loaded; say which with --community CODE" in result.output
        assert "dongyuan (东苑小区)" in result.output
    assert wuye("cases", "--community", "xiyuan").output.strip().endswith("没有工单")
    unknown = wuye("cases", "--community", "nowhere")
    assert unknown.exit_code == 1 and "no community 'nowhere'" in unknown.output


def test_one_community_file_loads_as_before_and_several_files_load_together(wuye) -> None:  # type: ignore[no-untyped-def]
    alone = wuye("load", str(EXAMPLE_COMMUNITY))
    assert alone.exit_code == 0 and alone.output.startswith("loaded 兰亭雅苑: 3 buildings, 48 rooms, 20 owners")
    assert wuye("cases").output.strip() == "没有工单"  # one community: no --community needed
    both = wuye("load", str(COMPANY / "dongyuan.yaml"), str(COMPANY / "xiyuan.yaml"))
    assert both.exit_code == 0 and len(both.output.splitlines()) == 2


def test_bad_company_files_are_refused_whole(wuye, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "company.yaml"
    east = COMPANY / "dongyuan.yaml"
    cases = {
        f"communities: [{east}]\nstaff:\n  - {{code: q1, name: Q, role: quality_inspector, team: management, "
        "communities: [west]}\n": "unknown community 'west' (communities: dongyuan)",
        f"communities: [{east}, missing.yaml]\n": "missing.yaml): cannot read",
        f"communities: [{east}]\nstaff:\n  - {{code: gc01, name: G, role: engineer, team: engineering, "
        "communities: '*'}\n": "also in the community file of 'dongyuan'",
        "communities: []\n": "line 2 (communities)",
        f"communities: [{east}, {east}]\n": "line 2 (communities.1): listed twice",
    }
    for body, complaint in cases.items():
        bad.write_text("company: {code: c, name: C}\n" + body, encoding="utf-8")
        result = wuye("load", str(bad))
        assert result.exit_code == 1 and complaint in result.output, (complaint, result.output)
    # Nothing of the refused files was loaded.
    assert "none (run `wuye load FILE`)" in wuye("cases", "--community", "dongyuan").output
