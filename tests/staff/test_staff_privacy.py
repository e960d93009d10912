"""保密性: no owner's phone number or full name appears in any group chat or in the logs,
over a full scenario run at DEBUG (owners even type their own name and number into
their reports).  The worker who accepts is the one person who gets them, privately."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from cases.clock import FakeClock
from handlers.kit.payloads import CaseAction, encode
from handlers.staff.escalation import check_deadlines, repeat_emergencies
from storage import models as m
from storage.community_file import read as read_community_file
from tests.conftest import EXAMPLE_COMMUNITY
from tests.harness import People
from tests.staff.conftest import (
    CUSTOMER_SERVICE, ENGINEERING, GROUPS, SECURITY, Crew, bound_owner, report_leak, run_scheduled, the_case,
)

OWNERS = [(o.name, o.phone) for o in read_community_file(str(EXAMPLE_COMMUNITY)).owners]


async def scenario(app, clock: FakeClock, people: People) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people, "u1", "13800000001")  # 张伟
    await bound_owner(people, "u5", "13800000005")  # 陈静, two homes
    await bound_owner(people, "u9", "13800000020")  # Emily Carter
    await report_leak(people, "u1", "我是张伟，卫生间水管漏水，电话13800000001，找张伟就行")
    await report_leak(people, "u5", "陈静家厨房水龙头滴水，联系138 0000 0005")
    await people.say("u9", "我是Emily Carter，家里有煤气味！电话13800000020")
    async with app.uow() as uow:
        leak, tap, gas = sorted(c.id for c in await uow.cases.recent())

    accept = encode(CaseAction("accept", leak))
    await asyncio.gather(people.raw_press("wq", accept, chat=ENGINEERING, group=True),
                         people.raw_press("ly", accept, chat=ENGINEERING, group=True))
    worker = "wq" if (await the_case(app, leak)).assignee_id == (await _staff_id(app, "王强")) else "ly"
    await people.raw_press(worker, encode(CaseAction("help", leak)), chat=ENGINEERING, group=True)
    await people.raw_press(worker, encode(CaseAction("start", leak)), chat=ENGINEERING, group=True)
    await people.say(worker, f"/case {leak}", chat=ENGINEERING, group=True)
    await people.raw_press(worker, encode(CaseAction("transfer", leak)), chat=ENGINEERING, group=True)
    await people.press(worker, "客服中心")
    await people.say(worker, "张伟说是楼上漏下来的，电话13800000001，需要客服协调")
    await people.raw_press("lj", encode(CaseAction("accept", leak)), chat=CUSTOMER_SERVICE, group=True)
    await people.raw_press("lj", encode(CaseAction("finish", leak)), chat=CUSTOMER_SERVICE, group=True)
    await people.say("lj", "已联系张伟（13800000001）和楼上业主，防水已修")
    await people.press("lj", "跳过")
    await people.press("lj", "不收费")
    await people.press("lj", "确认完工")

    await people.raw_press("sh", encode(CaseAction("accept", tap)), chat=ENGINEERING, group=True)
    await people.raw_press("sh", encode(CaseAction("handback", tap)), chat=ENGINEERING, group=True)
    await people.say("sh", "陈静电话13800000005打不通")
    # A stranger fails to bind with an owner's number: customer service is asked to help.
    await people.say("x1", "/start")
    await people.say("x1", "1-1-101 张伟 9999")

    for _ in range(3):
        clock.advance(timedelta(minutes=6))
        await run_scheduled(app, people, check_deadlines, repeat_emergencies)
    await people.raw_press("zy", encode(CaseAction("accept", gas)), chat=SECURITY, group=True)
    clock.advance(timedelta(days=3))
    await run_scheduled(app, people, check_deadlines, repeat_emergencies)


async def _staff_id(app, name: str) -> int:  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        community = await uow.directory.community()
        member = await uow.directory.staff_by_name(community.id, name)  # type: ignore[union-attr]
        assert member is not None
        return member.id


def leaks(text: str) -> list[str]:
    found = []
    for name, phone in OWNERS:
        if phone in text or name in text:
            found.append(name)
    return found


async def test_no_owner_details_in_groups_or_logs(app, clock: FakeClock, people: People, crew: Crew,  # type: ignore[no-untyped-def]
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await scenario(app, clock, people)

    # Everything that was ever queued for a group chat, straight from the outbox.
    async with app.uow() as uow:
        rows = (await uow.session.execute(
            select(m.OutboxMessage.chat_id, m.OutboxMessage.body).where(m.OutboxMessage.chat_id.in_(GROUPS)))).all()
    assert len(rows) > 20 and {chat for chat, _ in rows} >= {ENGINEERING, CUSTOMER_SERVICE, SECURITY, "管理处群"}
    for chat, body in rows:
        shown = body["text"] + " ".join(b["text"] for line in body.get("buttons", ()) for b in line)
        assert leaks(shown) == [], (chat, shown)

    records = caplog.records
    assert any("accepted by staff" in r.getMessage() for r in records)  # the logs did record the work
    for record in records:
        logged = record.getMessage() + (record.exc_text or "") + str(record.args or "")
        assert leaks(logged) == [], (record.name, logged[:300])

    # The data is in the system: the workers got it, privately, so the checks above mean something.
    assert any("张伟，电话 13800000001" in text for text in people.texts("wq") + people.texts("ly"))
    assert "陈静，电话 13800000005" in people.all_text("sh")
    assert "Emily Carter，电话 13800000020" in people.all_text("zy")
