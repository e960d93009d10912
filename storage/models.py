"""The database tables (SQLAlchemy 2 declarative).

Rows never leave `storage/`: repositories turn them into the plain dataclasses of
`cases.model` and back.  Every timestamp is stored timezone-aware in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so we restore it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only


class Community(Base):
    __tablename__ = "communities"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Desk policy from the community file: deadlines, callback delay, quiet hours, hotline…
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Building(Base):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("community_id", "code"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))


class Room(Base):
    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("community_id", "code"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    # What owners type and staff read: building-unit-room, e.g. "1-2-1201".
    code: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16), default="")
    floor: Mapped[int] = mapped_column(Integer, default=0)


class Owner(Base):
    __tablename__ = "owners"
    __table_args__ = (UniqueConstraint("community_id", "phone"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    muted_notices: Mapped[bool] = mapped_column(Boolean, default=False)


class OwnerRoom(Base):
    __tablename__ = "owner_rooms"
    # The primary key leads with owner_id; notices and room lookups go by room.
    __table_args__ = (Index("ix_owner_rooms_room_id", "room_id"),)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    # Who the person is to the home (storage.register.Role): owner | family | tenant (0006_register).
    role: Mapped[str] = mapped_column(String(8), default="owner", server_default="owner")
    # The owner who added this family member or tenant in chat; NULL: from the register or
    # community file. A household added by an owner leaves with that owner.
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("owners.id", ondelete="SET NULL"), nullable=True)
    added_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("community_id", "code"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))


class TeamChat(Base):
    """A team's group chat on one channel (a Telegram group id, a console room name…)."""

    __tablename__ = "team_chats"
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64))


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("community_id", "code"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20), default="")
    role: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Identity(Base):
    """Who a chat user is in one community: an owner, a staff member, or nobody yet (locale only).

    A person may belong to several communities (homes in two, a regional team serving
    three): one row per (channel, user_id, community), each linking that community's owner
    and/or staff row, so delivery still finds chats by owner or staff id alone.  A chat user
    bound nowhere yet has one row with no community (migration 0007_communities)."""

    __tablename__ = "identities"
    __table_args__ = (
        Index("uq_identities_channel_user_community", "channel", "user_id", "community_id", unique=True),
        # The not-yet-bound row: one per chat user (NULLs are distinct in the index above).
        Index("uq_identities_channel_user_unbound", "channel", "user_id", unique=True,
              sqlite_where=text("community_id IS NULL"), postgresql_where=text("community_id IS NULL")),
        # Every reply about a case, survey and notice recipient looks people up by these.
        Index("ix_identities_owner_id", "owner_id"),
        Index("ix_identities_staff_id", "staff_id"),
        Index("ix_identities_chat", "channel", "chat_id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    # The private chat to reach this person in (on Telegram the same as user_id).
    chat_id: Mapped[str] = mapped_column(String(64))
    # The community this row's owner/staff links belong to; NULL: not bound anywhere yet.
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owners.id", ondelete="SET NULL"), nullable=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    locale: Mapped[str] = mapped_column(String(8), default="zh-CN")
    verified_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ServiceItem(Base):
    __tablename__ = "service_items"
    __table_args__ = (UniqueConstraint("community_id", "code"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    price_cents: Mapped[int] = mapped_column(Integer)
    unit_zh: Mapped[str] = mapped_column(String(20), default="次")
    unit_en: Mapped[str] = mapped_column(String(20), default="time")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Faq(Base):
    __tablename__ = "faqs"
    __table_args__ = (UniqueConstraint("community_id", "code"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    question_zh: Mapped[str] = mapped_column(Text)
    answer_zh: Mapped[str] = mapped_column(Text)
    question_en: Mapped[str] = mapped_column(Text, default="")
    answer_en: Mapped[str] = mapped_column(Text, default="")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_response_due", "status", "response_due_at"),
        Index("ix_cases_created", "community_id", "created_at"),
        # /mycases of a reporter, the scheduler's and the escalation's scans.
        Index("ix_cases_reporter", "reporter_channel", "reporter_chat_id"),
        Index("ix_cases_status_completion_due", "status", "completion_due_at"),
        Index("ix_cases_status_done", "status", "done_at"),
        Index("ix_cases_urgency_status", "urgency", "status"),
        Index("ix_cases_team_status", "team_code", "status"),
        Index("ix_cases_first_responder", "first_responder_id"),
        # The board: its page's ids, counts per team and totals from the index alone; a search by room (0007_console).
        Index("ix_cases_board", "community_id", "status", "team_code", "due_at", "urgency", "id"),
        Index("ix_cases_room", "room_id", "status", "community_id", "due_at", "urgency", "id"),
        # Cases closed in a period: the reports' callback coverage (migration 0007_company).
        Index("ix_cases_closed", "community_id", "closed_at"),
        # Cases changed since the rollups were last brought up to date (migration 0008_rollup).
        Index("ix_cases_updated", "updated_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32), default="")
    area: Mapped[str] = mapped_column(String(8), default="")
    urgency: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), nullable=True)
    place: Mapped[str] = mapped_column(String(200), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owners.id", ondelete="SET NULL"), nullable=True, index=True)
    # Where the reporter is reached, even when they are not a bound owner (an emergency).
    reporter_channel: Mapped[str] = mapped_column(String(16), default="")
    reporter_chat_id: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    photos: Mapped[list[Any]] = mapped_column(default=list)
    team_code: Mapped[str] = mapped_column(String(32), default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True, index=True)
    first_responder_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    rework_round: Mapped[int] = mapped_column(Integer, default=0)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_by: Mapped[str] = mapped_column(String(8), default="")
    # How the case reached the desk: chat | phone | walk_in | patrol | staff (migration 0006_console).
    source: Mapped[str] = mapped_column(String(16), default="chat", server_default="chat")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    first_accepted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    response_due_at: Mapped[datetime | None] = mapped_column(nullable=True)
    completion_due_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # `Case.deadline` stored for the board's order and filters (migration 0007_console):
    # written by the case repository on every add and save, never by a front end.
    due_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Optimistic concurrency: two staff pressing "accept" at once, exactly one wins.
    version: Mapped[int] = mapped_column(Integer, default=1)


class TimelineEntry(Base):
    __tablename__ = "case_timeline"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(8))  # owner | staff | system
    actor_id: Mapped[int | None] = mapped_column(nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CaseFee(Base):
    """One charge on a case (migration 0006_dispatch): every visit's fee is kept, so a
    rework after an unsatisfied callback adds a charge and erases none (cases.fees)."""

    __tablename__ = "case_fees"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=0)
    cents: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


class RosterChange(Base):
    """Someone put on duty or taken off for a span of time by a supervisor in chat or the
    console (migration 0007_roster_changes), layered over the community file's roster
    (cases.roster.DutyChange).  Kept when the file is reloaded, unless the file says
    `clear_changes: true`; who made it, when and through which front end stay with it."""

    __tablename__ = "roster_changes"
    __table_args__ = (Index("ix_roster_changes_community_ends", "community_id", "ends_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    on_duty: Mapped[bool] = mapped_column(Boolean)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    made_at: Mapped[datetime]
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    via: Mapped[str] = mapped_column(String(16), default="chat")


class Booking(Base):
    __tablename__ = "bookings"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    slot: Mapped[str] = mapped_column(String(100))
    price_cents: Mapped[int] = mapped_column(Integer)
    price_confirmed_at: Mapped[datetime]
    # The time the owner asked for, as a window (migration 0005_typed); NULL when they gave none.
    window_start: Mapped[datetime | None] = mapped_column(nullable=True)
    window_end: Mapped[datetime | None] = mapped_column(nullable=True)


class Callback(Base):
    """One callback survey (回访) of one round of a case."""

    __tablename__ = "callbacks"
    __table_args__ = (
        UniqueConstraint("case_id", "round"),
        Index("ix_callbacks_state_due", "state", "due_at"),
        # Callbacks answered in a period: the reports' satisfaction (migration 0007_company).
        Index("ix_callbacks_answered", "answered_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer, default=1)
    # scheduled → sent → (reminded) → (phone) → answered | skipped
    state: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    solved: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    speed_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attitude_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(8), default="chat")  # chat | phone
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)


class SpotCheck(Base):
    __tablename__ = "spot_checks"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    callback_id: Mapped[int] = mapped_column(ForeignKey("callbacks.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(16))  # cs_supervisor | engineering | quality
    checker_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    finding: Mapped[str] = mapped_column(String(16), default="")  # confirmed | discrepancy
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class Conversation(Base):
    """Where a person is in a flow, so a restart or a second process loses nothing."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "chat_id", "user_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    flow: Mapped[str] = mapped_column(String(32), default="")
    step: Mapped[str] = mapped_column(String(32), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]
    # Optimistic concurrency: a step writes only over the state it read (storage.conversations).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The community this conversation is in, for a person in several (the last one used;
    # `/community` switches it).  No foreign key: a stale id is simply not one of theirs.
    community_id: Mapped[int | None] = mapped_column(Id, nullable=True)


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "channel", "state", "not_before"),
        Index("ix_outbox_replace", "channel", "chat_id", "replace_key"),
        Index("ix_outbox_claim", "channel", "state", "priority", "id"),
        Index("ix_outbox_chat", "channel", "chat_id", "state"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column()
    replace_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    state: Mapped[str] = mapped_column(String(8), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failure: Mapped[str] = mapped_column(String(200), default="")
    # Set for messages of a notice, so its sender can see how many were delivered.
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id", ondelete="SET NULL"), nullable=True, index=True)
    # 1 = emergency: delivered before ordinary messages to the same chat (bot.delivery).
    priority: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    # The delivery worker holding the row and until when; a lapsed claim is free again.
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claim_until: Mapped[datetime | None] = mapped_column(nullable=True)
    # Start of the current run of transient failures (None: not failing).
    failing_since: Mapped[datetime | None] = mapped_column(nullable=True)


class Notice(Base):
    """A notice to owners (water or power cut, works, rules): 信息发布."""

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    # community | building | units ; `target` holds the building code and unit list.
    scope: Mapped[str] = mapped_column(String(16), default="community")
    target: Mapped[dict[str, Any]] = mapped_column(default=dict)
    text: Mapped[str] = mapped_column(Text)
    photo: Mapped[str] = mapped_column(String(200), default="")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    recipients: Mapped[int] = mapped_column(Integer, default=0)


class ProcessedUpdate(Base):
    """Update ids already handled, so a redelivered webhook update is processed once."""

    __tablename__ = "processed_updates"
    __table_args__ = (Index("ix_processed_updates_at", "at"),)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime]


class InboxMessage(Base):
    """A verified, decrypted WeChat or WeCom callback, recorded before the platform is
    answered and handled from here (bot.wxbase.callback): one that a dead process took
    is taken again by another, never lost; the platform's retry of it is never a second row."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "account", "key", name="uq_inbox_key"),
        Index("ix_inbox_state", "state", "claimed_until"),
        Index("ix_inbox_received", "received_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)  # arrival order
    channel: Mapped[str] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(String(64))  # the Service Account's app id, the WeCom corp id
    # The message's identity, as the desk records it in processed_updates (MsgId, or sender + time for events).
    key: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(64))
    # The message's fields; emptied once handled (owners' words are not kept here longer than needed).
    fields: Mapped[dict[str, Any]] = mapped_column()
    received_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(8), default="pending")  # pending | done | failed
    # How many times a process took it (the first is the one that recorded it).
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)


class BindingAttempt(Base):
    """Failed attempts to bind by room + name + digits, per chat and per room (cases.binding_guard):
    kept in the database so /start, a restart or a second process never resets them."""

    __tablename__ = "binding_attempts"
    __table_args__ = (UniqueConstraint("scope", "key"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))  # chat | room
    # chat: "<channel>:<chat id>"; room: "<community id>:<room id>"
    key: Mapped[str] = mapped_column(String(100))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(nullable=True)
    last_failure_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Contact cards refused because they were not the sender's own (counted, never bound).
    refused_contacts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class WecomCardCode(Base):
    """A WeCom `response_code` for one template card: the one `message/send` returned and
    one per tap (the callback carries it).  Each may update the card once, within 72 h
    (`message/update_template_card`); `used_at` marks it spent, in every process."""

    __tablename__ = "wecom_card_codes"
    __table_args__ = (Index("ix_wecom_card_codes_task", "task_id", "used_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(128))
    userid: Mapped[str] = mapped_column(String(64))
    response_code: Mapped[str] = mapped_column(String(512))
    issued_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class PlatformToken(Base):
    """An API access token shared by every bot process (WeChat, WeCom: bot.wxbase.tokens).

    One process at a time refreshes it: it takes the lease (`lease_by`, `lease_until`) with a
    conditional UPDATE, fetches, writes the token and gives the lease back; the others wait
    for the new token or for the lease to lapse (a refresher that died)."""

    __tablename__ = "platform_tokens"
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    lease_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)


class WechatContact(Base):
    """What the WeChat channel knows of one follower (openid): when they last wrote (the 48 h
    customer-service window), whether they follow, and a room QR code scanned and not yet confirmed."""

    __tablename__ = "wechat_contacts"
    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_inbound_at: Mapped[datetime | None] = mapped_column(nullable=True)
    followed: Mapped[bool] = mapped_column(Boolean, default=True)
    qr_room: Mapped[str | None] = mapped_column(String(32), nullable=True)
    qr_at: Mapped[datetime | None] = mapped_column(nullable=True)


class WechatMenuOption(Base):
    """A tappable `msgmenu` option sent to one follower: its id is what WeChat sends back as
    `bizmsgmenuid`, the payload stays here.  A tap is honoured only from the openid it was
    sent to, then re-authorised by the desk like any button press."""

    __tablename__ = "wechat_menu_options"
    __table_args__ = (Index("ix_wechat_menu_options_openid", "openid"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


# --------------------------------------------------------------------------- the office console
class ConsoleSession(Base):
    """A signed-in console browser (migration 0006_console).  Only the token's SHA-256 is
    kept, so a copy of the database gives no one a live session."""

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_staff", "staff_id"),)
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    # The form token of this session (CSRF), compared on every POST.
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class ConsoleCode(Base):
    """A one-time sign-in code sent to a staff member's own chat with the bot."""

    __tablename__ = "console_codes"
    __table_args__ = (Index("ix_console_codes_staff", "staff_id", "expires_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ConsoleGuard(Base):
    """Wrong sign-in codes or passwords per staff member; past the limit, locked for a while."""

    __tablename__ = "console_guard"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime]


class StaffPassword(Base):
    """A console password the operator set with the CLI (staff without a chat with the bot)."""

    __tablename__ = "staff_passwords"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    # "scrypt$n$r$p$salt-hex$hash-hex"
    hash: Mapped[str] = mapped_column(String(300))
    set_at: Mapped[datetime]


class AuditEntry(Base):
    """Every console action and sign-in, and every full phone number shown: who, what, when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_case", "case_id"),
                      Index("ix_audit_log_staff", "staff_id", "id"),
                      # Wrong sign-ins per address (web/pages/login.py's limit per address).
                      Index("ix_audit_log_remote", "remote", "action", "at"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(Id, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    remote: Mapped[str] = mapped_column(String(64), default="")


# ----------------------------------------------------------------------------- rollups
# Per community and local day (in the community's zone), what the company report sums over
# a period instead of reading every case (migration 0008_rollup; storage/rollup.py writes
# them, services/reports/rollup.py keeps them up to date).
class RollupCount(Base):
    """Cases of one kind opened on the day (volumes, finishes, reworks) and closed on it
    (callback coverage, by the callbacks' state as last rolled up)."""

    __tablename__ = "rollup_counts"
    community_id: Mapped[int] = mapped_column(Id, ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    finished: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    covered: Mapped[int] = mapped_column(Integer, default=0)
    by_phone: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[int] = mapped_column(Integer, default=0)


class RollupLate(Base):
    """Cases opened on `day` that are late since a moment on `since` (a local day): late at
    any moment after it, so a period judged at `as_of` counts the rows with since < as_of's day."""

    __tablename__ = "rollup_late"
    community_id: Mapped[int] = mapped_column(Id, ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    since: Mapped[date] = mapped_column(primary_key=True)
    late_response: Mapped[int] = mapped_column(Integer, default=0)
    late_completion: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)


class _Buckets:
    """A duration histogram's row (cases/histogram.py): in `bucket` of `measure` (0 first
    response, 1 completion), how many durations, and the lowest and highest (seconds)."""

    measure: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    low: Mapped[int] = mapped_column(Integer)
    high: Mapped[int] = mapped_column(Integer)


class RollupDuration(_Buckets, Base):
    """First response and completion times of the cases opened on the day."""

    __tablename__ = "rollup_durations"
    community_id: Mapped[int] = mapped_column(Id, ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)


class RollupMonthDuration(_Buckets, Base):
    """`rollup_durations` of a whole calendar month (`month`: its first day) summed: a year
    reads 12 of these per community and bucket instead of 365."""

    __tablename__ = "rollup_month_durations"
    community_id: Mapped[int] = mapped_column(Id, ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)


class RollupAnswer(Base):
    """Callbacks answered on the day, summed as `cases.statistics.AnswerSums`, and how many of
    them did not send the case back (`cases.callbacks.unsatisfied`)."""

    __tablename__ = "rollup_answers"
    community_id: Mapped[int] = mapped_column(Id, ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    answered: Mapped[int] = mapped_column(Integer)
    by_phone: Mapped[int] = mapped_column(Integer)
    speed_sum: Mapped[int] = mapped_column(Integer)
    speed_n: Mapped[int] = mapped_column(Integer)
    attitude_sum: Mapped[int] = mapped_column(Integer)
    attitude_n: Mapped[int] = mapped_column(Integer)
    solved: Mapped[int] = mapped_column(Integer)
    solved_known: Mapped[int] = mapped_column(Integer)
    satisfied: Mapped[int] = mapped_column(Integer)


class RollupState(Base):
    """How far a community's rollups reach: every local day up to `through` is rolled up, and
    changes to cases up to `checked_at` are in them."""

    __tablename__ = "rollup_state"
    community_id: Mapped[int] = mapped_column(Id, ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True)
    through: Mapped[date]
    checked_at: Mapped[datetime]
