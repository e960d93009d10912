"""The same case lifecycle through chat and through the console leaves the same rows.

Two cases of the same owner, reported the same way in chat.  One is worked in chat (王强
presses 接单 and 完成, the owner presses 确认完成); the other from the console (a customer-
service supervisor accepts it on 王强's behalf, records it done, records the owner's
confirmation by phone).  Both then get their callback in chat.  Their rows must agree on
everything but who pressed the buttons and how the confirmation came (the owner in chat,
staff by phone), and the console's timeline says "via the console".
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage import models as m
from tests.callbacks.conftest import ENGINEERING, bind_staff, report_leak, run_tick
from tests.console.conftest import Desk, sign_in
from tests.flows.conftest import bound_owner
from tests.harness import People

# Columns whose values must be the same whichever front end worked the case.
SAME = ("kind", "category", "area", "urgency", "status", "room_id", "owner_id", "team_code", "assignee_id",
        "first_responder_id", "fee_cents", "rework_round", "escalation_level", "source", "reporter_channel",
        "reporter_chat_id", "description")


async def _rows(desk: Desk, case_id: int) -> tuple[dict[str, object], list[tuple[str, str, bool]], list[tuple]]:
    async with desk.app.uow() as uow:
        case = await uow.session.get(m.Case, case_id)
        assert case is not None
        row = {name: getattr(case, name) for name in (*SAME, "confirmed_by")}
        timeline = [(t.action, t.actor_kind, t.data.get("via") == "console") for t in await uow.session.scalars(
            select(m.TimelineEntry).where(m.TimelineEntry.case_id == case_id).order_by(m.TimelineEntry.id))]
        callbacks = [(c.round, c.state, c.method, c.solved, c.speed_score, c.attitude_score) for c in
                     await uow.session.scalars(select(m.Callback).where(m.Callback.case_id == case_id))]
    return row, timeline, callbacks


async def _answer_callback(people: People) -> None:
    await people.press("u1", "已解决")
    await people.press("u1", "5⭐")
    await people.press("u1", "5⭐")
    await people.press("u1", "跳过并提交")


async def test_chat_and_console_leave_the_same_rows(desk: Desk, browser, clock) -> None:
    people = People(desk.app)
    await bind_staff(desk.app, "wq", "王强")
    await bound_owner(people)

    # Through chat.
    by_chat = await report_leak(people)
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    await people.press("wq", "完成", chat=ENGINEERING, group=True)
    await people.say("wq", "换了阀门")
    await people.press("wq", "跳过")
    await people.say("wq", "35")
    await people.press("wq", "确认完工")
    await people.press("u1", "确认完成")
    clock.advance(timedelta(hours=3))  # its callback goes out in chat and is answered there
    await run_tick(desk.app, people)
    await _answer_callback(people)

    # Through the console.
    by_console = await report_leak(people)
    page = await sign_in(browser, desk, "kf02")
    await page.goto(desk.url + f"/cases/{by_console}")
    await page.select_option("#form-accept select[name=staff_id]", str(desk.staff["gc01"]))
    await page.click("#form-accept button")
    await page.wait_for_selector("#flash")
    await page.fill("#form-done textarea[name=note]", "换了阀门")
    await page.fill("#form-done input[name=fee]", "35")
    await page.click("#form-done button")
    await page.wait_for_selector("#fee")
    await page.click("#form-confirm_phone button")
    await page.wait_for_selector("#flash")

    clock.advance(timedelta(hours=3))  # the same callback, in chat
    await run_tick(desk.app, people)
    await _answer_callback(people)

    chat_row, chat_timeline, chat_callbacks = await _rows(desk, by_chat)
    console_row, console_timeline, console_callbacks = await _rows(desk, by_console)
    assert {k: chat_row[k] for k in SAME} == {k: console_row[k] for k in SAME}
    assert chat_row["status"] == "surveyed" and chat_row["fee_cents"] == 3500
    assert (chat_row["confirmed_by"], console_row["confirmed_by"]) == ("owner", "staff")
    assert [a for a, _, _ in chat_timeline] == [a for a, _, _ in console_timeline]
    # Who did each step: the owner confirmed in chat; staff recorded it from the console.
    assert [k for _, k, _ in chat_timeline] != [k for _, k, _ in console_timeline]
    assert not any(via for _, _, via in chat_timeline)
    assert [a for a, _, via in console_timeline if via] == ["accepted", "done", "confirmed"]
    assert chat_callbacks == console_callbacks == [(1, "answered", "chat", True, 5, 5)]
    # The owner heard the same things in the same order (who is coming, done with the fee).
    said = await desk.chat("u1")  # the owner's chat as the outbox holds it, whoever caused each message
    for needle in ("王强", "换了阀门", "¥35"):
        assert sum(f"#{by_chat}" in t and needle in t for t in said) == 1, needle
        assert sum(f"#{by_console}" in t and needle in t for t in said) == 1, needle
