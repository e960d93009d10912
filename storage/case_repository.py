"""Cases and their timelines, mapped to and from `cases.lifecycle.Case`."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import and_, func, or_, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.errors import StaleCase
from cases.fees import Fee, charges
from cases.lifecycle import ACTIVE, TOP_ESCALATION, WORKING, Case, Status
from cases.policy import DeskPolicy
from cases.records import ServiceItem, TimelineItem
from storage import models as m

_COLUMNS = [f.name for f in fields(Case) if f.name not in ("id", "events", "version")]


def _to_case(row: m.Case) -> Case:
    case = Case(**{name: getattr(row, name) for name in _COLUMNS}, id=row.id, version=row.version)
    case.details = dict(row.details or {})
    case.photos = list(row.photos or [])
    return case


def _values(case: Case) -> dict[str, Any]:
    """The row's columns, with the deadline the case works against now stored beside the two
    it is chosen from (`due_at`, for the board's order): every write of a case passes here,
    so it never lags behind a status or deadline change."""
    return {**{name: getattr(case, name) for name in _COLUMNS}, "due_at": case.deadline}


def _of_community(community_id: int | None) -> tuple[Any, ...]:
    """The condition keeping a query to one community's cases (none: every community's)."""
    return () if community_id is None else (m.Case.community_id == community_id,)

class CaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Timelines read in this unit of work (a card and the staff's view both read it);
        # dropped for a case whenever events are appended to it, and on rollback.
        self._timelines: dict[int, list[TimelineItem]] = {}

    def forget_cached(self) -> None:
        self._timelines.clear()

    async def add(self, case: Case) -> int:
        row = m.Case(**_values(case), version=1)
        self.session.add(row)
        await self.session.flush()
        case.id, case.version = row.id, row.version
        await self._append_events(case)
        return row.id

    async def get(self, case_id: int) -> Case | None:
        row = await self.session.get(m.Case, case_id, populate_existing=True)
        return _to_case(row) if row else None

    async def save(self, case: Case) -> None:
        """Write a changed case back; refuse if someone else saved it since we read it."""
        assert case.id is not None
        values = _values(case)
        result = await self.session.execute(
            update(m.Case)
            .where(m.Case.id == case.id, m.Case.version == case.version)
            .values(**values, version=case.version + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise StaleCase(f"case {case.id} was changed by someone else")
        case.version += 1
        await self._append_events(case)

    async def _append_events(self, case: Case) -> None:
        self._timelines.pop(case.id or 0, None)
        events = case.drain_events()
        for event in events:
            self.session.add(
                m.TimelineEntry(
                    case_id=case.id, at=event.at, action=event.action, actor_kind=event.actor.kind,
                    actor_id=event.actor.id, note=event.note, data=event.data,
                )
            )
        for event, round_, cents in charges(events, case.rework_round):
            self.session.add(m.CaseFee(case_id=case.id, round=round_, cents=cents, reason=event.note, at=event.at,
                                       staff_id=event.actor.id if event.actor.kind == "staff" else None))
        await self.session.flush()

    async def timeline(self, case_id: int) -> list[TimelineItem]:
        if case_id not in self._timelines:
            rows = await self.session.scalars(
                select(m.TimelineEntry).where(m.TimelineEntry.case_id == case_id).order_by(m.TimelineEntry.id)
            )
            self._timelines[case_id] = [
                TimelineItem(r.at, r.action, r.actor_kind, r.actor_id, r.note, dict(r.data or {})) for r in rows]
        return list(self._timelines[case_id])

    async def _list(self, *where: Any, limit: int = 50, newest_first: bool = True) -> list[Case]:
        order = m.Case.id.desc() if newest_first else m.Case.id
        rows = await self.session.scalars(select(m.Case).where(*where).order_by(order).limit(limit))
        return [_to_case(r) for r in rows]

    async def for_owner(self, owner_id: int, limit: int = 20) -> list[Case]:
        return await self._list(m.Case.owner_id == owner_id, limit=limit)

    async def for_reporter(self, channel: str, chat_id: str, limit: int = 20) -> list[Case]:
        return await self._list(m.Case.reporter_channel == channel, m.Case.reporter_chat_id == chat_id, limit=limit)

    async def open_for_team(self, team_code: str, limit: int = 50, community_id: int | None = None) -> list[Case]:
        """The team's active cases, the most pressing deadline first (`Case.deadline`: the
        response until accepted, then the completion); cases waiting only for the owner's
        confirmation last; oldest first among equals."""
        c = m.Case
        deadline = sql_case(
            (c.status.in_([Status.OPEN, Status.DISPATCHED]), c.response_due_at),
            (c.status.in_(list(WORKING)), c.completion_due_at),
            else_=None,
        )
        query = select(c).where(c.team_code == team_code, c.status.in_(list(ACTIVE)))
        if community_id is not None:
            query = query.where(c.community_id == community_id)
        rows = await self.session.scalars(query.order_by(deadline.asc().nulls_last(), c.id).limit(limit))
        return [_to_case(r) for r in rows]

    async def assigned_to(self, staff_id: int, limit: int = 50) -> list[Case]:
        return await self._list(m.Case.assignee_id == staff_id, m.Case.status.in_(list(ACTIVE)), limit=limit)

    async def first_responded_by(self, staff_id: int, limit: int = 50) -> list[Case]:
        """Active cases this person took first, whoever works on them now (首问责任制)."""
        return await self._list(m.Case.first_responder_id == staff_id, m.Case.status.in_(list(ACTIVE)), limit=limit)

    async def booked_item(self, case_id: int) -> tuple[ServiceItem, int] | None:
        """The catalogue item a service case was booked for, with the price agreed at booking."""
        found = (await self.session.execute(
            select(m.ServiceItem, m.Booking.price_cents).join(m.Booking, m.Booking.item_id == m.ServiceItem.id)
            .where(m.Booking.case_id == case_id)
        )).first()
        if found is None:
            return None
        r, price = found
        return ServiceItem(r.id, r.code, r.category, r.name_zh, r.name_en, r.price_cents, r.unit_zh, r.unit_en), price

    async def recent(self, limit: int = 50, status: str | None = None, community_id: int | None = None) -> list[Case]:
        where = [m.Case.status == status] if status else []
        return await self._list(*where, *_of_community(community_id), limit=limit)

    async def past_deadline(self, now: datetime, limit: int = 200, community_id: int | None = None,
                            policy: DeskPolicy | None = None) -> list[Case]:
        """Active cases whose response or completion deadline has passed.

        One UNION of two index scans — (status, response_due_at) and (status,
        completion_due_at) — rather than an OR, which PostgreSQL answers by walking the
        whole table in id order (47,600 rows for 200 at 100k cases).  Cases already at the
        top level are left out: the oldest `limit` of them would otherwise fill every answer
        and hide newer late cases from escalation for good (a company's backlog has hundreds).
        With the community's `policy`, so are cases at level 1 not yet a whole period late
        (`Case.escalation_due`), for the same reason: a busy community keeps many of them."""
        below_top = m.Case.escalation_level < TOP_ESCALATION

        def due(column: Any, periods: dict[str, timedelta]) -> Any:
            if policy is None:
                return below_top
            return and_(below_top, or_(m.Case.escalation_level == 0, *(
                and_(m.Case.urgency == urgency, column <= now - period) for urgency, period in periods.items())))

        late_response = select(m.Case).where(
            m.Case.status.in_([Status.OPEN, Status.DISPATCHED]), m.Case.response_due_at <= now,
            due(m.Case.response_due_at, policy.response if policy else {}))
        late_completion = select(m.Case).where(
            m.Case.status.in_(list(WORKING)), m.Case.completion_due_at <= now,
            due(m.Case.completion_due_at, policy.completion if policy else {}))
        if community_id is not None:
            late_response = late_response.where(m.Case.community_id == community_id)
            late_completion = late_completion.where(m.Case.community_id == community_id)
        both = union_all(late_response, late_completion).order_by("id").limit(limit)
        rows = await self.session.scalars(select(m.Case).from_statement(both))
        return [_to_case(r) for r in rows]

    async def unaccepted_emergencies(self, limit: int = 100, community_id: int | None = None) -> list[Case]:
        return await self._list(
            m.Case.urgency == "emergency", m.Case.status.in_([Status.OPEN, Status.DISPATCHED]),
            *_of_community(community_id), limit=limit, newest_first=False,
        )

    async def done_before(self, cutoff: datetime, limit: int = 200, community_id: int | None = None) -> list[Case]:
        """Done work the owner has not confirmed since `cutoff` (for auto-confirmation)."""
        return await self._list(m.Case.status == Status.DONE, m.Case.done_at <= cutoff, *_of_community(community_id),
                                limit=limit, newest_first=False)

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(m.Case)) or 0)

    # ----------------------------------------------------------------- dispatch (cases.dispatch_modes)
    async def waiting(self, community_id: int, limit: int = 500) -> list[Case]:
        """Dispatched cases nobody accepted yet (offers to check, loads to count)."""
        return await self._list(m.Case.community_id == community_id, m.Case.status == Status.DISPATCHED,
                                limit=limit, newest_first=False)

    async def open_load(self, community_id: int) -> dict[int, int]:
        """Open cases per staff member: the ones they work on plus the ones offered to them."""
        rows = await self.session.execute(
            select(m.Case.assignee_id, func.count()).where(
                m.Case.community_id == community_id, m.Case.status.in_(list(WORKING)),
                m.Case.assignee_id.is_not(None)).group_by(m.Case.assignee_id))
        load = {int(staff): int(n) for staff, n in rows.all()}
        for case in await self.waiting(community_id):
            if offered := (case.details.get("offer") or {}).get("staff"):
                load[int(offered)] = load.get(int(offered), 0) + 1
        return load

    async def paused(self, community_id: int, limit: int = 500) -> list[Case]:
        """Cases being worked whose completion clock is stopped (cases.pausing)."""
        cases = await self._list(m.Case.community_id == community_id, m.Case.status.in_(list(WORKING)),
                                 m.Case.completion_due_at.is_(None), limit=limit, newest_first=False)
        return [c for c in cases if c.details.get("pause")]

    async def fees(self, case_id: int) -> list[Fee]:
        """Every charge on the case, oldest first (a rework adds, never replaces)."""
        rows = await self.session.scalars(select(m.CaseFee).where(m.CaseFee.case_id == case_id).order_by(m.CaseFee.id))
        return [Fee(r.case_id, r.round, r.cents, r.staff_id, r.reason, r.at) for r in rows]
