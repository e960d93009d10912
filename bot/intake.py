"""Housekeeping of the intake: the durable record of handled updates has a horizon.

`processed_updates` keeps each update's key so a redelivery is handled once.  A
redelivery comes within Telegram's own 24-hour retention of unconfirmed updates (a
webhook retried, a poll offset lost in a restart); past that, a key only costs a row.
So keys older than `UPDATE_HORIZON` are pruned on schedule, and the table stays at a
few days of traffic instead of growing by one row per update forever.  The update key
itself includes the message's chat, id and date (`bot.telegram.inbound.update_key`), so
Telegram restarting its numbering never collides with a key still kept.  The WeChat and
WeCom inbox (storage.inbox) keeps its handled and failed messages as long, then forgets them.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.bootstrap import App
from storage.failures import log_failure
from storage.inbox import Inbox
from storage.wechat import OPTIONS_KEPT, WechatContacts

log = logging.getLogger("wuye.intake")

UPDATE_HORIZON = timedelta(days=3)
PRUNE_EVERY = timedelta(hours=1)
# Markers that make a job happen once (the weekly report of each week) are no updates.
KEEP_CHANNELS = ("weekly_report",)


async def prune_updates(app: App) -> int:
    """Forget update keys older than the horizon; how many went."""
    async with app.uow() as uow:
        gone = await uow.conversations.prune_updates(app.now() - UPDATE_HORIZON, keep_channels=KEEP_CHANNELS)
        inbox = await Inbox(uow.session).prune(app.now() - UPDATE_HORIZON)
        # WeChat msgmenu options: a tap on one older than this is answered as an expired button.
        await WechatContacts(uow.session).prune_options(app.now() - OPTIONS_KEPT)
        await uow.commit()
    if gone or inbox:
        log.info("forgot %d handled update keys and %d inbox messages older than %s", gone, inbox, UPDATE_HORIZON)
    return gone


async def scheduled_prune(app: App) -> None:
    """The scheduler's job: a failure is logged and the next run tries again."""
    try:
        await prune_updates(app)
    except Exception as exc:
        log_failure(log, exc, "pruning handled update keys failed", then="the next run retries")
