"""Checks of the loaded configuration against the channels actually running.

A team whose group chat is only named for the console (`console: 工程部群`) in a
Telegram deployment gets its dispatch cards queued for a chat that does not exist; a
staff member with no Telegram id can never be sent an owner's contact or a task.
Nothing fails at that moment, so it is said at start — one warning line each — and
`wuye status` lists the same lines (`config_warnings`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import select

from bot.bootstrap import App
from storage import models as m

log = logging.getLogger("wuye.config")


async def config_warnings(app: App, channels: Iterable[str]) -> list[str]:
    """One line per team or active staff member with no chat on any of `channels`."""
    running = sorted(set(channels))
    shown = "/".join(running)
    warnings: list[str] = []
    async with app.uow() as uow:
        communities = await uow.directory.communities()
        reachable = set(await uow.session.scalars(
            select(m.Identity.staff_id).where(m.Identity.staff_id.is_not(None), m.Identity.channel.in_(running))))
        for community in communities:
            # With several communities each line says whose team or staff member it is.
            where = f"{community.code}: " if len(communities) > 1 else ""
            for team in await uow.directory.teams(community.id):
                if not any(channel in team.chats for channel in running):
                    elsewhere = ", ".join(f"{c}: {chat}" for c, chat in sorted(team.chats.items())) or "none"
                    warnings.append(f"{where}team {team.code} ({team.name}) has no {shown} group chat "
                                    f"(chats: {elsewhere}); its cards cannot be delivered")
            for member in await uow.directory.staff_list(community.id):
                if member.id not in reachable:
                    warnings.append(f"{where}staff {member.name} ({member.team}, {member.role}) has no {shown} chat; "
                                    f"tasks and owners' contacts cannot reach them")
    return warnings


async def warn_at_start(app: App, channels: Iterable[str]) -> list[str]:
    """Log each warning (one line each) and return them."""
    warnings = await config_warnings(app, channels)
    for line in warnings:
        log.warning("configuration: %s", line)
    return warnings
