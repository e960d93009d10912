"""The community's people and places: rooms, owners, staff, teams, chat identities, catalogue, FAQ."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Select, String, and_, cast, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.permissions import StaffMember
from cases.policy import DeskPolicy
from cases.records import Community, Faq, Identity, Owner, Room, ServiceItem, TeamInfo
from storage import models as m
from storage.conversations import ConversationChanged, insert_for


# Channels whose team groups cannot carry buttons: the group gets a read-only feed (a WeCom
# group robot), addressed as `robot:<team code>` (`robot:<team code>@<community code>` when
# there are several communities) — the robot's key is a credential and stays
# in team_chats, out of the outbox, logs and status lines — and team messages also go to
# each member privately.
GROUP_FEED_PREFIX = {"wecom": "robot:"}
MEMBER_CHANNELS = frozenset(GROUP_FEED_PREFIX)


def _staff(row: m.Staff, team_code: str) -> StaffMember:
    return StaffMember(id=row.id, name=row.name, role=row.role, team=team_code, active=row.active, code=row.code)


def _identity(row: m.Identity) -> Identity:
    return Identity(row.channel, row.user_id, row.chat_id, row.locale, row.owner_id, row.staff_id, row.community_id)


def _community(row: m.Community) -> Community:
    return Community(row.id, row.code, row.name, DeskPolicy.from_json(row.policy))


@lru_cache(maxsize=512)
def _policy_of_text(text: str) -> DeskPolicy:
    """A policy parsed once per distinct stored text, for the life of the process (a frozen
    value): every step reads all communities, and parsing 50 policies per step was a sixth
    of a step's CPU at company size (bench/company.py)."""
    return DeskPolicy.from_json(json.loads(text))


class Directory:
    """Lookups within one unit of work.

    The community (with its policy), staff members, rooms and owners hardly change and
    are asked for again and again within one step (a staff accept read the staff member
    three times and the rooms four): each is read once per unit of work and kept here.
    Writes through this class drop what they change; `forget_cached` drops everything
    (the unit of work calls it when it rolls back).
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._cache: dict[tuple[object, ...], object] = {}

    def forget_cached(self) -> None:
        self._cache.clear()

    def _forget_identities(self) -> None:
        for key in [k for k in self._cache if k[0] in ("chats_of", "team_destinations", "identity_rows")]:
            del self._cache[key]

    # ----------------------------------------------------------------- community
    async def community(self, code: str | None = None) -> Community | None:
        """The community with this code; without one, the first loaded (the only one, in a
        deployment of one community — callers that may face several use `communities()`)."""
        key = ("community", code)
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        query = select(m.Community).order_by(m.Community.id).limit(1)
        if code:
            query = query.where(m.Community.code == code)
        row = await self.session.scalar(query)
        found = _community(row) if row else None
        if found is not None:
            self._cache[key] = found
        return found

    async def communities(self) -> list[Community]:
        """Every community of the deployment, in the order they were loaded."""
        key = ("communities",)
        if key not in self._cache:
            # The policy as text (not decoded by the driver), the cache's key.
            rows = await self.session.execute(select(m.Community.id, m.Community.code, m.Community.name,
                                                     cast(m.Community.policy, String)).order_by(m.Community.id))
            self._cache[key] = [Community(cid, code, name, _policy_of_text(policy)) for cid, code, name, policy in rows]
        return list(self._cache[key])  # type: ignore[call-overload]

    async def community_by_id(self, community_id: int) -> Community | None:
        return next((c for c in await self.communities() if c.id == community_id), None)

    async def community_of_case(self, case_id: int) -> Community | None:
        """The community a case belongs to (None: no such case) — how a press or command
        about a case decides whose rules, people and groups apply."""
        return await self._community_where(select(m.Case.community_id).where(m.Case.id == case_id))

    async def community_of_callback(self, callback_id: int) -> Community | None:
        return await self._community_where(select(m.Case.community_id).join(m.Callback, m.Callback.case_id == m.Case.id)
                                           .where(m.Callback.id == callback_id))

    async def community_of_notice(self, notice_id: int) -> Community | None:
        return await self._community_where(select(m.Notice.community_id).where(m.Notice.id == notice_id))

    async def community_of_identity(self, identity_id: int) -> Community | None:
        return await self._community_where(select(m.Identity.community_id).where(m.Identity.id == identity_id))

    async def _community_where(self, query: Select[tuple[int | None]]) -> Community | None:
        community_id = await self.session.scalar(query)
        return await self.community_by_id(community_id) if community_id is not None else None

    async def room(self, community_id: int, code: str) -> Room | None:
        row = await self.session.execute(
            select(m.Room, m.Building.code)
            .join(m.Building, m.Building.id == m.Room.building_id)
            .where(m.Room.community_id == community_id, m.Room.code == code)
        )
        found = row.first()
        return Room(found[0].id, found[0].code, found[1]) if found else None

    async def room_by_id(self, room_id: int) -> Room | None:
        key = ("room", room_id)
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        row = await self.session.execute(
            select(m.Room, m.Building.code).join(m.Building, m.Building.id == m.Room.building_id).where(m.Room.id == room_id)
        )
        found = row.first()
        room = Room(found[0].id, found[0].code, found[1]) if found else None
        self._cache[key] = room
        return room

    async def rooms_in(self, community_id: int, building: str | None = None, units: tuple[str, ...] = ()) -> list[Room]:
        query = (
            select(m.Room, m.Building.code)
            .join(m.Building, m.Building.id == m.Room.building_id)
            .where(m.Room.community_id == community_id)
            .order_by(m.Room.code)
        )
        if building:
            query = query.where(m.Building.code == building)
        if units:
            query = query.where(m.Room.unit.in_(units))
        return [Room(r.id, r.code, b) for r, b in (await self.session.execute(query)).all()]

    async def teams(self, community_id: int) -> list[TeamInfo]:
        key = ("teams", community_id)
        if key not in self._cache:
            self._cache[key] = await self._teams(community_id)
        return list(self._cache[key])  # type: ignore[call-overload]

    async def _teams(self, community_id: int) -> list[TeamInfo]:
        teams = (await self.session.scalars(select(m.Team).where(m.Team.community_id == community_id).order_by(m.Team.id))).all()
        chats = (await self.session.scalars(select(m.TeamChat).where(m.TeamChat.team_id.in_([t.id for t in teams])))).all()
        by_team: dict[int, dict[str, str]] = {}
        for chat in chats:
            by_team.setdefault(chat.team_id, {})[chat.channel] = chat.chat_id
        return [TeamInfo(t.code, t.name, by_team.get(t.id, {})) for t in teams]

    async def team_destinations(self, community_id: int, team: str) -> list[tuple[str, str]]:
        """Every (channel, chat id) a team's cards and alerts go to — the one answer all
        addressing uses.  Its group chat on each channel; where a channel's groups cannot
        carry buttons (a WeCom group robot only posts), the group gets a read-only feed
        (`robot:<team>`) and every active member of the team gets the message privately, in
        the app, where they can press.  A member with several channels is reached on each,
        and a press on any of them is one press: the desk reads the case afresh each time."""
        key = ("team_destinations", community_id, team)
        if key not in self._cache:
            self._cache[key] = await self._team_destinations(community_id, team)
        return list(self._cache[key])  # type: ignore[call-overload]

    async def _team_destinations(self, community_id: int, team: str) -> list[tuple[str, str]]:
        info = next((i for i in await self.teams(community_id) if i.code == team), None)
        if info is None:
            return []
        found: list[tuple[str, str]] = []
        # With several communities a feed names the community too (`robot:engineering@dongyuan`):
        # the same team code has a robot in each.
        several = len(await self.communities()) > 1
        community = await self.community_by_id(community_id) if several else None
        feed = f"{team}@{community.code}" if community is not None else team
        for channel, chat_id in info.chats.items():
            found.append((channel, f"{GROUP_FEED_PREFIX[channel]}{feed}" if channel in GROUP_FEED_PREFIX else chat_id))
        for member in await self.staff_list(community_id, team=team):
            for identity in await self.chats_of(staff_id=member.id):
                if identity.channel in MEMBER_CHANNELS and (identity.channel, identity.chat_id) not in found:
                    found.append((identity.channel, identity.chat_id))
        return found

    async def team_chat(self, channel: str, team: str, community_id: int | None = None) -> str | None:
        """The team's chat id on one channel (for WeCom: its group robot's key), in one
        community (without one: the team of that code in the first community that has it)."""
        query = (select(m.TeamChat.chat_id).join(m.Team, m.TeamChat.team_id == m.Team.id)
                 .where(m.Team.code == team, m.TeamChat.channel == channel).order_by(m.Team.community_id).limit(1))
        if community_id is not None:
            query = query.where(m.Team.community_id == community_id)
        return await self.session.scalar(query)

    async def team_of_chat(self, channel: str, chat_id: str, community_id: int | None = None) -> str | None:
        """The team a group chat serves in one community (without one: in the first it serves)."""
        served = await self.teams_of_chat(channel, chat_id)
        return next((team for community, team in served if community_id in (None, community)), None)

    async def teams_of_chat(self, channel: str, chat_id: str) -> list[tuple[int, str]]:
        """(community id, team code) of every team this group chat serves: one, or a regional
        team's group serving the same team in several communities."""
        key = ("teams_of_chat", channel, chat_id)
        if key not in self._cache:
            rows = await self.session.execute(
                select(m.Team.community_id, m.Team.code).join(m.TeamChat, m.TeamChat.team_id == m.Team.id)
                .where(m.TeamChat.channel == channel, m.TeamChat.chat_id == chat_id).order_by(m.Team.community_id))
            self._cache[key] = [(int(c), str(t)) for c, t in rows.all()]
        return list(self._cache[key])  # type: ignore[call-overload]

    async def catalogue(self, community_id: int) -> list[ServiceItem]:
        rows = await self.session.scalars(
            select(m.ServiceItem).where(m.ServiceItem.community_id == community_id, m.ServiceItem.active).order_by(m.ServiceItem.id)
        )
        return [
            ServiceItem(r.id, r.code, r.category, r.name_zh, r.name_en, r.price_cents, r.unit_zh, r.unit_en) for r in rows
        ]

    async def faqs(self, community_id: int) -> list[Faq]:
        key = ("faqs", community_id)
        if key not in self._cache:
            rows = await self.session.scalars(select(m.Faq).where(m.Faq.community_id == community_id).order_by(m.Faq.id))
            self._cache[key] = [Faq(r.code, tuple(r.keywords), r.question_zh, r.answer_zh, r.question_en, r.answer_en)
                                for r in rows]
        return list(self._cache[key])  # type: ignore[call-overload]

    # ----------------------------------------------------------------- owners
    async def owner(self, owner_id: int) -> Owner | None:
        key = ("owner", owner_id)
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        found = await self._owner(owner_id)
        self._cache[key] = found
        return found

    async def _owner(self, owner_id: int) -> Owner | None:
        row = await self.session.get(m.Owner, owner_id)
        if row is None:
            return None
        rooms = await self.session.execute(
            select(m.Room, m.Building.code)
            .join(m.OwnerRoom, m.OwnerRoom.room_id == m.Room.id)
            .join(m.Building, m.Building.id == m.Room.building_id)
            .where(m.OwnerRoom.owner_id == owner_id)
            .order_by(m.Room.code)
        )
        return Owner(row.id, row.name, row.phone, tuple(Room(r.id, r.code, b) for r, b in rooms.all()), row.muted_notices)

    async def owner_by_phone(self, community_id: int, phone: str) -> Owner | None:
        """The person with this phone who lives here now: someone who moved out (no room left,
        their row kept for history) binds to nothing."""
        owner_id = await self.session.scalar(
            select(m.Owner.id).where(m.Owner.community_id == community_id, m.Owner.phone == phone,
                                     select(m.OwnerRoom.room_id).where(m.OwnerRoom.owner_id == m.Owner.id).exists())
        )
        return await self.owner(owner_id) if owner_id else None

    async def owners_by_phone(self, phone: str) -> list[tuple[Community, Owner]]:
        """The people with this phone who live in any community now (one owner row per
        community: a person with homes in two has two), in loading order."""
        rows = await self.session.execute(
            select(m.Owner.id, m.Owner.community_id).where(
                m.Owner.phone == phone, select(m.OwnerRoom.room_id).where(m.OwnerRoom.owner_id == m.Owner.id).exists())
            .order_by(m.Owner.community_id))
        found = []
        for owner_id, community_id in rows.all():
            community, owner = await self.community_by_id(community_id), await self.owner(owner_id)
            if community is not None and owner is not None:
                found.append((community, owner))
        return found

    async def community_id_of(self, *, owner_id: int | None = None, staff_id: int | None = None) -> int | None:
        """The community an owner or staff row belongs to."""
        return await self._community_of_person(owner_id, staff_id)

    async def owners_of_room(self, room_id: int) -> list[Owner]:
        ids = await self.session.scalars(select(m.OwnerRoom.owner_id).where(m.OwnerRoom.room_id == room_id))
        return [o for i in ids.all() if (o := await self.owner(i))]

    async def set_muted(self, owner_id: int, muted: bool) -> None:
        self._cache.pop(("owner", owner_id), None)
        row = await self.session.get(m.Owner, owner_id)
        if row:
            row.muted_notices = muted

    # ----------------------------------------------------------------- staff
    async def staff(self, staff_id: int) -> StaffMember | None:
        key = ("staff", staff_id)
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        row = await self.session.execute(
            select(m.Staff, m.Team.code).join(m.Team, m.Team.id == m.Staff.team_id).where(m.Staff.id == staff_id)
        )
        found = row.first()
        member = _staff(*found) if found else None
        self._cache[key] = member
        return member

    async def staff_list(self, community_id: int, role: str | None = None, team: str | None = None) -> list[StaffMember]:
        key = ("staff_list", community_id, role, team)
        if key not in self._cache:
            self._cache[key] = await self._staff_list(community_id, role, team)
        return list(self._cache[key])  # type: ignore[call-overload]

    async def _staff_list(self, community_id: int, role: str | None, team: str | None) -> list[StaffMember]:
        query = (
            select(m.Staff, m.Team.code).join(m.Team, m.Team.id == m.Staff.team_id)
            .where(m.Staff.community_id == community_id, m.Staff.active).order_by(m.Staff.id)
        )
        if role:
            query = query.where(m.Staff.role == role)
        if team:
            query = query.where(m.Team.code == team)
        return [_staff(r, t) for r, t in (await self.session.execute(query)).all()]

    async def staff_by_name(self, community_id: int, name: str) -> StaffMember | None:
        found = [s for s in await self.staff_list(community_id) if s.name == name or str(s.id) == name]
        return found[0] if found else None

    async def staff_in(self, community_id: int, staff_id: int) -> StaffMember | None:
        """The same person's active row in `community_id` (a person serving several
        communities has one row in each, with the same staff number and phone; another
        community's gj01 with another phone is another person), or None."""
        me = select(m.Staff.code, m.Staff.phone).where(m.Staff.id == staff_id).subquery()
        found = await self.session.scalar(select(m.Staff.id).join(
            me, and_(m.Staff.code == me.c.code, m.Staff.phone == me.c.phone)).where(
            m.Staff.community_id == community_id, m.Staff.active))
        return await self.staff(found) if found is not None else None

    async def staff_phone(self, staff_id: int) -> str:
        return await self.session.scalar(select(m.Staff.phone).where(m.Staff.id == staff_id)) or ""

    # ----------------------------------------------------------------- chat identities
    # A chat user has one row per community they are bound in (owner and/or staff there),
    # or, bound nowhere yet, one row without a community that holds only their locale.
    async def identity(self, channel: str, user_id: str, community_id: int | None = None) -> Identity | None:
        """Who this chat user is in `community_id`: their row there, or — bound only
        elsewhere — an unbound identity (their chat and locale, no owner, no staff), so a
        person is never taken for someone they are in another community.  Without a
        community: their most recently bound row (the only one, with one community)."""
        rows = await self._identity_rows(channel, user_id)
        if not rows:
            return None
        if community_id is None:
            return _identity(rows[0])
        row = next((r for r in rows if r.community_id == community_id), None)
        if row is None:
            # A row written without its community (a bulk import, an older writer) still
            # counts where its owner or staff member is.
            for r in rows:
                if r.community_id is None and (r.owner_id or r.staff_id) \
                        and await self._community_of_person(r.owner_id, r.staff_id) == community_id:
                    row = r
                    break
        if row is not None:
            return _identity(row)
        return Identity(channel, user_id, rows[0].chat_id, rows[0].locale)

    async def identities(self, channel: str, user_id: str) -> list[Identity]:
        """Every row of this chat user, the bound ones first (latest bound first)."""
        return [_identity(r) for r in await self._identity_rows(channel, user_id)]

    async def communities_of(self, channel: str, user_id: str) -> list[Community]:
        """The communities this chat user is an owner or staff member in, in loading order."""
        ids = {r.community_id for r in await self._identity_rows(channel, user_id)
               if r.community_id is not None and (r.owner_id is not None or r.staff_id is not None)}
        return [c for c in await self.communities() if c.id in ids]

    async def _identity_rows(self, channel: str, user_id: str) -> list[m.Identity]:
        # Read once per unit of work: a step asks who is talking three or four times (the
        # desk's `remember`, where the update belongs, who they are there, the flow).  The
        # rows are the session's own objects, so changes made to them are seen; rows added
        # or removed through this class drop the list (`_forget_identities`).
        key = ("identity_rows", channel, user_id)
        if key not in self._cache:
            self._cache[key] = list(await self.session.scalars(
                select(m.Identity).where(m.Identity.channel == channel, m.Identity.user_id == user_id)
                .order_by(m.Identity.community_id.is_(None), m.Identity.verified_at.desc().nulls_last(),
                          m.Identity.id)))
        return list(self._cache[key])  # type: ignore[call-overload]

    async def _identity_row(self, channel: str, user_id: str, community_id: int | None = None) -> m.Identity | None:
        rows = await self._identity_rows(channel, user_id)
        if community_id is None:
            return rows[0] if rows else None
        return next((r for r in rows if r.community_id == community_id), None)

    async def identity_of_chat(self, channel: str, chat_id: str, community_id: int | None = None) -> Identity | None:
        """The identity behind a private chat (in one community, when given: its owner there)."""
        query = select(m.Identity).where(m.Identity.channel == channel, m.Identity.chat_id == chat_id)
        if community_id is not None:
            query = query.where(m.Identity.community_id == community_id)
        row = await self.session.scalar(query.order_by(m.Identity.id).limit(1))
        if row is None and community_id is not None:
            return await self.identity_of_chat(channel, chat_id)
        return _identity(row) if row else None

    async def remember(self, channel: str, user_id: str, chat_id: str, locale: str) -> Identity:
        """The identity of a chat user, created on first contact (unbound, with a locale).

        Created with an upsert: the first two updates of a new user, handled at once by
        two tasks or processes, both find no row; one inserts, the other's insert does
        nothing (after waiting for the first to commit) and it reads the row instead."""
        row = await self._identity_row(channel, user_id)
        if row is None:
            await self.session.execute(
                insert_for(self.session)(m.Identity)
                .values(channel=channel, user_id=user_id, chat_id=chat_id, locale=locale)
                .on_conflict_do_nothing(index_elements=["channel", "user_id"],
                                        index_where=m.Identity.community_id.is_(None))
            )
            self._forget_identities()
            row = await self._identity_row(channel, user_id)
            if row is None:  # the other insert rolled back after ours waited: take it as changed
                raise ConversationChanged(f"{channel} identity appeared and vanished")
        return _identity(row)

    async def set_locale(self, channel: str, user_id: str, locale: str) -> None:
        """A person's language, the same in every community they are in."""
        self._forget_identities()
        for row in await self._identity_rows(channel, user_id):
            row.locale = locale

    async def bind(self, channel: str, user_id: str, chat_id: str, *, now: datetime,
                   owner_id: int | None = None, staff_id: int | None = None, community_id: int | None = None) -> None:
        """Link this chat user to an owner and/or staff row, in that row's community (their
        row there is created, or the not-yet-bound row becomes it; rows in other
        communities stay as they are)."""
        if community_id is None:
            community_id = await self._community_of_person(owner_id, staff_id)
        rows = await self._identity_rows(channel, user_id)
        row = next((r for r in rows if r.community_id == community_id), None)
        if row is None:
            row = next((r for r in rows if r.community_id is None), None)
        if row is None:
            row = m.Identity(channel=channel, user_id=user_id, chat_id=chat_id,
                             locale=rows[0].locale if rows else "zh-CN")
            self.session.add(row)
        row.community_id = community_id
        row.chat_id = chat_id
        if owner_id is not None:
            row.owner_id = owner_id
        if staff_id is not None:
            row.staff_id = staff_id
        row.verified_at = now
        self._forget_identities()
        await self.session.flush()

    async def _community_of_person(self, owner_id: int | None, staff_id: int | None) -> int | None:
        if owner_id is not None:
            return await self.session.scalar(select(m.Owner.community_id).where(m.Owner.id == owner_id))
        if staff_id is not None:
            return await self.session.scalar(select(m.Staff.community_id).where(m.Staff.id == staff_id))
        return None

    async def chats_of(self, *, owner_id: int | None = None, staff_id: int | None = None) -> list[Identity]:
        """Every chat identity through which a person can be reached."""
        key = ("chats_of", owner_id, staff_id)
        if key not in self._cache:
            self._cache[key] = await self._chats_of(owner_id, staff_id)
        return list(self._cache[key])  # type: ignore[call-overload]

    async def _chats_of(self, owner_id: int | None, staff_id: int | None) -> list[Identity]:
        query = select(m.Identity)
        if owner_id is not None:
            query = query.where(m.Identity.owner_id == owner_id)
        elif staff_id is not None:
            query = query.where(m.Identity.staff_id == staff_id)
        else:
            return []
        return [_identity(r) for r in await self.session.scalars(query.order_by(m.Identity.id))]

    async def forget_staff_identities(self, staff_id: int) -> None:
        self._forget_identities()
        await self.session.execute(delete(m.Identity).where(m.Identity.staff_id == staff_id))
