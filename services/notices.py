"""Notices from the office to owners (停水停电通知…): the checks and the fan-out live in
`handlers.notice_service` (already a plain function of a unit of work); these entry points
give every front end the same call shape and an event to show.
"""

from __future__ import annotations

from datetime import datetime

from handlers.notice_service import NoticeDraft, NoticeScope, NoticeStatus, compose, send, status
from services import access
from services.actors import Actor
from services.events import Event, NoticeSent
from storage.uow import UnitOfWork


async def preview_notice(uow: UnitOfWork, actor: Actor, *, text: str, scope: NoticeScope = NoticeScope(),
                         photo: str | None = None, urgent: bool = False) -> NoticeDraft:
    """Check a notice and count who it would reach; nothing is written."""
    staff = await access.staff_of(uow, actor)
    return await compose(uow, author_id=staff.id, text=text, scope=scope, photo=photo, urgent=urgent)


async def send_notice(uow: UnitOfWork, actor: Actor, now: datetime, *, text: str, scope: NoticeScope = NoticeScope(),
                      photo: str | None = None, urgent: bool = False) -> list[Event]:
    """Enqueue the notice for every owner in scope (the author is authorised again here)."""
    draft = await preview_notice(uow, actor, text=text, scope=scope, photo=photo, urgent=urgent)
    sent = await send(uow, draft, now)
    return [NoticeSent(actor=actor, at=now, notice_id=sent.notice_id, owners=sent.owners, messages=sent.messages)]


async def notice_status(uow: UnitOfWork, actor: Actor, notice_id: int) -> NoticeStatus:
    """How far a notice's delivery has got: for staff only."""
    await access.staff_of(uow, actor)
    return await status(uow, notice_id)
