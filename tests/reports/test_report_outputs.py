"""What a manager opens: Markdown, CSV, the Excel workbook, the case archive, the weekly
chart — and that no owner's name or phone number is in any of them."""

from __future__ import annotations

import csv
import io
import os
import struct
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner, Result

from bot.bootstrap import App
from bot.cli import main
from cases.policy import DeskPolicy
from cases.records import Community
from cases.statistics import satisfaction
from services.reports import statistics as reporting
from services.reports.statistics import build_report, export_cases, to_csv, to_markdown, to_xlsx, weekly_report
from tests.conftest import EXAMPLE_COMMUNITY
from tests.reports.history import local, seed_history

WEEK = (date(2026, 6, 1), date(2026, 6, 8))
OWNERS = yaml.safe_load(EXAMPLE_COMMUNITY.read_text(encoding="utf-8"))["owners"]


def workbook_text(data: bytes) -> tuple[openpyxl.Workbook, str]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    cells = [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    return wb, "\n".join(cells)


def assert_no_owner_data(*texts: str) -> None:
    for text in texts:
        for owner in OWNERS:
            assert owner["name"] not in text, f"owner name {owner['name']} unmasked"
            assert owner["phone"] not in text, f"owner phone {owner['phone']} unmasked"


async def test_markdown_csv_and_workbook(app: App, clock) -> None:
    await seed_history(app, clock)
    report = await build_report(app.uow(), *WEEK, now=app.now())
    md, text_csv, xlsx = to_markdown(report), to_csv(report), to_xlsx(report)

    assert "| 首次响应中位 First response median (min) | 45.0 |" in md
    assert "| 首次响应P90 First response P90 (min) | 132.0 |" in md
    assert "| 完成用时P90 Completion P90 (h) | 27.5 |" in md
    assert "| 超时率 Overdue rate | 30.0% |" in md
    assert "| report 报事报修 | 6 | 4 | 1 | 1 | 1 | 66.7% | 100.0% | 低于标准 BELOW POLICY |" in md
    assert "| complaint 投诉 | 2 | 1 | 0 | 0 | 1 | 50.0% | 100.0% | 低于标准 BELOW POLICY |" in md
    assert "| 平均速度 Mean speed (1–5) | 3.86 |" in md and "| 解决率 Solved rate | 85.7% |" in md

    rows = list(csv.reader(io.StringIO(text_csv)))
    start = rows.index(["回访覆盖 Callback coverage"])
    header, first = rows[start + 1], rows[start + 2]
    assert header[0] == "类型 Kind" and first == ["complaint 投诉", "2", "1", "0", "0", "1", "50.0%", "100.0%",
                                                   "低于标准 BELOW POLICY"]
    summary = {r[0]: r[1] for r in rows[rows.index(["概览 Summary"]) + 2:] if len(r) == 2}
    assert summary["新增案件 Cases opened"] == "11" and summary["返工率 Reopen rate"] == "12.5%"

    wb, cells = workbook_text(xlsx)
    assert wb.sheetnames == ["Summary", "By kind", "By category", "By urgency", "By team", "Staff", "Callbacks",
                             "Overdue", "Dispatch", "Definitions"]
    by_kind = {r[0]: r for r in wb["By kind"].iter_rows(min_row=2, values_only=True)}
    assert by_kind["report 报事报修"][1] == 8 and by_kind["complaint 投诉"][1] == 2
    callbacks = {r[0]: r for r in wb["Callbacks"].iter_rows(min_row=2, values_only=True)}
    assert abs(callbacks["report 报事报修"][6] - 4 / 6) < 1e-9 and callbacks["report 报事报修"][8].endswith("BELOW POLICY")
    assert wb["Callbacks"]["G2"].number_format == "0.0%"
    assert wb["Overdue"].max_row == 4  # header + c9, c4, c3
    staff = {r[1]: r for r in wb["Staff"].iter_rows(min_row=2, values_only=True)}
    assert staff["刘洋"][8] == 0.5 and staff["王强"][4] == 3
    summary_values = {r[0]: r[1] for r in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary_values["首次响应P90 First response P90 (min)"] == 132.0

    assert_no_owner_data(md, text_csv, cells)


async def test_case_archive_masks_owners(app: App, clock) -> None:
    ids = await seed_history(app, clock)
    text_csv = (await export_cases(app.uow(), *WEEK, "csv", now=app.now())).decode("utf-8-sig")
    xlsx = await export_cases(app.uow(), *WEEK, "xlsx", now=app.now())

    rows = list(csv.DictReader(io.StringIO(text_csv)))
    assert [int(r["case"]) for r in rows] == sorted(ids[f"c{i}"] for i in range(1, 12))
    c1 = next(r for r in rows if int(r["case"]) == ids["c1"])
    assert (c1["owner"], c1["owner_phone"]) == ("张*", "138****0001")
    assert c1["description"] == "卫生间漏水，我是张*，电话138****0001"
    assert c1["opened"] == "2026-06-01 09:00" and c1["accepted"] == "2026-06-01 09:30" and c1["assignee"] == "王强"
    c6 = next(r for r in rows if int(r["case"]) == ids["c6"])
    assert "reopened" in c6["timeline"] and "138****0002" in c6["timeline"] and c6["rework_round"] == "1"

    wb, cells = workbook_text(xlsx)
    assert wb.sheetnames == ["Cases", "Timeline"]
    events = [r for r in wb["Timeline"].iter_rows(min_row=2, values_only=True) if r[0] == ids["c6"]]
    assert [e[2] for e in events] == ["opened", "dispatched", "accepted", "done", "confirmed", "reopened",
                                      "accepted", "done", "confirmed", "surveyed"]
    assert_no_owner_data(text_csv, cells)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def test_weekly_report_text_and_chart(app: App, clock) -> None:
    await seed_history(app, clock)
    text, png = await weekly_report(app.uow(), local(10, 9))  # Wednesday after the seeded week
    lines = text.splitlines()
    assert lines[0] == "【物业周报】兰亭雅苑 2026-06-01 至 2026-06-07"
    assert lines[1] == "新增案件 11 件（前一周 1 件）：报事报修 8、投诉 2、有偿服务 1。"
    assert "首次响应中位 45 分钟，P90 132 分钟" in lines[2] and "P90 27.5 小时" in lines[2]
    assert lines[3] == "超时 3 件（30.0%），返工率 12.5%。"
    # Still open past its deadline at the week's end (c9, never accepted): the backlog.
    assert lines[4] == "逾期积压：1 件仍未完成且已过时限，最久已超时 2天；工程部 1 件。"
    assert lines[5] == ("回访覆盖：投诉 50.0%（1/2，低于100%标准）；有偿服务 100.0%（1/1）；"
                        "报事报修 66.7%（4/6，1 件回访中，低于100%标准）。")
    assert lines[6] == "满意度（7 份回访）：速度 3.86、态度 4.00（满分5），问题解决率 85.7%。"
    width, height = png_size(png)
    assert (width, height) == (1000, 700) and len(png) > 20_000
    assert_no_owner_data(text)
    if os.environ.get("WUYE_SAVE_CHART"):
        Path(os.environ["WUYE_SAVE_CHART"]).write_bytes(png)


@pytest.fixture
async def seeded_url(app: App, clock, database_url: str) -> str:
    await seed_history(app, clock)
    return database_url


def test_report_command(seeded_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`wuye report` with the operator's options (in-process: the seeded app's loop is not running here)."""
    monkeypatch.setenv("DATABASE_URL", seeded_url)
    monkeypatch.chdir(tmp_path)  # no stray .env

    def wuye(*args: str) -> Result:
        return CliRunner().invoke(main, ["report", "--from", "2026-06-01", "--to", "2026-06-08", *args])

    md = wuye()
    assert md.exit_code == 0, md.output
    assert "| 新增案件 Cases opened | 11 |" in md.stdout and "## 超时案件 Overdue cases" in md.stdout
    book = wuye("--out", "week.xlsx", "--community", "lanting")
    assert book.exit_code == 0, book.output
    assert openpyxl.load_workbook(tmp_path / "week.xlsx")["By kind"]["B2"].value == 8
    archive = wuye("--cases", "--out", "cases.csv")
    assert archive.exit_code == 0, archive.output
    exported = (tmp_path / "cases.csv").read_text(encoding="utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(exported)))) == 11
    nowhere = wuye("--community", "nowhere")
    assert nowhere.exit_code == 1 and "no community 'nowhere'" in nowhere.stderr
    assert "needs --out" in wuye("--format", "xlsx").stderr
    assert_no_owner_data(md.stdout, exported)


def test_chart_labels_follow_the_installed_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a CJK font the chart is labelled in Chinese; without one, in English (no tofu boxes)."""
    import warnings
    from collections import Counter
    from datetime import timedelta

    community = Community(1, "lanting", "兰亭雅苑", DeskPolicy())
    weeks = [reporting.WeekFigures(date(2026, 4, 13) + timedelta(weeks=i), Counter(report=i, complaint=1),
                                   satisfaction([])) for i in range(8)]
    monkeypatch.setattr(reporting, "cjk_font", lambda: None)
    english = reporting.render_chart(community, weeks)
    monkeypatch.setattr(reporting, "cjk_font", lambda: "DejaVu Sans")  # stands in for an installed CJK font
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chinese = reporting.render_chart(community, weeks)
    assert png_size(english) == png_size(chinese) == (1000, 700)
    # DejaVu has no Chinese glyphs, so matplotlib warns about them: proof the labels were Chinese.
    assert any("missing from font" in str(w.message) for w in caught)
