"""`wuye load-owners` as an operator runs it: preview first, --apply to apply, bad rows named."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import EXAMPLE_COMMUNITY
from tests.test_cli import wuye


def test_load_owners_previews_then_applies_and_never_shows_a_traceback(tmp_path: Path) -> None:
    assert wuye(tmp_path, "load", str(EXAMPLE_COMMUNITY)).returncode == 0
    register = tmp_path / "业主名册.csv"
    # Chinese Excel's CSV: GBK, split columns, 吴刚 (2-1-201) gone, 钱多多 in, 张伟 retyped as 张伟伟.
    register.write_bytes(("楼栋,单元,房号,业主姓名,手机号\n"
                          "1,1,101,张伟伟,13800000001\n"
                          "2,1,201,钱多多,13900000001\n").encode("gbk"))
    preview = wuye(tmp_path, "load-owners", str(register), "--add-only")
    assert preview.returncode == 0, preview.stderr
    assert "(gb18030, 2 rows): 1 new, 1 updated, 0 moved out, 0 unchanged" in preview.stdout
    assert "  updated    line 2: 1-1-101 name 张伟 → 张伟伟" in preview.stdout
    assert "preview only, nothing changed" in preview.stdout

    # The whole register is only two rows: 19 of 20 people would move out; refused without the flag.
    refused = wuye(tmp_path, "load-owners", str(register), "--apply")
    assert refused.returncode == 1 and "is this the whole register?" in refused.stderr
    assert "Traceback" not in refused.stderr

    applied = wuye(tmp_path, "load-owners", str(register), "--apply", "--add-only")
    assert applied.returncode == 0 and "applied: 1 new, 1 updated, 0 moved out; 0 chat(s) unbound" in applied.stdout
    again = wuye(tmp_path, "load-owners", str(register), "--add-only")
    assert "0 new, 0 updated, 0 moved out, 2 unchanged" in again.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("房号,姓名,电话\n1-1-101,张伟伟,13800000001\n9-9-909,某人,13900000009\n", encoding="utf-8")
    result = wuye(tmp_path, "load-owners", str(bad), "--apply")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{bad} line 3: unknown room '9-9-909'" in result.stderr and "nothing was loaded" in result.stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    result = wuye(tmp_path, "load-owners", str(broken))
    assert result.returncode == 1 and "not a readable .xlsx workbook" in result.stderr
    assert "Traceback" not in result.stderr
