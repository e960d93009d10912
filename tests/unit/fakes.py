"""A unit of work with in-memory repositories, for the services' fast unit tier.

It mirrors `storage.uow.UnitOfWork` where the services use it: the same repository
names and methods (a test in tests/unit/services/test_fakes_honest.py compares their
signatures with the real ones), copies on read like a database (a case read twice is two
objects), optimistic versions (a stale save raises StaleCase), conditional callback
updates (claim / record_answer / conclude change only a row still in the right state),
and a transaction: leaving without `commit` throws the changes away.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from zoneinfo import ZoneInfo
from typing import Any
from collections.abc import Callable

from cases.errors import StaleCase
from cases.fees import Fee, charges
from cases.lifecycle import ACTIVE, TOP_ESCALATION, WORKING, Case, Status
from cases.permissions import StaffMember
from cases.policy import DeskPolicy
from cases.roster import DutyChange
from cases.records import CallbackRecord, Community, Identity, Owner, Room, ServiceItem, TeamInfo, TimelineItem
from storage.callbacks import OPEN_STATES
from storage.directory import GROUP_FEED_PREFIX, MEMBER_CHANNELS


@dataclass
class Tables:
    """The "database": what committed units of work left behind."""

    communities: list[Community] = field(default_factory=list)
    rooms: dict[int, tuple[Room, int]] = field(default_factory=dict)  # id -> (room, community)
    owners: dict[int, tuple[str, str, int, bool]] = field(default_factory=dict)  # id -> (name, phone, community, muted)
    owner_rooms: set[tuple[int, int]] = field(default_factory=set)  # (owner, room)
    staff: dict[int, tuple[StaffMember, int, str]] = field(default_factory=dict)  # id -> (member, community, phone)
    teams: dict[int, list[TeamInfo]] = field(default_factory=dict)  # community -> teams
    identities: list[Identity] = field(default_factory=list)
    catalogue: dict[int, tuple[ServiceItem, int, bool]] = field(default_factory=dict)  # id -> (item, community, active)
    cases: dict[int, Case] = field(default_factory=dict)
    timelines: dict[int, list[TimelineItem]] = field(default_factory=dict)
    callbacks: dict[int, CallbackRecord] = field(default_factory=dict)
    spot_checks: list[dict[str, Any]] = field(default_factory=list)
    bookings: list[dict[str, Any]] = field(default_factory=list)
    fees: list[dict[str, Any]] = field(default_factory=list)
    roster_changes: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


class _Repository:
    def __init__(self, t: Tables, wrote: Callable[[], None] = lambda: None) -> None:
        self.t = t
        self.wrote = wrote  # tells the unit of work it changed something


class FakeCases(_Repository):

    def forget_cached(self) -> None:
        pass

    async def add(self, case: Case) -> int:
        self.wrote()
        case.id, case.version = self.t.new_id(), 1
        self.t.cases[case.id] = copy.deepcopy(replace(case, events=[]))
        self._append_events(case)
        return case.id

    async def get(self, case_id: int) -> Case | None:
        found = self.t.cases.get(case_id)
        return copy.deepcopy(found) if found else None

    async def save(self, case: Case) -> None:
        assert case.id is not None
        stored = self.t.cases.get(case.id)
        if stored is None or stored.version != case.version:
            raise StaleCase(f"case {case.id} was changed by someone else")
        self.wrote()
        case.version += 1
        self.t.cases[case.id] = copy.deepcopy(replace(case, events=[]))
        self._append_events(case)

    def _append_events(self, case: Case) -> None:
        assert case.id is not None
        events = case.drain_events()
        self.t.timelines.setdefault(case.id, []).extend(
            TimelineItem(e.at, e.action, e.actor.kind, e.actor.id, e.note, copy.deepcopy(e.data)) for e in events)
        self.t.fees.extend(
            {"case_id": case.id, "round": round_, "cents": cents, "reason": e.note, "at": e.at,
             "staff_id": e.actor.id if e.actor.kind == "staff" else None}
            for e, round_, cents in charges(events, case.rework_round))

    async def timeline(self, case_id: int) -> list[TimelineItem]:
        return list(self.t.timelines.get(case_id, []))

    def _list(self, keep: Any, limit: int, newest_first: bool = True) -> list[Case]:
        found = sorted((c for c in self.t.cases.values() if keep(c)), key=lambda c: c.id or 0, reverse=newest_first)
        return [copy.deepcopy(c) for c in found[:limit]]

    async def for_owner(self, owner_id: int, limit: int = 20) -> list[Case]:
        return self._list(lambda c: c.owner_id == owner_id, limit)

    async def for_reporter(self, channel: str, chat_id: str, limit: int = 20) -> list[Case]:
        return self._list(lambda c: (c.reporter_channel, c.reporter_chat_id) == (channel, chat_id), limit)

    async def open_for_team(self, team_code: str, limit: int = 50, community_id: int | None = None) -> list[Case]:
        """The most pressing deadline first, cases waiting only for the owner last (as the real one)."""
        def order(c: Case) -> tuple[bool, float, int]:
            due = (c.response_due_at if c.status in (Status.OPEN, Status.DISPATCHED)
                   else c.completion_due_at if c.status in WORKING else None)
            return (due is None, due.timestamp() if due else 0.0, c.id or 0)
        found = sorted((c for c in self.t.cases.values() if c.team_code == team_code and c.status in ACTIVE
                        and community_id in (None, c.community_id)), key=order)
        return [copy.deepcopy(c) for c in found[:limit]]

    async def assigned_to(self, staff_id: int, limit: int = 50) -> list[Case]:
        return self._list(lambda c: c.assignee_id == staff_id and c.status in ACTIVE, limit)

    async def first_responded_by(self, staff_id: int, limit: int = 50) -> list[Case]:
        return self._list(lambda c: c.first_responder_id == staff_id and c.status in ACTIVE, limit)

    async def booked_item(self, case_id: int) -> tuple[ServiceItem, int] | None:
        for b in self.t.bookings:
            if b["case_id"] == case_id:
                return self.t.catalogue[b["item_id"]][0], b["price_cents"]
        return None

    async def recent(self, limit: int = 50, status: str | None = None, community_id: int | None = None) -> list[Case]:
        return self._list(lambda c: status in (None, c.status) and community_id in (None, c.community_id), limit)

    async def past_deadline(self, now: datetime, limit: int = 200, community_id: int | None = None,
                            policy: DeskPolicy | None = None) -> list[Case]:
        def late(c: Case) -> bool:
            if community_id not in (None, c.community_id) or c.escalation_level >= TOP_ESCALATION:
                return False
            if policy is not None and c.escalation_level > 0 and c.escalation_due(now, policy) <= c.escalation_level:
                return False
            if c.status in (Status.OPEN, Status.DISPATCHED):
                return c.response_due_at is not None and c.response_due_at <= now
            return c.status in WORKING and c.completion_due_at is not None and c.completion_due_at <= now
        return self._list(late, limit, newest_first=False)

    async def unaccepted_emergencies(self, limit: int = 100, community_id: int | None = None) -> list[Case]:
        return self._list(lambda c: c.urgency == "emergency" and c.status in (Status.OPEN, Status.DISPATCHED)
                          and community_id in (None, c.community_id), limit, newest_first=False)

    async def done_before(self, cutoff: datetime, limit: int = 200, community_id: int | None = None) -> list[Case]:
        return self._list(lambda c: c.status == Status.DONE and c.done_at is not None and c.done_at <= cutoff
                          and community_id in (None, c.community_id), limit, newest_first=False)

    async def count(self) -> int:
        return len(self.t.cases)

    async def waiting(self, community_id: int, limit: int = 500) -> list[Case]:
        return self._list(lambda c: c.community_id == community_id and c.status == Status.DISPATCHED, limit,
                          newest_first=False)

    async def open_load(self, community_id: int) -> dict[int, int]:
        load: dict[int, int] = {}
        for c in self.t.cases.values():
            if c.community_id != community_id:
                continue
            who = c.assignee_id if c.status in WORKING else (c.details.get("offer") or {}).get("staff") \
                if c.status == Status.DISPATCHED else None
            if who is not None:
                load[int(who)] = load.get(int(who), 0) + 1
        return load

    async def paused(self, community_id: int, limit: int = 500) -> list[Case]:
        return self._list(lambda c: c.community_id == community_id and c.status in WORKING
                          and bool(c.details.get("pause")), limit, newest_first=False)

    async def fees(self, case_id: int) -> list[Fee]:
        return [Fee(case_id, f["round"], f["cents"], f["staff_id"], f["reason"], f["at"])
                for f in self.t.fees if f["case_id"] == case_id]


class FakeDirectory(_Repository):

    def forget_cached(self) -> None:
        pass

    async def community(self, code: str | None = None) -> Community | None:
        return next((c for c in self.t.communities if code is None or c.code == code), None)

    async def room(self, community_id: int, code: str) -> Room | None:
        return next((r for r, c in self.t.rooms.values() if c == community_id and r.code == code), None)

    async def room_by_id(self, room_id: int) -> Room | None:
        found = self.t.rooms.get(room_id)
        return found[0] if found else None

    async def teams(self, community_id: int) -> list[TeamInfo]:
        return list(self.t.teams.get(community_id, []))

    async def team_destinations(self, community_id: int, team: str) -> list[tuple[str, str]]:
        info = next((i for i in await self.teams(community_id) if i.code == team), None)
        if info is None:
            return []
        found = [(channel, f"{GROUP_FEED_PREFIX[channel]}{team}" if channel in GROUP_FEED_PREFIX else chat_id)
                 for channel, chat_id in info.chats.items()]
        for member in await self.staff_list(community_id, team=team):
            for identity in await self.chats_of(staff_id=member.id):
                if identity.channel in MEMBER_CHANNELS and (identity.channel, identity.chat_id) not in found:
                    found.append((identity.channel, identity.chat_id))
        return found

    async def catalogue(self, community_id: int) -> list[ServiceItem]:
        return [i for i, c, active in self.t.catalogue.values() if c == community_id and active]

    async def owner(self, owner_id: int) -> Owner | None:
        found = self.t.owners.get(owner_id)
        if found is None:
            return None
        name, phone, _, muted = found
        rooms = tuple(sorted((self.t.rooms[r][0] for o, r in self.t.owner_rooms if o == owner_id), key=lambda r: r.code))
        return Owner(owner_id, name, phone, rooms, muted)

    async def community_id_of(self, *, owner_id: int | None = None, staff_id: int | None = None) -> int | None:
        if owner_id is not None:
            return self.t.owners[owner_id][2] if owner_id in self.t.owners else None
        if staff_id is not None:
            return self.t.staff[staff_id][1] if staff_id in self.t.staff else None
        return None

    async def owner_by_phone(self, community_id: int, phone: str) -> Owner | None:
        found = next((i for i, (_, p, c, _) in self.t.owners.items() if c == community_id and p == phone), None)
        return await self.owner(found) if found else None

    async def owners_of_room(self, room_id: int) -> list[Owner]:
        return [o for owner_id, r in sorted(self.t.owner_rooms) if r == room_id if (o := await self.owner(owner_id))]

    async def set_muted(self, owner_id: int, muted: bool) -> None:
        self.wrote()
        name, phone, community, _ = self.t.owners[owner_id]
        self.t.owners[owner_id] = (name, phone, community, muted)

    async def staff(self, staff_id: int) -> StaffMember | None:
        found = self.t.staff.get(staff_id)
        return found[0] if found else None

    async def staff_list(self, community_id: int, role: str | None = None, team: str | None = None) -> list[StaffMember]:
        return [m for i, (m, c, _) in sorted(self.t.staff.items())
                if c == community_id and m.active and role in (None, m.role) and team in (None, m.team)]

    async def staff_by_name(self, community_id: int, name: str) -> StaffMember | None:
        found = [s for s in await self.staff_list(community_id) if s.name == name or str(s.id) == name]
        return found[0] if found else None

    async def staff_in(self, community_id: int, staff_id: int) -> StaffMember | None:
        found = self.t.staff.get(staff_id)
        me = (found[0].code, found[2]) if found else None
        return next((m for m, c, phone in self.t.staff.values()
                     if c == community_id and m.active and (m.code, phone) == me), None)

    async def staff_phone(self, staff_id: int) -> str:
        found = self.t.staff.get(staff_id)
        return found[2] if found else ""

    async def identity(self, channel: str, user_id: str, community_id: int | None = None) -> Identity | None:
        mine = [i for i in self.t.identities if (i.channel, i.user_id) == (channel, user_id)]
        if not mine:
            return None
        if community_id is None:
            return mine[-1]
        found = next((i for i in mine if i.community_id == community_id), None)
        return found or Identity(channel, user_id, mine[0].chat_id, mine[0].locale)

    async def identity_of_chat(self, channel: str, chat_id: str, community_id: int | None = None) -> Identity | None:
        mine = [i for i in self.t.identities if (i.channel, i.chat_id) == (channel, chat_id)]
        return next((i for i in mine if community_id in (None, i.community_id)), mine[0] if mine else None)

    async def set_locale(self, channel: str, user_id: str, locale: str) -> None:
        self.wrote()
        self.t.identities = [replace(i, locale=locale) if (i.channel, i.user_id) == (channel, user_id) else i
                             for i in self.t.identities]

    async def bind(self, channel: str, user_id: str, chat_id: str, *, now: datetime,
                   owner_id: int | None = None, staff_id: int | None = None, community_id: int | None = None) -> None:
        self.wrote()
        if community_id is None and owner_id is not None:
            community_id = self.t.owners[owner_id][2]
        if community_id is None and staff_id is not None:
            community_id = self.t.staff[staff_id][1]
        mine = [i for i in self.t.identities if (i.channel, i.user_id) == (channel, user_id)]
        old = next((i for i in mine if i.community_id == community_id), None) \
            or next((i for i in mine if i.community_id is None), None) or Identity(channel, user_id, chat_id, "zh-CN")
        new = replace(old, chat_id=chat_id, owner_id=owner_id if owner_id is not None else old.owner_id,
                      staff_id=staff_id if staff_id is not None else old.staff_id, community_id=community_id)
        self.t.identities = [i for i in self.t.identities if i is not old] + [new]

    async def chats_of(self, *, owner_id: int | None = None, staff_id: int | None = None) -> list[Identity]:
        if owner_id is not None:
            return [i for i in self.t.identities if i.owner_id == owner_id]
        if staff_id is not None:
            return [i for i in self.t.identities if i.staff_id == staff_id]
        return []

    async def forget_staff_identities(self, staff_id: int) -> None:
        self.wrote()
        self.t.identities = [i for i in self.t.identities if i.staff_id != staff_id]


class FakeCallbacks(_Repository):

    async def schedule(self, case_id: int, round_: int, due_at: datetime) -> int:
        self.wrote()
        callback_id = self.t.new_id()
        self.t.callbacks[callback_id] = CallbackRecord(callback_id, case_id, round_, "scheduled", due_at, None, None,
                                                       None, None, None, None, "", "", None)
        return callback_id

    async def get(self, callback_id: int) -> CallbackRecord | None:
        return self.t.callbacks.get(callback_id)

    async def for_case(self, case_id: int) -> list[CallbackRecord]:
        return sorted((r for r in self.t.callbacks.values() if r.case_id == case_id), key=lambda r: r.round)

    async def in_state(self, state: str, due_before: datetime | None = None, limit: int = 500,
                       community_id: int | None = None) -> list[CallbackRecord]:
        found = [r for r in self.t.callbacks.values() if r.state == state and (due_before is None or r.due_at <= due_before)
                 and community_id in (None, self.t.cases[r.case_id].community_id)]
        return sorted(found, key=lambda r: r.due_at)[:limit]

    async def claim(self, callback_id: int, from_state: str, **values: Any) -> bool:
        record = self.t.callbacks.get(callback_id)
        if record is None or record.state != from_state:
            return False
        self.t.callbacks[callback_id] = replace(record, **values)
        self.wrote()
        return True

    async def record_answer(self, callback_id: int, field: str, value: Any) -> bool:
        record = self.t.callbacks.get(callback_id)
        if record is None or record.state not in OPEN_STATES or getattr(record, field) is not None:
            return False
        self.t.callbacks[callback_id] = replace(record, **{field: value})
        self.wrote()
        return True

    async def conclude(self, callback_id: int, **values: Any) -> bool:
        record = self.t.callbacks.get(callback_id)
        if record is None or record.state not in OPEN_STATES:
            return False
        self.t.callbacks[callback_id] = replace(record, state="answered", **values)
        self.wrote()
        return True

    async def checked_at_level(self, callback_ids: list[int], level: str) -> set[int]:
        return {s["callback_id"] for s in self.t.spot_checks if s["callback_id"] in callback_ids and s["level"] == level}

    async def recent_answered(self, since: datetime, limit: int = 500, *,
                              community_id: int | None = None) -> list[CallbackRecord]:
        found = [r for r in self.t.callbacks.values()
                 if r.state == "answered" and r.answered_at is not None and r.answered_at >= since
                 and community_id in (None, self.t.cases[r.case_id].community_id)]
        return sorted(found, key=lambda r: r.answered_at or since, reverse=True)[:limit]

    async def add_spot_check(self, callback_id: int, level: str, checker_id: int, finding: str, note: str,
                             now: datetime) -> int:
        self.wrote()
        check_id = self.t.new_id()
        self.t.spot_checks.append({"id": check_id, "callback_id": callback_id, "level": level, "checker_id": checker_id,
                                   "finding": finding, "note": note, "at": now})
        return check_id

    async def spot_checks(self, callback_id: int) -> list[dict[str, Any]]:
        return [{k: s[k] for k in ("level", "checker_id", "finding", "note", "at")}
                for s in self.t.spot_checks if s["callback_id"] == callback_id]


class FakeBookings(_Repository):

    async def add(self, case_id: int, item_id: int, slot: str, price_cents: int, confirmed_at: datetime,
                  window: tuple[datetime, datetime] | None = None) -> int:
        self.wrote()
        booking_id = self.t.new_id()
        self.t.bookings.append({"id": booking_id, "case_id": case_id, "item_id": item_id, "slot": slot[:100],
                                "price_cents": price_cents, "confirmed_at": confirmed_at, "window": window})
        return booking_id


class FakeRoster(_Repository):

    async def add(self, community_id: int, *, staff_id: int, on: bool, start: datetime, end: datetime,
                  made_at: datetime, made_by: int | None, via: str) -> int:
        self.wrote()
        change_id = self.t.new_id()
        self.t.roster_changes.append({"id": change_id, "community": community_id, "staff_id": staff_id, "on": on,
                                      "start": start, "end": end, "made_at": made_at, "made_by": made_by,
                                      "via": via})
        return change_id

    async def overlapping(self, community_id: int, start: datetime, end: datetime, zone: str) -> list[DutyChange]:
        tz = ZoneInfo(zone)
        found = []
        for row in sorted(self.t.roster_changes, key=lambda r: (r["made_at"], r["id"])):
            member = self.t.staff.get(row["staff_id"])
            if row["community"] != community_id or member is None or member[1] != community_id:
                continue
            if row["start"] < end and row["end"] > start:
                found.append(DutyChange(staff=member[0].code, on=row["on"],
                                        start=row["start"].astimezone(tz).replace(tzinfo=None),
                                        end=row["end"].astimezone(tz).replace(tzinfo=None), made_at=row["made_at"],
                                        made_by=row["made_by"], id=row["id"]))
        return found


class FakeDatabase:
    """Committed state shared by the units of work made from it (like one database).

    Repositories write straight into the shared tables, so a save by one unit of work is
    seen by the version check of another (two presses racing).  A unit of work left
    without commit restores the tables as they were when it began; rolling back over
    another unit's commit is not modelled and fails loudly rather than lose that commit."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.commits = 0

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class FakeUnitOfWork:
    cases: FakeCases
    directory: FakeDirectory
    callbacks: FakeCallbacks
    bookings: FakeBookings
    roster: FakeRoster

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.commits = 0

    async def __aenter__(self) -> FakeUnitOfWork:
        t, wrote = self.db.tables, self._wrote
        self.cases, self.directory = FakeCases(t, wrote), FakeDirectory(t, wrote)
        self.callbacks, self.bookings = FakeCallbacks(t, wrote), FakeBookings(t, wrote)
        self.roster = FakeRoster(t, wrote)
        self._begin()
        return self

    def _begin(self) -> None:
        self._snapshot = copy.deepcopy(self.db.tables)
        self._seen_commits = self.db.commits
        self._dirty = False

    def _wrote(self) -> None:
        self._dirty = True

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.rollback()

    async def read_only(self) -> None:
        """Nothing to lock in memory."""

    async def commit(self) -> None:
        self.db.commits += 1
        self.commits += 1
        self._begin()

    async def rollback(self) -> None:
        if not self._dirty:
            self._begin()
            return
        assert self.db.commits == self._seen_commits, "rolling back over another unit of work's commit"
        self._restore(self._snapshot)
        self._begin()

    def _restore(self, snapshot: Tables) -> None:
        # In place: the repositories hold the tables object.
        for name in snapshot.__dataclass_fields__:
            setattr(self.db.tables, name, copy.deepcopy(getattr(snapshot, name)))


# ----------------------------------------------------------------- a small community to test against
POLICY = DeskPolicy()
TEAMS = ("engineering", "security", "environment", "customer_service", "management")


@dataclass
class Desk:
    db: FakeDatabase
    community: Community
    staff: dict[str, int]  # name -> id
    owner_id: int
    other_owner_id: int
    room_id: int
    item: ServiceItem

    def uow(self) -> FakeUnitOfWork:
        return self.db.uow()


def desk(policy: DeskPolicy = POLICY) -> Desk:
    db = FakeDatabase()
    t = db.tables
    community = Community(1, "demo", "演示小区", policy)
    t.communities.append(community)
    t.teams[1] = [TeamInfo(code, code, {"telegram": f"-100{n}"}) for n, code in enumerate(TEAMS)]
    people = {
        "王强": ("engineer", "engineering"), "李明": ("engineer", "engineering"), "赵军": ("security", "security"),
        "钱主管": ("cs_supervisor", "customer_service"), "孙工": ("engineering_manager", "engineering"),
        "周经理": ("manager", "management"), "吴管家": ("butler", "customer_service"),
        "郑质检": ("quality_inspector", "management"), "冯离职": ("engineer", "engineering"),
        "陈客服": ("cs_agent", "customer_service"),
    }
    ids: dict[str, int] = {}
    for name, (role, team) in people.items():
        staff_id = t.new_id()
        t.staff[staff_id] = (StaffMember(staff_id, name, role, team, active=name != "冯离职"), 1, f"139{staff_id:08d}")
        t.identities.append(Identity("telegram", f"s{staff_id}", f"s{staff_id}", "zh-CN", staff_id=staff_id, community_id=1))
        ids[name] = staff_id
    room = Room(t.new_id(), "1-101", "1")
    t.rooms[room.id] = (room, 1)
    owner_id, other = t.new_id(), t.new_id()
    t.owners[owner_id] = ("张伟", "13800001111", 1, False)
    t.owners[other] = ("刘芳", "13800002222", 1, False)
    t.owner_rooms.add((owner_id, room.id))
    t.identities.append(Identity("telegram", "o1", "o1", "zh-CN", owner_id=owner_id, community_id=1))
    t.identities.append(Identity("telegram", "o2", "o2", "en", owner_id=other, community_id=1))
    item = ServiceItem(t.new_id(), "unclog", "home_repair", "疏通下水道", "Unclog a drain", 8000, "次", "time")
    t.catalogue[item.id] = (item, 1, True)
    return Desk(db, community, ids, owner_id, other, room.id, item)
