"""The dispatch card staff see in their team's group chat, and the alerts around it.

Owners' names and phone numbers are masked here: group chats are seen by many.  The
full contact goes privately to the staff member who accepts.
"""

from __future__ import annotations

from datetime import datetime

from cases.lifecycle import Case, Status
from cases.policy import DeskPolicy
from cases.privacy import mask_name, mask_phone, scrub
from cases.records import Community
from handlers.formatting import code_name, duration, local_time
from handlers.i18n import DEFAULT_LOCALE, t
from handlers.messages import Button, Reply
from handlers.payloads import CaseAction, encode
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


def _time_left(due: datetime | None, now: datetime) -> str:
    if due is None:
        return ""
    minutes = (due - now).total_seconds() / 60
    if minutes < 0:
        return t(STAFF_LOCALE, "card.overdue_by", span=duration(-minutes, STAFF_LOCALE))
    return t(STAFF_LOCALE, "card.left", span=duration(minutes, STAFF_LOCALE))


async def card_text(uow: UnitOfWork, case: Case, policy: DeskPolicy, now: datetime) -> str:
    loc = STAFF_LOCALE
    where = case.place
    if case.room_id:
        room = await uow.directory.room_by_id(case.room_id)
        where = room.code if room else where
    lines = [
        t(loc, "card.title", mark=URGENCY_MARK.get(case.urgency, ""), id=case.id,
          kind=code_name(loc, "kind", case.kind), category=code_name(loc, "category", case.category),
          urgency=code_name(loc, "urgency", case.urgency)),
    ]
    if where:
        area = f"（{code_name(loc, 'area', case.area)}）" if case.area else ""
        lines.append(t(loc, "card.where", where=scrub(where), area=area))  # the place is typed by owners
    if case.owner_id:
        owner = await uow.directory.owner(case.owner_id)
        if owner:
            lines.append(t(loc, "card.owner", name=mask_name(owner.name), phone=mask_phone(owner.phone)))
    else:
        lines.append(t(loc, "card.unbound"))
    lines.append(t(loc, "card.description", text=scrub(case.description)))
    for key in ("when", "who", "want", "preferred_time", "slot", "item", "price"):
        if case.details.get(key):
            lines.append(t(loc, f"card.detail_{key}", value=scrub(str(case.details[key]))))
    if case.rework_round:
        lines.append(t(loc, "card.rework", round=case.rework_round))
    status = code_name(loc, "status", case.status)
    if case.assignee_id:
        member = await uow.directory.staff(case.assignee_id)
        status = t(loc, "card.taken_by", name=member.name if member else "?", status=status)
    lines.append(t(loc, "card.status", status=status))
    if case.status in (Status.OPEN, Status.DISPATCHED):
        lines.append(t(loc, "card.respond_by", at=local_time(case.response_due_at, policy, loc),
                       left=_time_left(case.response_due_at, now)))
    elif case.status in (Status.ACCEPTED, Status.IN_PROGRESS):
        lines.append(t(loc, "card.finish_by", at=local_time(case.completion_due_at, policy, loc),
                       left=_time_left(case.completion_due_at, now)))
    return "\n".join(lines)


async def team_chats(uow: UnitOfWork, community: Community, team: str) -> dict[str, str]:
    """The team's group chat on every channel it has one."""
    for info in await uow.directory.teams(community.id):
        if info.code == team:
            return dict(info.chats)
    return {}


async def card_replies(uow: UnitOfWork, community: Community, case: Case, now: datetime, *,
                       with_photos: bool = False) -> list[Reply]:
    """The card for the case's team, new or edited in place (same replace key)."""
    text = await card_text(uow, case, community.policy, now)
    buttons = card_buttons(case)
    photos = tuple(case.photos) if with_photos else ()
    return [
        Reply(channel, chat_id, text, buttons, photos if channel == case.reporter_channel else (),
              replace_key=card_key(case.id or 0))
        for channel, chat_id in (await team_chats(uow, community, case.team_code)).items()
    ]


async def alert_replies(uow: UnitOfWork, community: Community, team: str, key: str, **fields: object) -> list[Reply]:
    """A plain alert (escalation, emergency) to a team's group chats."""
    text = t(STAFF_LOCALE, key, **fields)
    return [Reply(channel, chat_id, text) for channel, chat_id in (await team_chats(uow, community, team)).items()]
