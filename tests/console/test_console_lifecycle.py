"""A hotline call taken in the console, through to the callback, in a real browser; the
statistics page with its chart; a notice sent."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from handlers.kit.formatting import code_name
from services.actors import CONSOLE, Actor
from services.office import open_for_owner
from storage import models as m
from storage.console import ConsoleStore
from tests.console.conftest import DOCS, ENGINEERING_GROUP, OWNER_CHAT, Desk, sign_in

CLOSED = code_name("zh-CN", "status", "closed")


async def test_a_phone_case_from_the_form_to_the_callback(desk: Desk, browser, clock) -> None:
    # A case's afternoon in a few steps: the clock jumps hours between them, which would end an
    # idle session (30 min by default; test_console_sessions.py) — here the desk keeps working.
    desk.app.settings = desk.app.settings.model_copy(update={"web_idle_minutes": 8 * 60})
    page = await sign_in(browser, desk, "kf01")
    await page.goto(desk.url + "/cases/new")
    await page.fill("#owner-query", "1-1-101")
    await page.click("#lookup")
    await page.check("input[name=owner_room]")
    await page.select_option("#source", "phone")
    await page.fill("#description", "厨房水管漏水了，水流到地上")
    await page.wait_for_selector("#suggestion:not(:empty)")
    assert "给排水" in await page.inner_text("#suggestion")  # the classifier's reading, shown live
    await page.click("#create")
    await page.wait_for_url(re.compile(r"/cases/\d+"))
    case_id = int(re.search(r"/cases/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    assert "来源" in await page.inner_text("#details") and "电话" in await page.inner_text("#details")
    # The engineering group's dispatch card, and the owner told the case number in their chat.
    card = (await desk.chat(ENGINEERING_GROUP))[-1]
    assert f"#{case_id}" in card and "13800000001" not in card
    told = (await desk.chat(OWNER_CHAT))[-1]
    assert f"#{case_id}" in told and "电话" in told  # services.office's CaseTakenForOwner, announced

    # The agent who took the call is the case's first responder; her supervisor dispatches it
    # to a named engineer (services.dispatch.assign: a supervisor's call), and the owner
    # hears who is coming.
    assert "陈晓" in await page.inner_text("#details")
    assert await page.locator("#form-assign").count() == 0
    clock.advance(timedelta(minutes=12))
    page = await sign_in(browser, desk, "kf02")
    await page.goto(desk.url + f"/cases/{case_id}")
    await page.select_option("#form-assign select[name=staff_id]", str(desk.staff["gc01"]))
    await page.click("#form-assign button")
    await page.wait_for_selector("#flash")
    assert "王强" in await page.inner_text("#assignee")
    assert "王强" in (await desk.chat(OWNER_CHAT))[-1]

    # Done with a fee, as the engineer phoned it in.
    clock.advance(timedelta(hours=2, minutes=5))
    await page.fill("#form-done textarea[name=note]", "更换了角阀")
    await page.fill("#form-done input[name=fee]", "35")
    await page.click("#form-done button")
    await page.wait_for_selector("#fee")
    assert "¥35" in await page.inner_text("#fee") and "¥35" in await page.inner_text("#fees")
    assert "更换了角阀" in (await desk.chat(OWNER_CHAT))[-1]

    # The owner confirms on the phone.
    clock.advance(timedelta(minutes=40))
    await page.click("#form-confirm_phone button")
    await page.wait_for_selector("#flash")
    assert await page.inner_text("#status") == CLOSED
    timeline = await page.inner_text("#timeline")
    assert "陈晓 通过工作台" in timeline and "赵丽 通过工作台" in timeline  # every console action says who did it, via the console
    DOCS.mkdir(exist_ok=True)
    await page.screenshot(path=str(DOCS / "console-case.png"), full_page=True)
    await page.goto(desk.url + f"/cases/{case_id}/print")  # the work order a worker signs
    order = await page.inner_text("#work-order")
    assert f"派工单 · #{case_id}" in order and "业主签字" in order and "王强" in order

    # The callback: the owner does not answer it in chat; the butler phones and records it.
    async with desk.app.uow() as uow:
        await uow.session.execute(m.Callback.__table__.update().where(m.Callback.case_id == case_id)
                                  .values(state="phone"))
        await uow.commit()
    butler = await sign_in(browser, desk, "gj01")
    await butler.goto(desk.url + "/callbacks")
    form = f"#callback-{case_id}"
    await butler.select_option(f"{form} select[name=speed]", "4")
    await butler.click(f"{form} button")
    await butler.wait_for_selector("#flash")
    await butler.goto(desk.url + f"/cases/{case_id}")
    assert "速度 4⭐" in await butler.inner_text("#callbacks")
    # The quality inspector spot-checks the callback (her sample is drawn from the answered ones).
    inspector = await sign_in(browser, desk, "pz01")
    await inspector.goto(desk.url + "/callbacks")
    assert await inspector.locator("#callbacks-list form, form[id^=callback-]").count() == 0  # she does not call
    await inspector.fill(f"#check-{case_id} input[name=note]", "回电核实，业主确认已修好")
    await inspector.click(f"#check-{case_id} button")
    await inspector.wait_for_selector("#flash")
    assert "抽查结果已记录" in await inspector.inner_text("#flash")
    async with desk.app.uow() as uow:
        case = await uow.cases.get(case_id)
        record = (await uow.callbacks.for_case(case_id))[0]
        checks = await uow.callbacks.spot_checks(record.id)
        actions = [i.action for i in await uow.cases.timeline(case_id)]
        audit = await uow.session.scalar(select(func.count()).select_from(m.AuditEntry)
                                         .where(m.AuditEntry.case_id == case_id))
    assert case is not None and case.status == "surveyed" and case.source == "phone"
    assert case.first_responder_id == desk.staff["kf01"] and case.fee_cents == 3500
    assert record.method == "phone" and record.speed_score == 4 and record.recorded_by_id == desk.staff["gj01"]
    assert [(c["level"], c["finding"]) for c in checks] == [("quality", "confirmed")]
    assert actions[:3] == ["opened", "dispatched", "accepted"] and "done" in actions and "confirmed" in actions
    assert audit >= 4


async def test_statistics_with_a_chart_and_a_notice_sent(desk: Desk, browser, clock) -> None:
    page = await sign_in(browser, desk, "jl01")
    await page.goto(desk.url + "/stats")
    await page.wait_for_load_state("load")
    assert await page.locator("#chart").evaluate("img => img.complete && img.naturalWidth") > 100
    assert await page.locator("table").count() >= 3
    download = await page.request.get(desk.url + "/stats/export.xlsx")
    assert download.ok and download.body is not None and (await download.body())[:2] == b"PK"
    await page.goto(desk.url + "/notices")
    await page.fill("#notice-text", "明天上午9点至11点2号楼停水检修，请提前储水。")
    await page.fill("input[name=building]", "1")
    await page.click("#preview")
    assert "位业主" in await page.inner_text("#draft")
    await page.click("#send")
    await page.wait_for_selector("#flash")
    assert "已送达 0" in await page.inner_text("#notices") and "待发" in await page.inner_text("#notices")
    assert "停水检修" in (await desk.chat(OWNER_CHAT))[-1]


async def test_full_phone_numbers_are_for_callers_and_each_reveal_is_recorded(desk: Desk, browser) -> None:
    async with desk.app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        events = await open_for_owner(
            uow, community, Actor.staff(desk.staff["kf01"], via=CONSOLE), desk.app.now(), source="walk_in",
            kind="report", urgency="normal", category="plumbing", area="home", description="卫生间地漏堵了",
            owner_id=desk.owner_id, room_id=(await uow.directory.room(community.id, "1-1-101")).id,  # type: ignore[union-attr]
            place="")
        case_id = events[0].case_id  # type: ignore[attr-defined]
        await uow.commit()
    engineer = await sign_in(browser, desk, "gc02")  # of the team, but not working on it
    await engineer.goto(desk.url + f"/cases/{case_id}")
    assert "138****0001" in await engineer.inner_text("#owner")
    assert await engineer.locator("#reveal").count() == 0
    # Posting the reveal by hand, with the session's own form token, is refused too.
    token = await engineer.locator("header input[name=csrf]").input_value()
    asked = await engineer.request.post(desk.url + f"/cases/{case_id}/phone", form={"csrf": token})
    assert asked.status == 403 and "13800000001" not in await asked.text() and "没有权限" in await asked.text()

    agent = await sign_in(browser, desk, "kf01")
    await agent.goto(desk.url + f"/cases/{case_id}")
    await agent.click("#reveal")
    assert "13800000001" in await agent.inner_text("#owner")
    async with desk.app.uow() as uow:
        reveals = [(e.staff_id, e.case_id) for e in await ConsoleStore(uow.session).audit_of()
                   if e.action == "phone_revealed"]
    assert reveals == [(desk.staff["kf01"], case_id)]

    # The owner phones back: no need any more.  The desk cancels it; the owner hears it in chat.
    await agent.fill("#form-cancel input[name=reason]", "业主来电说已自行疏通")
    await agent.click("#form-cancel button")
    await agent.wait_for_selector("#flash")
    assert await agent.inner_text("#status") == code_name("zh-CN", "status", "cancelled")
    told = await desk.chat(OWNER_CHAT)
    assert f"#{case_id}" in told[-1] and "已取消" in told[-1] and "已自行疏通" in told[-1]


async def test_the_board_fits_a_phone_screen(desk: Desk, browser) -> None:
    page = await sign_in(browser, desk, "kf01")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(desk.url + "/board")
    width = await page.locator("body").evaluate("body => body.scrollWidth")
    assert width <= 390


async def test_a_patrol_finds_an_emergency_in_a_shared_area(desk: Desk, browser) -> None:
    page = await sign_in(browser, desk, "kf01")
    await page.goto(desk.url + "/cases/new")
    # Nothing typed: a polite refusal, nothing recorded.
    await page.select_option("#source", "patrol")
    await page.fill("#description", " ")
    await page.click("#create")
    assert "不完整" in await page.inner_text("#form-error")
    async with desk.app.uow() as uow:
        assert await uow.cases.count() == 0
    await page.fill("input[name=place]", "3号楼地下车库")
    await page.fill("#description", "地下车库配电箱冒烟，有焦糊味")
    await page.select_option("#source", "patrol")
    await page.select_option("#kind", "report")
    await page.select_option("#urgency", "emergency")
    await page.select_option("#category", "electrical")
    await page.click("#create")
    await page.wait_for_url(re.compile(r"/cases/\d+"))
    case_id = int(re.search(r"/cases/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    assert "无（公共区域）" in await page.inner_text("#owner")
    assert any(f"#{case_id}" in t for t in await desk.chat("管理处群"))  # the duty group's alarm
    assert any(f"#{case_id}" in t for t in await desk.chat(ENGINEERING_GROUP))
    await page.goto(desk.url + "/board?source=patrol&urgency=emergency")
    assert [await r.get_attribute("data-case") for r in await page.locator("#board tbody tr").all()] == [str(case_id)]
    await page.goto(desk.url + "/board?source=phone")
    assert "没有符合条件的工单" in await page.inner_text("#board")
    async with desk.app.uow() as uow:
        case = await uow.cases.get(case_id)
    assert case is not None and case.source == "patrol" and case.owner_id is None and case.area == "public"
