"""A week of desk history with known answers, played through the real lifecycle.

The period is Monday 2026-06-01 to Monday 2026-06-08 (end exclusive) in Asia/Shanghai.
Every case is opened, dispatched, accepted… through `cases.lifecycle.Case` with the
test clock moved to each moment, and its callbacks go through `uow.callbacks`
exactly as the callback worker moves them.  The figures a manager should read from
it are worked out by hand in `EXPECTED` (see test_statistics_db.py).

    case  kind/category/urgency          team         accept  done    callback
    c1    report/plumbing/urgent         engineering  +30     +150    answered chat 5/5 solved
    c2    report/electrical/normal       engineering  +45     +600    answered phone 4/5 solved (auto-confirmed)
    c3    report/plumbing/emergency      engineering  +20 ✗   +200    answered 3/4 solved   (response 5 min late)
    c4    report/elevator/urgent         engineering  +10     +1500 ✗ sent, unanswered      (completion 60 min late)
    c5    report/security/normal         security     +5      +60     skipped
    c6    complaint/general/normal       customer_s.  +90     +1000   answered 2/1 unsolved → rework:
                                                      +1400   +2000   answered 4/4 solved
    c7    complaint/environment/normal   environment  +120    +300    none
    c8    service/housekeeping/normal    environment  +60     +400    answered 5/5 solved
    c9    report/building/normal         engineering  never           (response and completion deadlines missed)
    c10   report/environment/normal      environment  cancelled after 30 min
    c11   report/plumbing/normal         engineering  +180    (in progress, deadline after the period)
    c12   report/plumbing/normal opened 05-30, closed 06-01, answered 4/4 solved (counts for coverage
          and satisfaction, not for volumes)
    c13   report/plumbing/normal opened 06-08 (after the period)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.bootstrap import App
from cases.clock import FakeClock
from cases.lifecycle import SYSTEM, Actor, Case
from cases.records import Community

ZONE = ZoneInfo("Asia/Shanghai")
OWNER_PHONES = {f"1380000{n:04d}" for n in range(1, 21)}


def local(day: int, hour: int, minute: int = 0, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE).astimezone(timezone.utc)


@dataclass
class Script:
    """One case's story in minutes after opening."""

    kind: str
    category: str
    urgency: str
    team: str
    opened: datetime
    area: str = ""
    staff: str | None = None
    accept: int | None = None
    done: int | None = None
    confirm: int | None = None
    by_owner: bool = True
    cancel: int | None = None
    start: bool = False
    owner_phone: str | None = None
    description: str = "问题"


class Desk:
    """Plays scripts against an app with a moving clock."""

    def __init__(self, app: App, clock: FakeClock) -> None:
        self.app, self.clock = app, clock
        self.community: Community | None = None
        self.staff: dict[str, int] = {}
        self.owners: dict[str, int] = {}

    async def load(self, code: str | None = None) -> None:
        """The community `code` (the first loaded by default), its staff and its owners."""
        async with self.app.uow() as uow:
            self.community = await uow.directory.community(code)
            for member in await uow.directory.staff_list(self.community.id):
                self.staff[member.name] = member.id
            for phone in OWNER_PHONES:
                owner = await uow.directory.owner_by_phone(self.community.id, phone)
                self.owners[phone] = owner.id

    async def _apply(self, case_id: int, when: datetime, change) -> None:  # type: ignore[no-untyped-def]
        self.clock.set(when)
        async with self.app.uow() as uow:
            case = await uow.cases.get(case_id)
            change(case, self.clock.now())
            await uow.cases.save(case)
            await uow.commit()

    async def play(self, s: Script) -> int:
        assert self.community is not None
        policy = self.community.policy
        self.clock.set(s.opened)
        owner_id = self.owners[s.owner_phone] if s.owner_phone else None
        async with self.app.uow() as uow:
            case = Case.open(kind=s.kind, urgency=s.urgency, category=s.category, area=s.area, now=self.clock.now(),
                             by=Actor("owner", owner_id), description=s.description, owner_id=owner_id,
                             community_id=self.community.id)
            case.dispatch(s.team, self.clock.now(), policy)
            case_id = await uow.cases.add(case)
            await uow.commit()
        at = lambda minutes: s.opened + timedelta(minutes=minutes)  # noqa: E731
        if s.cancel is not None:
            await self._apply(case_id, at(s.cancel), lambda c, now: c.cancel(now, Actor("owner", owner_id), "已自行处理"))
        if s.accept is not None:
            sid = self.staff[s.staff or ""]
            await self._apply(case_id, at(s.accept), lambda c, now: c.accept(sid, now))
            if s.start:
                await self._apply(case_id, at(s.accept + 5), lambda c, now: c.start(sid, now))
            if s.done is not None:
                await self._apply(case_id, at(s.done), lambda c, now: c.finish(sid, now, note="已处理"))
            if s.confirm is not None:
                by = Actor("owner", owner_id) if s.by_owner else SYSTEM
                await self._apply(case_id, at(s.confirm), lambda c, now: c.confirm(now, by))
        return case_id

    async def callback(self, case_id: int, round_: int, when: datetime, *, state: str = "answered",
                       solved: bool | None = None, speed: int | None = None, attitude: int | None = None,
                       method: str = "chat", recorder: str | None = None) -> None:
        """Schedule a callback and move it as the callback worker does, ending in `state`."""
        assert self.community is not None
        self.clock.set(when - timedelta(hours=1))
        async with self.app.uow() as uow:
            cb = await uow.callbacks.schedule(case_id, round_, self.clock.now())
            if state == "skipped":
                assert await uow.callbacks.claim(cb, "scheduled", state="skipped")
            elif state != "scheduled":
                assert await uow.callbacks.claim(cb, "scheduled", state="sent", sent_at=self.clock.now())
                if method == "phone":
                    assert await uow.callbacks.claim(cb, "sent", state="phone")
                if state == "answered":
                    self.clock.set(when)
                    values = dict(state="answered", answered_at=when, solved=solved, speed_score=speed,
                                  attitude_score=attitude, method=method,
                                  recorded_by_id=self.staff[recorder] if recorder else None)
                    assert await uow.callbacks.claim(cb, "phone" if method == "phone" else "sent", **values)
            await uow.commit()
        if state == "answered":
            satisfied = solved is not False and min(speed or 5, attitude or 5) > 2
            reason = "" if satisfied else "业主王芳说没修好，电话13800000002"
            await self._apply(case_id, when, lambda c, now: c.surveyed(now, satisfied, self.community.policy, reason))


async def seed_history(app: App, clock: FakeClock) -> dict[str, int]:
    """Play the week above; returns case ids by name (c1…c13)."""
    desk = Desk(app, clock)
    await desk.load()
    ids: dict[str, int] = {}
    mins = lambda opened, m: opened + timedelta(minutes=m)  # noqa: E731

    c1 = Script("report", "plumbing", "urgent", "engineering", local(1, 9), area="home", staff="王强",
                accept=30, done=150, confirm=200, start=True, owner_phone="13800000001",
                description="卫生间漏水，我是张伟，电话13800000001")
    ids["c1"] = await desk.play(c1)
    await desk.callback(ids["c1"], 1, mins(c1.opened, 400), solved=True, speed=5, attitude=5)

    c2 = Script("report", "electrical", "normal", "engineering", local(1, 10), area="home", staff="刘洋",
                accept=45, done=600, confirm=700, by_owner=False, owner_phone="13800000003")
    ids["c2"] = await desk.play(c2)
    await desk.callback(ids["c2"], 1, mins(c2.opened, 900), solved=True, speed=4, attitude=5,
                        method="phone", recorder="李静")

    c3 = Script("report", "plumbing", "emergency", "engineering", local(2, 8), area="home", staff="王强",
                accept=20, done=200, confirm=230, owner_phone="13800000004")
    ids["c3"] = await desk.play(c3)
    await desk.callback(ids["c3"], 1, mins(c3.opened, 400), solved=True, speed=3, attitude=4)

    c4 = Script("report", "elevator", "urgent", "engineering", local(2, 10), area="public", staff="刘洋",
                accept=10, done=1500, confirm=1560)
    ids["c4"] = await desk.play(c4)
    await desk.callback(ids["c4"], 1, mins(c4.opened, 1700), state="sent")

    c5 = Script("report", "security", "normal", "security", local(2, 12), area="public", staff="张勇",
                accept=5, done=60, confirm=90)
    ids["c5"] = await desk.play(c5)
    await desk.callback(ids["c5"], 1, mins(c5.opened, 300), state="skipped")

    c6 = Script("complaint", "general", "normal", "customer_service", local(3, 9), staff="李静",
                accept=90, done=1000, confirm=1100, owner_phone="13800000002",
                description="王芳投诉：维修师傅态度差，13800000002")
    ids["c6"] = await desk.play(c6)
    await desk.callback(ids["c6"], 1, mins(c6.opened, 1300), solved=False, speed=2, attitude=1)
    lijing = desk.staff["李静"]
    await desk._apply(ids["c6"], mins(c6.opened, 1400), lambda c, now: c.accept(lijing, now))
    await desk._apply(ids["c6"], mins(c6.opened, 2000), lambda c, now: c.finish(lijing, now))
    await desk._apply(ids["c6"], mins(c6.opened, 2100), lambda c, now: c.confirm(now, Actor("owner", c.owner_id)))
    await desk.callback(ids["c6"], 2, mins(c6.opened, 2300), solved=True, speed=4, attitude=4)

    c7 = Script("complaint", "environment", "normal", "environment", local(3, 10), staff="吴芳",
                accept=120, done=300, confirm=330)
    ids["c7"] = await desk.play(c7)

    c8 = Script("service", "housekeeping", "normal", "environment", local(4, 9), staff="郑秀英",
                accept=60, done=400, confirm=420, owner_phone="13800000020")
    ids["c8"] = await desk.play(c8)
    await desk.callback(ids["c8"], 1, mins(c8.opened, 600), solved=True, speed=5, attitude=5)

    ids["c9"] = await desk.play(Script("report", "building", "normal", "engineering", local(4, 10), area="home"))
    ids["c10"] = await desk.play(Script("report", "environment", "normal", "environment", local(5, 9),
                                        area="public", cancel=30))
    ids["c11"] = await desk.play(Script("report", "plumbing", "normal", "engineering", local(5, 10), area="home",
                                        staff="王强", accept=180, start=True))

    c12 = Script("report", "plumbing", "normal", "engineering", local(30, 10, month=5), area="home", staff="王强",
                 accept=60, done=(local(1, 15) - local(30, 10, month=5)) // timedelta(minutes=1),
                 confirm=(local(1, 16) - local(30, 10, month=5)) // timedelta(minutes=1))
    ids["c12"] = await desk.play(c12)
    await desk.callback(ids["c12"], 1, local(1, 20), solved=True, speed=4, attitude=4)

    ids["c13"] = await desk.play(Script("report", "plumbing", "normal", "engineering", local(8, 10), area="home",
                                        staff="王强", accept=30))
    clock.set(local(10, 9))  # the report is run two days after the week
    return ids
