"""The response codes that let WeCom template cards be updated (`bot.wecom.sender`).

WeCom hands out one code when a card is sent and one more with every tap; each updates
the card once and lapses after 72 hours.  They live in the database so any process may
spend one, and spending is an UPDATE guarded by `used_at IS NULL`: two processes never
spend the same code.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import models as m

CODE_LIFETIME = timedelta(hours=72)
# Spent a little before WeCom's own limit: a code at 71h59m may lapse on the way.
_MARGIN = timedelta(minutes=10)


class CardCodes:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def add(self, task_id: str, userid: str, code: str, now: datetime) -> None:
        async with self.sessions.begin() as session:
            session.add(m.WecomCardCode(task_id=task_id, userid=userid, response_code=code, issued_at=now))

    async def take(self, task_id: str, now: datetime) -> str | None:
        """Spend the newest live code of the card, or None (the card cannot be updated)."""
        oldest = now - CODE_LIFETIME + _MARGIN
        async with self.sessions.begin() as session:
            rows = (await session.execute(
                select(m.WecomCardCode.id, m.WecomCardCode.response_code)
                .where(m.WecomCardCode.task_id == task_id, m.WecomCardCode.used_at.is_(None),
                       m.WecomCardCode.issued_at >= oldest)
                .order_by(m.WecomCardCode.id.desc()))).all()
            for row_id, code in rows:
                spent = await session.execute(
                    update(m.WecomCardCode).where(m.WecomCardCode.id == row_id, m.WecomCardCode.used_at.is_(None))
                    .values(used_at=now))
                if spent.rowcount == 1:  # type: ignore[attr-defined]
                    return code
        return None
