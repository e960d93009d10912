"""The company report (issue 19): communities side by side — volumes, response and completion
times, overdue, callback coverage, satisfaction, rework — with a company total and a chart.

The figures mean what the community report's mean (`cases.statistics`, the legend of
`services.reports.statistics`); they are read with one grouped query per family across
all the communities, never a community report in a loop: the days the daily rollups cover
from them (`storage.rollup`, kept by `services.reports.rollup`), today and any day not
rolled up yet from the cases (`storage.company_queries`).  The company total is worked out
from the same rows: counts and sums are added up, rates are the sums' ratios and the
percentiles rank every case of the company (from the summed histograms once rollups are
read, within `cases.histogram`'s precision) — never an average of the communities' averages.

Who may read it in chat is decided here too (`communities_for`): a member of staff sees
the communities where they themselves hold a reporting role, and no other.
"""

from __future__ import annotations

import asyncio
import io
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from cases import statistics as st
from cases.callbacks import unsatisfied
from cases.codes import Kind
from cases.errors import NotFound
from cases.histogram import Histogram, bucket
from cases.permissions import may_see_reports
from cases.records import Community
from handlers.kit.formatting import code_name
from handlers.kit.i18n import t
from services.reports.statistics import (
    CHART_LOCK, LEGEND, Column, Report, Table, cjk_font, coverage_status, zh_name,
)
from storage import company_queries as cq
from storage import report_queries as q
from storage import rollup
from storage.uow import UnitOfWork

KINDS = tuple(Kind)


# --------------------------------------------------------------------------- figures
@dataclass(frozen=True)
class Figures:
    """One community's figures for the period — or the company's (`community` None)."""

    community: Community | None
    opened: Counter[str]  # cases opened, by kind
    cancelled: int
    finished: int
    reopened: int  # cases sent back for rework at least once
    late_response: int
    late_completion: int
    overdue: int
    first_response: st.Durations
    completion: st.Durations
    coverage: tuple[st.Coverage, ...]  # per kind with a quota (the company's: targets of its own)
    satisfaction: st.Satisfaction
    satisfied: int  # answered callbacks that did not send the case back
    below_policy: tuple[str, ...] = ()  # community: kinds below the quota; company: community codes
    as_of: datetime | None = None

    @property
    def cases(self) -> int:
        return sum(self.opened.values())

    @property
    def overdue_rate(self) -> float | None:
        return st.ratio(self.overdue, self.cases - self.cancelled)

    @property
    def reopen_rate(self) -> float | None:
        return st.ratio(self.reopened, self.finished)

    @property
    def callbacks_due(self) -> int:
        return sum(c.closed for c in self.coverage)

    @property
    def callbacks_done(self) -> int:
        return sum(c.covered for c in self.coverage)

    @property
    def coverage_rate(self) -> float | None:
        return st.ratio(self.callbacks_done, self.callbacks_due)

    @property
    def satisfied_rate(self) -> float | None:
        return st.ratio(self.satisfied, self.satisfaction.answered)


@dataclass(frozen=True)
class CompanyFigures:
    start: date
    end: date  # exclusive
    communities: list[Figures]  # largest first
    total: Figures
    zones: tuple[str, ...] = field(default=())
    # Percentiles read from the daily rollups' histograms (cases/histogram.py's precision).
    approximate: bool = False


@dataclass(frozen=True)
class _Parts:
    """The period split by what reads it: the days the rollups cover (`rolled`) and the rest,
    today at least, read from the raw tables (`live`); lateness is judged at `as_of` per community."""

    live: list[cq.Window]
    rolled: list[rollup.Span]
    as_of: dict[int, datetime]


def _parts(communities: Sequence[Community], start: date, end: date, now: datetime,
           states: dict[int, rollup.State]) -> _Parts:
    """The period in each community's own time zone; communities of one zone rolled up as far
    share a window."""
    groups: dict[tuple[str, date | None], list[int]] = {}
    for c in communities:
        state = states.get(c.id)
        groups.setdefault((c.policy.timezone, state.through if state else None), []).append(c.id)
    parts = _Parts([], [], {})
    for (zone, through), ids in groups.items():
        lo, hi = st.local_bounds(start, end, zone)
        as_of = min(hi, now)
        split = start if through is None else min(max(through + timedelta(days=1), start), end)
        if split > start:
            parts.rolled.append(rollup.Span(tuple(ids), zone, start, split, as_of, as_of.astimezone(ZoneInfo(zone)).date()))
        if split < end:
            parts.live.append(cq.Window(tuple(ids), st.local_bounds(split, end, zone)[0], hi, as_of))
        parts.as_of.update(dict.fromkeys(ids, as_of))
    return parts


def _summed_coverage(rows: Sequence[Figures]) -> tuple[st.Coverage, ...]:
    """The company's coverage per kind: closed and covered added up; the target is the
    strictest of the communities' (every community must meet its own)."""
    out = []
    for i, kind in enumerate(st.CALLBACK_KINDS):
        parts = [r.coverage[i] for r in rows]
        out.append(st.Coverage(kind, sum(p.closed for p in parts), sum(p.covered for p in parts),
                               sum(p.by_phone for p in parts), sum(p.pending for p in parts),
                               max((p.target for p in parts), default=1.0)))
    return tuple(out)


async def _late_today(session: AsyncSession, span: rollup.Span, first: dict[int, date]) -> Counter[tuple[int, str]]:
    """Cases of rolled-up days that fell late during `as_of`'s own day, judged at `as_of` per
    community: late at `as_of` and not yet at that day's midnight."""
    out: Counter[tuple[int, str]] = Counter()
    midnight = datetime.combine(span.as_of_day, time.min, ZoneInfo(span.zone))
    if midnight == span.as_of:
        return out  # judged at a midnight: the rows' days decided it
    as_of, before_today = int(span.as_of.timestamp()), int(midnight.timestamp())
    for cid in span.community_ids:
        if cid not in first:
            continue
        for facts in await q.case_facts(session, cid, *st.local_bounds(first[cid], span.end, span.zone)):
            now_late, before = st.lateness(facts, as_of), st.lateness(facts, before_today)
            out[cid, "late_response"] += now_late.response is not None and before.response is None
            out[cid, "late_completion"] += now_late.completion is not None and before.completion is None
            out[cid, "overdue"] += now_late.overdue and not before.overdue
    return out


async def company_figures(session: AsyncSession, communities: Sequence[Community], start: date, end: date,
                          now: datetime) -> CompanyFigures:
    """The figures of [start, end) (local dates of each community, end exclusive) as of `now`:
    the days the rollups cover read from them, the others from the raw tables."""
    if not communities:
        raise NotFound("no community to report on")
    opened: dict[int, Counter[str]] = {c.id: Counter() for c in communities}
    counts: dict[int, Counter[str]] = {c.id: Counter() for c in communities}
    covered: dict[int, dict[str, Counter[str]]] = {c.id: defaultdict(Counter) for c in communities}
    answers: dict[int, list[st.AnswerSums]] = defaultdict(list)
    satisfied: Counter[int] = Counter()
    parts = _parts(communities, start, end, now, await rollup.states(session))
    live, rolled = parts.live, parts.rolled
    if live:
        for row in await cq.kind_counts(session, live):
            opened[row.community_id][row.kind] += row.cases
            counts[row.community_id].update(cancelled=row.cancelled, finished=row.finished, reopened=row.reopened,
                                            late_response=row.late_response, late_completion=row.late_completion,
                                            overdue=row.overdue)
        for w in live:  # one window in a company of one time zone
            for cid, rows in (await q.coverage_counts_by_community(session, w.community_ids, w.start, w.end)).items():
                for r in rows:
                    covered[cid][r.kind].update(closed=r.closed, covered=r.covered, by_phone=r.by_phone,
                                                pending=r.pending)
            for cid, sums in (await q.answer_sums_by_community(session, w.community_ids, w.start, w.end)).items():
                answers[cid] += sums
        for v in await cq.verdicts(session, live):
            if not unsatisfied(v.solved, v.speed, v.attitude):
                satisfied[v.community_id] += v.answered
    if rolled:
        for cid, kind, n, cancelled, finished, reopened, closed, cover, phoned, pending in await rollup.counts(
                session, rolled):
            opened[cid][kind] += n
            counts[cid].update(cancelled=cancelled, finished=finished, reopened=reopened)
            covered[cid][kind].update(closed=closed, covered=cover, by_phone=phoned, pending=pending)
        late, undecided = await rollup.late(session, rolled)
        for cid, (response, completion, overdue) in late.items():
            counts[cid].update(late_response=response, late_completion=completion, overdue=overdue)
        for span in rolled:
            for (cid, name), n in (await _late_today(session, span, undecided)).items():
                counts[cid][name] += n
        for cid, sums, content in await rollup.answers(session, rolled):
            answers[cid].append(sums)
            satisfied[cid] += content
        response, completion = await _histogram_durations(session, live, rolled)
    else:
        times = await cq.durations(session, live)
        response, completion = times["first_accepted_at"], times["done_at"]

    none = st.Durations(0, None, None)
    rows = []
    for c in communities:
        n = counts[c.id]
        cover = tuple(st.coverage([st.CoverageCounts(kind, k["closed"], k["covered"], k["by_phone"], k["pending"])
                                   for kind, k in covered[c.id].items()], c.policy))
        rows.append(Figures(
            c, opened[c.id], n["cancelled"], n["finished"], n["reopened"], n["late_response"], n["late_completion"],
            n["overdue"], response.get(c.id, none), completion.get(c.id, none), cover,
            st.satisfaction(answers.get(c.id, [])), satisfied[c.id],
            tuple(x.kind for x in cover if x.below_policy), parts.as_of[c.id],
        ))
    rows.sort(key=lambda r: (-r.cases, r.community.code if r.community else ""))
    total = Figures(
        None, sum((r.opened for r in rows), Counter()),
        *(sum(getattr(r, name) for r in rows) for name in
          ("cancelled", "finished", "reopened", "late_response", "late_completion", "overdue")),
        response.get(cq.COMPANY, none), completion.get(cq.COMPANY, none),
        _summed_coverage(rows),
        st.satisfaction([a for c in communities for a in answers.get(c.id, [])]),
        sum(satisfied.values()),
        tuple(r.community.code for r in rows if r.community and r.below_policy),
        max(parts.as_of.values()),
    )
    return CompanyFigures(start, end, rows, total, tuple(sorted({c.policy.timezone for c in communities})),
                          approximate=bool(rolled))


async def _histogram_durations(session: AsyncSession, live: Sequence[cq.Window], rolled: Sequence[rollup.Span],
                               ) -> tuple[dict[int, st.Durations], dict[int, st.Durations]]:
    """First response and completion per community and for the company (`cq.COMPANY`) from
    the rollups' histograms and the live days' own durations (cases/histogram.py's precision)."""
    hists = await rollup.histograms(session, rolled)
    if live:
        for cid, *seconds in await cq.duration_seconds(session, live):
            for measure, value in zip((rollup.FIRST_RESPONSE, rollup.COMPLETION), seconds):
                if value is not None:
                    hists[measure][cid].add(bucket(value), 1, value, value)
    out = []
    for measure in (rollup.FIRST_RESPONSE, rollup.COMPLETION):
        company = Histogram()
        for h in hists[measure].values():
            company.merge(h)
        out.append({cq.COMPANY: company.durations(), **{cid: h.durations() for cid, h in hists[measure].items()}})
    return out[0], out[1]


# --------------------------------------------------------------------------- who sees what
async def communities_for(uow: UnitOfWork, channel: str, user_id: str) -> list[Community]:
    """The communities where this chat user is an active member of staff with a reporting
    role (those of `/report`, `cases.permissions.may_see_reports`) — the only ones their
    company report shows.  A person serving several communities has one staff row in each,
    linked to their chat by one identity per community (issue 19's model): a row of the
    same name, code or phone that their chat is not linked to is not theirs."""
    ids = set()
    for identity in await uow.directory.identities(channel, user_id):
        if identity.staff_id is None or identity.community_id is None:
            continue
        member = await uow.directory.staff(identity.staff_id)
        if member is not None and may_see_reports(member):
            ids.add(identity.community_id)
    return [c for c in await uow.directory.communities() if c.id in ids]


# --------------------------------------------------------------------------- the report
def _hours(minutes: float | None) -> float | None:
    return None if minutes is None else minutes / 60


def _label(f: Figures) -> str:
    return f"{f.community.name} ({f.community.code})" if f.community else "全公司 Company"


COMPARISON_COLUMNS = [
    Column("小区 Community"), Column("案件 Cases", "int"),
    *(Column(f"{zh_name('kind', k)} {k}", "int") for k in KINDS),
    Column("首响中位 FR median (min)", "min"), Column("首响P90 FR P90 (min)", "min"),
    Column("完成中位 Done median (h)", "hours"), Column("完成P90 Done P90 (h)", "hours"),
    Column("响应超时 Late response", "int"), Column("完成超时 Late completion", "int"),
    Column("超时 Overdue", "int"), Column("超时率 Overdue rate", "pct"),
    Column("应回访 Callbacks due", "int"), Column("已回访 Callbacks done", "int"),
    Column("回访覆盖 Coverage", "pct"), Column("未达标 Below policy"),
    Column("回访答复 Answered", "int"), Column("满意率 Satisfied", "pct"),
    Column("速度 Speed", "score"), Column("态度 Attitude", "score"),
    Column("返工 Reworked", "int"), Column("返工率 Reopen rate", "pct"),
]


def _comparison_row(f: Figures) -> list[Any]:
    s = f.satisfaction
    return [
        _label(f), f.cases, *(f.opened.get(k, 0) for k in KINDS),
        f.first_response.median, f.first_response.p90, _hours(f.completion.median), _hours(f.completion.p90),
        f.late_response, f.late_completion, f.overdue, f.overdue_rate,
        f.callbacks_due, f.callbacks_done, f.coverage_rate, " ".join(f.below_policy),
        s.answered, f.satisfied_rate, s.mean_speed, s.mean_attitude, f.reopened, f.reopen_rate,
    ]


def _coverage_table(figures: CompanyFigures) -> Table:
    rows = [
        [_label(f), f"{c.kind} {zh_name('kind', c.kind)}", c.closed, c.covered, c.by_phone, c.pending, c.missed,
         c.rate, c.target, coverage_status(c)]
        for f in figures.communities for c in f.coverage
    ]
    columns = [
        Column("小区 Community"), Column("类型 Kind"), Column("已关闭 Closed", "int"), Column("已回访 Covered", "int"),
        Column("其中电话 By phone", "int"), Column("进行中 Pending", "int"), Column("未回访 Missed", "int"),
        Column("覆盖率 Coverage", "pct"), Column("标准 Target", "pct"), Column("结论 Status"),
    ]
    return Table("Callbacks", "回访覆盖 Callback coverage by community", columns, rows)


COMPANY_LEGEND = (
    "Company total: worked out from every case and callback of the communities (counts added, rates as "
    "ratios of the sums, percentiles over all cases) — not an average of the communities' figures.",
    "Satisfied = answered callbacks that did not send the case back (solved, and no score of 2 or less); "
    "satisfied rate = satisfied ÷ answered.",
    "Below policy (company row): the communities with a kind below its callback quota.",
    "Each community's period runs from local midnight to local midnight in its own time zone.",
)


APPROXIMATE = (
    "Medians and P90 of the days before today are read from daily histograms: within 1 minute of the exact "
    "figure, or within 1 % of it above 100 minutes."
)


def company_report(figures: CompanyFigures, chart: bytes | None = None) -> Report:
    """The figures as the writers' `Report` (Markdown, CSV, Excel with the chart embedded)."""
    rows = [_comparison_row(f) for f in figures.communities] + [_comparison_row(figures.total)]
    table = Table("Communities", "各小区对比 Communities compared", COMPARISON_COLUMNS, rows)
    last = figures.end - timedelta(days=1)
    meta = [
        ("Period", f"{figures.start:%Y-%m-%d} to {figures.end:%Y-%m-%d} (end exclusive), "
                   f"{', '.join(figures.zones)}"),
        ("Communities", str(len(figures.communities))),
    ]
    title = f"各小区服务对比 Communities compared — {figures.start:%Y-%m-%d} – {last:%Y-%m-%d}"
    legend = LEGEND + COMPANY_LEGEND + ((APPROXIMATE,) if figures.approximate else ())
    return Report(title, meta, [table, _coverage_table(figures)], legend, chart=chart)


async def build_company_report(uow: UnitOfWork, start: date, end: date, codes: Sequence[str] = (), *,
                               now: datetime, chart: bool = True) -> tuple[Report, CompanyFigures]:
    """The company report of [start, end) for the communities `codes` (all when empty), read
    in `uow` (not yet entered); the chart is drawn when `chart`."""
    async with uow:
        await uow.read_only()
        communities = [c for c in await uow.directory.communities() if not codes or c.code in codes]
        missing = sorted(set(codes) - {c.code for c in communities})
        if missing:
            raise NotFound(f"no community {', '.join(missing)}")
        figures = await company_figures(uow.session, communities, start, end, now)
    png = await asyncio.to_thread(render_company_chart, figures) if chart else None
    return company_report(figures, png), figures


# --------------------------------------------------------------------------- chat summary
def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _ends(rows: Sequence[Figures], value: Callable[[Figures], float | None]) -> tuple[Figures, Figures] | None:
    """(highest, lowest) of the communities that have the figure; None with fewer than two."""
    ranked = sorted((r for r in rows if value(r) is not None),
                    key=lambda r: (value(r), r.community.code if r.community else ""))
    return (ranked[-1], ranked[0]) if len(ranked) >= 2 else None


def company_text(locale: str, figures: CompanyFigures) -> str:
    """The short summary a company manager reads in chat (the chart carries the detail)."""
    def say(key: str, **fields: object) -> str:
        return t(locale, f"company_report.{key}", **fields)

    def name(f: Figures) -> str:
        return f.community.name if f.community else ""

    total = figures.total
    s = total.satisfaction
    lines = [
        say("title", n=len(figures.communities), start=f"{figures.start:%Y-%m-%d}",
            end=f"{figures.end - timedelta(days=1):%Y-%m-%d}"),
        say("total", cases=total.cases, overdue=total.overdue, overdue_rate=_pct(total.overdue_rate),
            coverage=_pct(total.coverage_rate), done=total.callbacks_done, due=total.callbacks_due,
            satisfied=_pct(total.satisfied_rate), answered=s.answered, reworked=total.reopened),
    ]
    best = _ends(figures.communities, lambda f: f.satisfied_rate)
    if best:
        lines.append(say("satisfaction", best=name(best[0]), best_rate=_pct(best[0].satisfied_rate),
                         worst=name(best[1]), worst_rate=_pct(best[1].satisfied_rate)))
    late = _ends(figures.communities, lambda f: f.overdue_rate)
    if late:
        lines.append(say("overdue", worst=name(late[0]), worst_rate=_pct(late[0].overdue_rate),
                         best=name(late[1]), best_rate=_pct(late[1].overdue_rate)))
    below = [f for f in figures.communities if f.below_policy]
    if below:
        lines.append(say("below", list=say("sep").join(
            say("below_one", community=name(f), kinds=say("kind_sep").join(code_name(locale, "kind", k)
                                                                            for k in f.below_policy))
            for f in below)))
    else:
        lines.append(say("below_none"))
    lines.append(say("details"))
    return "\n".join(lines)


async def company_summary(session: AsyncSession, communities: Sequence[Community], start: date, end: date,
                          now: datetime, *, locale: str = "zh-CN") -> tuple[str, bytes]:
    """The chat summary of the company report and its chart (drawn in a worker thread)."""
    figures = await company_figures(session, communities, start, end, now)
    return company_text(locale, figures), await asyncio.to_thread(render_company_chart, figures, locale)


# --------------------------------------------------------------------------- chart
def render_company_chart(figures: CompanyFigures, locale: str = "zh-CN") -> bytes:
    """Communities as rows: cases opened (stacked by kind) beside the overdue, satisfied and
    callback-coverage rates, as a PNG.  Labelled in Chinese when a font can draw it."""
    with CHART_LOCK:
        return _render(figures, locale)


def _render(figures: CompanyFigures, locale: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")  # headless: no display on servers
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure

    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]

    def bars(ax: Any, y: Sequence[float], widths: Sequence[float], lefts: Sequence[float], height: float,
             label: str, colour: str) -> None:
        """`ax.barh` as one collection: 50 communities × 8 series were 400 patches, each added
        and drawn on its own (a third of the chart's CPU)."""
        half = height / 2
        ax.add_collection(PolyCollection(
            [[(x, c - half), (x + w, c - half), (x + w, c + half), (x, c + half)] for c, w, x in zip(y, widths, lefts)],
            facecolors=colour, edgecolors="none", label=label))

    font = cjk_font() if locale == "zh-CN" else None
    zh = font is not None
    rc = {"font.family": [font, "DejaVu Sans"]} if zh else {}
    rows = list(reversed(figures.communities))  # largest at the top
    labels = [(f.community.name if zh else f.community.code) if f.community else "" for f in rows]
    y = list(range(len(rows)))
    kinds = [k for k in KINDS if any(f.opened.get(k) for f in rows)] or [Kind.REPORT]
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(12, max(3.5, 1.2 + 0.38 * len(rows))), dpi=100)
        left, right = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 2]})
        base = [0] * len(rows)
        for i, kind in enumerate(kinds):
            values = [f.opened.get(kind, 0) for f in rows]
            bars(left, y, values, base, 0.8, code_name("zh-CN" if zh else "en", "kind", kind), colours[i % len(colours)])
            base = [b + v for b, v in zip(base, values)]
        for i, n in enumerate(base):
            left.annotate(str(n), (n, i), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        left.set_yticks(y, labels)
        left.set_xlim(0, max(base + [1]) * 1.15)
        left.set_xlabel("新增案件" if zh else "Cases opened")
        # Legends above the panels: over the bars they would hide the largest communities' figures.
        left.legend(loc="lower left", bbox_to_anchor=(0, 1), fontsize=8, ncols=len(kinds), frameon=False)
        height = 0.27
        for i, (shift, value, label) in enumerate((
            (height, lambda f: f.overdue_rate, "超时率" if zh else "Overdue"),
            (0, lambda f: f.satisfied_rate, "满意率" if zh else "Satisfied"),
            (-height, lambda f: f.coverage_rate, "回访覆盖" if zh else "Callback coverage"),
        )):
            values = [(v if (v := value(f)) is not None else 0) * 100 for f in rows]
            bars(right, [row + shift for row in y], values, [0] * len(rows), height, label, colours[i])
        right.set_xlim(0, 105)
        right.set_xlabel("%")
        right.legend(loc="lower left", bbox_to_anchor=(0, 1), fontsize=8, ncols=3, frameon=False)
        last = figures.end - timedelta(days=1)
        fig.suptitle(f"各小区对比 {figures.start:%Y-%m-%d} 至 {last:%Y-%m-%d}" if zh
                     else f"Communities compared, {figures.start:%Y-%m-%d} to {last:%Y-%m-%d}")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()
