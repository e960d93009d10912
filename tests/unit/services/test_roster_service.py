"""Changing the duty roster (services.roster), on the in-memory unit of work: who may, what
is refused, what is kept (who made it, when, through which front end), all or nothing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cases.errors import InvalidInput, NotAllowed
from services import roster
from services.events import DutyChanged
from services.roster import Edit
from tests.unit.fakes import Desk
from tests.unit.services.conftest import T0, staff

# T0 is Monday 1 June 2026, 10:00 in Shanghai: tonight's span, local time.
TONIGHT = (datetime(2026, 6, 1, 20, 0), datetime(2026, 6, 2, 8, 0))


async def change(d: Desk, who: str, *edits: Edit, via: str = "chat") -> list:  # type: ignore[type-arg]
    async with d.uow() as uow:
        events = await roster.change_duty(uow, d.community, staff(d, who, via=via), T0, edits=edits)
        await uow.commit()
    return events


def swap(d: Desk, on: str, off: str, span: tuple[datetime, datetime] = TONIGHT) -> tuple[Edit, Edit]:
    return Edit(d.staff[on], True, *span), Edit(d.staff[off], False, *span)


async def test_a_supervisor_swaps_two_of_their_team_and_it_is_kept_with_who_and_when(d: Desk) -> None:
    [event] = await change(d, "孙工", *swap(d, "李明", "王强"), via="console")
    assert isinstance(event, DutyChanged) and event.by == d.staff["孙工"] and event.by_name == "孙工"
    assert [(s.name, s.team, s.on) for s in event.spans] == [("李明", "engineering", True),
                                                             ("王强", "engineering", False)]
    rows = d.db.tables.roster_changes
    assert [(r["staff_id"], r["on"], r["made_by"], r["made_at"], r["via"]) for r in rows] == [
        (d.staff["李明"], True, d.staff["孙工"], T0, "console"), (d.staff["王强"], False, d.staff["孙工"], T0, "console")]
    # The instant kept: 20:00 in Shanghai is 12:00 UTC.
    assert rows[0]["start"] == datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("who", ["王强", "吴管家", "郑质检", "陈客服"])
async def test_staff_who_are_not_supervisors_may_not_change_it(d: Desk, who: str) -> None:
    with pytest.raises(NotAllowed):
        await change(d, who, *swap(d, "李明", "王强"))
    assert not d.db.tables.roster_changes


async def test_a_supervisor_moves_only_people_of_the_teams_they_oversee(d: Desk) -> None:
    # The engineering manager may not take the security guard off; nothing of the pair is saved.
    with pytest.raises(NotAllowed):
        await change(d, "孙工", Edit(d.staff["李明"], True, *TONIGHT), Edit(d.staff["赵军"], False, *TONIGHT))
    assert not d.db.tables.roster_changes
    # The customer service supervisor oversees security; the manager everyone.
    await change(d, "钱主管", Edit(d.staff["赵军"], False, *TONIGHT))
    await change(d, "周经理", Edit(d.staff["王强"], True, *TONIGHT))
    assert len(d.db.tables.roster_changes) == 2


@pytest.mark.parametrize("span", [
    (datetime(2026, 5, 31, 20, 0), datetime(2026, 6, 1, 8, 0)),    # over before now
    (datetime(2026, 6, 1, 20, 0), datetime(2026, 6, 1, 19, 0)),    # ends before it starts
    (datetime(2026, 6, 1, 20, 0), datetime(2026, 6, 20, 8, 0)),    # longer than 14 days
    (datetime(2026, 9, 1, 20, 0), datetime(2026, 9, 2, 8, 0)),     # more than 60 days ahead
])
async def test_a_span_that_cannot_be_meant_is_refused(d: Desk, span: tuple[datetime, datetime]) -> None:
    with pytest.raises(InvalidInput):
        await change(d, "周经理", Edit(d.staff["王强"], True, *span))
    assert not d.db.tables.roster_changes


async def test_someone_inactive_or_unknown_cannot_be_put_on_duty(d: Desk) -> None:
    for staff_id in (d.staff["冯离职"], 999_999):
        with pytest.raises(InvalidInput):
            await change(d, "周经理", Edit(staff_id, True, *TONIGHT))
    with pytest.raises(InvalidInput):
        await change(d, "周经理")
    assert not d.db.tables.roster_changes


async def test_only_the_community_asked_about_sees_its_changes(d: Desk) -> None:
    await change(d, "周经理", Edit(d.staff["王强"], True, *TONIGHT))
    async with d.uow() as uow:
        here = await uow.roster.overlapping(d.community.id, T0, T0 + timedelta(days=1), "Asia/Shanghai")
        elsewhere = await uow.roster.overlapping(d.community.id + 1, T0, T0 + timedelta(days=1), "Asia/Shanghai")
    assert [(c.on, c.start, c.end) for c in here] == [(True, *TONIGHT)] and elsewhere == []
