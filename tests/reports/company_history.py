"""A company of four communities with known figures for the week of tests/reports/history.py.

    lanting   兰亭雅苑  Asia/Shanghai  the week of history.py (c1…c13): 11 cases opened in it
    meilin    梅林花园  Asia/Shanghai  the same staff (same codes and phones) but 赵丽, who has
                                      another phone here; the cases below
    songyuan  松园      Asia/Tokyo     staff with the same codes but other phones (other people);
                                      one case opened in Tokyo's week, one just after it
    zhuyuan   竹园      Asia/Shanghai  林志远 (jl01) is a butler here, not the manager, and 赵丽 has
                                      another phone; no cases

meilin (minutes after opening):
    b1  report/plumbing/normal     engineering  06-02 09:00  accept +10   done +100   confirm +120
        callback answered +300 5/5 solved
    b2  complaint/general/normal   customer_s.  06-03 09:00  accept +200  done +3000  confirm +3100
        callback answered +3300 3/3 solved
    b3  report/building/normal     engineering  06-06 09:00  never accepted: response due 06-07 09:00
        (late at the week's end), completion due 06-09 09:00 (after the week's end: not yet late)
    b4  report/plumbing/normal     engineering  06-08 00:10  after the week (Shanghai)
    b5  report/plumbing/normal     engineering  05-31 23:50  before the week (Shanghai)

songyuan (Tokyo time):
    s1  report/building/normal     engineering  06-01 00:30  never accepted: response due 06-02 00:30,
        completion due 06-04 00:30 → late on both at the week's end (Shanghai 05-31 23:30: before
        the Shanghai week, inside Tokyo's)
    s2  report/building/normal     engineering  06-08 00:30  after Tokyo's week (Shanghai 06-07 23:30)
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.bootstrap import App, load_community_file
from cases.clock import FakeClock
from tests.conftest import EXAMPLE_COMMUNITY
from tests.reports.history import Desk, Script, local, seed_history

TOKYO = ZoneInfo("Asia/Tokyo")
NAMES = {"lanting": "兰亭雅苑", "meilin": "梅林花园", "songyuan": "松园", "zhuyuan": "竹园"}


def community_file(folder: Path, code: str, *, timezone_: str = "Asia/Shanghai",
                   other_phones: set[str] = frozenset(), roles: dict[str, str] | None = None) -> Path:
    """The demo community file under another code and name; staff with codes in `other_phones`
    get another phone (another person), `roles` changes staff roles by code."""
    spec = yaml.safe_load(EXAMPLE_COMMUNITY.read_text(encoding="utf-8"))
    spec["community"].update(code=code, name=NAMES[code])
    spec["policy"]["timezone"] = timezone_
    for person in spec["staff"]:
        if person["code"] in other_phones or "*" in other_phones:
            person["phone"] = "139" + person["phone"][3:]
        person["role"] = (roles or {}).get(person["code"], person["role"])
    path = folder / f"{code}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def tokyo(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=TOKYO).astimezone(timezone.utc)


async def seed_company(app: App, clock: FakeClock, folder: Path) -> dict[str, int]:
    """Load the three other communities beside the demo one and play every case above."""
    for path in (community_file(folder, "meilin", other_phones={"kf02"}),
                 community_file(folder, "songyuan", timezone_="Asia/Tokyo", other_phones={"*"}),
                 community_file(folder, "zhuyuan", other_phones={"kf02"}, roles={"jl01": "butler"})):
        await load_community_file(app, str(path))
    ids = await seed_history(app, clock)

    meilin = Desk(app, clock)
    await meilin.load("meilin")
    b1 = Script("report", "plumbing", "normal", "engineering", local(2, 9), area="home", staff="王强",
                accept=10, done=100, confirm=120)
    ids["b1"] = await meilin.play(b1)
    await meilin.callback(ids["b1"], 1, b1.opened + timedelta(minutes=300), solved=True, speed=5, attitude=5)
    b2 = Script("complaint", "general", "normal", "customer_service", local(3, 9), staff="李静",
                accept=200, done=3000, confirm=3100)
    ids["b2"] = await meilin.play(b2)
    await meilin.callback(ids["b2"], 1, b2.opened + timedelta(minutes=3300), solved=True, speed=3, attitude=3)
    ids["b3"] = await meilin.play(Script("report", "building", "normal", "engineering", local(6, 9)))
    ids["b4"] = await meilin.play(Script("report", "plumbing", "normal", "engineering", local(8, 0, 10)))
    ids["b5"] = await meilin.play(Script("report", "plumbing", "normal", "engineering", local(31, 23, 50, month=5)))

    songyuan = Desk(app, clock)
    await songyuan.load("songyuan")
    ids["s1"] = await songyuan.play(Script("report", "building", "normal", "engineering", tokyo(1, 0, 30)))
    ids["s2"] = await songyuan.play(Script("report", "building", "normal", "engineering", tokyo(8, 0, 30)))
    clock.set(local(10, 9))  # the report is run two days after the week
    return ids
