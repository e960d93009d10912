"""The APScheduler wiring: a periodic tick that runs at once on start, a date job at the
next due time, quiet hours in the plan, the shell's hook and the escalation hook."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import update
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot import scheduler as scheduling
from bot.bootstrap import App, build_app, load_community_file
from bot.scheduler import (
    NEXT_DUE_JOB, TICK_JOB, WEEKLY_JOB, next_due, on_clock_moved, start_scheduler, stop_scheduler, tick,
)
from cases.clock import FakeClock, OffsetClock
from cases.codes import Kind
from handlers.kit.messages import Reply
from handlers.staff import escalation
from storage import models as m
from tests.callbacks.conftest import (
    callbacks_of, close_cases, closed_leak, local, report_leak, set_policy, survey_rows,
)
from tests.conftest import EXAMPLE_COMMUNITY, make_settings
from tests.flows.conftest import bound_owner
from tests.harness import People


async def wait_for(predicate, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_start_runs_a_tick_at_once_then_periodically(app: App, people: People, clock: FakeClock) -> None:
    case_id = await closed_leak(app, people)
    clock.advance(timedelta(hours=3))  # the survey fell due while the bot was down
    scheduler = start_scheduler(app, tick_seconds=30)
    try:
        job = scheduler.get_job(TICK_JOB)
        assert isinstance(job.trigger, IntervalTrigger) and job.trigger.interval == timedelta(seconds=30)
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 30)
        weekly = scheduler.get_job(WEEKLY_JOB)
        assert str(weekly.trigger) == "cron[day_of_week='mon', hour='9']"  # minute and second default to 0
        assert str(weekly.trigger.timezone) == "Asia/Shanghai"

        async def sent() -> bool:
            return (await callbacks_of(app, case_id))[0].state == "sent"

        await wait_for(sent)
    finally:
        await stop_scheduler(app, scheduler)


async def test_a_date_job_fires_at_the_next_due_time(database_url: str) -> None:
    """On a live clock a survey due in under a second goes out on time, not at the next
    30-second tick."""
    app = await build_app(make_settings(database_url), OffsetClock(), run_migrations=False)
    await load_community_file(app, str(EXAMPLE_COMMUNITY))
    try:
        # No quiet hours today (the test may run at any time of day); a 0.9 s delay.
        await set_policy(app, quiet_hours=["03:00", "03:00"], callback_delay_minutes=0.015)
        people = People(app)
        case_id = await closed_leak(app, people)
        scheduler = start_scheduler(app, tick_seconds=30)
        try:
            async def planned() -> bool:
                return scheduler.get_job(NEXT_DUE_JOB) is not None

            await wait_for(planned, 5)
            assert isinstance(scheduler.get_job(NEXT_DUE_JOB).trigger, DateTrigger)

            async def sent() -> bool:
                return (await callbacks_of(app, case_id))[0].state == "sent"

            await wait_for(sent, 10)
            [record] = await callbacks_of(app, case_id)
            assert timedelta(0) <= record.sent_at - record.due_at < timedelta(seconds=2)
        finally:
            await stop_scheduler(app, scheduler)
    finally:
        await app.close()


async def test_next_due_respects_quiet_hours(app: App, people: People, clock: FakeClock) -> None:
    assert await next_due(app) is None
    clock.set(local(2026, 6, 1, 19, 0))
    await closed_leak(app, people)
    assert await next_due(app) == local(2026, 6, 1, 21, 0)
    clock.set(local(2026, 6, 1, 21, 0))
    await tick(app)
    # The reminder would be due at 21:00 tomorrow; nothing earlier is waiting.
    assert await next_due(app) == local(2026, 6, 2, 21, 0)
    await set_policy(app, callback_reminder_minutes=120)
    assert await next_due(app) == local(2026, 6, 2, 8, 0)  # 23:00 is quiet: the morning


async def test_the_shells_clock_hook_runs_the_tick(app: App, people: People, clock: FakeClock) -> None:
    case_id = await closed_leak(app, people)
    clock.advance(timedelta(hours=24))  # the shell's "/clock +24h"
    report = await on_clock_moved(app)
    assert report.surveys == 1 and (await callbacks_of(app, case_id))[0].state == "sent"


async def test_escalation_checks_run_each_alone_and_a_failing_one_is_counted(app: App, people: People, clock: FakeClock,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    # An emergency nobody accepted, past its response deadline: both checks have work.
    await bound_owner(people)
    case_id = await report_leak(people)
    async with app.uow() as uow:
        await uow.session.execute(update(m.Case).where(m.Case.id == case_id).values(urgency="emergency"))
        await uow.commit()
    clock.advance(timedelta(days=1))

    async def check_deadlines(uow, community, now):  # type: ignore[no-untyped-def]
        calls.append("deadlines")
        return [Reply("console", "管理处群", "⏰ 工单 #1 超时未接单")]

    async def repeat_emergencies(uow, community, now):  # type: ignore[no-untyped-def]
        calls.append("emergencies")
        raise RuntimeError("a bug in the escalation module")

    # The scheduler calls the checks through the module (handlers.staff.escalation).
    monkeypatch.setattr(escalation, "check_deadlines", check_deadlines)
    monkeypatch.setattr(escalation, "repeat_emergencies", repeat_emergencies)

    report = await tick(app)
    assert calls == ["deadlines", "emergencies"]
    assert (report.escalation_replies, report.failures) == (1, 1)
    async with app.uow() as uow:
        pending = [row.body["text"] for row in await uow.outbox.pending("console", app.now(), 50)
                   if row.chat_id == "管理处群"]
    assert pending == ["⏰ 工单 #1 超时未接单"]


async def test_a_tick_with_nothing_due_runs_no_check(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cross-community scan finds nothing: no community's checks run (a tick costs
    the same few queries however many communities there are)."""
    calls: list[str] = []

    async def check(uow, community, now):  # type: ignore[no-untyped-def]
        calls.append(community.code)
        return []

    for name in ("check_deadlines", "repeat_emergencies", "lapse_offers", "resume_pauses"):
        monkeypatch.setattr(escalation, name, check)
    report = await tick(app)
    assert calls == [] and report.failures == 0 and await next_due(app) is None


async def test_a_case_escalated_once_is_checked_again_only_when_its_next_level_is_due(
        app: App, people: People, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The supervisor already heard of a late case: ticks before the manager's turn (a
    whole period later) read none of the community's cases, and wake for that moment."""
    await bound_owner(people)
    case_id = await report_leak(people)
    async with app.uow() as uow:
        await uow.session.execute(update(m.Case).where(m.Case.id == case_id).values(escalation_level=1))
        await uow.commit()
        case = await uow.cases.get(case_id)
        period = (await uow.directory.community()).policy.response[case.urgency]
    calls: list[str] = []

    async def check_deadlines(uow, community, now):  # type: ignore[no-untyped-def]
        calls.append(community.code)
        return []

    monkeypatch.setattr(escalation, "check_deadlines", check_deadlines)
    clock.set(case.response_due_at + timedelta(minutes=1))
    await tick(app)
    assert calls == [] and await next_due(app) == case.response_due_at + period
    clock.set(case.response_due_at + period)
    await tick(app)
    assert len(calls) == 1


async def test_stopping_mid_backlog_leaves_the_rest_due_and_sends_nothing_twice(app: App, people: People,
                                                                                 clock: FakeClock) -> None:
    await bound_owner(people)
    ids = await close_cases(app, Kind.COMPLAINT, 120)
    clock.advance(timedelta(hours=2))
    scheduler = start_scheduler(app, tick_seconds=30)

    async def some_sent() -> bool:
        async with app.uow() as uow:
            return bool(await uow.callbacks.in_state("sent", limit=1))

    await wait_for(some_sent)
    await stop_scheduler(app, scheduler)  # returns once the tick in flight stopped between chunks
    async with app.uow() as uow:
        left = len(await uow.callbacks.in_state("scheduled", limit=500))
    assert left < 120
    assert (await tick(app)).surveys == left  # a later start sends exactly the rest
    for case_id in ids:
        [record] = await callbacks_of(app, case_id)
        assert record.state == "sent" and await survey_rows(app, record.id) == 1


async def test_stopping_lets_the_running_tick_finish_without_a_cancelled_job(
        app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    finished = asyncio.Event()

    async def slow_tick(app_: App, now=None, *, stop=None):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.3)  # a transaction in flight when the stop comes
        finished.set()
        return scheduling.TickReport(app_.now())

    monkeypatch.setattr(scheduling, "tick", slow_tick)
    caplog.set_level(logging.INFO)
    scheduler = start_scheduler(app, tick_seconds=3600)
    await asyncio.sleep(0.1)
    await stop_scheduler(app, scheduler)

    assert finished.is_set()  # the tick ran to its end; APScheduler did not cancel it
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_long_drain_is_not_met_with_skipped_run_warnings(app: App, people: People, clock: FakeClock,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    """120 surveys at 40 a second take 3 s; the tick interval is 0.2 s.  Each interval that
    meets the running drain asks it for one more round instead of being refused with
    APScheduler's "skipped: maximum number of running instances" warning; every survey
    goes once."""
    await bound_owner(people)
    ids = await close_cases(app, Kind.COMPLAINT, 120)
    clock.advance(timedelta(hours=2))
    app.extras["channel_rate"] = 40  # claimed a second's worth (40) at a time, paced
    caplog.set_level(logging.INFO)
    scheduler = start_scheduler(app, tick_seconds=0.2)
    try:
        async def all_sent() -> bool:
            async with app.uow() as uow:
                return not await uow.callbacks.in_state("scheduled", limit=1)

        began = asyncio.get_running_loop().time()
        await wait_for(all_sent, 60)
        drained_in = asyncio.get_running_loop().time() - began
        await asyncio.sleep(0.5)  # a few more intervals after the drain
    finally:
        await stop_scheduler(app, scheduler)

    assert drained_in > 1.0  # the drain did outlive several intervals
    runs = [r for r in caplog.records if r.name.startswith("apscheduler") and "Running job" in r.getMessage()]
    assert len(runs) > 5  # the scheduler did fire during the drain
    assert not [r for r in caplog.records if "maximum number of running instances" in r.getMessage()]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("apscheduler")]
    for case_id in ids:
        [record] = await callbacks_of(app, case_id)
        assert record.state == "sent" and await survey_rows(app, record.id) == 1
