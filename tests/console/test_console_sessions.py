"""How long a console session lives, and sign-in attempts counted per address, in a real
browser (SQLite and PostgreSQL; the clock is the injected one, nothing sleeps)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage import models as m
from storage.console import ConsoleStore
from tests.console.conftest import Desk, sign_in

ATTACKER, OFFICE = "203.0.113.7", "198.51.100.20"


def _behind_proxy(desk: Desk) -> None:
    """The console behind a reverse proxy on this machine that passes the client's address."""
    desk.app.settings = desk.app.settings.model_copy(update={"web_client_ip_header": "X-Forwarded-For"})


async def _actions(desk: Desk) -> list[tuple[str, str, dict[str, object]]]:
    async with desk.app.uow() as uow:
        return [(e.action, e.remote, dict(e.data)) for e in reversed(await ConsoleStore(uow.session).audit_of())]


async def test_an_idle_session_ends_and_activity_keeps_it_alive(desk: Desk, browser, clock) -> None:
    page = await sign_in(browser, desk, "kf01")
    for _ in range(3):  # 87 minutes of work, a page every 29 minutes: the session slides along
        clock.advance(timedelta(minutes=29))
        await page.goto(desk.url + "/board")
        assert page.url.endswith("/board")
    clock.advance(timedelta(minutes=31))  # a long lunch
    await page.goto(desk.url + "/board")
    assert "/login" in page.url
    assert "30 分钟没有操作" in await page.inner_text("#session-ended")
    await page.goto(desk.url + "/board")  # the old cookie is gone: a plain sign-in page now
    assert page.url.endswith("/login")
    ended = [data for action, _, data in await _actions(desk) if action == "session_ended"]
    assert ended == [{"why": "idle"}]
    async with desk.app.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(m.ConsoleSession)) == 0


async def test_a_session_ends_after_its_lifetime_however_busy(desk: Desk, browser, clock) -> None:
    page = await sign_in(browser, desk, "kf01")
    for _ in range(12 * 60 // 25):  # busy all day: a request every 25 minutes
        clock.advance(timedelta(minutes=25))
        response = await page.request.get(desk.url + "/board", max_redirects=0)
        assert response.status == 200
    clock.advance(timedelta(minutes=25))  # 12 h 5 min after signing in
    await page.goto(desk.url + "/board")
    assert "/login" in page.url
    assert "登录已满 12 小时" in await page.inner_text("#session-ended")
    assert [data for action, _, data in await _actions(desk) if action == "session_ended"] == [{"why": "expired"}]


async def _login_page(browser, desk: Desk, address: str):  # type: ignore[no-untyped-def]
    context = await browser.new_context(extra_http_headers={"X-Forwarded-For": address}, locale="zh-CN")
    page = await context.new_page()
    await page.goto(desk.url + "/login")
    return page, await page.get_attribute("input[name=csrf]", "value")


async def test_many_wrong_codes_from_one_address_refuse_that_address_only(
        desk: Desk, browser, caplog: pytest.LogCaptureFixture) -> None:
    _behind_proxy(desk)
    attacker, csrf = await _login_page(browser, desk, ATTACKER)
    codes = ["gc01", "gc02", "kf01", "kf02", "jl01"]
    for n in range(15):  # three wrong codes each for five staff numbers: no account reaches its limit
        answer = await attacker.request.post(desk.url + "/login/verify", max_redirects=0,
                                             form={"csrf": csrf, "staff": codes[n % 5], "code": f"{n:06d}"})
        assert answer.status == 403
    # gc01's real code, sent to her chat: from this address it is not even looked at now.
    honest, honest_csrf = await _login_page(browser, desk, OFFICE)
    await honest.fill("#staff", "gc01")
    await honest.click("#send-code")
    await honest.wait_for_selector("#code")
    code = await desk.code_for("gc01")
    with caplog.at_level(logging.WARNING, logger="wuye.web"):
        refused = await attacker.request.post(desk.url + "/login/verify", max_redirects=0,
                                              form={"csrf": csrf, "staff": "gc01", "code": code})
    assert refused.status == 429 and "错误次数太多" in await refused.text()
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("wuye.web") and r.levelno >= logging.WARNING]
    assert any(ATTACKER in line for line in ours)  # the address is named; what was typed is not
    assert not any(code in line or "gc01" in line or "13700000201" in line for line in ours)

    # The honest member of staff, at the office's address, signs in with that same code.
    await honest.fill("#code", code)
    await honest.click("#verify")
    await honest.wait_for_url("**/board")
    assert "王强" in await honest.inner_text("#whoami")

    actions = await _actions(desk)
    throttled = [(r, d.get("step")) for a, r, d in actions if a == "login_throttled"]
    assert throttled == [(ATTACKER, "verify")]
    assert sum(1 for a, r, _ in actions if a == "login_refused" and r == ATTACKER) == 15
    assert [r for a, r, _ in actions if a == "signed_in"] == [OFFICE]
    async with desk.app.uow() as uow:
        locked = await uow.session.scalar(select(func.count()).select_from(m.ConsoleGuard)
                                          .where(m.ConsoleGuard.locked_until.is_not(None)))
    assert locked == 0  # nobody's account was locked by one address's guessing


async def test_a_forwarded_address_is_not_believed_unless_configured(desk: Desk, browser) -> None:
    """By default every attempt counts against the connection's address, whatever the client claims."""
    for n in range(15):
        page, csrf = await _login_page(browser, desk, f"192.0.2.{n + 1}")
        answer = await page.request.post(desk.url + "/login/verify", max_redirects=0,
                                         form={"csrf": csrf, "staff": "gc01", "code": f"{n:06d}"})
        assert answer.status == 403
    page, csrf = await _login_page(browser, desk, "192.0.2.99")
    answer = await page.request.post(desk.url + "/login/verify", max_redirects=0,
                                     form={"csrf": csrf, "staff": "gc02", "code": "123456"})
    assert answer.status == 429
    assert {r for a, r, _ in await _actions(desk) if a.startswith("login_")} == {"127.0.0.1"}
