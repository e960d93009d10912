"""The duty roster changed by a supervisor in chat (issue 20's gap), on SQLite and
PostgreSQL, through the desk with a moved clock: 孙浩 is taken off tonight and 王强 put
on, and the emergency at 03:00 goes to 王强 on every chat he has; the change is
confirmed before it is saved, told to the team group, kept across a restart and a reload
of the community file (unless the file says `clear_changes`), and seen by another
process at once.  Butlers, strangers and malformed buttons get polite answers.

The community file is the demo's with `tests.staff.test_dispatch_modes.DISPATCH`:
Saturday's night shift 20:00–08:00 is 孙浩 (gc03) and 张勇 (ba01)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App, build_app, load_community_file
from handlers.kit.payloads import Duty, encode
from services import roster
from storage import models as m
from tests.conftest import EXAMPLE_COMMUNITY, make_settings
from tests.harness import People
from tests.staff.conftest import ENGINEERING, SECURITY, Crew, the_case
from tests.staff.test_dispatch_modes import DISPATCH, SUNDAY_3AM, open_case

SATURDAY_10AM = datetime(2026, 6, 6, 2, 0, tzinfo=timezone.utc)
TONIGHT = "6月6日（周六）20:00 至 6月7日（周日）08:00"


@pytest.fixture
def community_file(tmp_path: Path) -> Path:
    path = tmp_path / "community.yaml"
    path.write_text(EXAMPLE_COMMUNITY.read_text(encoding="utf-8") + DISPATCH, encoding="utf-8")
    return path


@pytest.fixture
async def rostered(app: App, community_file: Path, clock) -> App:  # type: ignore[no-untyped-def]
    await load_community_file(app, str(community_file))
    clock.set(SATURDAY_10AM)
    return app


@pytest.fixture
async def people(rostered: App) -> People:
    return People(rostered)


async def changes_stored(app: App) -> int:
    async with app.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(m.RosterChange)) or 0)


async def on_duty(app: App) -> tuple[str, ...]:
    async with app.uow() as uow:
        community = await uow.directory.community()
        duty = await roster.roster_at(uow, community, app.now())
        return duty.on_duty(app.now(), community.policy.timezone)


async def test_taken_off_tonight_and_replaced_the_3am_emergency_goes_to_the_replacement(
        rostered: App, people: People, crew: Crew, clock) -> None:  # type: ignore[no-untyped-def]
    async with rostered.uow() as uow:  # 王强 uses WeCom too
        await uow.directory.bind("wecom", "WangQiang", "WangQiang", now=rostered.now(), staff_id=crew["wq"])
        await uow.commit()
    await people.say("mjg", "/duty")
    week = people.last("mjg")
    assert "6月6日（周六）：20:00–08:00 孙浩（工程部）、张勇（秩序部）" in week
    assert [b.text for row in people.chats["mjg"][-1].buttons for b in row] == ["🔁 替班", "🚫 不在", "➕ 加人"]

    # In words: 孙浩 off tonight.  Nothing is saved before the confirmation.
    await people.say("mjg", "/duty 孙浩 今晚不在")
    assert f"孙浩 不值班：{TONIGHT}" in people.last("mjg")
    assert await changes_stored(rostered) == 0
    await people.press("mjg", "确认变更")
    assert "值班变更已保存" in people.last("mjg")
    assert people.last(ENGINEERING) == f"🗓️ 值班变更：\n孙浩 不值班：{TONIGHT}\n（马建国 调整）"
    assert people.last("sh") == f"🗓️ 您的值班有变更：孙浩 不值班：{TONIGHT}（马建国 调整）"
    assert not people.chats[SECURITY]  # 张勇's shift did not change: the security group hears nothing

    # With buttons: 王强 on for the same night shift.
    await people.say("mjg", "/duty")
    await people.press("mjg", "➕ 加人")
    await people.press("mjg", "6月6日（周六）")
    await people.press("mjg", "20:00–08:00")
    offered = [b.text for row in people.chats["mjg"][-1].buttons for b in row]
    # His own team's people not on duty then (孙浩 again, now that he is off); not 张勇 (security, on duty).
    assert offered[:4] == ["王强", "刘洋", "孙浩", "马建国"] and "张勇" not in offered
    await people.press("mjg", "王强")
    assert f"王强 值班：{TONIGHT}" in people.last("mjg")
    await people.press("mjg", "确认变更")
    assert await changes_stored(rostered) == 2
    await people.say("zy", "/duty")
    assert "20:00–08:00 张勇（秩序部）、王强（工程部）" in people.last("zy")
    assert f"王强 值班：{TONIGHT}（马建国）" in people.last("zy")  # who made it, in the week's list

    clock.set(SUNDAY_3AM)
    case_id = await open_case(rostered, people, kind="report", urgency="emergency", category="plumbing",
                              area="home", description="水管爆裂，满屋是水")
    case = await the_case(rostered, case_id)
    assert (case.details["offer"]["staff"], case.details["offer"]["mode"]) == (crew["wq"], "duty")
    for chat in ("wq", "WangQiang"):  # every chat 王强 has
        assert f"工单 #{case_id} 派给您（值班）" in people.last(chat)
    assert not any(f"#{case_id}" in text for text in people.texts("sh"))
    await people.say("zy", "/duty")
    assert people.last("zy").startswith("🛡️ 当前值班：张勇（秩序部）、王强（工程部）")


async def test_a_typed_swap_survives_a_restart_is_seen_by_another_process_and_a_reload(
        rostered: App, people: People, crew: Crew, clock, database_url: str,  # type: ignore[no-untyped-def]
        community_file: Path) -> None:
    other = await build_app(make_settings(database_url), clock, run_migrations=False)  # a second process's desk
    try:
        assert await on_duty(other) == ()  # Saturday 10:00, before the change: nobody
        await people.say("mjg", "/duty 王强 替 孙浩 周六夜班")
        confirm = people.last("mjg")
        assert f"王强 值班：{TONIGHT}" in confirm and f"孙浩 不值班：{TONIGHT}" in confirm
        await people.press("mjg", "确认变更")
        clock.set(SUNDAY_3AM)
        # The other desk, its engine opened before the change, sees it at once.
        assert await on_duty(other) == ("ba01", "gc01")
        case_id = await open_case(other, People(other), kind="report", urgency="emergency", category="plumbing",
                                  area="home", description="水管爆裂")
        assert (await the_case(other, case_id)).details["offer"]["staff"] == crew["wq"]
    finally:
        await other.close()

    await rostered.close()
    restarted = await build_app(make_settings(database_url), clock, run_migrations=True)
    try:
        assert await on_duty(restarted) == ("ba01", "gc01")
        await load_community_file(restarted, str(community_file))  # a reload keeps the changes
        assert await on_duty(restarted) == ("ba01", "gc01")
        community_file.write_text(community_file.read_text(encoding="utf-8").replace(
            "\n    exceptions:\n      - {date: 2026-06-01", "\n    clear_changes: true\n    exceptions:\n"
            "      - {date: 2026-06-01"), encoding="utf-8")
        await load_community_file(restarted, str(community_file))  # unless the file says so
        assert await on_duty(restarted) == ("gc03", "ba01")
        assert await changes_stored(restarted) == 0
    finally:
        await restarted.close()


async def test_butlers_strangers_and_bad_buttons_are_answered_politely_and_change_nothing(
        rostered: App, people: People, crew: Crew) -> None:
    await people.say("lj", "/duty")  # a butler sees the week, without the buttons to change it
    assert "本周值班" in people.last("lj") and not people.chats["lj"][-1].buttons
    await people.say("lj", "/duty 孙浩 今晚不在")
    assert "只有主管" in people.last("lj")
    pressed = await people.raw_press("lj", encode(Duty("swap")), chat=ENGINEERING, group=True)
    assert "只有主管" in (pressed.answer or "")
    stranger = await people.raw_press("x9", encode(Duty("off")), chat=ENGINEERING, group=True)
    assert "只给物业工作人员" in (stranger.answer or "") and not people.chats[ENGINEERING]
    for forged in ("1|d|", "1|d|bogus", "1|d|swap|7", "9|d|swap"):
        out = await people.raw_press("mjg", forged)
        assert out.answer == "这个按钮已过期，请使用最新的消息。", forged
    # The engineering manager may not move the security guard; words he cannot read get the usage.
    await people.say("mjg", "/duty 张勇 今晚不在")
    assert "张勇属于秩序部，不在您管辖的部门" in people.last("mjg")
    await people.say("mjg", "/duty 随便说说")
    assert people.last("mjg").startswith("用法：/duty")
    # Someone else pressing the supervisor's own flow buttons: expired, and the flow goes on.
    await people.say("mjg", "/duty 孙浩 今晚不在")
    confirm = people.button("mjg", "确认变更")
    assert (await people.raw_press("zy", confirm)).answer == "这个按钮已过期，请使用最新的消息。"
    # A typed answer that is not a yes keeps the question; "取消" drops it, nothing saved.
    await people.say("mjg", "嗯？")
    assert "确认变更" in people.last("mjg")
    await people.say("mjg", "取消")
    assert await changes_stored(rostered) == 0
    assert await on_duty(rostered) == ()  # Saturday 10:00: nobody is rostered


async def test_a_change_made_in_another_os_process_routes_the_next_emergency_at_once(
        rostered: App, people: People, crew: Crew, clock, database_url: str,  # type: ignore[no-untyped-def]
        tmp_path: Path) -> None:
    """马建国 works in `wuye shell`, a separate OS process on the same database with the real
    clock; this process, already running, opens tomorrow's 03:00 emergency afterwards."""
    zone = ZoneInfo("Asia/Shanghai")
    tomorrow = datetime.now(zone).date() + timedelta(days=1)
    tomorrow_3am = datetime.combine(tomorrow, time(3), tzinfo=zone).astimezone(timezone.utc)
    clock.set(tomorrow_3am)
    assert "gc01" not in await on_duty(rostered)  # warm: this process has read the roster before
    session = "\n".join(["/as staff 马建国", "/duty 王强 明天值班", "全天", "确认", "/quit"]) + "\n"
    env = {**os.environ, "DATABASE_URL": database_url, "COMMUNITY_FILE": str(EXAMPLE_COMMUNITY),
           "MEDIA_DIR": str(tmp_path / "media")}
    shell = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot", "shell"], input=session,
                                    capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180)
    assert "值班变更已保存" in shell.stdout, shell.stdout[-2000:] + shell.stderr[-2000:]
    assert "Traceback" not in shell.stderr
    assert "gc01" in await on_duty(rostered)
    case_id = await open_case(rostered, people, kind="report", urgency="emergency", category="plumbing",
                              area="home", description="水管爆裂")
    case = await the_case(rostered, case_id)
    assert (case.details["offer"]["staff"], case.details["offer"]["mode"]) == (crew["wq"], "duty")


async def test_staff_typing_duty_words_in_private_see_the_roster_and_owners_do_not(
        rostered: App, people: People, crew: Crew) -> None:
    await people.say("lj", "/duty")
    week = people.last("lj")
    for words in ("值班", "谁值班？", "排班"):
        await people.say("lj", words)
        assert people.last("lj") == week, words  # the /duty view, not the staff help
    await people.say("x9", "值班")  # a stranger's words go the owners' way, never to the roster
    assert "本周值班" not in people.all_text("x9")
