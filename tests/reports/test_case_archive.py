"""The fast case archive (services.reports.archive: rows streamed straight to sheet XML, times
computed by the database, repeated values as shared strings) holds exactly what the general path
holds — every value of every case and timeline entry, masked the same way — on SQLite and
PostgreSQL, read back cell by cell with openpyxl."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import openpyxl
from sqlalchemy import update

from bot.bootstrap import App
from services.reports.archive import constant_offset
from services.reports.statistics import _case_row, _wall_clock, export_cases, open_context
from storage import models as m
from storage import report_queries as q
from tests.reports.history import Desk, Script, seed_history
from tests.reports.history import ZONE
from tests.reports.history import local as at_local
from tests.reports.test_report_outputs import WEEK, assert_no_owner_data, workbook_text


def _same(got: object, expected: object) -> bool:
    if expected in ("", None):
        return got is None
    if isinstance(expected, datetime):
        return isinstance(got, datetime) and abs(got - expected) < timedelta(milliseconds=5)
    if isinstance(expected, float):
        return isinstance(got, (int, float)) and abs(got - expected) < 1e-9
    return got == expected


async def test_the_fast_archive_holds_what_the_general_path_holds(app: App, clock) -> None:  # type: ignore[no-untyped-def]
    ids = await seed_history(app, clock)
    # A case of the week recorded after two that are not (c12 opened before it, c13 after):
    # the timeline is read by id range, and those two fall inside it.
    desk = Desk(app, clock)
    await desk.load()
    late = await desk.play(Script("report", "plumbing", "normal", "engineering", at_local(6, 9), area="home",
                                  staff="王强", accept=30))
    assert ids["c12"] < late and ids["c13"] < late
    # c6 was reworked: its two visits' charges add up in the archive (migration 0006_dispatch),
    # whatever the case row's own fee says.
    # What owners type: a formula, a phone and their own name in a note; an entry by someone no
    # longer on the staff register; a place.
    async with app.uow() as uow:
        uow.session.add_all([m.CaseFee(case_id=ids["c6"], round=0, cents=5000, at=app.now()),
                             m.CaseFee(case_id=ids["c6"], round=1, cents=3050, at=app.now())])
        await uow.session.execute(update(m.Case).where(m.Case.id == ids["c2"]).values(
            description='=HYPERLINK("http://example.invalid/","点")', place="@3号楼 电梯厅"))
        owner_of_c1 = (await uow.session.get(m.Case, ids["c1"])).owner_id  # type: ignore[union-attr]
        uow.session.add_all([
            m.TimelineEntry(case_id=ids["c1"], at=at_local(1, 9, 5), action="noted", actor_kind="owner",
                            actor_id=owner_of_c1, note="补充：我是张伟，电话 139 1234 5678", data={}),
            m.TimelineEntry(case_id=ids["c1"], at=at_local(1, 9, 6), action="noted", actor_kind="staff",
                            actor_id=9999, note="", data={}),
        ])
        await uow.commit()
    async with app.uow() as uow:
        ctx = await open_context(uow.session, None, *WEEK, app.now())
        cases = await q.export_cases(uow.session, ctx.community.id, ctx.start, ctx.end)
    assert constant_offset(ctx.zone, ctx.start, ctx.end) == timedelta(hours=8)  # so the fast path is taken
    local = _wall_clock(ctx.zone)
    expected = {"Cases": [_case_row(c, local) for c in cases],
                "Timeline": [[c.id, local(e.at), e.action, e.actor, e.note] for c in cases for e in c.timeline]}
    assert len(expected["Cases"]) == 12 and len(expected["Timeline"]) > 40
    assert {ids["c12"], ids["c13"]}.isdisjoint(row[0] for row in expected["Timeline"])
    assert [row[14] for row in expected["Cases"] if row[0] == ids["c6"]] == [80.5]

    data = await export_cases(app.uow(), *WEEK, "xlsx", now=app.now())
    book, text = workbook_text(data)
    for name, rows in expected.items():
        got = [list(r) for r in book[name].iter_rows(min_row=2, values_only=True)]
        assert len(got) == len(rows), name
        for got_row, want in zip(got, rows):
            got_row += [None] * (len(want) - len(got_row))  # trailing empty cells are not rows' cells
            assert all(_same(g, w) for g, w in zip(got_row, want)), [(i, g, w) for i, (g, w) in enumerate(zip(got_row, want)) if not _same(g, w)]
    times = [c for c in book["Cases"][2] if isinstance(c.value, datetime)]
    assert times and all(c.number_format == "yyyy-mm-dd hh:mm" for c in times)  # shown as dates
    assert_no_owner_data(text)

    # Told outright, not only "as the general path": times on the community's wall clock, the
    # owner's note masked, the formula a quoted text, the departed staff member by id.
    cases_by_id = {row[0].value: row for row in book["Cases"].iter_rows(min_row=2)}
    assert cases_by_id[ids["c1"]][18].value == at_local(1, 9).astimezone(ZONE).replace(tzinfo=None)
    formula = cases_by_id[ids["c2"]][10]
    assert formula.value.startswith("=HYPERLINK") and formula.data_type == "s" and formula.quotePrefix
    assert cases_by_id[ids["c2"]][7].value == "@3号楼 电梯厅" and cases_by_id[ids["c2"]][7].quotePrefix
    noted = [[c.value for c in row][2:] for row in book["Timeline"].iter_rows(min_row=2)
             if row[0].value == ids["c1"] and row[2].value == "noted"]
    assert noted == [["noted", "owner 张*", "补充：我是张*，电话 139****5678"], ["noted", "staff 9999", None]]
    assert not any(c.data_type == "f" for ws in book.worksheets for row in ws.iter_rows() for c in row)
    # Repeated values are shared strings (one table for the book); the read-only reader the bench
    # uses reads the same values.
    assert "xl/sharedStrings.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    streamed = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    for name in ("Cases", "Timeline"):
        assert [_trimmed(r) for r in streamed[name].iter_rows(values_only=True)] == \
            [_trimmed(r) for r in book[name].iter_rows(values_only=True)]


def _trimmed(row: tuple[object, ...]) -> list[object]:
    """A row's values without its trailing empty cells (the read-only reader does not pad)."""
    values = list(row)
    while values and values[-1] is None:
        values.pop()
    return values


def test_a_zone_that_changes_offset_in_the_period_takes_the_general_path() -> None:
    start = datetime(2026, 3, 1, tzinfo=timezone.utc)
    end = datetime(2026, 4, 1, tzinfo=timezone.utc)
    assert constant_offset(ZoneInfo("Europe/Berlin"), start, end) is None  # summer time from 29 March
    assert constant_offset(ZoneInfo("Asia/Shanghai"), start, end) == timedelta(hours=8)
    assert constant_offset(ZoneInfo("Europe/Berlin"), start, datetime(2026, 3, 20, tzinfo=timezone.utc)) == \
        timedelta(hours=1)
