"""Helpers for the callback tests: a case taken from report to closed the way staff and
owners do it, the scheduler's tick with its messages added to the transcripts, and the
demo community's policy adjusted per test."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.bootstrap import App
from bot.scheduler import TickReport, tick
from cases.codes import Kind, Urgency
from cases.lifecycle import Actor, Case
from handlers.kit.messages import reply_to_dict
from handlers.staff.casework import after_close
from storage import models as m
from tests.flows.conftest import ENGINEERING, CUSTOMER_SERVICE, bound_owner  # noqa: F401
from tests.harness import People

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A community-local wall time as the aware UTC datetime the clock works in."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(timezone.utc)


@pytest.fixture
async def people(app: App) -> People:
    return People(app)


async def run_tick(app: App, people: People, now: datetime | None = None) -> TickReport:
    """The scheduler's tick; what it sent lands in the transcripts like any reply."""
    report = await tick(app, now)
    for reply in report.replies:
        people.chats[reply.chat_id].append(reply)
    return report


async def set_policy(app: App, **changes: Any) -> None:
    """Change the demo community's policy (keys of DeskPolicy.to_json)."""
    async with app.uow() as uow:
        row = await uow.session.scalar(select(m.Community))
        assert row is not None
        await uow.session.execute(update(m.Community).values(policy={**row.policy, **changes}))
        await uow.commit()


async def bind_staff(app: App, user: str, name: str) -> int:
    """Give a staff member of the demo register a console chat identity."""
    async with app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        staff = await uow.directory.staff_by_name(community.id, name)
        assert staff is not None, name
        await uow.directory.bind("console", user, user, now=app.now(), staff_id=staff.id)
        await uow.commit()
        return staff.id


async def report_leak(people: People, user: str = "u1", text: str = "厨房水槽下面的水管一直在滴水") -> int:
    """The owner reports a leak at home through the report flow; returns the case id."""
    await people.press(user, "报事报修")
    await people.press(user, "1-1-101" if user == "u1" else "我家")
    await people.say(user, text)
    await people.press(user, "跳过")
    await people.press(user, "一般")
    await people.press(user, "明天")
    await people.press(user, "提交")
    async with people.app.uow() as uow:
        return (await uow.cases.recent(limit=1))[0].id  # type: ignore[return-value]


async def finish_work(app: App, case_id: int, worker: str = "王强") -> None:
    """A worker accepts, starts and finishes the job (what the card's buttons do)."""
    async with app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        staff = await uow.directory.staff_by_name(community.id, worker)
        assert staff is not None
        case = await uow.cases.get(case_id)
        assert case is not None
        case.accept(staff.id, app.now())
        case.start(staff.id, app.now())
        case.finish(staff.id, app.now(), note="换了密封圈")
        await uow.cases.save(case)
        await uow.commit()


async def owner_confirms(app: App, people: People, case_id: int) -> Case:
    """The owner accepts the work (验收): the case closes and its callback is booked."""
    async with app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        case = await uow.cases.get(case_id)
        assert case is not None and case.owner_id is not None
        case.confirm(app.now(), Actor("owner", case.owner_id))
        await uow.cases.save(case)
        for reply in await after_close(uow, community, case, app.now()):
            await uow.outbox.add(reply.channel, reply.chat_id, reply_to_dict(reply), reply.replace_key, app.now())
            people.chats[reply.chat_id].append(reply)
        await uow.commit()
        return case


async def closed_leak(app: App, people: People, user: str = "u1", phone: str = "13800000001") -> int:
    """A bound owner's leak, reported, fixed and confirmed now; returns the case id."""
    await bound_owner(people, user, phone)
    case_id = await report_leak(people, user)
    await finish_work(app, case_id)
    await owner_confirms(app, people, case_id)
    return case_id


async def callbacks_of(app: App, case_id: int):  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        return await uow.callbacks.for_case(case_id)


async def case_and_timeline(app: App, case_id: int):  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        return await uow.cases.get(case_id), [t.action for t in await uow.cases.timeline(case_id)]


async def survey_rows(app: App, callback_id: int) -> int:
    """Outbox rows holding this callback's survey (the 📋 opening, not a ⏰ reminder)."""
    payload = f"1|s|{callback_id}|solved|1"
    async with app.uow() as uow:
        bodies = (await uow.session.scalars(select(m.OutboxMessage.body))).all()
    return sum(1 for body in bodies if body["text"].startswith("📋")
               and any(b["payload"] == payload for row in body.get("buttons", ()) for b in row))


CATEGORY = {Kind.REPORT: "plumbing", Kind.COMPLAINT: "environment", Kind.SERVICE: "housekeeping"}
TEAM = {Kind.REPORT: "engineering", Kind.COMPLAINT: "customer_service", Kind.SERVICE: "customer_service"}


async def close_cases(app: App, kind: str, count: int, phone: str = "13800000001") -> list[int]:
    """`count` cases of `kind` for the owner with `phone`, done and confirmed now (callbacks booked by policy)."""
    ids = []
    async with app.uow() as uow:
        community = await uow.directory.community()
        owner = await uow.directory.owner_by_phone(community.id, phone)  # type: ignore[union-attr]
        worker = await uow.directory.staff_by_name(community.id, "王强")  # type: ignore[union-attr]
        assert community and owner and worker
        for n in range(count):
            now = app.now()
            case = Case.open(kind=kind, urgency=Urgency.NORMAL, category=CATEGORY[Kind(kind)],
                             area="home" if kind == Kind.REPORT else "", now=now, by=Actor("owner", owner.id),
                             description=f"{kind} {n}", community_id=community.id, owner_id=owner.id)
            case.dispatch(TEAM[Kind(kind)], now, community.policy)
            await uow.cases.add(case)
            case.accept(worker.id, now)
            case.finish(worker.id, now)
            case.confirm(now, Actor("owner", owner.id))
            await uow.cases.save(case)
            await after_close(uow, community, case, now)
            assert case.id is not None
            ids.append(case.id)
        await uow.commit()
    return ids
