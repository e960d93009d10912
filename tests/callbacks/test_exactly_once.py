"""A survey goes out exactly once per due time: across restarts, a crash in the middle,
a process killed right after sending, and two bot processes sharing one database."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from bot.bootstrap import App, build_app
from bot.scheduler import tick
from cases.clock import FakeClock
from cases.codes import Kind
from storage.outbox import Outbox
from tests.callbacks.conftest import (
    callbacks_of, case_and_timeline, close_cases, closed_leak, run_tick, survey_rows,
)
from tests.conftest import make_settings
from tests.flows.conftest import bound_owner
from tests.harness import People

WORKER = Path(__file__).with_name("tick_process.py")


async def test_restart_before_and_after_the_due_time(app: App, people: People, clock: FakeClock, database_url: str) -> None:
    case_id = await closed_leak(app, people)
    [booked] = await callbacks_of(app, case_id)
    await app.close()  # the bot stops with the callback booked…
    clock.advance(timedelta(hours=5))  # …and stays down past its due time

    restarted = await build_app(make_settings(database_url), clock)
    try:
        assert (await tick(restarted)).surveys == 1  # not zero: the survey due while down goes out
        assert (await tick(restarted)).surveys == 0
    finally:
        await restarted.close()  # stopped again right after sending, before any delivery
    again = await build_app(make_settings(database_url), clock)
    try:
        assert (await tick(again)).surveys == 0  # not twice
        assert await survey_rows(again, booked.id) == 1
        _, timeline = await case_and_timeline(again, case_id)
        assert timeline.count("callback_sent") == 1
    finally:
        await again.close()


async def test_a_crash_before_the_commit_loses_nothing(app: App, people: People, clock: FakeClock,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    case_id = await closed_leak(app, people)
    [booked] = await callbacks_of(app, case_id)
    clock.advance(timedelta(hours=2))

    real_add = Outbox.add

    async def broken_add(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("database went away mid-transaction")

    monkeypatch.setattr(Outbox, "add", broken_add)
    report = await tick(app)
    assert (report.surveys, report.failures) == (0, 1)
    assert (await callbacks_of(app, case_id))[0].state == "scheduled"  # the claim was rolled back with it
    _, timeline = await case_and_timeline(app, case_id)
    assert "callback_sent" not in timeline

    monkeypatch.setattr(Outbox, "add", real_add)
    assert (await run_tick(app, people)).surveys == 1
    assert await survey_rows(app, booked.id) == 1
    assert people.last("u1").startswith("📋")


async def test_a_connection_dropped_in_due_work_is_one_warning_and_the_next_tick_sends_it_all(
        app: App, people: People, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    await bound_owner(people)
    ids = await close_cases(app, Kind.COMPLAINT, 3)
    clock.advance(timedelta(hours=2))
    real_add, adds = Outbox.add, []

    async def dropped_on_the_second(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        adds.append(args)
        if len(adds) == 2:  # the first survey is in the transaction, the connection goes
            raise ConnectionResetError("connection was closed in the middle of operation")
        return await real_add(self, *args, **kwargs)

    monkeypatch.setattr(Outbox, "add", dropped_on_the_second)
    caplog.set_level(logging.INFO)
    report = await tick(app)

    assert (report.surveys, report.failures) == (0, 1)
    assert [(await callbacks_of(app, i))[0].state for i in ids] == ["scheduled"] * 3  # the first one too
    logged = [r for r in caplog.records if r.name == "wuye.scheduler" and r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in logged] == [
        "the tick failed for community lanting: database unavailable (ConnectionResetError); the next tick retries"]
    assert not [r for r in caplog.records if r.exc_info]

    assert (await tick(app)).surveys == 3
    for case_id in ids:
        [record] = await callbacks_of(app, case_id)
        assert record.state == "sent" and await survey_rows(app, record.id) == 1


async def test_two_schedulers_in_one_process_share_the_work(app: App, people: People, clock: FakeClock,
                                                            database_url: str) -> None:
    await bound_owner(people)
    ids = await close_cases(app, Kind.COMPLAINT, 12)
    clock.advance(timedelta(hours=2))
    other = await build_app(make_settings(database_url), clock, run_migrations=False)
    try:
        first, second = await asyncio.gather(tick(app), tick(other))
    finally:
        await other.close()
    assert first.surveys + second.surveys == 12
    for case_id in ids:
        [record] = await callbacks_of(app, case_id)
        assert record.state == "sent" and await survey_rows(app, record.id) == 1


async def _run_workers(database_url: str, now: str, count: int, rounds: int, *flags: str) -> list[tuple[int, str, str]]:
    start = time.time() + 4  # both are up (imports take a while) before either ticks
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, str(WORKER), database_url, now, str(start), str(rounds), *flags,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(count)
    ]
    results = []
    for proc in procs:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=180)
        assert proc.returncode is not None
        results.append((proc.returncode, out.decode(), err.decode()))
    return results


async def test_two_bot_processes_on_one_database_send_each_survey_once(
    app: App, people: People, clock: FakeClock, database_url: str
) -> None:
    """Two real OS processes tick concurrently against the same database (PostgreSQL,
    and a SQLite file); every due callback ends up with exactly one survey."""
    await bound_owner(people)
    ids = await close_cases(app, Kind.COMPLAINT, 40)
    due = clock.now() + timedelta(hours=2, minutes=1)
    results = await _run_workers(database_url, due.isoformat(), 2, 3)
    for code, out, err in results:
        assert code == 0, err[-2000:]
    sent = [json.loads(out.strip().splitlines()[-1])["surveys"] for _, out, _ in results]
    print("surveys per process:", sent)
    assert sum(sent) == 40, sent
    for case_id in ids:
        [record] = await callbacks_of(app, case_id)
        assert record.state == "sent", record
        assert await survey_rows(app, record.id) == 1
        _, timeline = await case_and_timeline(app, case_id)
        assert timeline.count("callback_sent") == 1


async def test_a_process_killed_right_after_sending_does_not_send_again(
    app: App, people: People, clock: FakeClock, database_url: str
) -> None:
    await bound_owner(people)
    ids = await close_cases(app, Kind.SERVICE, 5)
    due = clock.now() + timedelta(hours=2)
    [(code, out, _)] = await _run_workers(database_url, due.isoformat(), 1, 1, "--kill")
    assert code == -signal.SIGKILL and json.loads(out.strip())["surveys"] == 5
    clock.set(due + timedelta(minutes=1))
    assert (await tick(app)).surveys == 0  # the restarted bot finds them sent
    for case_id in ids:
        [record] = await callbacks_of(app, case_id)
        assert await survey_rows(app, record.id) == 1
