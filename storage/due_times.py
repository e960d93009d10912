"""The earliest moments the scheduler must wake for, read from our own tables.

Due times are data (callbacks.due_at / sent_at / reminded_at, cases.done_at and the
deadlines), not scheduler jobs: a restart or a second process reads the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.callbacks import CallbackState
from cases.lifecycle import WORKING, Status
from storage import models as m


@dataclass(frozen=True, slots=True)
class Earliest:
    survey_due: datetime | None  # a scheduled callback's due_at
    sent: datetime | None  # the oldest unanswered, unreminded survey
    reminded: datetime | None  # the oldest reminded survey without a phone request
    done: datetime | None  # the oldest done work awaiting the owner's confirmation
    deadline: datetime | None  # the next response/completion deadline still ahead


class DueTimes:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _min(self, column, *where) -> datetime | None:  # type: ignore[no-untyped-def]
        return await self.session.scalar(select(func.min(column)).where(*where))

    async def earliest(self, now: datetime, community_id: int | None = None) -> Earliest:
        """The earliest of each kind, over one community's cases (None: every community's)."""
        c, k = m.Callback, m.Case
        mine = () if community_id is None else (k.community_id == community_id,)
        of_mine = () if community_id is None else (c.case_id.in_(select(k.id).where(*mine)),)
        response = await self._min(k.response_due_at, k.status.in_([Status.OPEN, Status.DISPATCHED]), k.response_due_at > now, *mine)
        completion = await self._min(k.completion_due_at, k.status.in_(list(WORKING)), k.completion_due_at > now, *mine)
        deadlines = [d for d in (response, completion) if d is not None]
        return Earliest(
            survey_due=await self._min(c.due_at, c.state == CallbackState.SCHEDULED, *of_mine),
            sent=await self._min(c.sent_at, c.state == CallbackState.SENT, *of_mine),
            reminded=await self._min(c.reminded_at, c.state == CallbackState.REMINDED, *of_mine),
            done=await self._min(k.done_at, k.status == Status.DONE, *mine),
            deadline=min(deadlines) if deadlines else None,
        )
