"""/report in chat (summary text and chart) for the people who run the desk, and the weekly
push to the management group — over the week of known figures in tests/reports/history.py."""

from __future__ import annotations

import struct
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import media
from bot.bootstrap import App
from handlers.kit.messages import Reply, reply_from_dict
from handlers.office.reports import period_of
from services.reports.chat import ChatReporter, weekly_push
from storage import models as m
from tests.harness import People
from tests.notices.conftest import OWNERS, Delivery
from tests.reports.history import local, seed_history

# The figures of the seeded week, as tests/reports/test_report_outputs.py reads them; line 2
# (response and completion times) is checked by its parts.
OPENED = "新增案件 11 件（{before} 1 件）：报事报修 8、投诉 2、有偿服务 1。"
SUMMARY = [
    "超时 3 件（30.0%），返工率 12.5%。",
    "逾期积压：1 件仍未完成且已过时限，最久已超时 2天；工程部 1 件。",
    "回访覆盖：投诉 50.0%（1/2，低于100%标准）；有偿服务 100.0%（1/1）；报事报修 66.7%（4/6，1 件回访中，低于100%标准）。",
    "满意度（7 份回访）：速度 3.86、态度 4.00（满分5），问题解决率 85.7%。",
]
REFUSED_ROLE = "统计报表只对经理、客服主管、工程经理和品质专员开放。"
USAGE = ("用法：/report 查看本周至今；/report 上周；/report 2026-06-01 2026-06-08 查看一段时间（结束日期不含，最长 366 天）。")


async def push_weekly(app: App, now: datetime) -> bool:
    """The scheduler's weekly job: last week's summary to the management group."""
    reporter = ChatReporter(app.settings.media_dir, media.save)
    return await weekly_push(app.uow(), now, reporter, app.settings.default_locale)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def assert_no_owner_data(text: str) -> None:
    for owner in OWNERS:
        assert owner["name"] not in text and owner["phone"] not in text


def chart_of(app: App, reply: Reply) -> bytes:
    [ref] = reply.photos
    assert ref.startswith("media:")
    return media.read(app.settings.media_dir, ref).data


@pytest.fixture
async def seeded(app: App, clock) -> None:
    await seed_history(app, clock)
    clock.set(local(10, 9))  # Wednesday after the seeded week, 09:00


async def test_a_manager_gets_the_summary_and_the_chart(app: App, people: People, office, seeded,
                                                        delivery: Delivery) -> None:
    await people.say("lzy", "/report 2026-06-01 2026-06-08")
    reply = people.chats["lzy"][-1]
    lines = reply.text.splitlines()
    assert lines[0] == "【物业统计】兰亭雅苑 2026-06-01 至 2026-06-07"
    assert lines[1] == OPENED.format(before="上一同期")
    assert "首次响应中位 45 分钟，P90 132 分钟" in lines[2] and "P90 27.5 小时" in lines[2]
    assert lines[3:] == SUMMARY
    assert reply.photos[0].startswith("media:report-lanting-20260601-20260608-")
    assert png_size(chart_of(app, reply)) == (1000, 700)
    assert_no_owner_data(reply.text)
    # The file is in the media directory, and the console shows where.
    assert (app.settings.media_dir / reply.photos[0].removeprefix("media:")).is_file()
    await delivery.run()
    assert delivery.phones.received["lzy"][-1] == reply

    # The same week asked as "last week" reads the same; the chart is the same file.
    await people.say("lzy", "/report 上周")
    assert people.chats["lzy"][-1].text == reply.text and people.chats["lzy"][-1].photos == reply.photos


async def test_this_week_so_far_and_in_english(app: App, people: People, office, seeded) -> None:
    await people.say("zl", "/report")
    lines = people.last("zl").splitlines()
    assert lines[0] == "【物业统计】兰亭雅苑 2026-06-08 至 2026-06-10（截至 6月10日 09:00）"
    # c13 was opened on Monday 06-08; compared with Monday to Wednesday of the week before.
    async with app.uow() as uow:
        before = await uow.session.scalar(select(func.count()).select_from(m.Case).where(
            m.Case.created_at >= local(1, 0), m.Case.created_at < local(4, 0)))
    assert before > 1 and lines[1] == f"新增案件 1 件（上一同期 {before} 件）：报事报修 1。"
    assert png_size(chart_of(app, people.chats["zl"][-1])) == (1000, 700)

    for user in ("mjg", "hp"):  # the engineering manager and the quality inspector may ask too
        await people.say(user, "/report 上周")
        assert people.last(user).startswith("【物业统计】兰亭雅苑 2026-06-01 至 2026-06-07")

    await people.say("lzy", "/lang en")
    await people.say("lzy", "/report 2026-06-01 2026-06-08")
    lines = people.last("lzy").splitlines()
    assert lines[0] == "[Service statistics] 兰亭雅苑 2026-06-01 to 2026-06-07"
    assert lines[1] == "Cases opened: 11 (same days earlier: 1) — Repair / incident 8, Complaint 2, Paid service 1."
    assert lines[4] == "Overdue backlog: 1 still open past their deadline, the oldest 2 days late; Engineering 1."
    assert lines[6] == "Satisfaction (7 callbacks): speed 3.86, attitude 4.00 (out of 5); solved 85.7%."


async def test_others_are_refused_and_nothing_is_drawn(app: App, people: People, office, owners, seeded) -> None:
    for user in ("wq", "lj", "cx"):  # an engineer, a butler, a customer-service agent
        await people.say(user, "/report")
        assert people.last(user) == REFUSED_ROLE and people.chats[user][-1].photos == ()
    await people.say("o1", "/report")
    assert people.last("o1") == "统计报表只对物业管理人员开放。"
    await people.say("stranger", "/report 2026-06-01 2026-06-08")
    assert people.last("stranger") == "统计报表只对物业管理人员开放。"
    assert not app.settings.media_dir.exists() or not any(app.settings.media_dir.iterdir())


async def test_bad_periods_get_the_usage(app: App, people: People, office, seeded) -> None:
    for arg in ("2026-13-01", "2026-02-30", "2026-06-08 2026-06-01", "2026-06-01 2026-06-01", "2025-01-01 2026-06-01",
                "2026-06-01 2026-06-08 2026-06-09", "next week", "x" * 10_000, "🎉"):
        await people.say("lzy", f"/report {arg}")
        assert people.last("lzy") == USAGE, arg
    await people.say("lzy", "/report 2026-07-01")
    assert people.last("lzy") == "开始日期 2026-07-01 还没到，请换一个日期。"
    assert not app.settings.media_dir.exists() or not any(app.settings.media_dir.iterdir())


def test_period_words() -> None:
    wednesday = date(2026, 6, 10)
    assert period_of("", wednesday) == (date(2026, 6, 8), date(2026, 6, 11))
    assert period_of("last", wednesday) == period_of("上周", wednesday) == (date(2026, 6, 1), date(2026, 6, 8))
    assert period_of("2026/6/1 2026.6.8", wednesday) == (date(2026, 6, 1), date(2026, 6, 8))
    assert period_of("2026-06-01", wednesday) == (date(2026, 6, 1), date(2026, 6, 11))
    assert period_of("2025-06-01 2026-06-02", wednesday) == (date(2025, 6, 1), date(2026, 6, 2))  # 366 days
    assert period_of("2025-06-01 2026-06-03", wednesday) is None


async def management_rows(app: App) -> list[tuple[str, str, Reply]]:
    o = m.OutboxMessage
    async with app.uow() as uow:
        rows = (await uow.session.execute(select(o.channel, o.chat_id, o.body).order_by(o.id))).all()
    return [(channel, chat, reply_from_dict(body)) for channel, chat, body in rows
            if chat in ("管理处群", "-1001234567890")]


async def test_the_weekly_push_goes_to_the_management_group_once_a_week(app: App, clock, seeded,
                                                                         delivery: Delivery) -> None:
    async with app.uow() as uow:  # the management team also has a Telegram group
        team_id = await uow.session.scalar(select(m.Team.id).where(m.Team.code == "management"))
        uow.session.add(m.TeamChat(team_id=team_id, channel="telegram", chat_id="-1001234567890"))
        await uow.commit()
    monday = local(8, 9)
    await push_weekly(app, monday)
    rows = await management_rows(app)
    assert [(channel, chat) for channel, chat, _ in rows] == [("console", "管理处群"), ("telegram", "-1001234567890")]
    reply = rows[0][2]
    lines = reply.text.splitlines()
    assert lines[0] == "【物业周报】兰亭雅苑 2026-06-01 至 2026-06-07"
    assert lines[1] == OPENED.format(before="前一周") and lines[3:] == SUMMARY
    assert reply.photos[0].startswith("media:weekly-lanting-20260601-20260608-") and rows[1][2].photos == reply.photos
    assert png_size(chart_of(app, reply)) == (1000, 700)
    assert_no_owner_data(reply.text)

    # Run again (a restart at 09:00, a second process): nothing more.
    await push_weekly(app, monday + timedelta(minutes=5))
    await push_weekly(app, local(12, 18))  # later that week: still the same week, already sent
    assert len(await management_rows(app)) == 2
    # The next Monday reports the next week.
    await push_weekly(app, local(15, 9))
    rows = await management_rows(app)
    assert len(rows) == 4 and rows[2][2].text.startswith("【物业周报】兰亭雅苑 2026-06-08 至 2026-06-14")

    clock.set(local(15, 9, 1))
    await delivery.run()
    assert [r.text[:20] for r in delivery.phones.received["管理处群"]] == [rows[0][2].text[:20], rows[2][2].text[:20]]


async def test_the_weekly_push_without_a_management_group_sends_nothing(app: App, clock, seeded) -> None:
    async with app.uow() as uow:
        team_id = await uow.session.scalar(select(m.Team.id).where(m.Team.code == "management"))
        await uow.session.execute(m.TeamChat.__table__.delete().where(m.TeamChat.team_id == team_id))
        await uow.commit()
    await push_weekly(app, local(8, 9))
    assert await management_rows(app) == []
    media_dir: Path = app.settings.media_dir
    assert not media_dir.exists() or not any(media_dir.iterdir())


async def test_the_weekly_job_meeting_the_database_away_tries_again_a_minute_later(
        app: App, clock, seeded, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot import scheduler as jobs

    real_push, calls = jobs.weekly_push, []

    async def dropped_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args)
        if len(calls) == 1:
            raise ConnectionResetError("connection was closed in the middle of operation")
        return await real_push(*args, **kwargs)

    monkeypatch.setattr(jobs, "weekly_push", dropped_once)
    app.extras["scheduler"] = scheduler = AsyncIOScheduler()  # not started: the job is only planned
    clock.set(local(8, 9))
    await jobs._weekly_report(app)

    assert await management_rows(app) == []
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records if r.name == "wuye.scheduler"] == [
        ("WARNING", "weekly report failed: database unavailable (ConnectionResetError); trying again in 60 s", None)]
    retry = scheduler.get_job(jobs.WEEKLY_RETRY_JOB)
    assert retry is not None
    await retry.func(*retry.args)
    assert [chat for _, chat, _ in await management_rows(app)] == ["管理处群"]  # sent, once
