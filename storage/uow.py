"""The unit of work: one transaction, with the repositories that work inside it.

    async with uow:               # begins
        case = await uow.cases.get(7)
        case.accept(staff.id, now)
        await uow.cases.save(case)
        await uow.commit()        # leaving without commit rolls everything back
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.bookings import Bookings
from storage.callbacks import Callbacks
from storage.case_repository import CaseRepository
from storage.conversations import Conversations
from storage.db import READ_ONLY
from storage.directory import Directory
from storage.notices import NoticeStore
from storage.outbox import Outbox
from storage.roster_changes import RosterChanges


class UnitOfWork:
    cases: CaseRepository
    directory: Directory
    conversations: Conversations
    outbox: Outbox
    callbacks: Callbacks
    bookings: Bookings
    notices: NoticeStore
    roster: RosterChanges
    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        await self.session.begin()
        self.cases = CaseRepository(self.session)
        self.directory = Directory(self.session)
        self.conversations = Conversations(self.session)
        self.outbox = Outbox(self.session)
        self.callbacks = Callbacks(self.session)
        self.bookings = Bookings(self.session)
        self.notices = NoticeStore(self.session)
        self.roster = RosterChanges(self.session)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()

    async def read_only(self) -> None:
        """Declare, before the first statement, that this unit of work only reads (a report,
        an export): on SQLite it then does not take the one write lock (storage.db)."""
        await self.session.connection(execution_options={READ_ONLY: True})

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
        # What was read or changed in the undone transaction may no longer be so.
        self.directory.forget_cached()
        self.cases.forget_cached()
