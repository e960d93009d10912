"""Bookings of paid services (有偿服务): one per service case, with the price the owner agreed to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.records import Booking
from storage import models as m


def _record(row: m.Booking) -> Booking:
    return Booking(row.id, row.case_id, row.item_id, row.slot, row.price_cents, row.price_confirmed_at,
                   row.window_start, row.window_end)


class Bookings:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, case_id: int, item_id: int, slot: str, price_cents: int, confirmed_at: datetime,
                  window: tuple[datetime, datetime] | None = None) -> int:
        """Record the booking; the price is the one shown to the owner when they confirmed, the
        window the time they asked for (None: any time, as soon as possible, or a note)."""
        row = m.Booking(case_id=case_id, item_id=item_id, slot=slot[:100], price_cents=price_cents,
                        price_confirmed_at=confirmed_at, window_start=window[0] if window else None,
                        window_end=window[1] if window else None)
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def for_case(self, case_id: int) -> Booking | None:
        row = await self.session.scalar(select(m.Booking).where(m.Booking.case_id == case_id))
        return _record(row) if row else None
