"""The announcers' table on the in-memory unit of work: what each event makes people see."""

from __future__ import annotations

from datetime import timedelta

from handlers.kit.announcers import ANNOUNCERS, announce
from handlers.kit.messages import Reply
from services import casework, dispatch
from services.actors import Actor
from services.events import CaseOpened, Event
from tests.unit.fakes import Desk
from tests.unit.services.conftest import T0, open_repair, owner, staff
from tests.unit.services.test_casework import run

ENGINEERING, SECURITY, MANAGEMENT = "-1000", "-1001", "-1004"  # the fake desk's group chats


async def said(d: Desk, events: list[Event], at=T0) -> list[Reply]:  # type: ignore[no-untyped-def]
    async with d.uow() as uow:
        return await announce(uow, d.community, events, at)


def to(replies: list[Reply], chat_id: str) -> list[str]:
    return [r.text for r in replies if r.chat_id == chat_id]


async def test_an_opened_emergency_shows_its_card_and_raises_the_alarm(d: Desk) -> None:
    events = await run(d, casework.open_case, owner(d), T0, kind="report", urgency="emergency", category="security",
                       area="public", description="张伟家门口闻到煤气味 13800001111", place="1号楼门口", photos=["ph"])
    replies = await said(d, events)
    [card] = [r for r in replies if r.chat_id == SECURITY]
    assert card.replace_key == f"card:{events[0].case_id}" and card.photos == ("ph",)
    [alarm] = to(replies, MANAGEMENT)
    assert "13800001111" not in alarm and "张伟" not in alarm and "1号楼门口" in alarm  # masked for a group


async def test_an_accept_edits_the_card_and_tells_the_owner_who_comes(d: Desk) -> None:
    case_id = await open_repair(d)
    events = await run(d, casework.accept, case_id, staff(d, "王强"), T0)
    replies = await said(d, events)
    [card] = [r for r in replies if r.chat_id == ENGINEERING]
    assert card.replace_key == f"card:{case_id}" and "王强" in card.text
    [to_owner] = to(replies, "o1")
    assert "王强" in to_owner and f"139{d.staff['王强']:08d}" in to_owner
    assert not to(replies, f"s{d.staff['王强']}")  # who pressed is told by their own step


async def test_accepted_on_someones_behalf_they_get_the_contact_privately(d: Desk) -> None:
    case_id = await open_repair(d)
    events = await run(d, dispatch.assign, case_id, staff(d, "孙工", via="console"), T0, to="王强")
    [private] = to(await said(d, events), f"s{d.staff['王强']}")
    assert "张伟" in private and "13800001111" in private  # the full contact, to the worker only


async def test_the_first_responder_follows_a_case_transferred_by_someone_else(d: Desk) -> None:
    case_id = await open_repair(d)
    await run(d, casework.accept, case_id, staff(d, "王强"), T0)
    events = await run(d, casework.transfer, case_id, staff(d, "孙工"), T0, to_team="security", reason="是门禁")
    replies = await said(d, events)
    assert to(replies, SECURITY) and to(replies, ENGINEERING)  # the new card, the old card and a word in the old group
    [told] = to(replies, f"s{d.staff['王强']}")
    assert "是门禁" in told
    assert to(replies, "o1")


async def test_no_notice_to_the_first_responder_about_their_own_action(d: Desk) -> None:
    case_id = await open_repair(d)
    await run(d, casework.accept, case_id, staff(d, "王强"), T0)
    events = await run(d, casework.finish, case_id, staff(d, "王强"), T0, note="换了阀门", photos=["done1"])
    replies = await said(d, events)
    assert not to(replies, f"s{d.staff['王强']}")
    [to_owner] = [r for r in replies if r.chat_id == "o1"]
    assert "换了阀门" in to_owner.text and to_owner.buttons  # confirm / not solved
    assert to_owner.photos == ()  # the worker acted from no chat: photo ids are of no channel here


async def test_photos_go_along_on_the_channel_they_came_from(d: Desk) -> None:
    case_id = await open_repair(d)
    await run(d, casework.accept, case_id, staff(d, "王强"), T0)
    worker = Actor.staff(d.staff["王强"], channel="telegram", chat_id=f"s{d.staff['王强']}")
    events = await run(d, casework.finish, case_id, worker, T0, note="换了阀门", photos=["done1"])
    [to_owner] = [r for r in await said(d, events) if r.chat_id == "o1"]
    assert to_owner.photos == ("done1",)


async def test_escalation_reaches_the_supervisor_then_the_manager(d: Desk) -> None:
    await open_repair(d)
    async with d.uow() as uow:
        events = await dispatch.escalate_overdue(uow, d.community, T0 + timedelta(hours=60))
        replies = await announce(uow, d.community, events, T0 + timedelta(hours=60))
    assert to(replies, f"s{d.staff['孙工']}") and to(replies, f"s{d.staff['周经理']}")
    assert to(replies, ENGINEERING) and to(replies, MANAGEMENT)


async def test_every_case_event_that_people_must_hear_of_has_announcers() -> None:
    assert CaseOpened in ANNOUNCERS
    for event_type, announcers in ANNOUNCERS.items():
        assert announcers, event_type
