"""The notice service (信息发布): an office notice to owners, through whatever channels they use.

    draft = await compose(app, author_id=staff.id, text="6月3日9:00-12:00停水", scope=NoticeScope.building("1"))
    # show the sender draft.owners / draft.messages and ask to confirm, then
    sent = await send(app, draft)
    ...
    await notice_status(app, sent.notice_id)   # recipients, delivered, failed, pending

Recipients are the owners with a room in scope who have at least one chat identity;
owners who muted notices still get urgent ones (a water cut today is their
business too).  Every message is enqueued in the outbox in the same transaction
as the notice row, one per chat, tagged with the notice id, so a crash loses
nothing and the sender can later see how many were delivered and how many failed
(an owner who blocked the bot).  Delivery pacing is the deliverer's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.bootstrap import App
from cases.errors import InvalidInput, NotAllowed, NotFound
from cases.permissions import may_send_notices
from handlers.messages import Reply, reply_to_dict
from storage.notices import NoticeStore, RecipientChat

# The line that opens every notice, per locale and urgency.  These move into the
# message catalogue when the conversation core's catalogue lands; until then they
# live here so no flow logic carries a hard-coded text.
NOTICE_HEADERS: dict[str, dict[str, str]] = {
    "zh-CN": {"normal": "【物业通知】{community}", "urgent": "【紧急通知】{community}"},
    "en": {"normal": "[Notice from {community}]", "urgent": "[URGENT notice from {community}]"},
}
DEFAULT_LOCALE = "zh-CN"
# Leaves room for the header under the 4,096-character message limit of chat apps.
MAX_TEXT = 3500


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
        if not (first.isdigit() and last.isdigit()) or int(first) > int(last):
            raise InvalidInput(f"not a unit range: {first}-{last}")
        return cls.of_units(building, *(str(n) for n in range(int(first), int(last) + 1)))

    def target(self) -> dict[str, Any]:
        return {k: v for k, v in (("building", self.building), ("units", list(self.units))) if v}


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
    texts = NOTICE_HEADERS.get(locale) or NOTICE_HEADERS[DEFAULT_LOCALE]
    return texts["urgent" if urgent else "normal"].format(community=community)


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


async def _authorised(store: NoticeStore, author_id: int | None) -> tuple[int, int]:
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


async def compose(app: App, *, author_id: int | None, text: str, scope: NoticeScope = NoticeScope(),
                  photo: str | None = None, urgent: bool = False) -> NoticeDraft:
    """Check a notice and count who it reaches; nothing is written."""
    text = text.strip()
    if not text:
        raise InvalidInput("a notice needs a text")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"a notice is at most {MAX_TEXT} characters (this one has {len(text)})")
    async with app.uow() as uow:
        store = NoticeStore(uow.session)
        author, community_id = await _authorised(store, author_id)
        name = await store.community_name(community_id)
        chosen, muted = _select(await _resolve(store, community_id, scope), urgent)
    return NoticeDraft(community_id, name, author, scope, text, photo or "", urgent,
                       owners=len({c.owner_id for c in chosen}), messages=len(chosen), muted_skipped=muted)


async def send(app: App, draft: NoticeDraft) -> SentNotice:
    """Enqueue the notice for every recipient in one transaction (all or nothing).

    The author is authorised again and the recipients resolved again at sending time:
    a draft may have waited while the register or the staff list changed.
    """
    now = app.now()
    async with app.uow() as uow:
        store = NoticeStore(uow.session)
        author, community_id = await _authorised(store, draft.author_id)
        if community_id != draft.community_id:
            raise NotAllowed("staff may send notices only to their own community")
        chosen, _ = _select(await _resolve(store, community_id, draft.scope), draft.urgent)
        notice_id = await store.create(
            community_id=community_id, author_id=author, scope=draft.scope.kind, target=draft.scope.target(),
            text=draft.text, photo=draft.photo, urgent=draft.urgent, now=now,
        )
        photos = (draft.photo,) if draft.photo else ()
        messages = [
            (c.channel, c.chat_id, reply_to_dict(Reply(
                channel=c.channel, chat_id=c.chat_id, photos=photos,
                text=f"{header(c.locale, draft.urgent, draft.community_name)}\n{draft.text}",
            )))
            for c in chosen
        ]
        await uow.outbox.add_many(messages, now, notice_id=notice_id)
        owners = len({c.owner_id for c in chosen})
        await store.mark_sent(notice_id, owners, now)
        await uow.commit()
    return SentNotice(notice_id, owners, len(messages))


async def notice_status(app: App, notice_id: int) -> NoticeStatus:
    """How far delivery has got, from the notice's outbox rows."""
    async with app.uow() as uow:
        store = NoticeStore(uow.session)
        notice = await store.get(notice_id)
        if notice is None:
            raise NotFound(f"no notice #{notice_id}")
        counts = await store.delivery_counts(notice_id)
    return NoticeStatus(
        notice_id=notice_id, recipients=sum(counts.values()), delivered=counts.get("sent", 0),
        failed=counts.get("failed", 0), pending=counts.get("pending", 0), owners=notice.recipients,
    )

