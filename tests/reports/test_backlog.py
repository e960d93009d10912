"""The overdue backlog (issue 16.6): cases still open past their deadline at the end of
a period, whenever they were opened — on both databases, from the recorded times."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from bot.bootstrap import App
from services.reports.statistics import build_report, period_summary, to_csv
from cases import statistics as st
from storage import report_queries as q
from tests.reports.history import Desk, Script, local, seed_history
from tests.reports.test_report_outputs import WEEK


async def test_the_backlog_counts_old_cases_still_open_past_their_deadline(app: App, clock) -> None:  # type: ignore[no-untyped-def]
    ids = await seed_history(app, clock)
    desk = Desk(app, clock)
    await desk.load()
    # Opened three weeks before the week, never accepted: outside every figure of the week.
    ids["old"] = await desk.play(Script("report", "elevator", "urgent", "engineering", local(10, 9, month=5),
                                        area="public"))
    # Opened before the week too, but finished (late) before it began: not backlog any more.
    ids["done_before"] = await desk.play(Script("report", "plumbing", "normal", "engineering",
                                                local(20, 9, month=5), staff="王强", accept=60, done=60 * 24 * 6))
    start, end = local(1, 0), local(8, 0)
    async with app.uow() as uow:
        community = await uow.directory.community()
        candidates = await q.backlog_facts(uow.session, community.id, end)
    found = st.backlog(candidates, int(end.timestamp()), int(start.timestamp()))

    late_ids = {c.id for c in candidates if st.lateness(c, int(end.timestamp())).overdue}
    # c9 (never accepted, in the week) and the old case; c11's deadline is after the week;
    # c4 was finished late within the week; the early-May case was done before it.
    assert {ids["c9"], ids["old"]} <= late_ids and ids["done_before"] not in late_ids
    assert ids["c11"] not in late_ids and ids["c4"] not in late_ids and ids["c13"] not in late_ids
    assert (found.cases, found.opened_before) == (2, 1)
    assert found.by_team == (("engineering", 2),)
    assert found.worst_seconds >= int((end - local(10, 9, month=5) - timedelta(hours=4)).total_seconds())

    # The same office a week earlier: the old case was already late, c9 did not exist yet.
    earlier = local(25, 0, month=5)
    async with app.uow() as uow:
        candidates = await q.backlog_facts(uow.session, community.id, earlier)
    before = st.backlog(candidates, int(earlier.timestamp()), int((earlier - timedelta(days=7)).timestamp()))
    assert before.cases == 2 and before.opened_before == 1  # the old one, and the May-20 one not yet done


async def test_the_weekly_summary_and_the_workbook_name_the_backlog(app: App, clock) -> None:  # type: ignore[no-untyped-def]
    await seed_history(app, clock)
    desk = Desk(app, clock)
    await desk.load()
    await desk.play(Script("report", "elevator", "urgent", "engineering", local(10, 9, month=5), area="public"))
    clock.set(local(10, 9))
    async with app.uow() as uow:
        community = await uow.directory.community()
        text, _chart = await period_summary(uow.session, community, *WEEK, app.now(), weekly=True)
        english, _chart = await period_summary(uow.session, community, *WEEK, app.now(), locale="en")
    # The week's own figures do not see the May case; the backlog line does.
    assert "逾期积压：2 件仍未完成且已过时限（其中 1 件登记于本期之前），最久已超时 28天；工程部 2 件。" in text
    assert "Overdue backlog: 2 still open past their deadline (1 of them opened before this period), " \
           "the oldest 28 days late; Engineering 2." in english

    report = await build_report(app.uow(), *WEEK, now=app.now())
    summary = {row[0]: row[1] for row in to_csv_rows(report)}
    assert summary["逾期积压 Overdue backlog (still open past deadline, any opening date)"] == "2"
    assert summary["  其中本期前登记 of them opened before the period"] == "1"


def to_csv_rows(report) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [r for r in csv.reader(io.StringIO(to_csv(report))) if len(r) == 2]
