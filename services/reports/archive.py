"""The month's case archive as xlsx, fast: rows from the database straight to sheet XML.

`services.reports.statistics.export_cases` builds an `ExportCase` per case and an `ExportEvent` per
timeline entry, converts each time to the local zone in Python and lets `services.reports.xlsx` find
each cell's type: fine for a month of a few thousand cases, about 45 s for a hundred
thousand (half a million timeline entries, five million cells).  Here, when the
community's zone keeps one UTC offset over the period (China's does), the database
computes each time's local Excel day number (`storage.archive_rows`), and each row is one
string format with its types known in advance, written while the rows arrive, in a worker
thread (`storage.archive_rows.each_batch`).  Values that repeat — kinds, statuses, teams,
rooms, staff, masked owners and phones, actions — are shared strings: one dict lookup per
cell, and a third less XML to deflate.  Masking is the same as the general path: owners'
names and phones masked, phones typed in free text scrubbed, staff names shown.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from cases.privacy import mask_name, mask_phone
from services.reports.xlsx import STYLE_DATE, Sheet, StreamingWorkbook, text_cell
from storage import archive_rows as rows
from storage import report_queries as q
from storage.report_queries import clean_text


def constant_offset(zone: ZoneInfo, start: datetime, end: datetime) -> timedelta | None:
    """The zone's UTC offset if it is the same at every hour of [start, end], else None."""
    offset = start.astimezone(zone).utcoffset()
    at = start
    while at <= end:
        if at.astimezone(zone).utcoffset() != offset:
            return None
        at += timedelta(hours=1)
    return offset if end.astimezone(zone).utcoffset() == offset else None


# A date cell from storage.archive_rows' integer units (1e-8 days): `{_D}{units}{_AY}`, the day
# number in exponent form (an f-string part formats an int faster than `%` does).
assert rows.UNITS_PER_DAY == 10**8
_D, _AY = f'<c s="{STYLE_DATE}"><v>', "E-8</v></c>"


class _Lookup(dict[str, str]):
    """A dict that fills itself: `table[key]` is `make(key)`, worked out on first use only."""

    def __init__(self, make):  # type: ignore[no-untyped-def]
        super().__init__()
        self._make = make

    def __missing__(self, key: str) -> str:
        value = self[key] = self._make(key)
        return value


class _ArchiveSheets:
    """The two sheets written from the rows of storage.archive_rows, a batch at a time."""

    def __init__(self, book: StreamingWorkbook, staff: dict[int, str]) -> None:
        self.sheet: Sheet  # the one being written
        shared = self.shared = book.shared
        self.staff = {sid: shared[name] for sid, name in staff.items()}
        # Owners have many cases: each one's masked name, phone and actor cell are worked out once.
        self.owner_cell = _Lookup(lambda name: shared[mask_name(name)] if name else "<c/>")
        self.phone_cell = _Lookup(lambda phone: shared[mask_phone(phone)] if phone else "<c/>")
        self.owner_actor = _Lookup(lambda name: shared[f"owner {mask_name(name)}".strip()])
        # The timeline's actor cell: staff by name ("staff <id>" when not on the register), any
        # other kind by itself, an owner by the case ("" here, looked up per case).
        names = {f"staff {sid}": cell for sid, cell in self.staff.items()}
        self.actor = _Lookup(lambda actor: "" if actor == "owner" else names.get(actor) or shared[actor])
        self.owners: dict[int, str] = {}  # case id -> owner's name, for masking notes
        self.actors: dict[int, str] = {}  # case id -> the actor cell of its owner

    def cases(self, batch: rows.Batch) -> None:
        s, staff, owner_cell, phone_cell, owner_actor = (self.shared, self.staff, self.owner_cell, self.phone_cell,
                                                         self.owner_actor)
        owners, actors, d, ay = self.owners, self.actors, _D, _AY
        parts = []
        for (case_id, kind, category, area, urgency, status, room, place, owner, phone, description, team,
             assignee_id, responder_id, fee_cents, rework, escalation, confirmed_by,
             opened, first_accepted, accepted, started, done, closed, response_due, completion_due) in batch:
            owner = owner or ""
            if owner:
                owners[case_id] = owner
            actors[case_id] = owner_actor[owner]
            # One expression per row, no call for the usual cells (opened and the two due times
            # are never empty).
            parts.append(
                f"<row><c><v>{case_id}</v></c>{s[kind]}{s[category]}{s[area]}{s[urgency]}{s[status]}{s[room]}"
                f"{text_cell(clean_text(place, owner)) if place else '<c/>'}{owner_cell[owner]}{phone_cell[phone]}"
                f"{text_cell(clean_text(description, owner)) if description else '<c/>'}{s[team]}"
                f"{staff.get(assignee_id, '<c/>')}{staff.get(responder_id, '<c/>')}"
                f"<c><v>{fee_cents / 100!r}</v></c><c><v>{rework}</v></c><c><v>{escalation}</v></c>{s[confirmed_by]}"
                f"{d}{opened}{ay}{'<c/>' if first_accepted is None else f'{d}{first_accepted}{ay}'}"
                f"{'<c/>' if accepted is None else f'{d}{accepted}{ay}'}"
                f"{'<c/>' if started is None else f'{d}{started}{ay}'}{'<c/>' if done is None else f'{d}{done}{ay}'}"
                f"{'<c/>' if closed is None else f'{d}{closed}{ay}'}{d}{response_due}{ay}{d}{completion_due}{ay}</row>")
        self.sheet.write_xml("".join(parts))

    def timeline(self, batch: rows.Batch) -> None:
        s, actor, actors, owners, d, ay = self.shared, self.actor, self.actors, self.owners, _D, _AY
        # An empty note is left out: a row's trailing empty cells need not be written.
        self.sheet.write_xml("".join([
            f"<row><c><v>{case_id}</v></c>{d}{at}{ay}{s[action]}{actor[who] or actors[case_id]}"
            f"{text_cell(clean_text(note, owners.get(case_id, ''))) if note else ''}</row>"
            for case_id, at, action, who, note in batch]))


async def write_archive(session: AsyncSession, community_id: int, start: datetime, end: datetime,
                        offset: timedelta, case_columns: list[str], timeline_columns: list[str]) -> bytes:
    """The archive workbook (sheets Cases and Timeline) of the cases opened in [start, end)."""
    offset_days = offset.total_seconds() / 86400
    staff = {sid: s.name for sid, s in (await q.staff(session, community_id)).items()}
    buf = io.BytesIO()
    book = StreamingWorkbook(buf)
    sheets = _ArchiveSheets(book, staff)
    sheets.sheet = book.sheet("Cases")
    sheets.sheet.append_header(case_columns)
    await rows.each_batch(session, rows.case_rows(community_id, start, end, offset_days), sheets.cases)
    sheets.sheet = book.sheet("Timeline")
    sheets.sheet.append_header(timeline_columns)
    await rows.each_batch(session, rows.timeline_rows(community_id, start, end, offset_days), sheets.timeline)
    book.close()
    return buf.getvalue()
