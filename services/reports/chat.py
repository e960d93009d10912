"""The desk's statistics in chat: the reporter behind /report, and the weekly push.

Both send the short summary of `services.reports.statistics.period_summary` with its
chart; the chart is stored by the `save` the bootstrap passes in (`bot.media.save`, into
MEDIA_DIR) and travels in the reply as a `media:` photo, which the channels upload (and
the console shows as a path).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from collections.abc import Callable, Sequence
from pathlib import Path

from cases.codes import Team
from cases.records import Community
from handlers.kit.messages import Reply, reply_to_dict
from services.reports import company as company_reporting
from services.reports import statistics as reporting
from storage.uow import UnitOfWork

# Stores a chart (directory, file stem, PNG bytes) and returns its `media:` reference.
SaveMedia = Callable[[Path, str, bytes], str]

log = logging.getLogger("wuye.reports")

# The scheduler's runs are recorded like a channel's updates, so a week is pushed once
# even if the job runs again (a restart at 09:00, two bot processes).
_ONCE_CHANNEL = "weekly_report"


class ChatReporter:
    """`handlers.kit.context.Reporter`: figures and chart of a period, the chart saved for upload."""

    def __init__(self, media_dir: Path, save: SaveMedia) -> None:
        self.media_dir = media_dir
        self.save = save

    async def summary(self, uow: UnitOfWork, community: Community, start: date, end: date, now: datetime,
                      locale: str, *, weekly: bool = False) -> tuple[str, str]:
        text, png = await reporting.period_summary(uow.session, community, start, end, now, locale=locale,
                                                   weekly=weekly)
        stem = f"{'weekly' if weekly else 'report'}-{community.code}-{start:%Y%m%d}-{end:%Y%m%d}"
        return text, self.save(self.media_dir, stem, png)

    async def company(self, uow: UnitOfWork, communities: Sequence[Community], start: date, end: date,
                      now: datetime, locale: str) -> tuple[str, str]:
        """The company report's summary of `communities` and its chart, saved for upload."""
        text, png = await company_reporting.company_summary(uow.session, communities, start, end, now, locale=locale)
        return text, self.save(self.media_dir, f"company-{start:%Y%m%d}-{end:%Y%m%d}", png)


async def weekly_push(uow: UnitOfWork, now: datetime, reporter: ChatReporter, locale: str) -> bool:
    """Enqueue last week's summary and chart to each community's management group chat(s);
    True when something was enqueued (the caller then wakes the outbox delivery).

    One unit of work (`uow`, not yet entered): the once-a-week marks and the messages
    commit together.  Meant for Monday 09:00 community time; run later in the week it still
    reports the last complete week, and a second run for the same week does nothing.
    """
    sent = 0
    async with uow:
        communities = await uow.directory.communities()
        if not communities:
            log.warning("weekly report: no community loaded")
            return False
        for community in communities:
            sent += await _weekly(uow, community, now, reporter, locale)
        await uow.commit()
    return sent > 0


async def _weekly(uow: UnitOfWork, community: Community, now: datetime, reporter: ChatReporter, locale: str) -> int:
    """One community's weekly summary to its own management group(s); how many chats got it."""
    chats = [(channel, chat) for info in await uow.directory.teams(community.id) if info.code == Team.MANAGEMENT
             for channel, chat in sorted(info.chats.items())]
    if not chats:
        log.warning("weekly report: the management team of %s has no group chat; nothing sent", community.code)
        return 0
    start, end = reporting.last_week(now, community)
    if not await uow.conversations.first_time(_ONCE_CHANNEL, f"{community.id}:{start:%Y-%m-%d}", now):
        log.info("weekly report of %s for the week of %s was already sent", community.code, start)
        return 0
    text, chart = await reporter.summary(uow, community, start, end, now, locale, weekly=True)
    for channel, chat in chats:
        reply = Reply(channel, chat, text, photos=(chart,))
        await uow.outbox.add(channel, chat, reply_to_dict(reply), None, now)
    log.info("weekly report of %s for the week of %s enqueued to %d management chat(s)", community.code, start,
             len(chats))
    return len(chats)
