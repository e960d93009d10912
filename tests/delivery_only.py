"""For tests and test processes that only deliver the outbox: a core that takes no updates,
and a wait until nothing is left pending."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import models as m


class NoCore:
    async def handle(self, inbound):  # type: ignore[no-untyped-def]
        raise AssertionError("only delivery here: no updates are expected")


async def until_outbox_idle(sessions: async_sessionmaker[AsyncSession], stop: asyncio.Event | None = None,
                            quiet_rounds: int = 10) -> None:
    """Return once no reply has been pending for `quiet_rounds` looks 0.1 s apart (or at `stop`)."""
    idle = 0
    while idle < quiet_rounds and not (stop is not None and stop.is_set()):
        await asyncio.sleep(0.1)
        async with sessions() as session:
            pending = await session.scalar(select(func.count()).select_from(m.OutboxMessage)
                                           .where(m.OutboxMessage.state == "pending"))
        idle = idle + 1 if not pending else 0
