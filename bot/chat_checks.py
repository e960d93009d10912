"""Team group chats checked against the channel itself at start (`wuye run`, `wuye check`).

A group id in the community file that Telegram does not know (a typo, a group that was
deleted or upgraded) or where the bot is no longer a member (removed, never added)
takes every dispatch card for that team into the void: each fails as undeliverable
only when the first case comes.  So at start each team's group is looked up
(getChat, which Telegram answers with the same refusal a message would get), and each
refused one is one warning line naming the team, the chat id and Telegram's reason.
"""

from __future__ import annotations

import logging
from typing import Protocol

from bot.bootstrap import App
from bot.channel import DeliveryError

log = logging.getLogger("wuye.config")


class ChatLookup(Protocol):
    channel: str

    async def chat_refusal(self, chat_id: str) -> str | None: ...


def _shown(sender: ChatLookup, chat: str) -> str:
    """The chat id as a line may show it (a WeCom robot's key is a credential: shortened)."""
    shown = getattr(sender, "shown", None)
    return shown(chat) if shown is not None else chat


async def refused_group_chats(app: App, sender: ChatLookup) -> list[str]:
    """One line per team whose group chat on `sender`'s channel the channel refuses."""
    async with app.uow() as uow:
        teams = [team for community in await uow.directory.communities()
                 for team in await uow.directory.teams(community.id)]
    lines = []
    checked: set[str] = set()
    for team in teams:
        if team.chats.get(sender.channel) in checked:
            continue  # a regional group serving the team of several communities: asked once
        checked.add(team.chats.get(sender.channel, ""))
        chat = team.chats.get(sender.channel)
        if not chat:
            continue  # no chat on this channel: bot.config_checks says so
        try:
            reason = await sender.chat_refusal(chat)
        except DeliveryError as exc:  # busy, rate-limited, unreachable
            lines.append(f"team {team.code} ({team.name}): group chat {_shown(sender, chat)} could not be checked "
                         f"({exc})")
            continue
        if reason is not None:
            lines.append(f"team {team.code} ({team.name}): {sender.channel} refuses group chat {_shown(sender, chat)} "
                         f"({reason}); its cards cannot be delivered — add the bot to the group or "
                         f"correct the chat id in the community file")
    return lines


async def warn_refused_group_chats(app: App, sender: ChatLookup) -> list[str]:
    lines = await refused_group_chats(app, sender)
    for line in lines:
        log.warning("configuration: %s", line)
    return lines
