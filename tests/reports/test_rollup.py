"""The company report read from the daily rollups (storage/rollup.py) gives the figures it
gives from the raw tables, on SQLite and PostgreSQL: the four communities of
tests/reports/company_history.py (two zones, cases on both sides of a local midnight),
before and after a case of a rolled-up day is sent back for rework, and with today's
cases read live."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.scheduler import ROLLUP_JOB, start_scheduler, stop_scheduler
from cases.lifecycle import Status
from services.reports import rollup as rollups
from services.reports.company import CompanyFigures, Figures, build_company_report, company_figures
from storage import models as m
from storage.rollup import day_ranges
from tests.reports.company_history import seed_company
from tests.reports.history import Desk, Script, local

WEEK = (date(2026, 6, 1), date(2026, 6, 8))
# The clock stands at 06-10 09:00 Shanghai: the second period ends after today, so it is
# judged now, with today read live; the third starts and ends inside the week.
PERIODS = (WEEK, (date(2026, 5, 25), date(2026, 6, 12)), (date(2026, 6, 3), date(2026, 6, 5)))


async def figures(app: App, period: tuple[date, date]) -> CompanyFigures:
    async with app.uow() as uow:
        return await company_figures(uow.session, await uow.directory.communities(), *period, app.now())


async def raw_figures(app: App, period: tuple[date, date], now: datetime | None = None) -> CompanyFigures:
    """The figures as the raw tables give them: without a rollup state every day is read live."""
    async with app.uow() as uow:
        await uow.session.execute(m.RollupState.__table__.delete())
        out = await company_figures(uow.session, await uow.directory.communities(), *period, now or app.now())
        await uow.rollback()
    return out


async def refresh(app: App) -> rollups.Refreshed:
    async with app.uow() as uow:
        done = await rollups.refresh(uow, app.now())
        await uow.commit()
    return done


def close_to(rolled: float | None, exact: float | None) -> bool:
    """cases/histogram.py's precision: within a minute, or 1 % above 100 minutes."""
    if rolled is None or exact is None:
        return rolled is exact
    return abs(rolled - exact) <= max(1.0, exact / 100)


def assert_same(rolled: CompanyFigures, raw: CompanyFigures) -> None:
    assert rolled.approximate and not raw.approximate
    pairs: list[tuple[Figures, Figures]] = [(rolled.total, raw.total), *zip(rolled.communities, raw.communities)]
    for r, x in pairs:
        assert r.community == x.community
        assert (dict(r.opened), r.cancelled, r.finished, r.reopened) == (dict(x.opened), x.cancelled, x.finished,
                                                                         x.reopened)
        assert (r.late_response, r.late_completion, r.overdue) == (x.late_response, x.late_completion, x.overdue)
        assert (r.coverage, r.below_policy, r.as_of) == (x.coverage, x.below_policy, x.as_of)
        assert (r.satisfaction.answered, r.satisfaction.by_phone, r.satisfied) == (
            x.satisfaction.answered, x.satisfaction.by_phone, x.satisfied)
        assert (r.satisfaction.solved, r.satisfaction.solved_known) == (x.satisfaction.solved,
                                                                        x.satisfaction.solved_known)
        assert r.satisfaction.mean_speed == pytest.approx(x.satisfaction.mean_speed)
        assert r.satisfaction.mean_attitude == pytest.approx(x.satisfaction.mean_attitude)
        for mine, exact in ((r.first_response, x.first_response), (r.completion, x.completion)):
            assert mine.count == exact.count
            assert close_to(mine.median, exact.median) and close_to(mine.p90, exact.p90), (mine, exact)


async def test_the_rollups_give_the_raw_figures(app: App, clock, tmp_path: Path) -> None:
    await seed_company(app, clock, tmp_path)
    raw = [await figures(app, period) for period in PERIODS]
    assert raw[0].total.cases == 15 and not raw[0].approximate

    done = await refresh(app)
    assert done.communities == 4
    async with app.uow() as uow:
        through = dict((await uow.session.execute(
            select(m.Community.code, m.RollupState.through).join(m.RollupState))).all())
        # songyuan's s1 (06-01 00:30 Tokyo) is on Tokyo's 06-01, not Shanghai's 05-31.
        songyuan = await uow.session.scalar(select(m.Community.id).where(m.Community.code == "songyuan"))
        days = set(await uow.session.scalars(select(m.RollupCount.day).where(m.RollupCount.community_id == songyuan)))
    assert set(through.values()) == {date(2026, 6, 9)}  # each community's yesterday
    assert date(2026, 6, 1) in days and date(2026, 5, 31) not in days
    for period, exact in zip(PERIODS, raw):
        assert_same(await figures(app, period), exact)

    # Exactly the hand-worked figures of test_company_report where the histograms hold one or
    # two durations a bucket.
    week = await figures(app, WEEK)
    assert (week.total.first_response.median, week.total.first_response.p90) == (45, 180)
    assert (week.total.completion.median, week.total.completion.p90) == (350, pytest.approx(2100))


async def test_a_rework_after_the_day_and_todays_cases(app: App, clock, tmp_path: Path) -> None:
    ids = await seed_company(app, clock, tmp_path)
    desk = Desk(app, clock)
    await desk.load("meilin")
    # Opened yesterday, never accepted: its response falls due today at 10:00, so a period
    # judged at noon counts it late and one judged at 09:00 does not.
    await desk.play(Script("report", "plumbing", "normal", "engineering", local(9, 10)))
    clock.set(local(10, 9))
    await refresh(app)

    # Today a case of the week, closed then, is sent back for rework: its opening day and its
    # closing day change; and a new case is opened today.
    clock.set(local(10, 11))
    async with app.uow() as uow:
        closed = [c for c in [await uow.cases.get(i) for i in ids.values()] if c and c.status == Status.CLOSED]
        case = closed[0]
        community = await uow.directory.community_by_id(case.community_id)
        case.surveyed(clock.now(), satisfied=False, policy=community.policy, reason="漏水未修好")
        await uow.cases.save(case)
        await uow.commit()
    await desk.play(Script("complaint", "general", "normal", "customer_service", local(10, 11, 30), staff="李静",
                           accept=5))
    clock.set(local(10, 12))

    raw = [await raw_figures(app, period) for period in PERIODS]
    stale = await figures(app, WEEK)  # the rollups as they were before the rework
    assert stale.total.reopened == raw[0].total.reopened - 1
    assert raw[1].total.late_response == (await raw_figures(app, PERIODS[1], local(10, 9, 59))).total.late_response + 1

    # `wuye report --company`'s catch-up (and the scheduler's refresh) recompute the touched days.
    async with app.uow() as uow:
        done = await rollups.catch_up(uow, await uow.directory.communities(), app.now())
        await uow.commit()
    assert done.days >= 2  # the reworked case's opening and closing days (at least)
    for period, exact in zip(PERIODS, raw):
        _, rolled = await build_company_report(app.uow(), *period, now=app.now(), chart=False)
        assert_same(rolled, exact)
    today = (date(2026, 6, 10), date(2026, 6, 11))
    _, rolled = await build_company_report(app.uow(), *today, now=app.now(), chart=False)
    assert dict(rolled.total.opened) == {"complaint": 1} and rolled.total.first_response.median == 5
    # Nothing changed since: the next catch-up recomputes nothing.
    async with app.uow() as uow:
        assert (await rollups.catch_up(uow, await uow.directory.communities(), app.now())).days == 0


async def test_a_refresh_after_midnight_rolls_up_the_day_that_ended(app: App, clock, tmp_path: Path) -> None:
    await seed_company(app, clock, tmp_path)
    await refresh(app)
    clock.set(local(11, 0, 5))
    await refresh(app)
    async with app.uow() as uow:
        throughs = set(await uow.session.scalars(select(m.RollupState.through)))
    # Shanghai's 06-10 is over; Tokyo's too (01:05 there).
    assert throughs == {date(2026, 6, 10)}
    assert_same(await figures(app, WEEK), await raw_figures(app, WEEK))

    # Once June is over, whole months are read from the month histograms, the days around
    # them from the days'.
    clock.set(local(1, 0, 5, month=7))
    await refresh(app)
    async with app.uow() as uow:
        months = set(await uow.session.scalars(select(m.RollupMonthDuration.month)))
    assert months == {date(2026, 5, 1), date(2026, 6, 1)}
    for period in ((date(2026, 5, 1), date(2026, 7, 1)), (date(2026, 5, 31), date(2026, 7, 1)),
                   (date(2026, 6, 1), date(2026, 6, 30))):
        assert_same(await figures(app, period), await raw_figures(app, period))


async def test_the_scheduler_rolls_up_a_minute_after_the_start_and_every_five_minutes(
        app: App, clock, tmp_path: Path) -> None:
    await seed_company(app, clock, tmp_path)
    scheduler = start_scheduler(app, tick_seconds=30)
    try:
        job = scheduler.get_job(ROLLUP_JOB)
        assert job.trigger.interval == timedelta(minutes=5) and (job.coalesce, job.max_instances) == (True, 1)
        assert timedelta(seconds=50) < job.next_run_time - datetime.now(timezone.utc) <= timedelta(minutes=1)
        assert not (await figures(app, WEEK)).approximate
        await job.func(*job.args)  # as it will run
    finally:
        await stop_scheduler(app, scheduler)
    async with app.uow() as uow:
        assert len(list(await uow.session.scalars(select(m.RollupState.through)))) == 4
    assert (await figures(app, WEEK)).approximate


def test_day_ranges() -> None:
    d = date(2026, 6, 1)
    assert day_ranges([d + timedelta(days=i) for i in (3, 0, 1, 5, 4, 9)]) == [
        (d, d + timedelta(days=1)), (d + timedelta(days=3), d + timedelta(days=5)),
        (d + timedelta(days=9), d + timedelta(days=9))]
