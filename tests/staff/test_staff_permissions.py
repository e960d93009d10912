"""Every press is re-authorised on the server: strangers, owners, staff of another team,
teammates who are not the worker, deactivated staff, forged and replayed payloads all
change nothing and are told why."""

from __future__ import annotations

from sqlalchemy import update

from bot.bootstrap import App
from cases.lifecycle import Case, Status
from handlers.kit.messages import Inbound
from handlers.kit.payloads import CaseAction, encode
from storage import models as m
from tests.harness import People
from tests.staff.conftest import ENGINEERING, Crew, bound_owner, report_leak, the_case


async def snapshot(app: App, case_id: int) -> tuple[int, str, int | None, str, int]:
    """What a refused press must leave untouched: version, status, worker, team, timeline."""
    async with app.uow() as uow:
        case = await uow.cases.get(case_id)
        assert case is not None
        return case.version, case.status, case.assignee_id, case.team_code, len(await uow.cases.timeline(case_id))


def press_data(action: str, case: Case) -> str:
    return encode(CaseAction(action, case.id or 0))


ACTIONS = ("accept", "start", "finish", "transfer", "handback", "help")


async def test_outsiders_are_refused_and_nothing_changes(app: App, people: People, crew: Crew) -> None:
    await bound_owner(people)
    await bound_owner(people, "u2", "13800000002")
    await report_leak(people)
    case = await the_case(app)
    before = await snapshot(app, case.id)
    outsiders = {
        "stranger": "只给物业工作人员使用",  # never talked to the bot
        "u1": "只给物业工作人员使用",  # the owner of the case
        "u2": "只给物业工作人员使用",  # another owner
        "zy": "归工程部处理，只有工程部的同事或主管可以操作",  # security
        "lj": "归工程部处理",  # a butler of customer service
        "wf": "归工程部处理",  # a cleaner
    }
    for user, why in outsiders.items():
        for action in ACTIONS:
            outcome = await people.raw_press(user, press_data(action, case), chat=ENGINEERING, group=True)
            assert why in (outcome.answer or ""), (user, action, outcome.answer)
            # The refusal is the button's toast; nothing is posted anywhere.
            assert outcome.replies == [], (user, action)
    assert await snapshot(app, case.id) == before
    assert people.chats[ENGINEERING][-1].text.count("待接单") == 1 and len(people.chats[ENGINEERING]) == 1


async def test_only_the_worker_or_a_supervisor_works_on_a_taken_case(app: App, people: People, crew: Crew) -> None:
    await bound_owner(people)
    await report_leak(people)
    case = await the_case(app)
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    before = await snapshot(app, case.id)

    for action in ("start", "finish", "transfer", "handback", "help"):
        outcome = await people.raw_press("ly", press_data(action, case), chat=ENGINEERING, group=True)
        assert outcome.answer == f"工单 #{case.id} 由 王强 负责，只有 王强 或主管可以操作。", action
    outcome = await people.raw_press("ly", press_data("accept", case), chat=ENGINEERING, group=True)
    assert outcome.answer == f"工单 #{case.id} 已被 王强 接单。"
    # The winner's old card button, pressed again (a double tap, or the message replayed).
    outcome = await people.raw_press("wq", press_data("accept", case), chat=ENGINEERING, group=True)
    assert outcome.answer == f"你已经接下了工单 #{case.id}。"
    assert await snapshot(app, case.id) == before
    assert people.chats["ly"] == []  # no flow was started for the teammate

    # The engineering manager may act for the worker.
    await people.raw_press("mjg", press_data("start", case), chat=ENGINEERING, group=True)
    assert (await the_case(app)).status == Status.IN_PROGRESS
    outcome = await people.raw_press("wq", press_data("start", case), chat=ENGINEERING, group=True)
    assert outcome.answer == f"工单 #{case.id} 你已经在处理中了。"


async def test_deactivated_staff_are_refused(app: App, people: People, crew: Crew) -> None:
    await bound_owner(people)
    await report_leak(people)
    case = await the_case(app)
    async with app.uow() as uow:
        await uow.session.execute(update(m.Staff).where(m.Staff.id == crew["ly"]).values(active=False))
        await uow.commit()
    before = await snapshot(app, case.id)
    outcome = await people.raw_press("ly", press_data("accept", case), chat=ENGINEERING, group=True)
    assert "员工账号已停用" in (outcome.answer or "")
    await people.say("ly", "/my")
    assert "员工账号已停用" in people.last("ly")
    assert await snapshot(app, case.id) == before


async def test_forged_and_malformed_payloads(app: App, people: People, crew: Crew) -> None:
    await bound_owner(people)
    await report_leak(people)
    case = await the_case(app)
    before = await snapshot(app, case.id)
    expired = "这个按钮已过期，请使用最新的消息。"
    for data in ("1|c|accept|99999", ):
        outcome = await people.raw_press("wq", data, chat=ENGINEERING, group=True)
        assert outcome.answer == "没有找到工单 #99999。"
    for data in (f"1|c|explode|{case.id}",  # no such action
                 f"2|c|accept|{case.id}",  # a newer or older codec version
                 "1|c|accept|-1", "1|c|accept|1e3", f"1|c|accept|{case.id}|x", "1|c||1",
                 "1|c|accept|" + "9" * 60,  # oversized
                 "", "not-a-payload"):
        outcome = await people.raw_press("wq", data, chat=ENGINEERING, group=True)
        assert outcome.answer == expired, data
    # A staff flow's button pressed outside that flow (forged nonce) expires too.
    outcome = await people.raw_press("wq", "1|p|staff_finish|confirm|7|submit")
    assert outcome.answer == expired
    assert await snapshot(app, case.id) == before


async def test_a_redelivered_update_is_handled_once(app: App, people: People, crew: Crew) -> None:
    await bound_owner(people)
    await report_leak(people)
    case = await the_case(app)
    press = Inbound(channel="console", chat_id=ENGINEERING, user_id="wq", is_group=True,
                    payload=press_data("accept", case), update_id="tg-update-4242")
    first = await app.desk.handle(press)
    again = await app.desk.handle(press)
    assert "接单成功" in (first.answer or "")
    assert again.replies == [] and again.answer is None
    async with app.uow() as uow:
        assert [i.action for i in await uow.cases.timeline(case.id)].count("accepted") == 1
        assert (await uow.cases.get(case.id)).version == case.version + 1  # type: ignore[union-attr]


async def test_buttons_of_a_finished_case_are_refused(app: App, people: People, crew: Crew) -> None:
    await bound_owner(people)
    await report_leak(people)
    case = await the_case(app)
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    old_card_start = people.button(ENGINEERING, "已到场")
    await people.press("wq", "完成", chat=ENGINEERING, group=True)
    await people.say("wq", "已修好")
    await people.press("wq", "跳过")
    await people.press("wq", "不收费")
    await people.press("wq", "确认完工")
    before = await snapshot(app, case.id)
    outcome = await people.raw_press("wq", old_card_start, chat=ENGINEERING, group=True)
    assert outcome.answer == f"工单 #{case.id} 已完工，正在等业主确认。"
    for action in ("accept", "finish", "transfer", "handback", "help"):
        outcome = await people.raw_press("wq", press_data(action, case), chat=ENGINEERING, group=True)
        assert outcome.answer == f"工单 #{case.id} 已完工，正在等业主确认。", action
    assert await snapshot(app, case.id) == before
