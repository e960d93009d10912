"""A streaming xlsx writer for the big exports: rows in, a workbook out, nothing kept.

openpyxl's write-only mode builds an element tree per cell; a month's archive of 100,000
cases is five million cells and took a minute and a half.  This writer emits each sheet's
XML straight from the values (inline strings, or shared strings for values that repeat,
numbers, dates as Excel serials) and hands it in chunks to a thread that deflates it into
the zip, so writing and compressing run side by side (zlib releases the GIL).  What it
writes is plain SpreadsheetML that Excel, LibreOffice and openpyxl read.

Text is always a string cell — a value starting with "=" is never a formula here — and
formula-like text also carries Excel's quote prefix, so editing the cell keeps it text
(OWASP's CSV-injection advice).  Characters XML 1.0 cannot hold are dropped.
"""

from __future__ import annotations

import queue
import re
import threading
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EPOCH = datetime(1899, 12, 30)
FORMULA_START = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)*%?")
STYLE_DATE, STYLE_TEXT_QUOTED, STYLE_BOLD = 1, 2, 3
_CHUNK = 1 << 20

_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="4">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def text_cell(value: str) -> str:
    if not value:
        return "<c/>"
    value = _legal(value)
    return f'<c t="inlineStr"{_style(value)}><is>{_t(value)}</is></c>'


def _legal(value: str) -> str:
    """`value` without the characters XML 1.0 cannot hold."""
    return _ILLEGAL.sub("", value) if not value.isprintable() and _ILLEGAL.search(value) else value


def _style(value: str) -> str:
    """The quote-prefix style for text that reads like a formula (a signed number is not one)."""
    return f' s="{STYLE_TEXT_QUOTED}"' if value[:1] in FORMULA_START and _NUMBER.fullmatch(value) is None else ""


def _t(value: str) -> str:
    """The `<t>` element holding `value` (legal characters only)."""
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    if "&" in value or "<" in value or ">" in value:
        value = escape(value)
    return f"<t{space}>{value}</t>"


class SharedStrings(dict[Any, str]):
    """The workbook's shared-string table: `shared[text]` is the XML of a cell showing `text`
    (`<c t="s"><v>index</v></c>`, or an empty cell for "" and None).  Each text is stored once
    in the package however many cells show it, and a text seen before costs one dict lookup
    (`__missing__` runs only for a new one).  For the values that repeat — kinds, statuses,
    teams, staff names, masked owners; free text goes inline (`text_cell`), so the table
    stays small."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def __missing__(self, value: Any) -> str:
        text = _legal(str(value)) if value else ""
        if text:
            xml = f'<c t="s"{_style(text)}><v>{len(self.texts)}</v></c>'
            self.texts.append(text)
        else:
            xml = "<c/>"
        self[value] = xml
        return xml

    def xml(self) -> str:
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'uniqueCount="{len(self.texts)}">' + "".join(f"<si>{_t(t)}</si>" for t in self.texts) + "</sst>")


# Short texts repeat (kinds, statuses, rooms, staff names, actions): their XML is kept.
_TEXT_CACHE: dict[str, str] = {}


def _text(value: str) -> str:
    xml = _TEXT_CACHE.get(value)
    if xml is None:
        xml = text_cell(value)
        if len(value) <= 24 and len(_TEXT_CACHE) < 50_000:
            _TEXT_CACHE[value] = xml
    return xml


_ORDINAL_EPOCH = _EPOCH.toordinal()


def _datetime(value: datetime) -> str:
    if value.tzinfo is not None:
        raise ValueError("xlsx holds local wall times: convert before writing")
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return f'<c s="{STYLE_DATE}"><v>{value.toordinal() - _ORDINAL_EPOCH + seconds / 86400!r}</v></c>'


def _number(value: int | float) -> str:
    return f"<c><v>{value!r}</v></c>"


def _other(value: Any) -> str:
    if value is None:
        return "<c/>"
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, datetime):
        return _datetime(value)
    if isinstance(value, date):
        return f'<c s="{STYLE_DATE}"><v>{value.toordinal() - _ORDINAL_EPOCH}</v></c>'
    return text_cell(str(value))


_BY_TYPE = {str: _text, int: _number, float: _number, datetime: _datetime, type(None): lambda _: "<c/>"}


def cell(value: Any) -> str:
    """One cell's XML for a value of any type the exports hold."""
    return _BY_TYPE.get(type(value), _other)(value)


class Sheet:
    """Rows appended to one worksheet as they come."""

    def __init__(self, book: StreamingWorkbook, name: str) -> None:
        self._book, self.name = book, name

    def append(self, values: Sequence[Any]) -> None:
        self._book._put("<row>" + "".join(map(cell, values)) + "</row>")

    def append_header(self, titles: Sequence[str]) -> None:
        cells = "".join(f'<c t="inlineStr" s="{STYLE_BOLD}"><is><t>{escape(_ILLEGAL.sub("", t))}</t></is></c>'
                        for t in titles)
        self._book._put(f"<row>{cells}</row>")

    def extend_xml(self, rows: Iterable[str]) -> None:
        """Rows already rendered as `<row>…</row>`."""
        put = self._book._put
        batch: list[str] = []
        size = 0
        for row in rows:
            batch.append(row)
            size += len(row)
            if size > _CHUNK:
                put("".join(batch))
                batch, size = [], 0
        if batch:
            put("".join(batch))

    def write_xml(self, rows: str) -> None:
        """Rows already rendered and joined: `<row>…</row><row>…</row>` (cells from `book.shared`,
        `text_cell`…)."""
        self._book._put(rows)

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        self.extend_xml("<row>" + "".join(map(cell, values)) + "</row>" for values in rows)


class StreamingWorkbook:
    """Sheets are written one after another: `sheet()` closes the previous one.

        book = StreamingWorkbook(out)
        cases = book.sheet("Cases"); cases.append_header([...]); cases.extend(rows)
        book.close()
    """

    def __init__(self, out: BinaryIO, *, compresslevel: int = 1) -> None:
        self._zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self._names: list[str] = []
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self._writer: threading.Thread | None = None
        self._error: BaseException | None = None
        self._pending: list[str] = []
        self._pending_size = 0
        self.shared = SharedStrings()  # written at close when a sheet used it

    # ----------------------------------------------------------------- sheets
    def sheet(self, name: str) -> Sheet:
        self._end_sheet()
        self._names.append(name[:31])
        number = len(self._names)
        self._queue = queue.Queue(maxsize=8)
        self._writer = threading.Thread(target=self._drain, args=(f"xl/worksheets/sheet{number}.xml", self._queue),
                                        daemon=True)
        self._writer.start()
        self._put('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
        return Sheet(self, name)

    def _put(self, xml: str) -> None:
        self._pending.append(xml)
        self._pending_size += len(xml)
        if self._pending_size > _CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            if self._error is not None:
                raise self._error
            self._queue.put("".join(self._pending).encode("utf-8"))
            self._pending, self._pending_size = [], 0

    def _drain(self, member: str, chunks: queue.Queue[bytes | None]) -> None:
        try:
            with self._zip.open(member, "w", force_zip64=True) as f:
                while (chunk := chunks.get()) is not None:
                    f.write(chunk)
        except BaseException as exc:  # surfaced to the writing thread at its next flush or at close
            self._error = exc
            while chunks.get() is not None:
                pass

    def _end_sheet(self) -> None:
        if self._writer is None:
            return
        self._put("</sheetData></worksheet>")
        self._flush()
        self._queue.put(None)
        self._writer.join()
        self._writer = None
        if self._error is not None:
            raise self._error

    # ----------------------------------------------------------------- package
    def close(self) -> None:
        self._end_sheet()
        sheets = "".join(f'<sheet name="{escape(n, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, n in enumerate(self._names, 1))
        rels = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, len(self._names) + 1))
        n = len(self._names) + 1
        if self.shared.texts:
            rels += (f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                     'relationships/sharedStrings" Target="sharedStrings.xml"/>')
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                            f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                            for i in range(1, len(self._names) + 1))
        if self.shared.texts:
            overrides += ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                          'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
        head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        parts = {
            "[Content_Types].xml": head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' + overrides + "</Types>",
            "_rels/.rels": head + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>',
            "xl/workbook.xml": head + '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{sheets}</sheets></workbook>",
            "xl/_rels/workbook.xml.rels": head + '<Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships">{rels}<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
            "xl/styles.xml": _STYLES,
        }
        if self.shared.texts:
            parts["xl/sharedStrings.xml"] = self.shared.xml()
        for name, xml in parts.items():
            self._zip.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), xml.encode("utf-8"),
                               compress_type=zipfile.ZIP_DEFLATED)
        self._zip.close()
