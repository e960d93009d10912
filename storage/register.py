"""Owner registers as offices keep them: read a CSV or an xlsx into checked rows (no database).

Offices export their 业主名册 from whatever they use: Chinese Excel saves CSV as GBK,
"Unicode text" as UTF-16 with tabs, newer tools UTF-8 with or without a BOM, and many
just send the `.xlsx`.  Headers come in Chinese or English with many variants, a title
row or two may sit above them, and rooms are one column ("3-2-302", "3栋2单元302室") or
three (楼栋 / 单元 / 房号).  This module turns any of those into `RegisterRow`s whose room
is the community's own room code, and names every row it cannot read with its line
and the reason.  The encoding is detected — a BOM, else strict UTF-8, else GB18030 (a
superset of GBK) — never guessed by decoding until something crashes.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import openpyxl

from storage.community_file import CommunityFileError, normalise_phone

# Far beyond any community (the largest have a few tens of thousands of homes); a file
# longer than this is not a register, and reading on would only use memory.
MAX_ROWS = 200_000
# A title ("兰亭雅苑业主名册 2026年12月") or a blank line may come before the header.
HEADER_SEARCH_ROWS = 10
# This many Chinese characters read as UTF-8 before a byte that is not: a mixed file, not GBK
# (a GBK file fails within its first few characters).
MIXED_AFTER = 8


class RegisterError(CommunityFileError):
    """A register that cannot be read at all (no header, not text, not a workbook)."""


class Role(StrEnum):
    """Who a person is to a home: the owner of record, a family member or a tenant."""

    OWNER = "owner"
    FAMILY = "family"
    TENANT = "tenant"


@dataclass(frozen=True, slots=True)
class RegisterRow:
    line: int  # the file's line (CSV) or the sheet's row number (xlsx)
    room: str  # the community's room code, e.g. "3-2-302"
    name: str
    phone: str  # 11 digits
    role: Role = Role.OWNER


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    reason: str
    other_line: int | None = None  # the earlier line a row contradicts

    def __str__(self) -> str:
        if self.other_line is not None:
            return f"lines {self.other_line} and {self.line}: {self.reason}"
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Register:
    source: str
    encoding: str  # "utf-8", "utf-8-sig", "utf-16", "gb18030" or "xlsx"
    rows: tuple[RegisterRow, ...]
    problems: tuple[RowProblem, ...]


# --------------------------------------------------------------------------- headers
def _fold(text: str) -> str:
    """A header or cell as compared: NFKC (full-width letters and digits as ASCII), no
    spaces, lower case, without the marks forms add ("*姓名", "手机号(必填)")."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"[(\[（【].*?[)\]）】]", "", text)
    return re.sub(r"[\s*:：_\-./]", "", text)


_ALIASES: dict[str, set[str]] = {
    "room": {"room", "roomno", "roomnumber", "房号", "房间", "房间号", "房屋", "房屋编号", "房屋号", "房产",
             "室", "室号", "门牌号", "房号室"},
    "building": {"building", "bldg", "block", "楼栋", "栋", "楼号", "栋号", "楼栋号", "幢", "幢号", "楼宇", "楼", "座"},
    "unit": {"unit", "unitno", "单元", "单元号"},
    "name": {"name", "owner", "ownername", "fullname", "姓名", "业主", "业主姓名", "住户姓名", "住户", "客户姓名", "名字"},
    "phone": {"phone", "mobile", "tel", "telephone", "phonenumber", "mobilephone", "电话", "手机", "手机号",
              "手机号码", "联系电话", "联系方式", "电话号码", "业主电话", "业主手机"},
    "role": {"role", "type", "relation", "relationship", "身份", "关系", "类型", "住户类型", "与业主关系",
             "人员类型", "住户身份"},
}
_FIELD_OF = {alias: field for field, aliases in _ALIASES.items() for alias in aliases}

_ROLES: dict[str, Role] = {
    **dict.fromkeys(["", "owner", "业主", "产权人", "房主", "户主", "业主本人", "本人"], Role.OWNER),
    **dict.fromkeys(["family", "member", "familymember", "家属", "家人", "家庭成员", "配偶", "子女", "父母",
                     "亲属", "同住人", "同住家属"], Role.FAMILY),
    **dict.fromkeys(["tenant", "renter", "租户", "租客", "承租人", "住户租户"], Role.TENANT),
}


def _column(index: int) -> str:
    """Excel's column letter (0 → A, 27 → AB), as operators see it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _header(cells: Sequence[str]) -> dict[str, int] | None:
    """Which column holds which field, if this row is a register's header."""
    columns: dict[str, int] = {}
    for i, cell in enumerate(cells):
        field = _FIELD_OF.get(_fold(cell))
        if field is None:
            continue
        if field in columns:
            # Two name columns (业主 and 姓名) could each be the one meant: the office decides.
            raise RegisterError(f"line ?: two columns for {field}: {cells[columns[field]]!r} (column "
                                f"{_column(columns[field])}) and {cell!r} (column {_column(i)}); keep one")
        columns[field] = i
    has_room = "room" in columns
    if "name" in columns and "phone" in columns and has_room:
        return columns
    return None


def _find_header(rows: Iterator[tuple[int, list[str]]], source: str) -> tuple[int, dict[str, int]]:
    seen: list[list[str]] = []
    for line, cells in rows:
        try:
            columns = _header(cells)
        except RegisterError as exc:
            raise RegisterError(f"{source} {str(exc).replace('line ?', f'line {line}')}") from None
        if columns is not None:
            return line, columns
        if any(c.strip() for c in cells):
            seen.append(cells)
        if len(seen) >= HEADER_SEARCH_ROWS:
            break
    first = next((c for c in seen), None)
    have = f" (the first row has {', '.join(repr(c) for c in first if c.strip())})" if first else ""
    raise RegisterError(f"{source}: no header row with room (房号), name (姓名) and phone (手机号) columns "
                        f"in the first {HEADER_SEARCH_ROWS} rows{have}")


# --------------------------------------------------------------------------- rooms
def _token(text: str, suffixes: tuple[str, ...]) -> str:
    """One part of a room address as compared: "3号楼" → "3", "02单元" → "2", "0302室" → "302"."""
    text = _fold(text).upper()
    for suffix in suffixes:
        if text.endswith(suffix.upper()) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    text = text.lstrip("#")
    return str(int(text)) if text.isdigit() else text


_BUILDING_SUFFIXES = ("号楼", "栋", "幢", "座", "楼", "号", "#")
_UNIT_SUFFIXES = ("单元", "单", "门")
_ROOM_SUFFIXES = ("室", "号", "房")
_PARTS = re.compile(r"[A-Za-z]*\d+[A-Za-z]*|[A-Za-z]+")


class RoomIndex:
    """The community's rooms, found however a register writes them."""

    def __init__(self, rooms: Iterable[tuple[str, str]]) -> None:
        """`rooms`: (room code, building code) pairs, codes as the community file makes them."""
        self.codes: set[str] = set()
        self._exact: dict[str, str] = {}
        self._by_parts: dict[tuple[str, str, str], str] = {}
        self._by_building_room: dict[tuple[str, str], list[str]] = {}
        for code, building in rooms:
            self.codes.add(code)
            self._exact[_fold(code).upper()] = code
            parts = code.split("-")
            b = _token(building, _BUILDING_SUFFIXES)
            u = _token(parts[1], _UNIT_SUFFIXES) if len(parts) == 3 else ""
            r = _token(parts[-1], _ROOM_SUFFIXES)
            self._by_parts[(b, u, r)] = code
            self._by_building_room.setdefault((b, r), []).append(code)

    def find(self, building: str, unit: str, room: str) -> tuple[str | None, str]:
        """The room code for split columns, or (None, why not)."""
        whole = self._exact.get(_fold(room).upper())
        if whole and not building.strip():  # the room column already holds the full code
            return whole, ""
        b, u, r = _token(building, _BUILDING_SUFFIXES), _token(unit, _UNIT_SUFFIXES), _token(room, _ROOM_SUFFIXES)
        if not r:
            return None, "empty room"
        if not b:
            return (whole, "") if whole else (None, f"unknown room {room.strip()!r} (no building given)")
        code = self._by_parts.get((b, u, r))
        if code:
            return code, ""
        if not u:
            found = self._by_building_room.get((b, r), [])
            if len(found) == 1:
                return found[0], ""
            if len(found) > 1:
                return None, (f"room {room.strip()!r} of building {building.strip()!r} is in more than one unit "
                              f"({', '.join(sorted(found))}); give the unit")
        where = "-".join(p for p in (building.strip(), unit.strip(), room.strip()) if p)
        return None, f"unknown room {where!r}"

    def parse(self, text: str) -> tuple[str | None, str]:
        """The room code for one column: "3-2-302", "3栋2单元302室", "3号楼-2-0302"…"""
        if not text.strip():
            return None, "empty room"
        whole = self._exact.get(re.sub(r"[—–－_/\\]", "-", _fold(text)).upper())
        if whole:
            return whole, ""
        parts = _PARTS.findall(unicodedata.normalize("NFKC", text))
        if len(parts) == 3:
            code, _ = self.find(*parts)
        elif len(parts) == 2:
            code, _ = self.find(parts[0], "", parts[1])
        else:
            code = None
        return (code, "") if code else (None, f"unknown room {text.strip()!r}")


# --------------------------------------------------------------------------- files
def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding): a BOM says it; else strict UTF-8; else GB18030 (GBK's superset, what
    Chinese Excel writes); UTF-16 without a BOM is known by its NUL bytes."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16"), "utf-16"
    head = raw[:4096]
    if len(head) >= 4 and head.count(b"\x00") * 4 >= len(head):
        for encoding in ("utf-16-le", "utf-16-be") if head[1:2] == b"\x00" else ("utf-16-be", "utf-16-le"):
            try:
                return raw.decode(encoding), encoding
            except UnicodeDecodeError:
                continue
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_line = raw[:exc.start].count(b"\n") + 1
        before = raw[:exc.start].decode("utf-8", errors="ignore")
        if sum(1 for ch in before if "\u4e00" <= ch <= "\u9fff") >= MIXED_AFTER:
            # Chinese text in UTF-8, then a line that is not: rows pasted from a GBK file.
            # Read as GB18030 the UTF-8 lines would turn into plausible-looking wrong names.
            raise RegisterError(f"line {utf8_line}: not UTF-8 like the lines before it (the file mixes "
                                "encodings); save the register again as CSV UTF-8 or as .xlsx")
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise RegisterError(f"line {utf8_line}: neither UTF-8, UTF-16 nor GBK/GB18030 text; "
                            "save the register as CSV UTF-8 or as .xlsx") from None


def _delimiter(text: str) -> str:
    """Comma, or the tab of Excel's "Unicode text", or a semicolon: whichever the first
    non-empty lines use most."""
    lines = [line for line in text.splitlines()[:HEADER_SEARCH_ROWS + 1] if line.strip()]
    sample = "\n".join(lines)
    return max(",\t;", key=sample.count)


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    start = 1
    for record in reader:
        yield start, [c.replace("\x00", "") for c in record]
        start = reader.line_num + 1


def _cell(value: object) -> str:
    """An xlsx cell as the office typed it: 13800000001.0 (a phone typed as a number) → "13800000001"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(raw: bytes, source: str) -> Iterator[tuple[int, list[str]]]:
    unreadable = (f"{source}: not a readable .xlsx workbook; open it in Excel and save it again, "
                  "or save it as CSV")
    # Whatever a damaged or foreign zip makes openpyxl raise (BadZipFile, KeyError, XML parse
    # errors, InvalidFileException…), the operator hears the same plain sentence.
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001
        raise RegisterError(unreadable) from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # exporters often write a wrong (or no) sheet size
        rows = sheet.iter_rows(values_only=True)
        number = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception:  # noqa: BLE001
                raise RegisterError(f"{unreadable} (row {number + 1} cannot be read)") from None
            number += 1
            yield number, [_cell(v) for v in values]
    finally:
        book.close()


def read(path: str | Path, rooms: RoomIndex) -> Register:
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegisterError(f"{source}: cannot read ({exc.strerror})") from None
    return parse(raw, rooms, source)


def parse(raw: bytes, rooms: RoomIndex, source: str = "register") -> Register:
    """Every row checked: the readable ones as rows, the rest as problems with their line."""
    if not raw.strip():
        raise RegisterError(f"{source}: empty file")
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise RegisterError(f"{source}: an old Excel .xls workbook; save it as .xlsx or as CSV")
    if raw.startswith(b"PK\x03\x04"):
        encoding, lines = "xlsx", _xlsx_rows(raw, source)
    else:
        try:
            text, encoding = decode(raw)
        except RegisterError as exc:
            raise RegisterError(f"{source} {exc}") from None
        except UnicodeDecodeError:
            raise RegisterError(f"{source}: starts like UTF-16 or UTF-8 but is not valid; "
                                "save the register as CSV UTF-8 or as .xlsx") from None
        lines = _csv_rows(text)
    try:
        header_line, columns = _find_header(lines, source)
        rows, problems = _rows(lines, columns, rooms)
    except csv.Error as exc:
        raise RegisterError(f"{source}: not readable as CSV ({exc})") from None
    return Register(source, encoding, tuple(rows), tuple(problems))


_EXCEL_NUMBER = re.compile(r"^\d(?:\.\d+)?E\+\d+$", re.IGNORECASE)


def _phone_problem(raw: str) -> str:
    """Why a phone cell is refused, without repeating it (the message may reach a log)."""
    if not raw:
        return "empty phone"
    if _EXCEL_NUMBER.match(raw.strip()):
        # Excel shows a long number as 1.38E+10 in a narrow column and saves it so: the digits are gone.
        return ("phone saved by Excel as a rounded number (like 1.38E+10): format the phone column as "
                "text in Excel and save again")
    return "phone is not a mainland mobile number (11 digits starting with 1)"


def _rows(lines: Iterator[tuple[int, list[str]]], columns: dict[str, int],
          rooms: RoomIndex) -> tuple[list[RegisterRow], list[RowProblem]]:
    rows: list[RegisterRow] = []
    problems: list[RowProblem] = []
    split = "building" in columns
    for count, (line, cells) in enumerate(lines):
        if count >= MAX_ROWS:
            problems.append(RowProblem(line, f"more than {MAX_ROWS} rows: not read further"))
            break
        if not any(c.strip() for c in cells):
            continue

        def get(field: str) -> str:
            i = columns.get(field)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        name = unicodedata.normalize("NFKC", get("name")).strip()
        if split:
            room, why = rooms.find(get("building"), get("unit"), get("room"))
        else:
            room, why = rooms.parse(get("room"))
        if room is None:
            problems.append(RowProblem(line, why))
            continue
        if not name:
            problems.append(RowProblem(line, "empty name"))
            continue
        if len(name) > 100:
            problems.append(RowProblem(line, "name longer than 100 characters"))
            continue
        try:
            phone = normalise_phone(unicodedata.normalize("NFKC", get("phone")))
        except ValueError:
            problems.append(RowProblem(line, _phone_problem(get("phone"))))
            continue
        role = _ROLES.get(_fold(get("role")))
        if role is None:
            problems.append(RowProblem(line, f"unknown type {get('role')!r} (业主/owner, 家属/family, 租户/tenant)"))
            continue
        rows.append(RegisterRow(line, room, name, phone, role))
    return rows, problems
