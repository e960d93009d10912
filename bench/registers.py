"""How long an office's owner register takes to read, preview and apply (`wuye load-owners`).

    python bench/registers.py [--homes N] [--pg] [--pg-url URL]

Makes a community of about N homes (default 10,000: 25 buildings of 2 units, 25 floors
and 8 rooms a floor; N is rounded down to whole buildings of 400), and a register of one owner per home as Chinese Excel saves it
(GBK CSV, split 楼栋/单元/房号 columns) and as .xlsx; then times reading each, the first
import (plan + apply, every row new), and a second import a month later in which 1% of
the homes changed owner and 1% of names were corrected (plan + apply).  Checks that the
database holds exactly the register afterwards.  SQLite by default; --pg uses a scratch
PostgreSQL database it creates and drops.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import openpyxl  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.measure import rss_mb  # noqa: E402
from bot.bootstrap import build_app, load_community_file  # noqa: E402
from bot.registers import apply_register  # noqa: E402
from bot.settings import Settings  # noqa: E402
from cases.clock import FakeClock  # noqa: E402
from storage import models as m  # noqa: E402
from storage import register  # noqa: E402
from storage.loader import plan_register, register_rooms  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


def community_yaml(homes: int) -> str:
    floors = 25
    per_floor = 8
    buildings = max(1, homes // (2 * floors * per_floor))
    rows = [f'  - {{code: "{b}", name: {b}号楼, units: ["1", "2"], floors: [1, {floors}], rooms_per_floor: {per_floor}}}'
            for b in range(1, buildings + 1)]
    return ("community: {code: bench, name: 压测小区}\nbuildings:\n" + "\n".join(rows)
            + "\nteams:\n  - {code: customer_service, name: 客服中心}\n")


def register_rows(codes: list[str], month: int) -> list[tuple[str, str, str, str, str]]:
    """(building, unit, room, name, phone): month 1 is the first register; month 2 changes 1%
    of the owners (new people) and corrects 1% of the names."""
    out = []
    for i, code in enumerate(codes):
        b, u, r = code.split("-")
        owner = i + (1_000_000 if month == 2 and i % 100 == 7 else 0)  # a new owner
        g = len(GIVEN)
        name = SURNAMES[owner % 20] + GIVEN[(owner // 20) % g] + GIVEN[(owner // (20 * g)) % g]
        if month == 2 and i % 100 == 42:
            name += "伟"  # a corrected name
        out.append((f"{b}号楼", f"{u}单元", f"{r}室", name, f"139{owner:08d}"))
    return out


def gbk_csv(rows: list[tuple[str, ...]]) -> bytes:
    lines = ["楼栋,单元,房号,业主姓名,联系电话", *(",".join(r) for r in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def xlsx(rows: list[tuple[str, ...]]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["楼栋", "单元", "房号", "业主姓名", "联系电话"])
    for r in rows:
        sheet.append([*r[:4], int(r[4])])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def run(url: str, homes: int, workdir: Path) -> None:
    clock = FakeClock()
    settings = Settings(DATABASE_URL=url, _env_file=None)  # type: ignore[call-arg]
    app = await build_app(settings, clock)
    try:
        community_file = workdir / "community.yaml"
        community_file.write_text(community_yaml(homes), encoding="utf-8")
        started = time.perf_counter()
        await load_community_file(app, str(community_file))
        loaded = time.perf_counter() - started
        async with app.uow() as uow:
            _, rooms = await register_rooms(uow.session, "bench")
        codes = sorted(rooms.codes)
        print(f"community of {len(codes)} homes loaded in {loaded:.1f} s (wuye load, not measured here)")
        for month in (1, 2):
            rows = register_rows(codes, month)
            csv_path, xlsx_path = workdir / f"register{month}.csv", workdir / f"register{month}.xlsx"
            csv_path.write_bytes(gbk_csv(rows))
            xlsx_path.write_bytes(xlsx(rows))
            for path in (csv_path, xlsx_path):
                started = time.perf_counter()
                parsed = register.read(path, rooms)
                took = time.perf_counter() - started
                assert not parsed.problems and len(parsed.rows) == len(rows)
                print(f"month {month}: read {path.suffix} ({parsed.encoding}, {len(rows)} rows) in {took:.2f} s")
            async with app.uow() as uow:
                started = time.perf_counter()
                plan = await plan_register(uow.session, "bench", csv_path)
                planned = time.perf_counter() - started
                started = time.perf_counter()
                await apply_register(uow, plan, clock.now())
                await uow.commit()
                applied = time.perf_counter() - started
            print(f"month {month}: preview {planned:.2f} s ({len(plan.new)} new, {len(plan.updated)} updated, "
                  f"{len(plan.moved_out)} moved out, {plan.unchanged} unchanged); apply {applied:.2f} s")
            async with app.uow() as uow:
                links = await uow.session.scalar(select(func.count()).select_from(m.OwnerRoom))
                again = await plan_register(uow.session, "bench", csv_path)
            assert links == len(rows) and again.changes == 0, (links, again.changes)
        print(f"rss {rss_mb():.0f} MB")
    finally:
        await app.close()


async def _pg_admin(url: str, sql: str) -> None:
    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, database=u.database)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=10_000)
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not args.pg:
            asyncio.run(run(f"sqlite+aiosqlite:///{workdir}/bench.sqlite3", args.homes, workdir))
            return
        name = f"wuye_bench_registers_{uuid.uuid4().hex[:8]}"
        asyncio.run(_pg_admin(args.pg_url, f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(args.pg_url).set(database=name).render_as_string(hide_password=False)
            asyncio.run(run(url, args.homes, workdir))
        finally:
            asyncio.run(_pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
