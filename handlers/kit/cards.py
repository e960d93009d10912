"""The dispatch card staff see in their team's group chat, and the alerts around it.

Owners' names and phone numbers are masked here: group chats are seen by many.  The
full contact goes privately to the staff member who accepts (`card_text(private=True)`).
"""

from __future__ import annotations

from datetime import datetime

from cases.lifecycle import Case, Status
from cases.policy import DeskPolicy
from cases.privacy import mask_name, mask_phone, scrub
from cases.records import Community, Owner
from cases.when import When
from handlers.kit.answers import when_label
from handlers.kit.formatting import code_name, duration, local_time, money
from handlers.kit.i18n import DEFAULT_LOCALE, t
from handlers.kit.messages import NORMAL, URGENT, Button, Reply
from handlers.kit.payloads import CaseAction, encode
from storage.uow import UnitOfWork

STAFF_LOCALE = DEFAULT_LOCALE  # staff groups read Chinese
URGENCY_MARK = {"emergency": "🚨", "urgent": "⚠️", "normal": ""}


def card_key(case_id: int) -> str:
    return f"card:{case_id}"


def _button(action: str, case_id: int) -> Button:
    return Button(t(STAFF_LOCALE, f"card.btn_{action}"), encode(CaseAction(action, case_id)))


def card_buttons(case: Case) -> tuple[tuple[Button, ...], ...]:
    assert case.id is not None
    if case.status == Status.DISPATCHED:
        return ((_button("accept", case.id),), (_button("transfer", case.id),))
    if case.status == Status.ACCEPTED:
        return ((_button("start", case.id), _button("finish", case.id)),
                (_button("transfer", case.id), _button("handback", case.id), _button("help", case.id)))
    if case.status == Status.IN_PROGRESS:
        return ((_button("finish", case.id),),
                (_button("transfer", case.id), _button("handback", case.id), _button("help", case.id)))
    return ()


def staff_status(status: str) -> str:
    """The status as staff say it ("待业主确认", where the owner reads "待您确认")."""
    return t(STAFF_LOCALE, f"card.state_{status}")


def time_left(due: datetime | None, now: datetime) -> str:
    if due is None:
        return ""
    minutes = (due - now).total_seconds() / 60
    if minutes < 0:
        return t(STAFF_LOCALE, "card.overdue_by", span=duration(-minutes, STAFF_LOCALE))
    return t(STAFF_LOCALE, "card.left", span=duration(minutes, STAFF_LOCALE))


def group_safe(text: str, owner: Owner | None) -> str:
    """Free text fit for a group chat: phone numbers masked, and the owner's own name and
    number too (owners write "我是张伟，电话…" into descriptions)."""
    text = scrub(text)
    if owner is not None:
        if owner.phone:
            text = text.replace(owner.phone, mask_phone(owner.phone))
        if len(owner.name.strip()) >= 2:
            text = text.replace(owner.name.strip(), mask_name(owner.name))
    return text


async def group_safe_for(uow: UnitOfWork, case: Case, text: str) -> str:
    """`group_safe` with the case's owner looked up: for what staff type (a reason, a note)
    before it is posted to a group — they copy the owner's name and number in as well."""
    owner = await uow.directory.owner(case.owner_id) if case.owner_id else None
    return group_safe(text, owner)


async def where_of(uow: UnitOfWork, case: Case) -> str:
    """The room code of a home case, else the described place."""
    if case.room_id:
        room = await uow.directory.room_by_id(case.room_id)
        if room:
            return room.code
    return case.place


async def staff_name(uow: UnitOfWork, staff_id: int | None) -> str:
    if staff_id is None:
        return "-"
    member = await uow.directory.staff(staff_id)
    return member.name if member else "?"


async def card_text(uow: UnitOfWork, case: Case, policy: DeskPolicy, now: datetime, *,
                    private: bool = False, moved_to: str | None = None) -> str:
    """The card.  `private`: the full contact, for the one working on it (never a group).
    `moved_to`: the copy left in a team's group after the case was transferred away."""
    loc = STAFF_LOCALE
    where = await where_of(uow, case)
    owner = await uow.directory.owner(case.owner_id) if case.owner_id else None
    # Owners type places and descriptions, sometimes with their name and number in them.
    clean = (lambda s: s) if private else (lambda s: group_safe(s, owner))
    lines = [
        t(loc, "card.title", mark=URGENCY_MARK.get(case.urgency, ""), id=case.id,
          kind=code_name(loc, "kind", case.kind), category=code_name(loc, "category", case.category),
          urgency=code_name(loc, "urgency", case.urgency)),
    ]
    if where:
        area = f"（{code_name(loc, 'area', case.area)}）" if case.area else ""
        lines.append(t(loc, "card.where", where=clean(where), area=area))
    if owner and private:
        lines.append(t(loc, "card.owner_full", name=owner.name, phone=owner.phone))
    elif owner:
        lines.append(t(loc, "card.owner", name=mask_name(owner.name), phone=mask_phone(owner.phone)))
    elif not case.owner_id:
        lines.append(t(loc, "card.unbound"))
    lines.append(t(loc, "card.description", text=clean(case.description)))
    for key in ("when", "who", "want", "preferred_time", "slot", "item", "price"):
        if case.details.get(key):
            lines.append(t(loc, f"card.detail_{key}", value=clean(str(case.details[key]))))
    for key in ("window", "happened"):  # the owner's time as a window, read from their words
        if (when := When.from_json(case.details.get(key))) is not None:
            lines.append(t(loc, f"card.detail_{key}", value=when_label(when, loc)))
    # What the owner added after reporting (补充说明), and a false alarm they called.
    lines += [t(loc, "card.added", text=clean(str(note))) for note in case.details.get("added", [])[-3:]]
    if case.details.get("false_alarm"):
        lines.append(t(loc, "card.false_alarm"))
    if case.rework_round:
        lines.append(t(loc, "card.rework", round=case.rework_round))
    transfer = await _last_transfer(uow, case)
    if moved_to is not None:
        if transfer:
            lines.append(t(loc, "card.moved_to", team=code_name(loc, "team", moved_to),
                           name=await staff_name(uow, transfer.actor_id), reason=clean(transfer.note)))
        lines += await _responder_line(uow, case)
        return "\n".join(lines)
    if transfer and transfer.data.get("to") == case.team_code:
        lines.append(t(loc, "card.moved_from", team=code_name(loc, "team", transfer.data.get("from", "")),
                       name=await staff_name(uow, transfer.actor_id), reason=clean(transfer.note)))
    if (came := case.details.get("moved_from")) and case.is_active:
        lines.append(t(loc, "movecase.card_moved_in", community=came.get("name", "?"), id=came.get("case", "?")))
    status = staff_status(case.status)
    if case.status == Status.MOVED:
        went = case.details.get("moved_to") or {}
        status = t(loc, "movecase.card_moved_away", community=went.get("name", "?"), id=went.get("case", "?"))
    elif case.assignee_id:
        status = t(loc, "card.taken_by", name=await staff_name(uow, case.assignee_id), status=status)
    lines.append(t(loc, "card.status", status=status))
    lines += await _responder_line(uow, case)
    if case.status in (Status.OPEN, Status.DISPATCHED):
        lines.append(t(loc, "card.respond_by", at=local_time(case.response_due_at, policy, loc),
                       left=time_left(case.response_due_at, now)))
    elif case.status in (Status.ACCEPTED, Status.IN_PROGRESS):
        lines.append(t(loc, "card.finish_by", at=local_time(case.completion_due_at, policy, loc),
                       left=time_left(case.completion_due_at, now)))
    elif case.status == Status.DONE and case.fee_cents:
        lines.append(t(loc, "card.fee", fee=money(case.fee_cents, loc)))
    if case.escalation_level and case.is_active:
        lines.append(t(loc, f"card.escalated_{min(case.escalation_level, 2)}"))
    return "\n".join(lines)


async def _responder_line(uow: UnitOfWork, case: Case) -> list[str]:
    # First-responder duty (首问责任制): once the worker is someone else, say who still owns it.
    if case.first_responder_id is None or case.first_responder_id == case.assignee_id:
        return []
    return [t(STAFF_LOCALE, "card.first_responder", name=await staff_name(uow, case.first_responder_id))]


async def _last_transfer(uow: UnitOfWork, case: Case):  # type: ignore[no-untyped-def]
    if case.id is None:
        return None
    return next((item for item in reversed(await uow.cases.timeline(case.id)) if item.action == "transferred"), None)


async def team_chats(uow: UnitOfWork, community: Community, team: str) -> list[tuple[str, str]]:
    """Every (channel, chat) the team is reached on (`Directory.team_destinations`)."""
    return await uow.directory.team_destinations(community.id, team)


def _photos_for(channel: str, reported_on: str, photos: tuple[str, ...]) -> tuple[str, ...]:
    """A channel's file ids work on that channel only; photos kept in our media store
    ("media:…", e.g. WeChat's, downloaded on arrival) can be sent on every channel."""
    return tuple(p for p in photos if channel == reported_on or p.startswith("media:"))


async def card_replies(uow: UnitOfWork, community: Community, case: Case, now: datetime, *,
                       with_photos: bool = False) -> list[Reply]:
    """The card for the case's team, new or edited in place (same replace key)."""
    text = await card_text(uow, case, community.policy, now)
    buttons = card_buttons(case)
    photos = tuple(case.photos) if with_photos else ()
    return [
        Reply(channel, chat_id, text, buttons, _photos_for(channel, case.reporter_channel, photos),
              replace_key=card_key(case.id or 0), priority=URGENT if case.urgency == "emergency" else NORMAL)
        for channel, chat_id in await team_chats(uow, community, case.team_code)
    ]


async def moved_card_replies(uow: UnitOfWork, community: Community, case: Case, from_team: str,
                             now: datetime) -> list[Reply]:
    """The old team's card, edited in place to say where the case went (and without buttons)."""
    text = await card_text(uow, case, community.policy, now, moved_to=case.team_code)
    return [Reply(channel, chat_id, text, (), replace_key=card_key(case.id or 0))
            for channel, chat_id in await team_chats(uow, community, from_team)]


async def alert_replies(uow: UnitOfWork, community: Community, team: str, key: str, /, *,
                        buttons: tuple[tuple[Button, ...], ...] = (), priority: int = NORMAL,
                        **fields: object) -> list[Reply]:
    """A plain alert (escalation, emergency, a call for help) to a team's group chats;
    emergency alerts pass priority=URGENT so they overtake ordinary messages to that group."""
    text = t(STAFF_LOCALE, key, **fields)
    return [Reply(channel, chat_id, text, buttons, priority=priority)
            for channel, chat_id in await team_chats(uow, community, team)]
