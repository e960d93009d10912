"""What the WeChat channel keeps per follower (storage for bot.wechat): the 48 h window,
following or not, a room QR code scanned and awaiting confirmation, and msgmenu options."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models as m
from storage.conversations import insert_for

# WeChat lets an account write to a follower for 48 hours after the follower's last message.
WINDOW = timedelta(hours=48)
# A scanned room QR waits this long for the owner's name and digits.
QR_WAIT = timedelta(minutes=30)
# msgmenu options are kept this long (bot.intake prunes older ones).
OPTIONS_KEPT = timedelta(days=30)


class WechatContacts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _upsert(self, openid: str, **values: object) -> None:
        insert = insert_for(self.session)
        statement = insert(m.WechatContact).values(openid=openid, **{"followed": True, **values})
        await self.session.execute(statement.on_conflict_do_update(index_elements=["openid"], set_=values))

    async def wrote(self, openid: str, now: datetime) -> None:
        """The follower sent a message: the customer-service window is open for 48 h."""
        await self._upsert(openid, last_inbound_at=now, followed=True)

    async def follows(self, openid: str, following: bool) -> None:
        await self._upsert(openid, followed=following)

    async def window_closed(self, openid: str, now: datetime) -> bool:
        """True only when we know the follower's last message is older than the window."""
        last = await self.session.scalar(select(m.WechatContact.last_inbound_at).where(m.WechatContact.openid == openid))
        return last is not None and now - last >= WINDOW

    async def scanned(self, openid: str, room: str, now: datetime) -> None:
        await self._upsert(openid, qr_room=room, qr_at=now)

    async def take_scan(self, openid: str, now: datetime) -> str | None:
        """The room of a QR code scanned within QR_WAIT, forgotten once taken."""
        row = await self.session.get(m.WechatContact, openid)
        if row is None or row.qr_room is None or row.qr_at is None:
            return None
        room = row.qr_room if now - row.qr_at <= QR_WAIT else None
        await self.session.execute(update(m.WechatContact).where(m.WechatContact.openid == openid)
                                   .values(qr_room=None, qr_at=None))
        return room

    async def pending_scan(self, openid: str, now: datetime) -> bool:
        row = await self.session.get(m.WechatContact, openid)
        return bool(row and row.qr_room and row.qr_at and now - row.qr_at <= QR_WAIT)

    # ------------------------------------------------------------ msgmenu options
    async def add_option(self, openid: str, payload: str, now: datetime) -> int:
        option = m.WechatMenuOption(openid=openid, payload=payload, created_at=now)
        self.session.add(option)
        await self.session.flush()
        return int(option.id)

    async def option(self, option_id: int, openid: str) -> str | None:
        """The payload of an option sent to `openid` (None for anyone else's, or an unknown id)."""
        return await self.session.scalar(select(m.WechatMenuOption.payload).where(
            m.WechatMenuOption.id == option_id, m.WechatMenuOption.openid == openid))

    async def prune_options(self, before: datetime) -> int:
        result = await self.session.execute(delete(m.WechatMenuOption).where(m.WechatMenuOption.created_at < before))
        return int(result.rowcount or 0)
