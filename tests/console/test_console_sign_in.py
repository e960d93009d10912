"""Signing in to the console and what it refuses, in a real browser over real HTTP."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from cases.lifecycle import Actor, Case
from storage import models as m
from storage.console import ConsoleStore
from web.auth import hash_password
from tests.console.conftest import DOCS, Desk, sign_in


async def _open(desk: Desk, *, urgency: str, category: str, team: str, text: str, room: str | None = None) -> int:
    async with desk.app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        room_row = await uow.directory.room(community.id, room) if room else None
        case = Case.open(kind="report", urgency=urgency, category=category, area="public" if not room else "home",
                         now=desk.app.now(), by=Actor("owner", desk.owner_id), description=text,
                         community_id=community.id, owner_id=desk.owner_id, room_id=room_row.id if room_row else None,
                         place="" if room else "2号楼大堂")
        case.dispatch(team, desk.app.now(), community.policy)
        case_id = await uow.cases.add(case)
        await uow.commit()
    return case_id


async def test_code_sign_in_and_the_board_with_an_overdue_emergency_on_top(desk: Desk, browser, clock) -> None:
    calm = await _open(desk, urgency="normal", category="plumbing", team="engineering", text="阳台地漏有点慢", room="1-1-101")
    fire = await _open(desk, urgency="emergency", category="elevator", team="engineering", text="电梯困人，有人在里面")
    clock.advance(timedelta(minutes=20))  # past the emergency's 15-minute response deadline
    page = await sign_in(browser, desk, "kf01")
    first = page.locator("#board tbody tr").first
    assert await first.get_attribute("data-case") == str(fire)
    assert "已超时" in await first.inner_text() and "紧急" in await first.inner_text()
    second = page.locator("#board tbody tr").nth(1)
    assert await second.get_attribute("data-case") == str(calm)
    assert "已超时" not in await second.inner_text()
    # The owner's name and number are masked on the board.
    board_text = await page.inner_text("#board")
    assert "13800000001" not in board_text and "张伟" not in board_text
    assert "工程部 2" in await page.inner_text("#team-counts")
    DOCS.mkdir(exist_ok=True)
    await page.screenshot(path=str(DOCS / "console-board.png"), full_page=True)
    # Searching by room finds the calm one only.
    await page.goto(desk.url + "/board?q=1-1-101")
    assert await page.locator("#board tbody tr").count() == 1


async def test_no_session_is_sent_to_the_sign_in_page(desk: Desk, browser) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    for path in ("/board", "/cases/1", "/stats", "/cases/new", "/notices", "/callbacks"):
        await page.goto(desk.url + path)
        assert page.url.endswith("/login"), path
        assert "员工登录" in await page.inner_text("h1")


async def test_a_replayed_code_is_refused(desk: Desk, browser) -> None:
    page = await sign_in(browser, desk, "kf01")
    code = await desk.code_for("kf01")
    other = await (await browser.new_context()).new_page()
    await other.goto(desk.url + "/login")
    await other.fill("#staff", "kf01")
    await other.click("#send-code")
    # Someone types the code already used (seen over a shoulder) before the new one.
    await other.fill("#code", code)
    await other.click("#verify")
    assert "已经用过" in await other.inner_text("#login-error")
    await other.goto(desk.url + "/board")
    assert other.url.endswith("/login")
    assert page.url.endswith("/board")


async def test_twenty_wrong_codes_lock_the_account(desk: Desk, browser) -> None:
    # From two addresses (behind the office's proxy): one address alone is refused after 15
    # wrong attempts, before it could lock anyone's account (test_console_sessions.py).
    desk.app.settings = desk.app.settings.model_copy(update={"web_client_ip_header": "X-Forwarded-For"})
    for address in ("203.0.113.7", "203.0.113.8"):
        page = await (await browser.new_context(extra_http_headers={"X-Forwarded-For": address})).new_page()
        await page.goto(desk.url + "/login")
        await page.fill("#staff", "gc01")
        await page.click("#send-code")
        right = await desk.code_for("gc01")
        wrong = "000000" if right != "000000" else "111111"
        for _ in range(10):
            await page.fill("#code", wrong)
            await page.click("#verify")
            await page.wait_for_selector("#login-error")
    assert "锁定" in await page.inner_text("#login-error")
    # Now even the right code is refused, for a while.
    await page.fill("#code", right)
    await page.click("#verify")
    assert "锁定" in await page.inner_text("#login-error")
    await page.goto(desk.url + "/board")
    assert page.url.endswith("/login")
    async with desk.app.uow() as uow:
        refused = await uow.session.scalar(select(func.count()).select_from(m.AuditEntry)
                                           .where(m.AuditEntry.action == "login_refused"))
        sessions = await uow.session.scalar(select(func.count()).select_from(m.ConsoleSession))
    assert refused == 21 and sessions == 0


async def test_an_engineer_cannot_open_another_teams_case(desk: Desk, browser) -> None:
    theirs = await _open(desk, urgency="normal", category="security", team="security", text="车库门口有人乱停车")
    ours = await _open(desk, urgency="normal", category="plumbing", team="engineering", text="水管滴水", room="1-1-101")
    page = await sign_in(browser, desk, "gc01")
    ids = [await r.get_attribute("data-case") for r in await page.locator("#board tbody tr").all()]
    assert ids == [str(ours)]
    response = await page.goto(desk.url + f"/cases/{theirs}")
    assert response is not None and response.status == 403
    assert "没有权限" in await page.inner_text("#refused")
    assert "乱停车" not in await page.content()
    async with desk.app.uow() as uow:
        refused = await uow.session.scalar(select(func.count()).select_from(m.AuditEntry)
                                           .where(m.AuditEntry.action == "refused"))
    assert refused == 1


async def test_a_forged_csrf_token_is_refused_and_changes_nothing(desk: Desk, browser) -> None:
    case_id = await _open(desk, urgency="normal", category="plumbing", team="engineering", text="水管滴水", room="1-1-101")
    page = await sign_in(browser, desk, "kf01")
    await page.goto(desk.url + f"/cases/{case_id}")
    await page.eval_on_selector("#form-cancel input[name=csrf]", "el => el.value = 'forged-token'")
    await page.fill("#form-cancel input[name=reason]", "业主说不用修了")
    await page.click("#form-cancel button")
    assert "页面已过期" in await page.inner_text("#refused")
    async with desk.app.uow() as uow:
        case = await uow.cases.get(case_id)
        forged = await uow.session.scalar(select(func.count()).select_from(m.AuditEntry)
                                          .where(m.AuditEntry.action == "csrf_refused"))
    assert case is not None and case.status == "dispatched" and forged == 1


async def test_staff_without_a_chat_sign_in_with_the_operators_password(desk: Desk, browser) -> None:
    async with desk.app.uow() as uow:
        sid = await uow.session.scalar(select(m.Staff.id).where(m.Staff.code == "gc03"))
        await ConsoleStore(uow.session).set_password(sid, hash_password("correct horse battery"), desk.app.now())
        await uow.commit()
    page = await (await browser.new_context()).new_page()
    await page.goto(desk.url + "/login")
    form = page.locator("form[action='/login/password']")
    await form.locator("input[name=staff]").fill("gc03")
    await form.locator("input[name=password]").fill("wrong horse battery")
    await form.locator("button").click()
    assert "不对" in await page.inner_text("#login-error")
    await page.goto(desk.url + "/login")
    await form.locator("input[name=staff]").fill("gc03")
    await form.locator("input[name=password]").fill("correct horse battery")
    await form.locator("button").click()
    await page.wait_for_url("**/board")
    assert "孙浩" in await page.inner_text("header")
    cookie = next(c for c in await page.context.cookies() if c["name"] == "wuye_session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    async with desk.app.uow() as uow:
        stored = await uow.session.scalar(select(m.ConsoleSession.token_hash))
        how = [e.data.get("how") for e in await ConsoleStore(uow.session).audit_of() if e.action == "signed_in"]
    assert stored != cookie["value"] and how == ["password"]  # only the token's digest is kept


async def test_sessions_expire_and_sign_out_ends_them(desk: Desk, browser, clock) -> None:
    page = await sign_in(browser, desk, "kf01")
    await page.goto(desk.url + "/board?lang=en")
    assert "All open cases" in await page.inner_text("h1")  # English second, from the same catalogues
    await page.goto(desk.url + "/board")
    assert "All open cases" in await page.inner_text("h1")  # the choice is kept
    clock.advance(timedelta(hours=12, minutes=1))
    await page.goto(desk.url + "/board")
    assert page.url.endswith("/login?ended=expired")

    page = await sign_in(browser, desk, "kf01")
    await page.click("header form button")  # sign out
    await page.wait_for_url("**/login")
    await page.goto(desk.url + "/board")
    assert page.url.endswith("/login")
    async with desk.app.uow() as uow:
        actions = [e.action for e in await ConsoleStore(uow.session).audit_of()]
    assert actions.count("signed_in") == 2 and "signed_out" in actions


async def test_board_search_by_phone_and_filter_by_building(desk: Desk, browser) -> None:
    home = await _open(desk, urgency="normal", category="plumbing", team="engineering", text="水管滴水", room="1-1-101")
    lobby = await _open(desk, urgency="urgent", category="facility", team="engineering", text="2号楼大堂灯不亮")
    page = await sign_in(browser, desk, "kf01")

    async def shown(query: str) -> list[str]:
        await page.goto(desk.url + "/board?" + query)
        return [await r.get_attribute("data-case") or "" for r in await page.locator("#board tbody tr[data-case]").all()]

    assert sorted(await shown("q=0001")) == sorted([str(home), str(lobby)])  # the owner's last digits
    assert await shown("q=13800000001") != []  # the whole number finds the owner's cases too
    assert await shown(f"q=%23{home}") == [str(home)]  # "#12" as staff say it
    assert await shown("building=1") == [str(home)]  # the lobby case has a place, not a room
    assert await shown("building=9") == []
    assert await shown("team=nonsense") == await shown("")  # an unknown filter value is ignored
