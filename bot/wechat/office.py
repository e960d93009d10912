"""What the office does once with the Service Account: print room QR codes, publish the menu.

`room_qr_codes` asks the platform for a permanent string-scene QR code per room
(`qrcode/create`, QR_LIMIT_STR_SCENE, scene "room:<room code>") and writes it as a PNG
to print on notices: scanning it (following the account if need be) starts the binding
with the room filled in; the owner still confirms with name and last phone digits.

`custom_menu` is the account's menu — 报修, 办事 (投诉/服务/咨询), 我的工单 — whose click
keys the channel turns into the same presses as the bot's own menu buttons.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import qrcode
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.wechat.inbound import QR_PREFIX
from bot.wxbase.api import ApiClient
from handlers.kit.i18n import t
from storage import models as m

_SAFE = re.compile(r"[^0-9A-Za-z._-]")


class UnknownRooms(ValueError):
    """Room codes not in the register (nothing was written)."""


def custom_menu(locale: str = "zh-CN") -> dict[str, Any]:
    def click(item: str) -> dict[str, str]:
        return {"type": "click", "name": t(locale, f"wechat.menu_{item}"), "key": f"menu:{item}"}

    return {"button": [
        click("report"),
        {"name": t(locale, "wechat.menu_more"), "sub_button": [click("complaint"), click("service"), click("inquiry")]},
        click("mycases"),
    ]}


async def publish_menu(api: ApiClient, locale: str = "zh-CN") -> dict[str, Any]:
    menu = custom_menu(locale)
    await api.call("/cgi-bin/menu/create", menu)
    return menu


async def room_qr_codes(api: ApiClient, sessions: async_sessionmaker[AsyncSession], rooms: list[str],
                        out_dir: Path) -> list[Path]:
    """One PNG per room (`qr-<room>.png`); UnknownRooms before anything is asked or written."""
    async with sessions() as session:
        known = set((await session.scalars(select(m.Room.code).where(m.Room.code.in_(rooms)))).all())
    unknown = [room for room in rooms if room not in known]
    if unknown:
        raise UnknownRooms(f"not in the owner register: {', '.join(unknown[:10])}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for room in rooms:
        answer = await api.call("/cgi-bin/qrcode/create", {
            "action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": f"{QR_PREFIX}{room}"}}})
        path = out_dir / f"qr-{_SAFE.sub('_', room)}.png"
        qrcode.make(str(answer["url"])).save(str(path))
        written.append(path)
    return written
