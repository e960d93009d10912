"""/report: the desk's statistics in chat — the short summary and its chart — for the people
who run the service (the manager, the supervisors, the quality inspector).

    /report                          this week so far
    /report 上周 (or: last)          the last complete week
    /report 2026-06-01 2026-06-08    a period; the end date is excluded, as in `wuye report`
    /report 2026-06-01               from that day to today
    /report company [period]         the communities where the asker reports, side by side
                                     (also 公司, 全公司, 各小区; and a button under /report)

The figures and the chart come from the reporting service the bootstrap hands the desk
(`handlers.kit.context.Reporter`, implemented in `services.reports.chat`): it draws the chart, stores it where the
channels can send it and returns a photo reference; this module only decides who may
ask and which period is meant.  Answers go to the private chat.

The company report shows only the communities where the person asking holds a reporting
role themselves (`services.reports.company.communities_for`); with fewer than two there
is nothing to compare and they are told so.
"""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from cases.permissions import StaffMember, may_see_reports
from handlers.kit.context import Ctx
from handlers.kit.messages import rows
from handlers.kit.numbers import parse_int
from handlers.kit.payloads import CompanyReport
from handlers.staff.common import in_each_community, refuse
from services.reports.company import communities_for

log = logging.getLogger("wuye.reports")

MAX_DAYS = 366
LAST_WEEK_WORDS = frozenset({"上周", "上一周", "last", "lastweek", "last-week"})
COMPANY_WORDS = frozenset({"company", "公司", "全公司", "各小区", "对比"})
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$", re.ASCII)
# Far enough for any report, near enough that a day added or a week taken never leaves `date`'s range.
FIRST_YEAR, LAST_YEAR = 1970, 9000


def _date(text: str) -> date | None:
    match = _DATE.match(text)
    if match is None:
        return None
    year, month, day = (parse_int(part) for part in match.groups())
    if year is None or month is None or day is None or not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:  # 2026-02-30
        return None


def period_of(arg: str, today: date) -> tuple[date, date] | None:
    """[start, end) meant by the command's words, or None when they make no sense."""
    words = arg.split()
    monday = today - timedelta(days=today.weekday())
    if not words:
        return monday, today + timedelta(days=1)
    if len(words) == 1 and words[0].lower() in LAST_WEEK_WORDS:
        return monday - timedelta(days=7), monday
    if len(words) > 2:
        return None
    dates = [_date(w) for w in words]
    if any(d is None for d in dates):
        return None
    start = dates[0]
    assert start is not None
    # One date: from it to today (a day in the future is refused by the caller, not as nonsense).
    end = dates[1] if len(dates) == 2 else max(start, today) + timedelta(days=1)
    assert end is not None
    if end <= start or (end - start).days > MAX_DAYS:
        return None
    return start, end


async def _reader(ctx: Ctx) -> StaffMember | None:
    """The active member of staff asking, or None after telling a stranger or a departed one why not."""
    staff = await ctx.staff()
    if staff is None:
        refuse(ctx, "reports.inactive" if ctx.identity.staff_id is not None else "reports.only_staff")
    return staff


def _period(ctx: Ctx, arg: str) -> tuple[date, date] | None:
    """The period asked for, or None after saying why it will not do."""
    today = ctx.now.astimezone(ZoneInfo(ctx.policy.timezone)).date()
    period = period_of(arg.strip()[:60], today)
    if period is None:
        ctx.say(ctx.t("reports.usage"))
        return None
    if period[0] > today:
        ctx.say(ctx.t("reports.future", start=f"{period[0]:%Y-%m-%d}"))
        return None
    return period


async def report_command(ctx: Ctx, arg: str) -> None:
    """The summary text and the chart of the period asked for, of the community the
    conversation is in (`/community` switches); in a regional group, of each it serves.
    `/report company …` is the company report instead."""
    words = arg.split(maxsplit=1)
    if words and words[0].lower() in COMPANY_WORDS:
        await _company(ctx, words[1] if len(words) > 1 else "")
        return
    await in_each_community(ctx, lambda each: _report(each, arg))


async def _report(ctx: Ctx, arg: str) -> None:
    staff = await _reader(ctx)
    if staff is None:
        return
    if not may_see_reports(staff):
        refuse(ctx, "reports.not_your_role")
        return
    period = _period(ctx, arg)
    if period is None:
        return
    start, end = period
    if ctx.reporter is None:
        ctx.say(ctx.t("reports.unavailable"))
        return
    text, chart = await ctx.reporter.summary(ctx.uow, ctx.community, start, end, ctx.now, ctx.locale)
    log.info("report %s..%s for staff %s", start, end, staff.id)
    # Someone who reports on several communities can compare them over the same period.
    compare = (rows([ctx.button(ctx.t("company_report.button"), CompanyReport(start, end))])
               if len(await communities_for(ctx.uow, ctx.inbound.channel, ctx.inbound.user_id)) >= 2 else ())
    ctx.say(text, compare, photos=(chart,) if chart else ())


async def _company(ctx: Ctx, arg: str) -> None:
    period = _period(ctx, arg)
    if period is not None:
        await _company_report(ctx, *period)


async def company_pressed(ctx: Ctx, pressed: CompanyReport) -> None:
    """The "各小区对比" button: the same checks as the command (a button proves nothing)."""
    start, end = pressed.start, pressed.end
    if end <= start or (end - start).days > MAX_DAYS:
        refuse(ctx, "reports.usage")
        return
    await _company_report(ctx, start, end)


async def _company_report(ctx: Ctx, start: date, end: date) -> None:
    """The company report of [start, end) over the communities where the asker reports."""
    communities = await communities_for(ctx.uow, ctx.inbound.channel, ctx.inbound.user_id)
    if len(communities) < 2:
        if not communities and await ctx.staff() is None:
            await _reader(ctx)  # a stranger, or staff whose account here was deactivated
            return
        log.info("company report refused to staff %s (reports in %d communities)", ctx.identity.staff_id,
                 len(communities))
        refuse(ctx, "company_report.not_yours")
        return
    if ctx.reporter is None:
        ctx.say(ctx.t("reports.unavailable"))
        return
    text, chart = await ctx.reporter.company(ctx.uow, communities, start, end, ctx.now, ctx.locale)
    log.info("company report %s..%s for staff %s over communities %s", start, end, ctx.identity.staff_id,
             ",".join(c.code for c in communities))
    ctx.say(text, photos=(chart,) if chart else ())
