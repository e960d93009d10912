"""The fast case archive (services.reports.archive: rows straight to sheet XML, times computed by
the database) holds exactly what the general path holds — every value of every case and
timeline entry, masked the same way — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.bootstrap import App
from services.reports.archive import constant_offset
from services.reports.statistics import _case_row, _wall_clock, export_cases, open_context
from storage import models as m
from storage import report_queries as q
from tests.reports.history import Desk, Script, seed_history
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
    async with app.uow() as uow:
        uow.session.add_all([m.CaseFee(case_id=ids["c6"], round=0, cents=5000, at=app.now()),
                             m.CaseFee(case_id=ids["c6"], round=1, cents=3050, at=app.now())])
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


def test_a_zone_that_changes_offset_in_the_period_takes_the_general_path() -> None:
    start = datetime(2026, 3, 1, tzinfo=timezone.utc)
    end = datetime(2026, 4, 1, tzinfo=timezone.utc)
    assert constant_offset(ZoneInfo("Europe/Berlin"), start, end) is None  # summer time from 29 March
    assert constant_offset(ZoneInfo("Asia/Shanghai"), start, end) == timedelta(hours=8)
    assert constant_offset(ZoneInfo("Europe/Berlin"), start, datetime(2026, 3, 20, tzinfo=timezone.utc)) == \
        timedelta(hours=1)
