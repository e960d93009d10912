"""A small community in memory (tests.unit.fakes.desk) and people to act in it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services import casework
from services.actors import Actor
from services.events import CaseOpened
from tests.unit.fakes import Desk, desk

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


@pytest.fixture
def d() -> Desk:
    return desk()


def owner(d: Desk) -> Actor:
    return Actor.owner(d.owner_id, channel="telegram", chat_id="o1", user_id="o1")


def staff(d: Desk, name: str, via: str = "chat") -> Actor:
    return Actor.staff(d.staff[name], via=via)


async def open_repair(d: Desk, *, urgency: str = "normal", category: str = "plumbing", area: str = "home",
                      description: str = "厨房水管漏水", at: datetime = T0) -> int:
    async with d.uow() as uow:
        events = await casework.open_case(uow, d.community, owner(d), at, kind="report", urgency=urgency,
                                          category=category, area=area, description=description,
                                          room_id=d.room_id if area == "home" else None)
        await uow.commit()
    opened = events[0]
    assert isinstance(opened, CaseOpened)
    return opened.case_id
