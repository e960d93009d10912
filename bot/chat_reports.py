"""The desk's statistics in chat: the reporter behind /report, and the weekly push.

Both send the short summary of `bot.reporting.period_summary` with its chart; the
chart is stored in MEDIA_DIR (`bot.media`) and travels in the reply as a `media:`
photo, which the channels upload (and the console shows as a path).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot import media, reporting
from cases.codes import Team
from cases.records import Community
from handlers.messages import Reply, reply_to_dict
from storage.uow import UnitOfWork

if TYPE_CHECKING:  # the bootstrap builds the reporter
    from bot.bootstrap import App

log = logging.getLogger("wuye.reports")

# The scheduler's runs are recorded like a channel's updates, so a week is pushed once
# even if the job runs again (a restart at 09:00, two bot processes).
_ONCE_CHANNEL = "weekly_report"


class ChatReporter:
    """`handlers.context.Reporter`: figures and chart of a period, the chart saved for upload."""

    def __init__(self, media_dir: Path) -> None:
        self.media_dir = media_dir

    async def summary(self, uow: UnitOfWork, community: Community, start: date, end: date, now: datetime,
                      locale: str, *, weekly: bool = False) -> tuple[str, str]:
        text, png = await reporting.period_summary(uow.session, community, start, end, now, locale=locale,
                                                   weekly=weekly)
        stem = f"{'weekly' if weekly else 'report'}-{community.code}-{start:%Y%m%d}-{end:%Y%m%d}"
        return text, media.save(self.media_dir, stem, png)


async def weekly_push(app: App, now: datetime) -> None:
    """Enqueue last week's summary and chart to the management team's group chat(s).

    One unit of work: the once-a-week mark and the messages commit together.  Meant for
    Monday 09:00 community time; run later in the week it still reports the last
    complete week, and a second run for the same week does nothing.
    """
    async with app.uow() as uow:
        community = await uow.directory.community()
        if community is None:
            log.warning("weekly report: no community loaded")
            return
        chats = [(channel, chat) for info in await uow.directory.teams(community.id) if info.code == Team.MANAGEMENT
                 for channel, chat in sorted(info.chats.items())]
        if not chats:
            log.warning("weekly report: the management team has no group chat; nothing sent")
            return
        start, end = reporting.last_week(now, community)
        if not await uow.conversations.first_time(_ONCE_CHANNEL, f"{community.id}:{start:%Y-%m-%d}", now):
            log.info("weekly report for the week of %s was already sent", start)
            return
        text, chart = await ChatReporter(app.settings.media_dir).summary(
            uow, community, start, end, now, app.settings.default_locale, weekly=True)
        for channel, chat in chats:
            reply = Reply(channel, chat, text, photos=(chart,))
            await uow.outbox.add(channel, chat, reply_to_dict(reply), None, now)
        await uow.commit()
    log.info("weekly report for the week of %s enqueued to %d management chat(s)", start, len(chats))
    if app.desk.on_outbox is not None:
        app.desk.on_outbox()
