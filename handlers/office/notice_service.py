"""The notice service (信息发布) inside one unit of work: who a notice reaches, enqueuing it,
and how far its delivery has got.

The chat flow (`handlers.office.notices`) calls these in the desk's own unit of work, so the
notice, its outbox rows and the sender's confirmation commit together; `bot.notices`
wraps them for callers that hold an `App` rather than a unit of work.

Recipients are the owners with a room in scope who have at least one chat identity;
owners who muted notices still get urgent ones (a water cut today is their business
too).  Every message is enqueued in the outbox in the same transaction as the notice
row, one per chat, tagged with the notice id, so a crash loses nothing and the
sender can later see how many were delivered and how many failed (an owner who
blocked the bot).  Delivery pacing is the deliverer's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cases.errors import InvalidInput, NotAllowed, NotFound
from cases.permissions import may_send_notices
from handlers.kit.i18n import t
from handlers.kit.messages import Reply, reply_to_dict
from handlers.kit.numbers import parse_int
from storage.notices import NoticeStore, RecipientChat
from storage.uow import UnitOfWork

# Leaves room for the header under the 4,096-character message limit of chat apps.
MAX_TEXT = 3500
# A unit range wider than any building is a typing slip, not a thousand notices.
MAX_UNIT = 999


@dataclass(frozen=True, slots=True)
class NoticeScope:
    """The whole community, one building, or some units of one building."""

    kind: str = "community"  # community | building | units
    building: str | None = None
    units: tuple[str, ...] = ()

    @classmethod
    def community(cls) -> NoticeScope:
        return cls()

    @classmethod
    def of_building(cls, building: str) -> NoticeScope:
        return cls("building", building)

    @classmethod
    def of_units(cls, building: str, *units: str) -> NoticeScope:
        return cls("units", building, tuple(dict.fromkeys(u.strip() for u in units if u.strip())))

    @classmethod
    def unit_range(cls, building: str, first: str, last: str) -> NoticeScope:
        """Units first..last of a building ("1".."3" → 1, 2, 3); codes must be numbers."""
        low, high = parse_int(first, hi=MAX_UNIT), parse_int(last, hi=MAX_UNIT)
        if low is None or high is None or low > high:
            raise InvalidInput(f"not a unit range: {first}-{last}")
        return cls.of_units(building, *(str(n) for n in range(low, high + 1)))

    def target(self) -> dict[str, Any]:
        return {k: v for k, v in (("building", self.building), ("units", list(self.units))) if v}

    @classmethod
    def from_target(cls, kind: str, target: dict[str, Any]) -> NoticeScope:
        """The scope a stored notice (or a conversation's saved data) describes."""
        return cls(kind, target.get("building"), tuple(target.get("units") or ()))


@dataclass(frozen=True, slots=True)
class NoticeDraft:
    """A checked notice and who it would reach, for the sender to confirm."""

    community_id: int
    community_name: str
    author_id: int
    scope: NoticeScope
    text: str
    photo: str
    urgent: bool
    owners: int  # owners it would reach
    messages: int  # chats it would be sent to
    muted_skipped: int  # owners left out because they muted non-urgent notices


@dataclass(frozen=True, slots=True)
class SentNotice:
    notice_id: int
    owners: int
    messages: int


@dataclass(frozen=True, slots=True)
class NoticeStatus:
    notice_id: int
    recipients: int  # messages enqueued (one per chat)
    delivered: int
    failed: int
    pending: int
    owners: int


def header(locale: str, urgent: bool, community: str) -> str:
    return t(locale, "notices.header_urgent" if urgent else "notices.header_normal", community=community)


def notice_reply(channel: str, chat_id: str, locale: str, *, community: str, text: str, photo: str,
                 urgent: bool) -> Reply:
    """The message as an owner reading `locale` receives it (the sender's preview is the same)."""
    return Reply(channel=channel, chat_id=chat_id, photos=(photo,) if photo else (),
                 text=f"{header(locale, urgent, community)}\n{text}",
                 kind="notices.urgent" if urgent else "notices.normal")


def _select(chats: list[RecipientChat], urgent: bool) -> tuple[list[RecipientChat], int]:
    """The chats to send to (one per distinct chat) and how many muted owners were left out."""
    seen: set[tuple[str, str]] = set()
    chosen, muted = [], set()
    for chat in chats:
        if chat.muted and not urgent:
            muted.add(chat.owner_id)
            continue
        if (chat.channel, chat.chat_id) in seen:
            continue  # two owners of one household sharing a chat get it once
        seen.add((chat.channel, chat.chat_id))
        chosen.append(chat)
    return chosen, len(muted)


async def authorised(store: NoticeStore, author_id: int | None) -> tuple[int, int]:
    """(author id, community id) of an entitled staff member, else NotAllowed."""
    found = await store.author(author_id) if author_id is not None else None
    if found is None:
        raise NotAllowed("only the office's staff may send notices")
    staff, community_id = found
    if not may_send_notices(staff):
        raise NotAllowed(f"{staff.role} may not send notices", role=staff.role)
    return staff.id, community_id


async def _resolve(store: NoticeStore, community_id: int, scope: NoticeScope) -> list[RecipientChat]:
    if scope.kind == "community":
        return await store.recipient_chats(community_id)
    if scope.kind not in ("building", "units") or not scope.building:
        raise InvalidInput(f"unknown notice scope {scope.kind!r}")
    units = await store.units_of(community_id, scope.building)
    if units is None:
        raise NotFound(f"no building {scope.building!r}", building=scope.building)
    if scope.kind == "building":
        return await store.recipient_chats(community_id, scope.building)
    if not scope.units:
        raise InvalidInput("name at least one unit")
    unknown = [u for u in scope.units if u not in units]
    if unknown:
        raise NotFound(f"building {scope.building} has no unit {', '.join(unknown)}", units=unknown)
    return await store.recipient_chats(community_id, scope.building, scope.units)


async def compose(uow: UnitOfWork, *, author_id: int | None, text: str, scope: NoticeScope = NoticeScope(),
                  photo: str | None = None, urgent: bool = False) -> NoticeDraft:
    """Check a notice and count who it reaches; nothing is written."""
    text = text.strip()
    if not text:
        raise InvalidInput("a notice needs a text")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"a notice is at most {MAX_TEXT} characters (this one has {len(text)})")
    store = uow.notices
    author, community_id = await authorised(store, author_id)
    name = await store.community_name(community_id)
    chosen, muted = _select(await _resolve(store, community_id, scope), urgent)
    return NoticeDraft(community_id, name, author, scope, text, photo or "", urgent,
                       owners=len({c.owner_id for c in chosen}), messages=len(chosen), muted_skipped=muted)


async def send(uow: UnitOfWork, draft: NoticeDraft, now: datetime) -> SentNotice:
    """Enqueue the notice for every recipient in the unit of work (the caller commits).

    The author is authorised again and the recipients resolved again at sending time:
    a draft may have waited while the register or the staff list changed.
    """
    store = uow.notices
    author, community_id = await authorised(store, draft.author_id)
    if community_id != draft.community_id:
        raise NotAllowed("staff may send notices only to their own community")
    chosen, _ = _select(await _resolve(store, community_id, draft.scope), draft.urgent)
    notice_id = await store.create(
        community_id=community_id, author_id=author, scope=draft.scope.kind, target=draft.scope.target(),
        text=draft.text, photo=draft.photo, urgent=draft.urgent, now=now,
    )
    messages = [
        (c.channel, c.chat_id, reply_to_dict(notice_reply(
            c.channel, c.chat_id, c.locale, community=draft.community_name, text=draft.text, photo=draft.photo,
            urgent=draft.urgent)))
        for c in chosen
    ]
    await uow.outbox.add_many(messages, now, notice_id=notice_id)
    owners = len({c.owner_id for c in chosen})
    await store.mark_sent(notice_id, owners, now)
    return SentNotice(notice_id, owners, len(messages))


async def status(uow: UnitOfWork, notice_id: int) -> NoticeStatus:
    """How far delivery has got, from the notice's outbox rows."""
    notice = await uow.notices.get(notice_id)
    if notice is None:
        raise NotFound(f"no notice #{notice_id}")
    counts = await uow.notices.delivery_counts(notice_id)
    return NoticeStatus(
        notice_id=notice_id, recipients=sum(counts.values()), delivered=counts.get("sent", 0),
        failed=counts.get("failed", 0), pending=counts.get("pending", 0), owners=notice.recipients,
    )
