"""Engines and migrations for the embedded default (SQLite) and production (PostgreSQL)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine, AsyncSession

MIGRATIONS = Path(__file__).parent / "migrations"

# SQL parameters and result rows hold owners' names and phone numbers (保密性).  The
# engine's and the SQLite driver's loggers would write them out whenever the root logger
# runs at INFO/DEBUG, so they stay at WARNING unless an operator set them on purpose.
for _name in ("sqlalchemy.engine", "aiosqlite"):
    if logging.getLogger(_name).level == logging.NOTSET:
        logging.getLogger(_name).setLevel(logging.WARNING)


# What a database error message may quote of the data: `invalid input …: '张伟…'`,
# `Key (phone)=(138…) already exists`.  Names of constraints, tables, columns and types
# stay (they say what went wrong); quoted values and DETAIL/HINT lines go.
_QUOTED = re.compile(r"""(?<!constraint )(?<!relation )(?<!column )(?<!table )(?<!index )(?<!type )(?<!schema )(?<!function )(?<!database )(?<!\$)('[^']*'|"[^"]*")""")
_DETAIL = re.compile(r"\n?\s*(DETAIL|HINT|CONTEXT|WHERE|QUERY):.*", re.S)


def _without_values(message: str) -> str:
    return _QUOTED.sub("'…'", _DETAIL.sub("", message))


def _hide_values(context: Any) -> None:
    """`handle_error` hook: the driver's message (and the chain behind it) without data values,
    so no log or traceback of a failed statement repeats an owner's name or phone."""
    seen: set[int] = set()
    wrapper = context.sqlalchemy_exception
    if wrapper is not None and wrapper.args and isinstance(wrapper.args[0], str):
        wrapper.args = (_without_values(wrapper.args[0]), *wrapper.args[1:])
    exc: BaseException | None = context.original_exception
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        try:
            text = str(exc)
            clean = _without_values(text)
            if clean != text:
                exc.args = (clean,)
            for attr in ("detail", "hint", "context"):
                if getattr(exc, attr, None):
                    setattr(exc, attr, None)
        except Exception:  # a driver exception refusing new attributes keeps what it has
            pass
        exc = exc.__cause__ or exc.__context__


def normalise_url(url: str) -> str:
    """Accept the URLs operators write (`postgresql://`, `sqlite:///`) and pick the async drivers."""
    parsed = make_url(url)
    driver = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}
    if parsed.drivername in driver:
        parsed = parsed.set(drivername=driver[parsed.drivername])
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # SQL errors would otherwise print bound parameters — owners' names and phones — into logs.
    kwargs.setdefault("hide_parameters", True)
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Foreign keys are off by default in SQLite; WAL lets the shell and a bot share the file.
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            # Take transaction control from the driver (its implicit BEGIN is deferred and
            # breaks under concurrent writers): see the `begin` listener below.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front, so two writers queue (busy_timeout)
            # instead of one failing with "database is locked" when it tries to upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        event.listen(engine.sync_engine, "handle_error", _hide_values)
        return engine
    engine = create_async_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine.sync_engine, "handle_error", _hide_values)
    return engine


def session_maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration (run at start and by `wuye migrate`)."""

    def upgrade(connection: Connection) -> None:
        command.upgrade(_alembic_config(connection), "head")

    async with engine.begin() as conn:
        await conn.run_sync(upgrade)


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
