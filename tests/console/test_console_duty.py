"""The console's duty roster page (值班) in a real Chromium, on SQLite and PostgreSQL: a
supervisor swaps 孙浩 out of Saturday's night shift for 王强 — previewed, confirmed, audited,
told to the engineering group — and the emergency at 03:00 goes to 王强; an engineer sees
the week without the form and a forged or foreign post is refused and recorded."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.bootstrap import load_community_file
from storage import models as m
from tests.conftest import EXAMPLE_COMMUNITY
from tests.console.conftest import ENGINEERING_GROUP, Desk, sign_in
from tests.harness import People
from tests.staff.test_dispatch_modes import DISPATCH, SUNDAY_3AM, open_case
from tests.staff.test_duty_roster import SATURDAY_10AM, TONIGHT


async def _rostered(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "community.yaml"
    path.write_text(EXAMPLE_COMMUNITY.read_text(encoding="utf-8") + DISPATCH, encoding="utf-8")
    await load_community_file(desk.app, str(path))


async def _count(desk: Desk, model: type, *where: object) -> int:
    async with desk.app.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_a_supervisor_swaps_the_night_shift_and_the_3am_emergency_follows(
        desk: Desk, browser, tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    await _rostered(desk, tmp_path)
    clock.set(SATURDAY_10AM)
    page = await sign_in(browser, desk, "kf02")  # 赵丽, customer service supervisor
    await page.click("text=值班")
    await page.wait_for_url("**/duty")
    assert "20:00–08:00 孙浩（工程部）、张勇（秩序部）" in await page.inner_text("#duty-week")

    await page.select_option("#duty-op", "swap")
    await page.select_option("#duty-day", "2026-06-06")
    await page.select_option("#duty-shift", "20:00-08:00")
    await page.select_option("#duty-who", label="孙浩（工程部）")
    await page.select_option("#duty-with", label="王强（工程部）")
    await page.click("#duty-preview")
    confirm = await page.inner_text("#duty-confirm")
    assert f"王强 值班：{TONIGHT}" in confirm and f"孙浩 不值班：{TONIGHT}" in confirm
    assert await _count(desk, m.RosterChange) == 0  # a preview saves nothing
    await page.click("#duty-save")
    await page.wait_for_url("**/duty?msg=duty_saved")
    assert "值班变更已保存" in await page.inner_text("#flash")
    assert "20:00–08:00 张勇（秩序部）、王强（工程部）" in await page.inner_text("#duty-week")
    assert f"王强 值班：{TONIGHT}（赵丽）" in await page.inner_text("#duty-changes")
    assert f"🗓️ 值班变更：\n王强 值班：{TONIGHT}\n孙浩 不值班：{TONIGHT}\n（赵丽 调整）" in await desk.chat(ENGINEERING_GROUP)
    assert await _count(desk, m.AuditEntry, m.AuditEntry.action == "duty_changed",
                        m.AuditEntry.staff_id == desk.staff["kf02"]) == 1

    clock.set(SUNDAY_3AM)
    case_id = await open_case(desk.app, People(desk.app), kind="report", urgency="emergency", category="plumbing",
                              area="home", description="水管爆裂")
    async with desk.app.uow() as uow:
        case = await uow.cases.get(case_id)
    assert case is not None and case.details["offer"]["staff"] == desk.staff["gc01"]


async def test_an_engineer_sees_the_week_but_cannot_change_it(desk: Desk, browser, tmp_path: Path,
                                                               clock) -> None:  # type: ignore[no-untyped-def]
    await _rostered(desk, tmp_path)
    clock.set(SATURDAY_10AM)
    page = await sign_in(browser, desk, "gc01")
    await page.goto(desk.url + "/duty")
    assert "孙浩" in await page.inner_text("#duty-week")
    assert await page.locator("#duty-form").count() == 0
    csrf = await page.input_value("header input[name=csrf]")
    form = {"csrf": csrf, "op": "off", "day": "2026-06-06", "shift": "night", "who": str(desk.staff["gc02"]),
            "do": "save"}
    refused = await page.request.post(desk.url + "/duty", form=form)
    assert refused.status == 403
    forged = await page.request.post(desk.url + "/duty", form={**form, "csrf": "forged"})
    assert forged.status == 403
    assert await _count(desk, m.RosterChange) == 0
    assert await _count(desk, m.AuditEntry, m.AuditEntry.action == "refused") == 1
    assert await _count(desk, m.AuditEntry, m.AuditEntry.action == "csrf_refused") == 1


async def test_a_supervisor_s_incomplete_or_impossible_change_is_answered_on_the_page(
        desk: Desk, browser, tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    await _rostered(desk, tmp_path)
    clock.set(SATURDAY_10AM)
    page = await sign_in(browser, desk, "kf02")
    await page.goto(desk.url + "/duty")
    await page.select_option("#duty-op", "swap")
    await page.select_option("#duty-who", label="孙浩（工程部）")  # no replacement chosen
    await page.click("#duty-preview")
    assert "请选好调整方式" in await page.inner_text("#duty-error")
    csrf = await page.input_value("header input[name=csrf]")
    past = await page.request.post(desk.url + "/duty", form={
        "csrf": csrf, "op": "off", "day": "2026-06-05", "shift": "08:00-09:00", "who": str(desk.staff["gc02"]),
        "do": "save"})
    assert past.status == 400 and "不能保存" in await past.text()
    assert await _count(desk, m.RosterChange) == 0
