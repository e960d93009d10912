"""`wuye load` of a company file and the commands' --community with several communities,
run as an operator would: a real process on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import EXAMPLE_COMMUNITY, ROOT
from tests.test_cli import wuye

COMPANY = ROOT / "examples" / "company"


def test_a_company_file_loads_its_communities_and_commands_ask_which(tmp_path: Path) -> None:
    loaded = wuye(tmp_path, "load", str(COMPANY / "company.yaml"))
    assert loaded.returncode == 0, loaded.stderr
    assert [line.split(":")[0] for line in loaded.stdout.splitlines()] == ["loaded 兰亭雅苑", "loaded 东苑小区",
                                                                          "loaded 西苑小区"]
    assert wuye(tmp_path, "load", str(COMPANY / "company.yaml")).stdout == loaded.stdout  # idempotent
    # Without --community a command says which exist instead of taking the first.
    for command in (("cases",), ("report", "--from", "2026-06-01", "--to", "2026-06-08"),
                    ("load-owners", str(ROOT / "examples" / "owner-register.csv"))):
        result = wuye(tmp_path, *command)
        assert result.returncode == 1, command
        assert "3 communities are loaded; say which with --community CODE" in result.stderr
        assert "dongyuan (东苑小区)" in result.stderr
    assert wuye(tmp_path, "cases", "--community", "xiyuan").stdout.strip().endswith("没有工单")
    unknown = wuye(tmp_path, "cases", "--community", "nowhere")
    assert unknown.returncode == 1 and "no community 'nowhere'" in unknown.stderr


def test_one_community_file_loads_as_before_and_several_files_load_together(tmp_path: Path) -> None:
    alone = wuye(tmp_path, "load", str(EXAMPLE_COMMUNITY))
    assert alone.returncode == 0 and alone.stdout.startswith("loaded 兰亭雅苑: 3 buildings, 48 rooms, 20 owners")
    assert wuye(tmp_path, "cases").stdout.strip() == "没有工单"  # one community: no --community needed
    both = wuye(tmp_path, "load", str(COMPANY / "dongyuan.yaml"), str(COMPANY / "xiyuan.yaml"))
    assert both.returncode == 0 and len(both.stdout.splitlines()) == 2


def test_bad_company_files_are_refused_whole(tmp_path: Path) -> None:
    bad = tmp_path / "company.yaml"
    bad.write_text(f"company: {{code: c, name: C}}\ncommunities: [{COMPANY / 'dongyuan.yaml'}]\n"
                   "staff:\n  - {code: q1, name: Q, role: quality_inspector, team: management, communities: [west]}\n",
                   encoding="utf-8")
    result = wuye(tmp_path, "load", str(bad))
    assert result.returncode == 1 and "unknown community 'west' (communities: dongyuan)" in result.stderr
    bad.write_text(f"company: {{code: c, name: C}}\ncommunities: [{COMPANY / 'dongyuan.yaml'}, missing.yaml]\n",
                   encoding="utf-8")
    result = wuye(tmp_path, "load", str(bad))
    assert result.returncode == 1 and "missing.yaml): cannot read" in result.stderr
    bad.write_text(f"company: {{code: c, name: C}}\ncommunities: [{COMPANY / 'dongyuan.yaml'}]\n"
                   "staff:\n  - {code: gc01, name: G, role: engineer, team: engineering, communities: '*'}\n",
                   encoding="utf-8")
    result = wuye(tmp_path, "load", str(bad))
    assert result.returncode == 1 and "also in the community file of 'dongyuan'" in result.stderr
    bad.write_text("company: {code: c, name: C}\ncommunities: []\n", encoding="utf-8")
    result = wuye(tmp_path, "load", str(bad))
    assert result.returncode == 1 and "line 2 (communities)" in result.stderr
    # Nothing of the refused files was loaded.
    assert "no community" in wuye(tmp_path, "cases", "--community", "dongyuan").stderr
