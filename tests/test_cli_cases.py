"""`wuye cases` read by an office operator, run as a real process on both databases:
local times with the zone, Chinese labels (English with --lang en), names not ids,
room, fee, photo count; owners masked; an unknown --status refused with the list."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import update

from bot.bootstrap import App
from storage import models as m
from tests.conftest import ROOT
from tests.reports.history import seed_history


def wuye(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "bot", "cases", *args], capture_output=True, text=True,
                          env=environ, cwd=ROOT, timeout=120)


async def _seeded(app: App, clock) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ids = await seed_history(app, clock)
    async with app.uow() as uow:
        room = await uow.directory.room((await uow.directory.community()).id, "1-1-101")
        await uow.session.execute(update(m.Case).where(m.Case.id == ids["c1"]).values(
            fee_cents=5050, photos=["file-a", "file-b"], room_id=room.id))
        await uow.commit()
    return ids


async def test_the_list_in_chinese_and_in_english(app: App, clock, database_url: str) -> None:  # type: ignore[no-untyped-def]
    ids = await _seeded(app, clock)
    zh = wuye(database_url, "--limit", "100")
    assert zh.returncode == 0, zh.stderr
    lines = zh.stdout.splitlines()
    assert lines[0] == "时间为 Asia/Shanghai 当地时间（UTC+08:00）"
    assert lines[1].startswith("编号 | 登记时间 | 类型/类别")
    c1 = next(line for line in lines if line.startswith(f"#{ids['c1']} |"))
    # 09:00 in Shanghai (01:00 UTC), labels, the engineer's name, room, fee, photos.
    assert c1.startswith(f"#{ids['c1']} | 2026-06-01 09:00 | 报事报修/")
    for part in ("加急", "已回访", "工程部 · 王强", "1-1-101", "¥50.50", "2张"):
        assert part in c1, (part, c1)
    c9 = next(line for line in lines if line.startswith(f"#{ids['c9']} |"))
    assert "未指派" in c9 and "待接单" in c9
    assert "张伟" not in zh.stdout and "13800000001" not in zh.stdout  # masked as elsewhere
    assert "staff" not in zh.stdout and "engineering" not in zh.stdout  # no ids or codes

    en = wuye(database_url, "--lang", "en", "--status", "surveyed")
    assert en.returncode == 0, en.stderr
    lines = en.stdout.splitlines()
    assert lines[0] == "Times are local to Asia/Shanghai (UTC+08:00)"
    c1 = next(line for line in lines if line.startswith(f"#{ids['c1']} |"))
    for part in ("2026-06-01 09:00", "Engineering · 王强", "1-1-101", "¥50.50", "2 photo(s)", "called back"):
        assert part in c1, (part, c1)
    assert all("called back" in line for line in lines[2:])  # only that status


async def test_one_case_with_its_timeline(app: App, clock, database_url: str) -> None:  # type: ignore[no-untyped-def]
    ids = await _seeded(app, clock)
    result = wuye(database_url, str(ids["c1"]))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"工单 #{ids['c1']}：" in out and "房号：1-1-101" in out and "业主：张*" in out
    assert "费用：¥50.50　照片：2张" in out and "处理人：王强" in out
    assert "描述：卫生间漏水，我是张*，电话138****0001" in out
    assert "  2026-06-01 09:00  受理（业主 张*）" in out
    assert "  2026-06-01 09:30  接单（王强）" in out
    assert "张伟" not in out and "13800000001" not in out


async def test_status_values_are_in_help_and_an_unknown_one_is_refused(app: App, database_url: str) -> None:
    shown = wuye(database_url, "--help")
    assert shown.returncode == 0
    for value in ("open", "dispatched", "accepted", "in_progress", "done", "closed", "surveyed", "cancelled"):
        assert value in shown.stdout
    refused = wuye(database_url, "--status", "finished")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "没有“finished”这个状态" in refused.stderr and "surveyed 已回访" in refused.stderr
    assert wuye(database_url, "--status", "Surveyed").returncode == 0  # case does not matter
