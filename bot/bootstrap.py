"""The one place that wires the product together; tests build the same app with test settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import media
from bot.settings import Settings
from cases.clock import Clock, SystemClock
from handlers.aftercare.routes import routes as aftercare_routes
from handlers.core import Desk
from handlers.kit.routes import Routes, include
from handlers.office.routes import routes as office_routes
from handlers.owner.routes import routes as owner_routes
from handlers.staff.routes import routes as staff_routes
from nlp import Classifier
from services.reports.chat import ChatReporter
from storage.community_file import CommunityFile
from storage.company_file import Company, read_any
from storage.db import create_engine, migrate, session_maker
from storage.loader import LoadSummary, load_community, load_company, remember_register_names
from storage.uow import UnitOfWork


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    desk: Desk
    extras: dict[str, object] = field(default_factory=dict)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    def now(self) -> datetime:
        return self.clock.now()

    async def close(self) -> None:
        await self.engine.dispose()


def desk_routes() -> Routes:
    """Every route the desk answers: the owner's side, staff actions, aftercare, the office."""
    return include(owner_routes, staff_routes, aftercare_routes, office_routes)


async def build_app(settings: Settings, clock: Clock | None = None, *, run_migrations: bool = True) -> App:
    engine = create_engine(settings.database_url)
    if run_migrations:
        await migrate(engine)
    clock = clock or SystemClock()
    sessions = session_maker(engine)
    desk = Desk(sessions, clock, Classifier.default(), default_locale=settings.default_locale,
                reporter=ChatReporter(settings.media_dir, media.save), routes=desk_routes())
    await _remember_names(sessions)
    return App(settings=settings, engine=engine, sessions=sessions, clock=clock, desk=desk)


async def _remember_names(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The owner register's names for the redaction of groups and logs (cases.privacy.NAMES)."""
    try:
        async with sessions() as session:
            await remember_register_names(session)
    except DBAPIError:  # a database not migrated yet: the names come with the first load
        pass


async def load_community_file(app: App, path: str) -> LoadSummary:
    """Load one community file, or a company file (its first community's summary returned;
    `load_files` returns them all)."""
    return (await load_files(app, [path]))[0]


async def load_files(app: App, paths: list[str]) -> list[LoadSummary]:
    """Community files and/or company files, in one transaction: all of them or nothing."""
    specs: list[CommunityFile | Company] = [read_any(path) for path in paths]
    summaries: list[LoadSummary] = []
    async with app.uow() as uow:
        for spec in specs:
            if isinstance(spec, Company):
                summaries += await load_company(uow.session, spec, app.now())
            else:
                summaries.append(await load_community(uow.session, spec, app.now()))
        await uow.commit()
    return summaries


async def ensure_community(app: App) -> None:
    """On first start of an empty database, load the configured community (or company) file."""
    async with app.uow() as uow:
        if await uow.directory.community() is not None:
            return
    await load_community_file(app, str(app.settings.community_file))
