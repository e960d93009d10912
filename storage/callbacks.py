"""Callback surveys (回访) and the spot checks of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.callbacks import OPEN_STATES, CallbackState
from cases.records import CallbackRecord
from cases.statistics import CoverageCounts
from storage import models as m
from storage.report_queries import coverage_counts


def _record(r: m.Callback) -> CallbackRecord:
    return CallbackRecord(
        r.id, r.case_id, r.round, CallbackState(r.state), r.due_at, r.sent_at, r.reminded_at, r.answered_at,
        r.solved, r.speed_score, r.attitude_score, r.comment, r.method, r.recorded_by_id,
    )



def _in_community(query: Select[tuple[m.Callback]], community_id: int | None) -> Select[tuple[m.Callback]]:
    """Only the callbacks of one community's cases (None: every community's)."""
    if community_id is None:
        return query
    return query.join(m.Case, m.Case.id == m.Callback.case_id).where(m.Case.community_id == community_id)


class Callbacks:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def schedule(self, case_id: int, round_: int, due_at: datetime) -> int:
        row = m.Callback(case_id=case_id, round=round_, state=CallbackState.SCHEDULED, due_at=due_at)
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def get(self, callback_id: int) -> CallbackRecord | None:
        row = await self.session.get(m.Callback, callback_id, populate_existing=True)
        return _record(row) if row else None

    async def for_case(self, case_id: int) -> list[CallbackRecord]:
        rows = await self.session.scalars(select(m.Callback).where(m.Callback.case_id == case_id).order_by(m.Callback.round))
        return [_record(r) for r in rows]

    async def in_state(self, state: CallbackState, due_before: datetime | None = None, limit: int = 500,
                       community_id: int | None = None) -> list[CallbackRecord]:
        query = select(m.Callback).where(m.Callback.state == state).order_by(m.Callback.due_at).limit(limit)
        if due_before is not None:
            query = query.where(m.Callback.due_at <= due_before)
        return [_record(r) for r in await self.session.scalars(_in_community(query, community_id))]

    async def claim(self, callback_id: int, from_state: CallbackState, **values: Any) -> bool:
        """Move a callback on only if it is still in `from_state`: the database decides
        which process sends it, so it goes out exactly once."""
        result = await self.session.execute(
            update(m.Callback).where(m.Callback.id == callback_id, m.Callback.state == from_state).values(**values)
        )
        return result.rowcount == 1

    async def waiting(self, state: CallbackState, since_field: str, before: datetime, limit: int = 500,
                      community_id: int | None = None) -> list[CallbackRecord]:
        """Callbacks in `state` whose `since_field` (sent_at, reminded_at) is at or before `before`."""
        column = getattr(m.Callback, since_field)
        rows = await self.session.scalars(_in_community(
            select(m.Callback).where(m.Callback.state == state, column <= before).order_by(column).limit(limit),
            community_id))
        return [_record(r) for r in rows]

    async def record_answer(self, callback_id: int, field: str, value: Any) -> bool:
        """Store one answer of a survey still open, only if that question is unanswered:
        a second press (or a second chat of the owner) changes nothing."""
        column = getattr(m.Callback, field)
        result = await self.session.execute(
            update(m.Callback)
            .where(m.Callback.id == callback_id, m.Callback.state.in_(OPEN_STATES), column.is_(None))
            .values({field: value})
        )
        return result.rowcount == 1

    async def conclude(self, callback_id: int, **values: Any) -> bool:
        """Close an open survey with its answers; exactly one of the owner (chat) and a
        butler (phone) wins, the other is told it was already recorded."""
        result = await self.session.execute(
            update(m.Callback)
            .where(m.Callback.id == callback_id, m.Callback.state.in_(OPEN_STATES))
            .values(state=CallbackState.ANSWERED, **values)
        )
        return result.rowcount == 1

    async def coverage(self, community_id: int, start: datetime, end: datetime) -> list[CoverageCounts]:
        """Per kind: cases closed in the period and how many got their callback — the same
        counting as the management report (`storage.report_queries`), so the two agree."""
        return await coverage_counts(self.session, community_id, start, end)

    async def checked_at_level(self, callback_ids: list[int], level: str) -> set[int]:
        """Which of these callbacks this spot-check level has already reviewed."""
        if not callback_ids:
            return set()
        rows = await self.session.scalars(
            select(m.SpotCheck.callback_id).where(m.SpotCheck.callback_id.in_(callback_ids), m.SpotCheck.level == level)
        )
        return set(rows.all())

    async def recent_answered(self, since: datetime, limit: int = 500) -> list[CallbackRecord]:
        rows = await self.session.scalars(
            select(m.Callback).where(m.Callback.state == CallbackState.ANSWERED, m.Callback.answered_at >= since)
            .order_by(m.Callback.answered_at.desc()).limit(limit)
        )
        return [_record(r) for r in rows]

    async def add_spot_check(self, callback_id: int, level: str, checker_id: int, finding: str, note: str, now: datetime) -> int:
        row = m.SpotCheck(callback_id=callback_id, level=level, checker_id=checker_id, finding=finding, note=note, created_at=now)
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def spot_checks(self, callback_id: int) -> list[dict[str, Any]]:
        rows = await self.session.scalars(select(m.SpotCheck).where(m.SpotCheck.callback_id == callback_id).order_by(m.SpotCheck.id))
        return [{"level": r.level, "checker_id": r.checker_id, "finding": r.finding, "note": r.note, "at": r.created_at} for r in rows]
