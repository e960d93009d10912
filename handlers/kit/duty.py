"""How the duty roster reads, the same in chat (`/duty`), the console's 值班 page, the
confirmation and the team group: "王强 值班：6月6日（周六）20:00 至 6月7日（周日）08:00"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from cases.records import Community
from cases.roster import Roster
from cases.when import Span, When
from handlers.kit.answers import day_label, when_label
from handlers.kit.formatting import code_name
from handlers.kit.i18n import t
from services import roster
from storage.uow import UnitOfWork


def span_text(locale: str, start: datetime, end: datetime) -> str:
    return when_label(When(Span.WINDOW, start, end), locale)


def change_line(locale: str, name: str, on: bool, start: datetime, end: datetime) -> str:
    return t(locale, "duty.line_on" if on else "duty.line_off", name=name, span=span_text(locale, start, end))


@dataclass(frozen=True, slots=True)
class WeekView:
    now_on: str  # "孙浩（工程部）、张勇（秩序部）", "" for nobody
    days: list[tuple[str, list[tuple[str, str]]]]  # (day, [(hours, names)])
    changes: list[str]  # "王强 值班：…（马建国）", the supervisors' changes this week
    roster: Roster  # as it stands, and the week's dates, for the forms that change it
    dates: list[date]


async def week_view(uow: UnitOfWork, community: Community, now: datetime, locale: str) -> WeekView:
    """Who is on duty now and on each day of the week from today, with the changes made."""
    week, days = await roster.week_of(uow, community, now)
    members = await uow.directory.staff_list(community.id)
    by_code = {m.code: m for m in members}
    by_id = {m.id: m for m in members}

    def names(codes: tuple[str, ...]) -> str:
        return "、".join(f"{by_code[c].name}（{code_name(locale, 'team', by_code[c].team)}）"
                        for c in codes if c in by_code) or t(locale, "duty.nobody")

    first = datetime.combine(days[0], time())
    after = first + timedelta(days=len(days))
    changes = [t(locale, "duty.change_by", line=change_line(locale, by_code[c.staff].name, c.on, c.start, c.end),
                 by=by_id[c.made_by].name if c.made_by in by_id else "-")
               for c in week.changes if c.end > first and c.start < after and c.staff in by_code]
    now_codes = week.on_duty(now, community.policy.timezone)
    return WeekView(
        now_on=names(now_codes) if now_codes else "",
        days=[(day_label(datetime.combine(d, time()), locale),
               [(f"{s.start:%H:%M}–{s.end:%H:%M}", names(s.staff)) for s in week.slots(d)]) for d in days],
        changes=changes, roster=week, dates=days)
