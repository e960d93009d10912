"""An owner's homes across communities: the rooms offered when a flow asks "which home?",
labelled with their community when there are several, and the switch to the community of
the home picked (the case opened is that community's)."""

from __future__ import annotations

import re
import unicodedata

from handlers.kit.context import Ctx, Home


async def offered(ctx: Ctx) -> list[tuple[Home, str]]:
    """Every home of the owner with the label its button shows: the room code, with the
    community's name in front when the homes are in more than one."""
    homes = await ctx.homes()
    several = len({h.community.id for h in homes}) > 1
    return [(h, ctx.t("communities.home", community=h.community.name, room=h.room.code) if several else h.room.code)
            for h in homes]


def typed(homes: list[Home], code: str) -> Home | None:
    """The home whose room code was typed, when only one of the owner's homes has it."""
    found = [h for h in homes if h.room.code == code]
    return found[0] if len(found) == 1 else None


# "1栋1单元101", "3号楼2单元502室", "1幢1单元 101": the room code (1-1-101) in words.
_CODE_IN_WORDS = re.compile(r"^\s*(\d{1,3})\s*(?:号楼|栋|幢|座|号)\s*(\d{1,2})\s*(?:单元|门)\s*(\d{2,5})\s*(?:室|号|房)?\s*$")


def code_of(text: str) -> str | None:
    """A room code typed as a code ("1-1-101") or in words ("1栋1单元101" → "1-1-101")."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if re.fullmatch(r"[0-9A-Za-z]{1,8}(-[0-9A-Za-z]{1,8}){1,3}", text):
        return text
    m = _CODE_IN_WORDS.match(text)
    return "-".join(m.groups()) if m else None


def named(homes: list[Home], text: str) -> Home | None:
    """The one home whose room code the owner wrote in a message ("2-1-101那套卫生间漏水"),
    not inside a longer code; None when none is, or when several homes share the code."""
    codes = {h.room.code for h in homes
             if re.search(rf"(?<![0-9A-Za-z-]){re.escape(h.room.code)}(?![0-9A-Za-z-])", text)}
    return typed(homes, codes.pop()) if len(codes) == 1 else None


async def choose(ctx: Ctx, room_id: int | None) -> Home | None:
    """The owner's home with this room id (None: not theirs — a forged or stale button); a
    home in another community moves the conversation there."""
    home = next((h for h in await ctx.homes() if h.room.id == room_id), None)
    if home is not None and home.community.id != ctx.community.id:
        await ctx.enter(home.community)
    return home
