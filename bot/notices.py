"""The notice service (信息发布) for callers holding an `App`: each call is its own unit of work.

    draft = await compose(app, author_id=staff.id, text="6月3日9:00-12:00停水", scope=NoticeScope.of_building("1"))
    # show the sender draft.owners / draft.messages and ask to confirm, then
    sent = await send(app, draft)
    ...
    await notice_status(app, sent.notice_id)   # recipients, delivered, failed, pending

The rules (who is entitled, who is reached, muted owners, one outbox row per chat)
live in `handlers.office.notice_service`, which the chat flow `/notice` runs inside the
desk's own unit of work; the header texts are in the catalogue (`notices.yaml`).
"""

from __future__ import annotations

from bot.bootstrap import App
from handlers.office import notice_service as service
from handlers.office.notice_service import MAX_TEXT, NoticeDraft, NoticeScope, NoticeStatus, SentNotice, header

__all__ = ["MAX_TEXT", "NoticeDraft", "NoticeScope", "NoticeStatus", "SentNotice", "compose", "header",
           "notice_status", "send"]


async def compose(app: App, *, author_id: int | None, text: str, scope: NoticeScope = NoticeScope(),
                  photo: str | None = None, urgent: bool = False) -> NoticeDraft:
    """Check a notice and count who it reaches; nothing is written."""
    async with app.uow() as uow:
        return await service.compose(uow, author_id=author_id, text=text, scope=scope, photo=photo, urgent=urgent)


async def send(app: App, draft: NoticeDraft) -> SentNotice:
    """Enqueue the notice for every recipient in one transaction (all or nothing)."""
    async with app.uow() as uow:
        sent = await service.send(uow, draft, app.now())
        await uow.commit()
    return sent


async def notice_status(app: App, notice_id: int) -> NoticeStatus:
    """How far delivery has got, from the notice's outbox rows."""
    async with app.uow() as uow:
        return await service.status(uow, notice_id)
