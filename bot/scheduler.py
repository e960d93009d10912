"""Timed work: callback surveys, their reminder, the butler's phone follow-up,
auto-confirmation of ignored done work, and the SLA deadline checks.

Design: due times live in OUR tables — `callbacks.due_at/state/sent_at/reminded_at`,
`cases.done_at`, the deadlines on `cases` — and each piece of due work is *claimed*
from the database with a conditional update (`UPDATE callbacks SET state='sent' WHERE
id=… AND state='scheduled'`, or the case's optimistic `version`); the rowcount decides
which process does it.  The replies go into the outbox in the same transaction as the
claim, so "sending" is committing that transaction: killed before the commit, nothing
happened and the next tick does it; killed after, the outbox delivers it once and no
tick will claim it again.  Two bot processes on one PostgreSQL database each claim
disjoint work.

APScheduler therefore only runs a short periodic `tick` (interval, `coalesce=True`,
`max_instances=1`, a misfire grace) plus one date job at the next due time we know of,
so a survey due at 10:00:05 goes at 10:00:05 rather than at the next interval.  Both
jobs only kick the one tick task (`_Ticker`), so a long drain is never "skipped".  We do
not use APScheduler's SQLAlchemy job store: it is synchronous (it would block the event
loop on every store access), it pickles callables (a rename or a deploy breaks stored
jobs), it would hold one job per callback (10,000 pending callbacks = 10,000 jobs loaded
at every start), and it gives no exactly-once guarantee across processes — two
schedulers sharing a job store both fire the same job.  Our tables already hold the
due times; a job store would be a second copy to keep in step.

`tick(app, now)` does all due work in small transactions and is what tests call with
a FakeClock; the console shell's `on_clock_moved` hook runs it after `/clock +24h`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import media
from bot.bootstrap import App
from bot.delivery_health import watch
from bot.intake import PRUNE_EVERY, scheduled_prune
from cases.callbacks import (
    CallbackState,
    auto_confirm_cutoff,
    auto_confirm_due,
    outside_quiet_hours,
    phone_cutoff,
    phone_due,
    reminder_cutoff,
    reminder_due,
)
from cases.errors import DeskError
from cases.policy import DeskPolicy
from cases.records import CallbackRecord, Community
from handlers.aftercare import callback_due
from handlers.kit.cards import team_chats
from handlers.kit.messages import Reply, reply_to_dict
from handlers.staff import escalation
from services.reports import rollup as rollups
from services.reports.chat import ChatReporter, weekly_push
from storage.due_times import CommunityDue, by_community
from storage.failures import log_failure, transient
from storage.uow import UnitOfWork

log = logging.getLogger("wuye.scheduler")

TICK_JOB, NEXT_DUE_JOB, WEEKLY_JOB, ROLLUP_JOB = "wuye-tick", "wuye-next-due", "wuye-weekly", "wuye-rollup"
WEEKLY_RETRY_JOB, WEEKLY_RETRY = "wuye-weekly-retry", timedelta(minutes=1)
TICK_SECONDS = 30
ROLLUP_FIRST_AFTER = timedelta(minutes=1)
BATCH = 200
# Items per transaction when the channel's rate is not known (tests, the shell): one
# commit (one fsync on SQLite) for many surveys.  `wuye run` sizes them to the rate.
CHUNK = 20
# SQLite has one write lock for the whole file: between chunks the tick steps aside long
# enough for a waiting writer (an owner's message being handled; SQLite's busy handler
# retries every 100 ms once it has waited a while) to get in.  A backlog of surveys then
# drains more slowly, but never holds up the people chatting.  PostgreSQL locks rows.
SQLITE_PAUSE = 0.11
# Seconds one kind of due work may take in a tick when paced at the channel's rate.
PACED_BUDGET = 10.0
# app.extras keys: ticks of one process run one at a time; a scheduled job runs whole
# (tick, then planning the next one) under the job lock, which `stop_scheduler` waits for.
TICK_LOCK, JOB_LOCK, STOP, TICKER = "tick_lock", "scheduler_job_lock", "scheduler_stop", "scheduler_ticker"

Work = Callable[[UnitOfWork, Community, Any, datetime], Awaitable[list[Reply] | None]]


@dataclass
class TickReport:
    """What one tick did (tests and the bench read it; the shell can print it)."""

    now: datetime
    # True when every community is in its quiet hours; `quiet_in` names the ones that are.
    quiet: bool = False
    quiet_in: list[str] = field(default_factory=list)
    surveys: int = 0
    reminders: int = 0
    phone_requests: int = 0
    auto_confirmed: int = 0
    escalation_replies: int = 0
    failures: int = 0
    replies: list[Reply] = field(default_factory=list)

    @property
    def did_work(self) -> bool:
        return bool(self.surveys or self.reminders or self.phone_requests or self.auto_confirmed)


def quiet_now(now: datetime, policy: DeskPolicy) -> bool:
    return outside_quiet_hours(now, policy) != now


def _lock(app: App, key: str) -> asyncio.Lock:
    lock = app.extras.setdefault(key, asyncio.Lock())
    assert isinstance(lock, asyncio.Lock)
    return lock


async def tick(app: App, now: datetime | None = None, *, stop: asyncio.Event | None = None) -> TickReport:
    """Do everything that is due at `now` (default: the app's clock). Safe to run in any
    number of processes at once; within one process ticks are serialised.  When `stop`
    is set (the scheduler is stopping) the tick ends between two transactions."""
    async with _lock(app, TICK_LOCK):
        report = await _tick(app, now, stop)
    if report.replies and app.desk.on_outbox:
        app.desk.on_outbox()
    return report


async def _tick(app: App, fixed_now: datetime | None, stop: asyncio.Event | None) -> TickReport:
    now = fixed_now or app.now()
    # Each claim is stamped with the moment it happened (a long tick on a live clock
    # should not backdate its last survey); a fixed `now` (tests) stamps everything alike.
    stamp = (lambda: fixed_now) if fixed_now else app.now
    report = TickReport(now)
    stopping = stop.is_set if stop is not None else (lambda: False)
    if stopping():
        return report
    async with app.uow() as uow:
        communities = await uow.directory.communities()
        # One grouped query per kind of due work across every community (not a round of
        # queries per community): a community with nothing due costs nothing.
        due = await by_community(uow.session, now) if communities else {}
    if not communities:
        return report
    # Every community with its own policy: its quiet hours, zone and deadlines, its cases
    # only, its groups for the escalations.
    for community in communities:
        if stopping():
            break
        if quiet_now(now, community.policy):
            report.quiet_in.append(community.code)
        waiting = due.get(community.id)
        if waiting is None:
            continue
        try:
            await _community_tick(app, community, waiting, now, stamp, report, stopping)
        except Exception as exc:
            # One community's failure (its data, its policy) must not stop the others' work.
            log_failure(log, exc, "the tick failed for community %s", community.code, then="the next tick retries")
            report.failures += 1
    report.quiet = len(report.quiet_in) == len(communities)
    if not stopping():
        # Undeliverable chats are the deployment's concern, told to the first community's management.
        await _delivery_watch(app, communities[0], now, report)
    return report


async def _community_tick(app: App, community: Community, waiting: CommunityDue, now: datetime,
                          stamp: Callable[[], datetime], report: TickReport, stopping: Callable[[], bool]) -> None:
    """One community's due work; each kind is fetched only when the scan says its earliest
    item is due under this community's policy."""
    policy, cid = community.policy, community.id
    if not quiet_now(now, policy):
        # Owners are never messaged in quiet hours: surveys, reminders, phone requests and
        # auto-confirmations wait for the morning (their rows simply stay due).
        if _due(waiting.survey_due, now):
            report.surveys += await _drain(
                app, community, stamp, report,
                lambda uow: uow.callbacks.in_state(CallbackState.SCHEDULED, due_before=now, limit=BATCH,
                                                   community_id=cid),
                callback_due.send_survey, stopping)
        if _due(waiting.sent, reminder_cutoff(now, policy)):
            report.reminders += await _drain(
                app, community, stamp, report,
                lambda uow: uow.callbacks.waiting(CallbackState.SENT, "sent_at", reminder_cutoff(now, policy), BATCH,
                                                  community_id=cid),
                callback_due.send_reminder, stopping)
        if _due(waiting.reminded, phone_cutoff(now, policy)):
            report.phone_requests += await _drain(
                app, community, stamp, report,
                lambda uow: uow.callbacks.waiting(CallbackState.REMINDED, "reminded_at", phone_cutoff(now, policy),
                                                  BATCH, community_id=cid),
                callback_due.request_phone, stopping)
        if _due(waiting.done, auto_confirm_cutoff(now, policy)):
            report.auto_confirmed += await _drain(
                app, community, stamp, report,
                lambda uow: _done_ids(uow, auto_confirm_cutoff(now, policy), cid), callback_due.auto_confirm, stopping)
    if not stopping():
        report.escalation_replies += await _escalations(app, community, waiting, now, report)


def _due(earliest: datetime | None, cutoff: datetime) -> bool:
    return earliest is not None and earliest <= cutoff


async def _delivery_watch(app: App, community: Community, now: datetime, report: TickReport) -> None:
    """Tell the management group about chats undeliverable for too long (bot.delivery_health);
    only where the runner said which channels it delivers (`app.extras["running_channels"]`)."""
    running = app.extras.get("running_channels")
    if not running:
        return
    alerted = app.extras.setdefault("delivery_alerted", {})
    async with app.uow() as uow:
        try:
            chats = await team_chats(uow, community, "management")
            replies = await watch(uow, now, set(running), alerted, chats)  # type: ignore[arg-type]
            await uow.commit()
        except Exception as exc:
            log_failure(log, exc, "the delivery health check failed", then="the next tick retries")
            report.failures += 1
            return
    report.replies.extend(replies)


async def _done_ids(uow: UnitOfWork, cutoff: datetime, community_id: int) -> list[int]:
    return [c.id for c in await uow.cases.done_before(cutoff, limit=BATCH, community_id=community_id) if c.id is not None]


def _key(item: Any) -> Any:
    return item.id if isinstance(item, CallbackRecord) else item


class _Lost(Exception):
    """Another process claimed the item first: undo this item's savepoint, nothing else."""


async def _drain(app: App, community: Community, stamp: Callable[[], datetime], report: TickReport,
                 fetch: Callable[[UnitOfWork], Awaitable[Sequence[Any]]], work: Work,
                 stopping: Callable[[], bool]) -> int:
    """Fetch due items in batches and do them, CHUNK per transaction; returns how many
    this process did.  Items another process claimed, or that failed, are not retried
    in this tick (a failure is logged and stays due for the next one)."""
    done, seen = 0, set()
    rate = app.extras.get("channel_rate")
    paced = isinstance(rate, (int, float)) and rate > 0
    # With the channel's rate known (`wuye run`), due work is claimed a second's worth at a
    # time at that rate: a morning after quiet hours or a restart after downtime sends the
    # backlog as fast as the channel can take it, and the outbox never holds more than a
    # few seconds of it, so owners chatting meanwhile are not queued behind thousands of
    # surveys.  Without it (tests, the shell) work is done in chunks of CHUNK.
    chunk_size = max(1, int(rate)) if paced else CHUNK
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not stopping():
        async with app.uow() as uow:
            batch = [item for item in await fetch(uow) if _key(item) not in seen]
        if not batch:
            return done
        for start in range(0, len(batch), chunk_size):
            if stopping():
                break  # the rest stays due for the next start
            chunk = batch[start:start + chunk_size]
            seen.update(_key(item) for item in chunk)
            done += await _chunk(app, community, stamp, chunk, work, report)
            if paced:
                ahead = started + done / rate - loop.time()  # type: ignore[operator]
                if ahead > 0:
                    await asyncio.sleep(ahead)
                if loop.time() - started >= PACED_BUDGET:
                    # A morning's backlog takes minutes at the channel's rate: hand over to
                    # the rest of the tick (deadlines, emergency repeats) and come back in
                    # the next round, which the scheduled job starts at once.
                    return done
            elif app.engine.dialect.name == "sqlite" and start + chunk_size < len(batch):
                await asyncio.sleep(SQLITE_PAUSE)
    return done


async def _chunk(app: App, community: Community, stamp: Callable[[], datetime], chunk: Sequence[Any],
                 work: Work, report: TickReport) -> int:
    """One transaction for a few items, each in its own savepoint: an item that fails or
    was claimed elsewhere is undone alone (its claim with it), the rest commit together.
    Claim and outbox rows of an item always commit (or vanish) together: exactly once."""
    sent: list[list[Reply]] = []
    async with app.uow() as uow:
        for item in chunk:
            now = stamp()
            try:
                async with uow.session.begin_nested():
                    replies = await work(uow, community, item, now)
                    if replies is None:
                        raise _Lost
                    await _enqueue(uow, replies, now)
                sent.append(replies)
            except (_Lost, DeskError):
                # Claimed by another process, or the case changed under us (StaleCase):
                # the next tick looks again if it is still due.
                continue
            except Exception as exc:
                if transient(exc):
                    # The transaction went with its connection: the whole chunk (claims and
                    # replies alike, none committed) stays due for the next tick.
                    raise
                # Never the owner's data in logs: the work's name and the row id only.
                log.exception("due work %s failed for %s", getattr(work, "__name__", work), _key(item))
                report.failures += 1
        if not sent:
            return 0
        try:
            await uow.commit()
        except Exception as exc:
            log_failure(log, exc, "could not commit %s items of %s", len(sent), getattr(work, "__name__", work),
                        then="they stay due for the next tick")
            report.failures += len(sent)
            return 0
    for replies in sent:
        report.replies.extend(replies)
    return len(sent)


async def _enqueue(uow: UnitOfWork, replies: Sequence[Reply], now: datetime) -> None:
    for reply in replies:
        await uow.outbox.add(reply.channel, reply.chat_id, reply_to_dict(reply), reply.replace_key, now)


async def _escalations(app: App, community: Community, waiting: CommunityDue, now: datetime,
                       report: TickReport) -> int:
    """SLA deadline checks and emergency repeats (`handlers.staff.escalation`), each in its
    own transaction, and only where the scan found something for it to look at."""
    count = 0
    for name, check, wanted in (("check_deadlines", escalation.check_deadlines,
                                 waiting.escalation_due(community.policy, now)),
                                ("repeat_emergencies", escalation.repeat_emergencies, waiting.emergencies),
                                ("lapse_offers", escalation.lapse_offers, _due(waiting.offer_until, now)),
                                ("resume_pauses", escalation.resume_pauses, _due(waiting.pause_until, now))):
        if not wanted:
            continue
        async with app.uow() as uow:
            try:
                replies = list(await check(uow, community, now))
                await _enqueue(uow, replies, now)
                await uow.commit()
            except DeskError:
                continue
            except Exception as exc:
                log_failure(log, exc, "escalation %s failed", name, then="the next tick retries")
                report.failures += 1
                continue
        report.replies.extend(replies)
        count += len(replies)
    return count


async def next_due(app: App, now: datetime | None = None) -> datetime | None:
    """The earliest moment something will fall due (moved out of quiet hours for the
    owner-facing work), or None when nothing is waiting."""
    now = now or app.now()
    async with app.uow() as uow:
        communities = await uow.directory.communities()
        due = await by_community(uow.session, now) if communities else {}
    times = [t for community in communities
             if community.id in due and (t := _community_due(community, due[community.id], now)) is not None]
    return min(times) if times else None


def _community_due(community: Community, waiting: CommunityDue, now: datetime) -> datetime | None:
    """The earliest due moment of one community's cases, under its own quiet hours."""
    policy = community.policy
    owner_facing = [
        waiting.survey_due,
        waiting.sent and reminder_due(waiting.sent, policy),
        waiting.reminded and phone_due(waiting.reminded, policy),
        waiting.done and auto_confirm_due(waiting.done, policy),
    ]
    times = [outside_quiet_hours(max(t, now), policy) for t in owner_facing if t is not None]
    # Deadlines, the next level of escalated cases, and when offers lapse and pauses end
    # (issue 20): the tick must wake for them too.
    times += [t for t in (waiting.deadline, waiting.next_escalation(policy, now), waiting.offer_until,
                          waiting.pause_until) if t is not None]
    return min(times) if times else None


# ----------------------------------------------------------------- APScheduler wiring
async def _scheduled_tick(app: App, scheduler: AsyncIOScheduler) -> None:
    stop = app.extras.get(STOP)
    assert isinstance(stop, asyncio.Event)
    async with _lock(app, JOB_LOCK):
        if stop.is_set():
            return
        try:
            while True:
                # A long tick lets more work fall due meanwhile: go again at once rather than
                # plan a date job that would fire while this one is still running (APScheduler
                # would skip it, max_instances=1) and leave the rest to the next interval.
                # A round that did nothing (only failing work is due) ends the loop.
                report = await tick(app, stop=stop)
                if stop.is_set():
                    return
                due = await next_due(app)
                if due is None or due > app.now() or not report.did_work:
                    break
            await _plan_next(app, scheduler, due)
        except Exception as exc:
            log_failure(log, exc, "scheduler tick failed", then="the next one retries")


async def _plan_next(app: App, scheduler: AsyncIOScheduler, due: datetime | None) -> None:
    """One date job at the next due time, converted from the app's clock (which the
    shell may have moved) to the real clock APScheduler runs on.  Work already due that
    the tick could not do (a failure, logged) is left to the periodic tick."""
    if due is None or due <= app.now():
        return
    real_now = datetime.now(timezone.utc)
    run_at = real_now + (due - app.now()) + timedelta(milliseconds=50)
    interval = app.extras.get("tick_seconds", TICK_SECONDS)
    assert isinstance(interval, (int, float))
    if run_at - real_now >= timedelta(seconds=interval):
        return  # the periodic tick gets there first anyway
    scheduler.add_job(_kick, "date", run_date=run_at, args=(app,), id=NEXT_DUE_JOB,
                      replace_existing=True, misfire_grace_time=max(int(interval), 1))


class _Ticker:
    """The one tick in flight, owned here rather than by APScheduler.

    A long drain (10,000 surveys at 30 a second take minutes) outlives many 30-second
    intervals.  Had APScheduler run the tick itself, each interval meeting the running
    one would be refused with a WARNING ("skipped: maximum number of running instances
    reached") — noise every 30 s that says nothing is wrong.  So the jobs only *kick*:
    a kick while a tick runs asks it for one more round when it ends (whatever fell due
    meanwhile is taken then), and returns at once; the job is never still running when
    its next run comes, so APScheduler has nothing to skip and its real warnings (a
    misfire, a job that failed) still show."""

    def __init__(self, app: App, scheduler: AsyncIOScheduler) -> None:
        self.app, self.scheduler = app, scheduler
        self.task: asyncio.Task[None] | None = None
        self.again = False

    def kick(self) -> None:
        if self.task is not None and not self.task.done():
            self.again = True
            return
        self.task = asyncio.get_running_loop().create_task(self._run(), name="wuye-tick")

    async def _run(self) -> None:
        stop = self.app.extras.get(STOP)
        while True:
            self.again = False
            await _scheduled_tick(self.app, self.scheduler)
            if not self.again or (isinstance(stop, asyncio.Event) and stop.is_set()):
                return

    async def finish(self, timeout: float) -> None:
        """Wait for the tick in flight (it stops between chunks once STOP is set)."""
        if self.task is not None and not self.task.done():
            done, _ = await asyncio.wait({self.task}, timeout=timeout)
            if not done:
                log.warning("the scheduler tick did not finish within %ss of stopping; cancelling it", timeout)
                self.task.cancel()


async def _kick(app: App) -> None:
    ticker = app.extras.get(TICKER)
    assert isinstance(ticker, _Ticker)
    ticker.kick()


def start_scheduler(app: App, *, tick_seconds: float = TICK_SECONDS) -> AsyncIOScheduler:
    """Start the periodic tick on the running event loop (used by `wuye run` and the shell).

    The first tick runs at once, so work that fell due while the bot was down goes out
    on start.  Stop with `await stop_scheduler(app, scheduler)` before closing the app.
    """
    scheduler = AsyncIOScheduler(timezone=timezone.utc)
    app.extras["tick_seconds"] = tick_seconds
    app.extras[STOP] = asyncio.Event()
    app.extras[TICKER] = _Ticker(app, scheduler)
    scheduler.add_job(
        _kick, "interval", seconds=tick_seconds, args=(app,), id=TICK_JOB,
        coalesce=True, max_instances=1, misfire_grace_time=max(int(tick_seconds), 1),
        next_run_time=datetime.now(timezone.utc), replace_existing=True,
    )
    # The weekly report to the management group, Monday 09:00 in the operator's zone;
    # `weekly_push` sends once per week even if two processes both run this job.
    scheduler.add_job(
        _weekly_report, "cron", day_of_week="mon", hour=9, args=(app,), id=WEEKLY_JOB,
        timezone=ZoneInfo(app.settings.timezone), coalesce=True, misfire_grace_time=6 * 3600,
        replace_existing=True,
    )
    # Handled update keys past their horizon (bot/intake.py), hourly and once at start.
    scheduler.add_job(scheduled_prune, "interval", seconds=PRUNE_EVERY.total_seconds(), args=(app,),
                      id="wuye-prune-updates", coalesce=True, max_instances=1, replace_existing=True,
                      next_run_time=datetime.now(timezone.utc))
    # The company report's daily rollups: each community's day once it is over, and the days
    # changes touched since (services/reports/rollup.py); the first run, a minute after the
    # start (after the first tick's work that fell due while down), backfills them.
    scheduler.add_job(_rollup, "interval", seconds=rollups.EVERY.total_seconds(), args=(app,), id=ROLLUP_JOB,
                      coalesce=True, max_instances=1, replace_existing=True,
                      next_run_time=datetime.now(timezone.utc) + ROLLUP_FIRST_AFTER)
    scheduler.start()
    app.extras["scheduler"] = scheduler
    # The console shell's `/clock` calls this zero-argument hook after moving its clock.
    app.extras["on_clock_moved"] = partial(on_clock_moved, app)
    return scheduler


async def stop_scheduler(app: App, scheduler: AsyncIOScheduler, *, timeout: float = 30.0) -> None:
    """Stop the scheduler and let a job in flight finish (a tick stops early between
    chunks, at the end of its current transaction), so the app can then be closed safely.

    Order matters: APScheduler's asyncio executor *cancels* the tasks of running jobs on
    shutdown (a CancelledError traceback in the log, and a tick cut in the middle), so
    the jobs are paused and awaited first, and the scheduler shut down only when none
    is running."""
    stop = app.extras.get(STOP)
    if isinstance(stop, asyncio.Event):
        stop.set()
    if scheduler.running:
        scheduler.pause()  # no new job starts; the running ones go on
    ticker = app.extras.get(TICKER)
    if isinstance(ticker, _Ticker):
        await ticker.finish(timeout)
    running = _running_jobs(scheduler)
    if running:
        done, unfinished = await asyncio.wait(running, timeout=timeout)
        if unfinished:
            log.warning("a scheduled job did not finish within %ss of stopping; cancelling it", timeout)
    async with _lock(app, JOB_LOCK):
        pass
    if scheduler.running:
        scheduler.shutdown(wait=False)
    await asyncio.sleep(0)


def _running_jobs(scheduler: AsyncIOScheduler) -> set[asyncio.Future[Any]]:
    """The tasks of jobs APScheduler's asyncio executors are running (their `_pending_futures`)."""
    futures: set[asyncio.Future[Any]] = set()
    for executor in getattr(scheduler, "_executors", {}).values():
        futures |= {f for f in getattr(executor, "_pending_futures", ()) if not f.done()}
    return futures


async def _weekly_report(app: App) -> None:
    try:
        reporter = ChatReporter(app.settings.media_dir, media.save)
        if await weekly_push(app.uow(), app.now(), reporter, app.settings.default_locale) and app.desk.on_outbox:
            app.desk.on_outbox()
    except Exception as exc:
        scheduler = app.extras.get("scheduler")
        if not transient(exc) or not isinstance(scheduler, AsyncIOScheduler):
            log.exception("weekly report failed")
            return
        # The job runs once a week: met with the database away, it is not left to next week
        # (`weekly_push` sends a week's report once however often it runs).
        log_failure(log, exc, "weekly report failed", then=f"trying again in {WEEKLY_RETRY.total_seconds():.0f} s")
        scheduler.add_job(_weekly_report, "date", run_date=datetime.now(timezone.utc) + WEEKLY_RETRY, args=(app,),
                          id=WEEKLY_RETRY_JOB, replace_existing=True, misfire_grace_time=6 * 3600)


async def _rollup(app: App) -> None:
    try:
        async with app.uow() as uow:
            await rollups.refresh(uow, app.now())
            await uow.commit()
    except Exception as exc:
        log_failure(log, exc, "bringing the daily rollups up to date failed", then="the next run retries")


async def on_clock_moved(app: App) -> TickReport:
    """After the console shell moved its clock (`app.extras["on_clock_moved"]`, set by
    `start_scheduler`): whatever fell due happens now."""
    return await tick(app)
