"""The figures of a seeded week (tests/reports/history.py) on SQLite and PostgreSQL.

Every expected number is worked out by hand from the table in history.py.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.bootstrap import App
from cases import statistics as st
from services.reports.statistics import (
    ReportContext, open_context, view_by_team, view_callbacks, view_overdue, view_staff,
)
from tests.reports.history import seed_history

WEEK = (date(2026, 6, 1), date(2026, 6, 8))


async def test_figures_of_the_seeded_week(app: App, clock) -> None:
    ids = await seed_history(app, clock)
    async with app.uow() as uow:
        ctx = await open_context(uow.session, None, *WEEK, app.now())
        f = await ctx.overall()
        cover = {c.kind: c for c in await ctx.coverage()}
        cases = await ctx.cases()
        by_kind = st.figures_by(cases, lambda c: c.kind, ctx.as_of_s, await ctx.answers(), lambda a: a.kind)
        by_team = st.figures_by(cases, lambda c: c.team, ctx.as_of_s, await ctx.answers(), lambda a: a.team)
        people = {p.name: sid for sid, p in (await ctx.staff()).items()}
        staff = st.staff_figures(cases, await ctx.acceptances(), await ctx.answers(), ctx.as_of_s)

    # Volumes: c1–c11 opened in the week (c12 before it, c13 after it).
    assert sorted(c.id for c in cases) == sorted(ids[f"c{i}"] for i in range(1, 12))
    assert (f.cases, f.active, f.cancelled, f.finished, f.closed) == (11, 2, 1, 8, 8)
    assert {k: g.cases for k, g in by_kind.items()} == {"report": 8, "complaint": 2, "service": 1}
    assert {k: g.cases for k, g in by_team.items()} == {
        "engineering": 6, "environment": 3, "customer_service": 1, "security": 1}

    # First response (min): 5 10 20 30 45 60 90 120 180 → median 45, P90 = 120 + 0.2·60.
    assert (f.first_response.count, f.first_response.median, f.first_response.p90) == (9, 45, pytest.approx(132))
    # Completion (min): 60 150 200 300 400 600 1500 2000 → median 350, P90 = 1500 + 0.3·500.
    assert (f.completion.count, f.completion.median, f.completion.p90) == (8, 350, pytest.approx(1650))
    # Engineering's first responses 10 20 30 45 180 → median 30, P90 = 45 + 0.6·135.
    assert by_team["engineering"].first_response.median == 30
    assert by_team["engineering"].first_response.p90 == pytest.approx(126)

    # Overdue: c3 (accepted 5 min late), c4 (done 60 min late), c9 (never accepted) of 10 not cancelled.
    assert (f.overdue, f.late_response, f.late_completion) == (3, 2, 2)
    assert f.overdue_rate == pytest.approx(0.3)
    assert f.reopened == 1 and f.reopen_rate == pytest.approx(1 / 8)  # c6 of the 8 finished

    # Coverage: repairs c1 c2(phone) c3 c12 of c1–c5 + c12; c4's callback still under way; c5 skipped.
    report = cover["report"]
    assert (report.closed, report.covered, report.by_phone, report.pending, report.missed) == (6, 4, 1, 1, 1)
    assert report.rate == pytest.approx(4 / 6) and report.target == 1.0 and report.below_policy
    complaint = cover["complaint"]  # c6 answered after its second closing; c7 never called back
    assert (complaint.closed, complaint.covered, complaint.rate, complaint.below_policy) == (2, 1, 0.5, True)
    assert (cover["service"].closed, cover["service"].rate, cover["service"].below_policy) == (1, 1.0, False)

    # Satisfaction: 7 answers in the week (c6 twice, c12 from the week before).
    s = f.satisfaction
    assert (s.answered, s.by_phone, s.solved, s.solved_known) == (7, 1, 6, 7)
    assert s.mean_speed == pytest.approx(27 / 7) and s.mean_attitude == pytest.approx(4.0)

    wang, liu, li = staff[people["王强"]], staff[people["刘洋"]], staff[people["李静"]]
    # 王强 accepted c1 c3 c11 in the week (c12 before it, c13 after it); his callbacks c1 c3 c12.
    assert (wang.accepted, wang.first_responder, wang.assigned, wang.finished, wang.on_time) == (3, 3, 3, 2, 2)
    assert wang.satisfaction.answered == 3 and wang.satisfaction.mean_attitude == pytest.approx(13 / 3)
    assert (liu.accepted, liu.finished, liu.on_time_rate) == (2, 2, 0.5)  # c4 finished late
    # 李静 accepted c6 twice (before and after rework): one case.
    assert (li.accepted, li.finished, li.satisfaction.answered, li.satisfaction.solved_rate) == (1, 1, 2, 0.5)


async def test_views_hold_the_figures(app: App, clock) -> None:
    ids = await seed_history(app, clock)
    async with app.uow() as uow:
        ctx: ReportContext = await open_context(uow.session, "lanting", *WEEK, app.now())
        overdue, callbacks = await view_overdue(ctx), await view_callbacks(ctx)
        staff, teams = await view_staff(ctx), await view_by_team(ctx)
    # Most late first: c9 (62 h and counting), c4 (1 h), c3 (5 min).
    assert [row[0] for row in overdue.rows] == [ids["c9"], ids["c4"], ids["c3"]]
    assert overdue.rows[0][8] == "响应 response + 完成 completion" and overdue.rows[0][-1] == pytest.approx(62)
    assert overdue.rows[2][-1] == pytest.approx(5 / 60)
    report_row = next(r for r in callbacks.rows if r[0].startswith("report"))
    assert report_row[1:6] == [6, 4, 1, 1, 1] and report_row[-1] == "低于标准 BELOW POLICY"
    wang = next(r for r in staff.rows if r[1] == "王强")
    assert wang[4:10] == [3, 3, 3, 2, 1.0, 0]
    assert [r[0] for r in teams.rows] == ["engineering 工程部", "environment 环境部", "customer_service 客服中心", "security 秩序部"]


async def test_an_empty_period_reads_as_dashes(app: App) -> None:
    async with app.uow() as uow:
        ctx = await open_context(uow.session, None, date(2026, 1, 1), date(2026, 2, 1), app.now())
        f = await ctx.overall()
        cover = await ctx.coverage()
    assert f.cases == 0 and f.first_response.median is None and f.overdue_rate is None
    assert [c.rate for c in cover] == [None, None, None] and not any(c.below_policy for c in cover)
