"""The duty changes supervisors make in chat or the console (table `roster_changes`).

Times are stored in UTC and handed to the pure roster in the community's local time
(`cases.roster.DutyChange`), staff by their file codes.  Every query is scoped by the
community it is given."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.roster import DutyChange
from storage import models as m


class RosterChanges:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, community_id: int, *, staff_id: int, on: bool, start: datetime, end: datetime,
                  made_at: datetime, made_by: int | None, via: str) -> int:
        """Record one change (aware `start`/`end`); its id."""
        row = m.RosterChange(community_id=community_id, staff_id=staff_id, on_duty=on, starts_at=start, ends_at=end,
                             made_at=made_at, made_by_id=made_by, via=via)
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def overlapping(self, community_id: int, start: datetime, end: datetime, zone: str) -> list[DutyChange]:
        """The community's changes whose span meets [start, end), oldest made first."""
        tz = ZoneInfo(zone)
        rows = await self.session.execute(
            select(m.RosterChange, m.Staff.code).join(m.Staff, m.Staff.id == m.RosterChange.staff_id)
            .where(m.RosterChange.community_id == community_id, m.Staff.community_id == community_id,
                   m.RosterChange.starts_at < end, m.RosterChange.ends_at > start)
            .order_by(m.RosterChange.made_at, m.RosterChange.id)
        )
        return [DutyChange(staff=code, on=row.on_duty, start=_local(row.starts_at, tz), end=_local(row.ends_at, tz),
                           made_at=row.made_at, made_by=row.made_by_id, id=row.id)
                for row, code in rows.all()]

    async def clear(self, community_id: int) -> int:
        """Drop every change of the community (a community file that says `clear_changes`)."""
        result = await self.session.execute(delete(m.RosterChange).where(m.RosterChange.community_id == community_id))
        return result.rowcount or 0


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)
