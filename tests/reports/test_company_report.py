"""The company report over four communities with figures worked out by hand
(tests/reports/company_history.py), on SQLite and PostgreSQL; its files; `wuye report --company`.

lanting's figures are those of tests/reports/test_report_figures.py (the week of history.py).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import update

from bot.bootstrap import App
from bot.cli import main
from services.reports.company import (
    build_company_report, communities_for, company_figures, company_text, render_company_chart,
)
from services.reports.statistics import open_context, to_csv, to_markdown, to_xlsx
from storage import models as m
from tests.notices.test_report_chat import png_size
from tests.reports.company_history import seed_company
from tests.reports.test_report_outputs import assert_no_owner_data

WEEK = (date(2026, 6, 1), date(2026, 6, 8))


@pytest.fixture
async def company(app: App, clock, tmp_path: Path) -> dict[str, int]:
    return await seed_company(app, clock, tmp_path)


async def figures(app: App, codes: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        communities = [c for c in await uow.directory.communities() if not codes or c.code in codes]
        return await company_figures(uow.session, communities, *WEEK, app.now())


async def test_each_community_and_the_company_total(app: App, company) -> None:
    f = await figures(app)
    rows = {r.community.code: r for r in f.communities}
    # Largest first; the community without cases is there, with zeros.
    assert [r.community.code for r in f.communities] == ["lanting", "meilin", "songyuan", "zhuyuan"]

    a = rows["lanting"]
    assert (a.cases, dict(a.opened), a.cancelled, a.finished) == (11, {"report": 8, "complaint": 2, "service": 1}, 1, 8)
    assert (a.first_response.median, a.first_response.p90) == (45, pytest.approx(132))
    assert (a.completion.median, a.completion.p90) == (350, pytest.approx(1650))
    assert (a.late_response, a.late_completion, a.overdue, a.overdue_rate) == (2, 2, 3, pytest.approx(0.3))
    assert (a.callbacks_due, a.callbacks_done, a.coverage_rate) == (9, 6, pytest.approx(6 / 9))
    assert a.below_policy == ("complaint", "report")
    # 7 answers; c6's first (2/1, unsolved) sent the case back: 6 satisfied.
    assert (a.satisfaction.answered, a.satisfied, a.satisfied_rate) == (7, 6, pytest.approx(6 / 7))
    assert (a.satisfaction.mean_speed, a.satisfaction.mean_attitude) == (pytest.approx(27 / 7), pytest.approx(4.0))
    assert (a.reopened, a.reopen_rate) == (1, pytest.approx(1 / 8))

    # meilin: b1–b3 (b4 just after the week, b5 just before it, in Shanghai time).
    b = rows["meilin"]
    assert (b.cases, dict(b.opened), b.cancelled, b.finished) == (3, {"report": 2, "complaint": 1}, 0, 2)
    # First responses 10 and 200 min: median 105, P90 10 + 0.9·190; completion 100 and 3000.
    assert (b.first_response.count, b.first_response.median, b.first_response.p90) == (2, 105, pytest.approx(181))
    assert (b.completion.median, b.completion.p90) == (1550, pytest.approx(2710))
    assert (b.late_response, b.late_completion, b.overdue, b.overdue_rate) == (1, 0, 1, pytest.approx(1 / 3))
    assert (b.callbacks_due, b.callbacks_done, b.below_policy) == (2, 2, ())
    assert (b.satisfaction.answered, b.satisfied, b.satisfaction.mean_speed, b.satisfaction.mean_attitude) == (2, 2, 4, 4)
    assert (b.reopened, b.reopen_rate) == (0, 0)

    # songyuan counts Tokyo's week: s1 (00:30 on 06-01 Tokyo, still 05-31 in Shanghai), not s2.
    s = rows["songyuan"]
    assert (s.cases, s.first_response.count, s.first_response.median) == (1, 0, None)
    assert (s.late_response, s.late_completion, s.overdue, s.overdue_rate) == (1, 1, 1, 1.0)
    assert (s.satisfaction.answered, s.satisfied_rate, s.coverage_rate) == (0, None, None)

    z = rows["zhuyuan"]
    assert (z.cases, z.overdue, z.overdue_rate, z.callbacks_due, z.satisfaction.answered) == (0, 0, None, 0, 0)
    assert (z.first_response.median, z.completion.p90, z.satisfied_rate, z.reopen_rate) == (None, None, None, None)

    # The company: from every case, not from the communities' averages.
    t = f.total
    assert t.community is None
    assert (t.cases, dict(t.opened), t.cancelled, t.finished) == (15, {"report": 11, "complaint": 3, "service": 1}, 1, 10)
    # First responses: lanting's 9 and meilin's 10, 200 → 5 10 10 20 30 [45] 60 90 120 [180] 200.
    assert (t.first_response.count, t.first_response.median, t.first_response.p90) == (11, 45, 180)
    # Completion: 60 100 150 200 300 400 600 1500 2000 3000 → median 350, P90 2000 + 0.1·1000.
    assert (t.completion.count, t.completion.median, t.completion.p90) == (10, 350, pytest.approx(2100))
    assert (t.late_response, t.late_completion, t.overdue, t.overdue_rate) == (4, 3, 5, pytest.approx(5 / 14))
    assert (t.callbacks_due, t.callbacks_done, t.coverage_rate) == (11, 8, pytest.approx(8 / 11))
    assert (t.satisfaction.answered, t.satisfied, t.satisfaction.mean_speed) == (9, 8, pytest.approx(35 / 9))
    assert (t.reopened, t.reopen_rate, t.below_policy) == (1, pytest.approx(0.1), ("lanting",))

    # Each row reads what that community's own statistics report reads.
    for row in f.communities:
        async with app.uow() as uow:
            ctx = await open_context(uow.session, row.community.code, *WEEK, app.now())
            own, cover = await ctx.overall(), await ctx.coverage()
        assert (row.cases, row.cancelled, row.finished, row.reopened) == (own.cases, own.cancelled, own.finished,
                                                                           own.reopened)
        assert (row.overdue, row.late_response, row.late_completion) == (own.overdue, own.late_response,
                                                                          own.late_completion)
        assert row.first_response == own.first_response and row.completion == own.completion
        assert row.satisfaction == own.satisfaction and list(row.coverage) == cover

    # Some of the communities: the total is theirs.
    f = await figures(app, ("meilin", "songyuan"))
    assert [r.community.code for r in f.communities] == ["meilin", "songyuan"]
    assert (f.total.cases, f.total.overdue, f.total.first_response.median) == (4, 2, 105)
    assert f.zones == ("Asia/Shanghai", "Asia/Tokyo")


async def test_who_sees_which_communities(app: App, company) -> None:
    """The communities where the chat user is linked to an active staff row with a reporting role."""
    async with app.uow() as uow:
        rows = {c.code: {s.code: s.id for s in await uow.directory.staff_list(c.id)}
                for c in await uow.directory.communities()}
        # 林志远: manager of lanting and meilin, a butler in zhuyuan; songyuan's jl01 is someone else.
        for community in ("lanting", "meilin", "zhuyuan"):
            await uow.directory.bind("tg", "lin", "lin", now=app.now(), staff_id=rows[community]["jl01"])
        await uow.directory.bind("tg", "zhao", "zhao", now=app.now(), staff_id=rows["lanting"]["kf02"])
        for community in ("lanting", "meilin"):
            await uow.directory.bind("tg", "li", "li", now=app.now(), staff_id=rows[community]["gj01"])
        await uow.commit()
    async with app.uow() as uow:
        seen = {user: [c.code for c in await communities_for(uow, "tg", user)] for user in ("lin", "zhao", "li", "x")}
    assert seen == {"lin": ["lanting", "meilin"], "zhao": ["lanting"], "li": [], "x": []}
    async with app.uow() as uow:  # meilin's manager leaves: lanting alone is left to compare
        await uow.session.execute(update(m.Staff).where(m.Staff.id == rows["meilin"]["jl01"]).values(active=False))
        await uow.commit()
    async with app.uow() as uow:
        assert [c.code for c in await communities_for(uow, "tg", "lin")] == ["lanting"]


async def test_the_files_the_chart_and_the_chat_text(app: App, company) -> None:
    report, _ = await build_company_report(app.uow(), *WEEK, now=app.now())
    md, text_csv, xlsx = to_markdown(report), to_csv(report), to_xlsx(report)
    assert ("| 梅林花园 (meilin) | 3 | 2 | 1 | 0 | 0 | 0 | 105.0 | 181.0 | 25.8 | 45.2 | 1 | 0 | 1 | 33.3% "
            "| 2 | 2 | 100.0% |  | 2 | 100.0% | 4.00 | 4.00 | 0 | 0.0% |") in md
    assert "| 竹园 (zhuyuan) | 0 | 0 | 0 | 0 | 0 | 0 | — | — | — | — | 0 | 0 | 0 | — | 0 | 0 | — |  | 0 | — |" in md
    assert ("| 全公司 Company | 15 | 11 | 3 | 1 | 0 | 0 | 45.0 | 180.0 | 5.8 | 35.0 | 4 | 3 | 5 | 35.7% | 11 | 8 "
            "| 72.7% | lanting | 9 | 88.9% | 3.89 | 4.00 | 1 | 10.0% |") in md
    rows = list(csv.reader(io.StringIO(text_csv)))
    header = rows.index(["各小区对比 Communities compared"]) + 1
    assert rows[header][:2] == ["小区 Community", "案件 Cases"]
    assert [r[0] for r in rows[header + 1:header + 6]] == [
        "兰亭雅苑 (lanting)", "梅林花园 (meilin)", "松园 (songyuan)", "竹园 (zhuyuan)", "全公司 Company"]
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    sheet = wb["Communities"]
    assert [sheet.cell(6, col).value for col in (1, 2, 15)] == ["全公司 Company", 15, pytest.approx(5 / 14)]
    assert len(wb["Chart"]._images) == 1  # the chart, embedded
    callbacks = wb["Callbacks"]
    assert callbacks.max_row == 1 + 4 * 3  # every community, every kind with a quota
    assert_no_owner_data(md, text_csv)

    f = await figures(app)
    png = render_company_chart(f)
    width, height = png_size(png)
    assert width == 1200 and height >= 350 and len(png) > 10_000
    lines = company_text("zh-CN", f).splitlines()
    assert lines[0] == "【各小区对比】4 个小区 2026-06-01 至 2026-06-07"
    assert lines[1] == ("合计：新增案件 15 件，超时 5 件（35.7%），回访覆盖 72.7%（8/11），"
                        "满意率 88.9%（9 份回访），返工 1 件。")
    assert lines[2] == "满意率最高：梅林花园 100.0%；最低：兰亭雅苑 85.7%。"
    assert lines[3] == "超时率最高：松园 100.0%；最低：兰亭雅苑 30.0%。"
    assert lines[4] == "回访未达标：兰亭雅苑（投诉、报事报修）。"
    en = company_text("en", f).splitlines()
    assert en[2] == "Most satisfied: 梅林花园 100.0%; least: 兰亭雅苑 85.7%."


@pytest.fixture
async def seeded_url(app: App, company, database_url: str) -> str:
    return database_url


def test_report_company_command(seeded_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`wuye report --company` writes each format (in-process: the seeded app's loop is not running here)."""
    monkeypatch.setenv("DATABASE_URL", seeded_url)
    monkeypatch.chdir(tmp_path)

    def wuye(*args: str) -> Result:
        return CliRunner().invoke(main, ["report", "--company", "--from", "2026-06-01", "--to", "2026-06-08", *args])

    md = wuye()
    assert md.exit_code == 0, md.output
    assert "| 松园 (songyuan) | 1 |" in md.stdout and "| 全公司 Company | 15 |" in md.stdout
    assert wuye("--out", "company.csv").exit_code == 0
    assert "全公司 Company,15," in (tmp_path / "company.csv").read_text(encoding="utf-8-sig")
    assert wuye("--out", "company.xlsx").exit_code == 0
    wb = openpyxl.load_workbook(tmp_path / "company.xlsx")
    assert wb["Communities"]["A2"].value == "兰亭雅苑 (lanting)" and len(wb["Chart"]._images) == 1
    assert wuye("--format", "png", "--out", "company.png").exit_code == 0
    assert png_size((tmp_path / "company.png").read_bytes())[0] == 1200
    two = wuye("--community", "meilin,zhuyuan")
    assert "兰亭雅苑" not in two.stdout and "| 全公司 Company | 3 |" in two.stdout
    nowhere = wuye("--community", "meilin,nowhere")
    assert nowhere.exit_code == 1 and "no community nowhere" in nowhere.stderr
    assert "needs --out" in wuye("--format", "png").stderr
    assert "png is the --company chart" in CliRunner().invoke(
        main, ["report", "--from", "2026-06-01", "--to", "2026-06-08", "--format", "png", "--out", "x.png"]).stderr
