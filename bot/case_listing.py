"""`wuye cases` for an office operator: what the case list and one case look like.

An operator reads the office's own records: local times with the zone said once, labels
in Chinese (English on request) from the catalogues, staff by name, the room, the fee,
how many photos.  Owners stay masked (family name only) and phone numbers typed into a
description are scrubbed, as everywhere outside the owner's own chat.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.bootstrap import App
from cases.lifecycle import Case, Status
from cases.privacy import mask_name, scrub
from handlers.kit.formatting import code_name, money
from handlers.kit.i18n import t
from storage import models as m
from storage.uow import UnitOfWork

STATUSES = tuple(s.value for s in Status)
DESCRIPTION_WIDTH = 40


def status_values(locale: str) -> str:
    """Every status with its label, for `--help` and for refusing an unknown one."""
    return ", ".join(f"{s} {t(locale, f'cli.status.{s}')}" for s in STATUSES)


class _Names:
    """Staff names, room codes and owners' masked names, each looked up once."""

    def __init__(self, uow: UnitOfWork, community_id: int) -> None:
        self.uow, self.community_id = uow, community_id
        self.staff: dict[int, str] = {}
        self.rooms: dict[int, str] = {}
        self.owners: dict[int, str] = {}

    async def load(self, cases: list[Case]) -> None:
        session = self.uow.session
        self.staff = dict((await session.execute(
            select(m.Staff.id, m.Staff.name).where(m.Staff.community_id == self.community_id))).all())
        room_ids = {c.room_id for c in cases if c.room_id}
        if room_ids:
            self.rooms = dict((await session.execute(
                select(m.Room.id, m.Room.code).where(m.Room.id.in_(room_ids)))).all())
        owner_ids = {c.owner_id for c in cases if c.owner_id}
        if owner_ids:
            self.owners = {i: mask_name(n) for i, n in (await session.execute(
                select(m.Owner.id, m.Owner.name).where(m.Owner.id.in_(owner_ids)))).all()}


class CaseListing:
    def __init__(self, app: App, locale: str) -> None:
        self.app, self.locale = app, locale

    def _zone(self, policy_zone: str) -> ZoneInfo:
        return ZoneInfo(policy_zone)

    def _time(self, when: datetime | None, zone: ZoneInfo) -> str:
        return when.astimezone(zone).strftime("%Y-%m-%d %H:%M") if when else "-"

    def _zone_line(self, zone: ZoneInfo) -> str:
        offset = datetime.now(zone).strftime("%z")
        return t(self.locale, "cli.zone", zone=zone.key, offset=f"{offset[:3]}:{offset[3:]}")

    def _labels(self, case: Case, names: _Names) -> dict[str, str]:
        loc = self.locale
        return {
            "kind": code_name(loc, "kind", case.kind), "category": code_name(loc, "category", case.category),
            "urgency": code_name(loc, "urgency", case.urgency), "status": t(loc, f"cli.status.{case.status}"),
            "team": code_name(loc, "team", case.team_code),
            "assignee": names.staff.get(case.assignee_id, "-") if case.assignee_id else t(loc, "cli.nobody"),
            "room": names.rooms.get(case.room_id, "-") if case.room_id else t(loc, "cli.no_room"),
            "fee": money(case.fee_cents, loc), "photos": str(len(case.photos)),
        }

    async def list_lines(self, status: str | None, limit: int, community_code: str | None = None) -> list[str]:
        """The newest cases of one community (by code; None: the first, i.e. the only one)."""
        async with self.app.uow() as uow:
            community = await uow.directory.community(community_code)
            cases = await uow.cases.recent(limit, status, community.id) if community else []
            if community is None or not cases:
                return [t(self.locale, "cli.no_cases")]
            names = _Names(uow, community.id)
            await names.load(cases)
        zone = self._zone(community.policy.timezone)
        lines = [self._zone_line(zone), t(self.locale, "cli.header")]
        for case in cases:
            text = " ".join(scrub(case.description).split())
            if len(text) > DESCRIPTION_WIDTH:
                text = text[:DESCRIPTION_WIDTH - 1] + "…"
            lines.append(t(self.locale, "cli.row", id=case.id, opened=self._time(case.created_at, zone),
                           description=text, **self._labels(case, names)))
        return lines

    async def case_lines(self, case_id: int) -> list[str] | None:
        async with self.app.uow() as uow:
            community = await uow.directory.community_of_case(case_id)
            case = await uow.cases.get(case_id)
            if case is None or community is None:
                return None
            timeline = await uow.cases.timeline(case_id)
            names = _Names(uow, community.id)
            await names.load([case])
        loc, zone = self.locale, self._zone(community.policy.timezone)
        labels = self._labels(case, names)
        owner = names.owners.get(case.owner_id, "-") if case.owner_id else "-"
        responder = names.staff.get(case.first_responder_id, "-") if case.first_responder_id else "-"
        lines = [
            self._zone_line(zone),
            t(loc, "cli.title", id=case.id, **labels),
            t(loc, "cli.field_team", responder=responder, **labels),
            t(loc, "cli.field_place", place=scrub(case.place) or "-", owner=owner, **labels),
            t(loc, "cli.field_times", opened=self._time(case.created_at, zone),
              response_due=self._time(case.response_due_at, zone),
              completion_due=self._time(case.completion_due_at, zone)),
            t(loc, "cli.field_money", rework=case.rework_round, **labels),
            t(loc, "cli.field_description", text=scrub(case.description)),
            t(loc, "cli.timeline"),
        ]
        for item in timeline:
            if item.actor_kind == "staff":
                who = names.staff.get(item.actor_id or 0) or t(loc, "cli.actor_staff_unknown", id=item.actor_id)
            elif item.actor_kind == "owner":
                who = t(loc, "cli.actor_owner", name=owner)
            else:
                who = t(loc, "cli.actor_system")
            try:
                action = t(loc, f"staff.tl_{item.action}")
            except KeyError:
                action = item.action
            note = t(loc, "cli.note", text=scrub(item.note)) if item.note else ""
            lines.append(t(loc, "cli.timeline_line", at=self._time(item.at, zone), action=action, who=who, note=note))
        return lines
