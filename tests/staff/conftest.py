"""Staff in the demo community, bound to console chat ids, and helpers to drive a case.

Console user ids of the staff (their private chat has the same id):
wq 王强, ly 刘洋, sh 孙浩 (engineers), mjg 马建国 (engineering manager), zy 张勇 (security),
lj 李静 (butler), zl 赵丽 (cs supervisor), lzy 林志远 (manager), wf 吴芳 (cleaner).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.bootstrap import App
from cases.lifecycle import Actor, Case
from cases.routing import team_for
from handlers.kit.cards import card_replies
from handlers.kit.messages import Reply, reply_to_dict
from storage import models as m
from tests.flows.conftest import CUSTOMER_SERVICE, ENGINEERING, MANAGEMENT, SECURITY, bound_owner  # noqa: F401
from tests.harness import People

ENVIRONMENT = "环境部群"
GROUPS = (ENGINEERING, SECURITY, ENVIRONMENT, CUSTOMER_SERVICE, MANAGEMENT)

STAFF_USERS = {
    "wq": "王强", "ly": "刘洋", "sh": "孙浩", "mjg": "马建国", "zy": "张勇",
    "lj": "李静", "zl": "赵丽", "lzy": "林志远", "wf": "吴芳",
}


@dataclass
class Crew:
    ids: dict[str, int]  # console user id → staff id

    def __getitem__(self, user: str) -> int:
        return self.ids[user]


@pytest.fixture
async def people(app: App) -> People:
    return People(app)


@pytest.fixture
async def crew(app: App) -> Crew:
    """Bind the staff's console identities (the demo file has none for the console channel)."""
    ids = {}
    async with app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        for user, name in STAFF_USERS.items():
            member = await uow.directory.staff_by_name(community.id, name)
            assert member is not None, name
            await uow.directory.bind("console", user, user, now=app.now(), staff_id=member.id)
            ids[user] = member.id
        await uow.commit()
    return Crew(ids)


async def report_leak(people: People, user: str = "u1", text: str = "卫生间水管漏水，地上都是水") -> None:
    """An owner's repair report for their home, driven by buttons (plumbing → engineering)."""
    await people.press(user, "报事报修")
    await people.press(user, "我家")
    await people.say(user, text)
    await people.press(user, "跳过")
    await people.press(user, "一般")
    await people.press(user, "越快越好")  # no time window: the desk's own deadlines (a window would pull them in)
    await people.press(user, "提交")


async def the_case(app: App, case_id: int | None = None) -> Case:
    async with app.uow() as uow:
        if case_id is None:
            cases = await uow.cases.recent()
            assert len(cases) == 1, cases
            return cases[0]
        case = await uow.cases.get(case_id)
        assert case is not None
        return case


async def timeline(app: App, case_id: int) -> list[str]:
    async with app.uow() as uow:
        return [item.action for item in await uow.cases.timeline(case_id)]


async def run_scheduled(app: App, people: People, *jobs) -> list[Reply]:  # type: ignore[no-untyped-def]
    """Run escalation jobs as the scheduler will: one unit of work, replies to the outbox."""
    replies: list[Reply] = []
    async with app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        for job in jobs:
            replies += await job(uow, community, app.now())
        for reply in replies:
            await uow.outbox.add(reply.channel, reply.chat_id, reply_to_dict(reply), reply.replace_key, app.now())
        await uow.commit()
    for reply in replies:
        people.chats[reply.chat_id].append(reply)
    return replies


def buttons_of(reply: Reply) -> list[str]:
    return [b.text for row in reply.buttons for b in row]


async def open_direct(app: App, people: People, *, kind: str, category: str, description: str,
                      owner_phone: str | None = None, urgency: str = "normal", area: str = "",
                      room: str | None = None, booking: tuple[str, int] | None = None,
                      details: dict | None = None) -> int:  # type: ignore[type-arg]
    """Open and dispatch a case the way `handlers.staff.casework.open_case` does, for kinds whose
    owner flows (complaint, booking) live on other branches.  `booking`: (catalogue code,
    agreed price in cents), stored as the booking flow stores it."""
    from sqlalchemy import select

    async with app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        owner = await uow.directory.owner_by_phone(community.id, owner_phone) if owner_phone else None
        room_id = (await uow.directory.room(community.id, room)).id if room else None  # type: ignore[union-attr]
        case = Case.open(kind=kind, urgency=urgency, category=category, area=area, now=app.now(),
                         by=Actor("owner", owner.id) if owner else Actor.system(), description=description,
                         community_id=community.id, owner_id=owner.id if owner else None, room_id=room_id,
                         reporter_channel="console", details=dict(details or {}))
        case.dispatch(team_for(kind, category, urgency), app.now(), community.policy)
        case_id = await uow.cases.add(case)
        if booking:
            item_id = await uow.session.scalar(select(m.ServiceItem.id).where(m.ServiceItem.code == booking[0]))
            uow.session.add(m.Booking(case_id=case_id, item_id=item_id, slot="明天上午", price_cents=booking[1],
                                      price_confirmed_at=app.now()))
        replies = await card_replies(uow, community, case, app.now(), with_photos=True)
        for reply in replies:
            await uow.outbox.add(reply.channel, reply.chat_id, reply_to_dict(reply), reply.replace_key, app.now())
        await uow.commit()
    for reply in replies:
        people.chats[reply.chat_id].append(reply)
    return case_id
