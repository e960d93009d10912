"""Notices (信息发布): who is in a notice's scope, the notice row, and its delivery counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.permissions import StaffMember
from storage import models as m


@dataclass(frozen=True, slots=True)
class RecipientChat:
    owner_id: int
    channel: str
    chat_id: str
    locale: str
    muted: bool


@dataclass(frozen=True, slots=True)
class NoticeRow:
    id: int
    community_id: int
    author_id: int
    scope: str
    target: dict[str, Any]
    text: str
    photo: str
    urgent: bool
    created_at: datetime
    sent_at: datetime | None
    recipients: int


class NoticeStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def author(self, staff_id: int) -> tuple[StaffMember, int] | None:
        """The staff member and their community, or None if there is no such staff member."""
        row = (await self.session.execute(
            select(m.Staff.id, m.Staff.name, m.Staff.role, m.Team.code, m.Staff.active, m.Staff.community_id)
            .join(m.Team, m.Team.id == m.Staff.team_id)
            .where(m.Staff.id == staff_id)
        )).first()
        if row is None:
            return None
        return StaffMember(row[0], row[1], row[2], row[3], row[4]), row[5]

    async def community_name(self, community_id: int) -> str:
        return await self.session.scalar(select(m.Community.name).where(m.Community.id == community_id)) or ""

    async def units_of(self, community_id: int, building: str) -> set[str] | None:
        """The unit codes of a building, or None if the building does not exist."""
        building_id = await self.session.scalar(
            select(m.Building.id).where(m.Building.community_id == community_id, m.Building.code == building)
        )
        if building_id is None:
            return None
        return set(await self.session.scalars(select(m.Room.unit).where(m.Room.building_id == building_id).distinct()))

    async def recipient_chats(self, community_id: int, building: str | None = None,
                              units: tuple[str, ...] = ()) -> list[RecipientChat]:
        """Every chat identity of an owner with at least one room in scope (muted owners too:
        the caller decides, as urgent notices reach them)."""
        room = (
            select(m.OwnerRoom.owner_id)
            .join(m.Room, m.Room.id == m.OwnerRoom.room_id)
            .where(m.OwnerRoom.owner_id == m.Owner.id, m.Room.community_id == community_id)
        )
        if building is not None:
            room = room.join(m.Building, m.Building.id == m.Room.building_id).where(m.Building.code == building)
        if units:
            room = room.where(m.Room.unit.in_(units))
        rows = await self.session.execute(
            select(m.Owner.id, m.Identity.channel, m.Identity.chat_id, m.Identity.locale, m.Owner.muted_notices)
            .join(m.Identity, m.Identity.owner_id == m.Owner.id)
            .where(m.Owner.community_id == community_id, exists(room))
            .order_by(m.Owner.id, m.Identity.id)
        )
        return [RecipientChat(*r) for r in rows]

    async def create(self, *, community_id: int, author_id: int, scope: str, target: dict[str, Any], text: str,
                     photo: str, urgent: bool, now: datetime) -> int:
        row = m.Notice(community_id=community_id, author_id=author_id, scope=scope, target=target, text=text,
                       photo=photo, urgent=urgent, created_at=now)
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def mark_sent(self, notice_id: int, recipients: int, now: datetime) -> None:
        await self.session.execute(
            update(m.Notice).where(m.Notice.id == notice_id).values(recipients=recipients, sent_at=now)
        )

    async def get(self, notice_id: int) -> NoticeRow | None:
        r = await self.session.get(m.Notice, notice_id)
        if r is None:
            return None
        return NoticeRow(r.id, r.community_id, r.author_id, r.scope, dict(r.target or {}), r.text, r.photo,
                         r.urgent, r.created_at, r.sent_at, r.recipients)

    async def delivery_counts(self, notice_id: int) -> dict[str, int]:
        """Outbox rows of the notice by state (pending | sent | failed)."""
        rows = await self.session.execute(
            select(m.OutboxMessage.state, func.count())
            .where(m.OutboxMessage.notice_id == notice_id)
            .group_by(m.OutboxMessage.state)
        )
        return {state: int(n) for state, n in rows}
