"""Delivery health: what is waiting in the outbox, per channel and chat, and who is told.

`wuye status` prints it; the scheduler's `watch` tells the management group (once an
hour per chat) about a chat that has been undeliverable longer than `STUCK_AFTER`:
messages failing for that long, waiting that long, or queued for a channel this
deployment does not run at all (teams that kept the demo's `console:` chat names in a
Telegram deployment).  Chat ids only: never an owner's name or message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.kit.i18n import t
from handlers.kit.messages import URGENT, Reply, reply_to_dict
from storage.outbox import ChatHealth, Outbox
from storage.uow import UnitOfWork

STUCK_AFTER = timedelta(minutes=30)
ALERT_EVERY = timedelta(hours=1)
FAILED_SINCE = timedelta(days=7)
STAFF_LOCALE = "zh-CN"


@dataclass(frozen=True, slots=True)
class Stuck:
    health: ChatHealth
    reason: str  # no_channel | failing | waiting
    since: datetime


async def chat_health(uow: UnitOfWork, now: datetime) -> list[ChatHealth]:
    return await Outbox(uow.session).health(now - FAILED_SINCE)


def stuck_chats(rows: list[ChatHealth], now: datetime, running: set[str],
                after: timedelta = STUCK_AFTER) -> list[Stuck]:
    """Chats undeliverable for longer than `after`."""
    found = []
    for row in rows:
        if not row.pending or row.oldest_pending is None:
            continue
        if row.channel not in running:
            if now - row.oldest_pending >= after:
                found.append(Stuck(row, "no_channel", row.oldest_pending))
        elif row.failing_since is not None and now - row.failing_since >= after:
            found.append(Stuck(row, "failing", row.failing_since))
        elif now - row.oldest_pending >= after:
            found.append(Stuck(row, "waiting", row.oldest_pending))
    return found


def status_lines(rows: list[ChatHealth], now: datetime, running: set[str] | None = None) -> list[str]:
    """`wuye status`: one line per chat with something pending or failed lately."""
    if not rows:
        return ["outbox: nothing pending, nothing failed in the last 7 days"]
    lines = [f"{'channel':<10} {'chat':<22} {'pending':>7} {'retrying':>8} {'failed 7d':>9}  oldest pending"]
    for row in rows:
        age = "-" if row.oldest_pending is None else f"{int((now - row.oldest_pending).total_seconds() // 60)} min"
        note = ""
        if running is not None and row.pending and row.channel not in running:
            note = "  (no such channel running: undeliverable)"
        lines.append(f"{row.channel:<10} {row.chat_id:<22} {row.pending:>7} {row.retrying:>8} {row.failed:>9}  {age}{note}")
    totals = (sum(r.pending for r in rows), sum(r.retrying for r in rows), sum(r.failed for r in rows))
    lines.append(f"{'total':<33} {totals[0]:>7} {totals[1]:>8} {totals[2]:>9}")
    return lines


async def watch(uow: UnitOfWork, now: datetime, running: set[str], alerted: dict[tuple[str, str], datetime],
                management_chats: list[tuple[str, str]]) -> list[Reply]:
    """Alerts for newly stuck chats (at most one per chat per ALERT_EVERY), queued by the caller."""
    replies = []
    for stuck in stuck_chats(await chat_health(uow, now), now, running):
        key = (stuck.health.channel, stuck.health.chat_id)
        if key in alerted and now - alerted[key] < ALERT_EVERY:
            continue
        alerted[key] = now
        reason = t(STAFF_LOCALE, f"delivery.reason_{stuck.reason}", channel=stuck.health.channel)
        text = t(STAFF_LOCALE, "delivery.stuck", channel=stuck.health.channel, chat=stuck.health.chat_id,
                 minutes=int((now - stuck.since).total_seconds() // 60), pending=stuck.health.pending,
                 retrying=stuck.health.retrying, failed=stuck.health.failed, reason=reason)
        for channel, chat in management_chats:
            if channel in running and (channel, chat) != key:
                replies.append(Reply(channel, chat, text, priority=URGENT))
    for reply in replies:
        await uow.outbox.add(reply.channel, reply.chat_id, reply_to_dict(reply), None, now)
    return replies
