"""Engines and migrations for the embedded default (SQLite) and production (PostgreSQL)."""

from __future__ import annotations

import errno
import logging
import re
import socket
import sqlite3
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
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


class DatabaseUnavailable(RuntimeError):
    """The database cannot be used at start; `str()` is one line saying what is wrong."""


def _where(url: Any) -> str:
    """The database named for an operator, without the password."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database}"
    user = f"{url.username}@" if url.username else ""
    return f"PostgreSQL {user}{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def describe_failure(error: BaseException, url: Any) -> str:
    """One line for an operator: which database, and what is wrong with it."""
    where = _where(url)
    orig = getattr(error, "orig", None) or error
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else orig.__class__.__name__
    name = orig.__class__.__name__
    code = getattr(orig, "errno", None)
    if code == errno.ENOSPC or "disk is full" in text:
        return f"{where}: the disk is full (free some space and start again)"
    if code == errno.EROFS or "readonly" in text or "read-only" in text:
        return f"{where}: the file system or file is read-only (DATABASE_URL must point to a writable place)"
    if isinstance(orig, socket.gaierror):
        return f"{where}: unreachable, the host name does not resolve ({text})"
    if isinstance(orig, (ConnectionError, TimeoutError, OSError)) and not isinstance(orig, sqlite3.Error):
        return f"{where}: unreachable ({text}); is the server running and DATABASE_URL right?"
    if name == "InvalidCatalogNameError" or "does not exist" in text and "database" in text:
        return f"{where}: the database does not exist ({text}); create it, or fix DATABASE_URL"
    if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError") or "authentication" in text \
            or "role" in text and "does not exist" in text:
        return f"{where}: the server refused the login ({text}); check the user and password in DATABASE_URL"
    if "unable to open database file" in text:
        return f"{where}: cannot be opened or created (is its directory writable?)"
    if "file is not a database" in text:
        return f"{where}: is not an SQLite database"
    return f"{where}: {name}: {text}"


def _check_sqlite_path(url: Any) -> None:
    """Open (or create) the SQLite file with the standard library first: a missing or
    unwritable place gives one clear line here instead of a failure deep in the driver."""
    path = Path(url.database)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseUnavailable(
            f"{_where(url)}: cannot create its directory {path.parent} ({exc.strerror})") from None
    if path.is_dir():
        raise DatabaseUnavailable(f"{_where(url)}: is a directory, not a file")
    try:
        conn = sqlite3.connect(path, timeout=30)
        try:
            conn.execute("PRAGMA user_version").fetchone()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except (sqlite3.Error, OSError) as exc:
        raise DatabaseUnavailable(describe_failure(exc, url)) from None


# The execution option a read-only unit of work sets on its connection (see _sqlite_begin).
READ_ONLY = "wuye_read_only"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # SQL errors would otherwise print bound parameters — owners' names and phones — into logs.
    kwargs.setdefault("hide_parameters", True)
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _check_sqlite_path(parsed)
        # Every transaction takes SQLite's one write lock (BEGIN IMMEDIATE below).  Waiting
        # for it inside SQLite is a busy-loop with no order: under a burst one waiter can lose
        # to the others for the whole busy timeout and fail ("database is locked").  So the
        # process keeps two connections and its sessions queue for them in the pool, in
        # order and without a short timeout: writes are serialised in the process and wait
        # instead of failing; only another process competes inside SQLite.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 1)
        kwargs.setdefault("pool_timeout", 600)
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
            # A unit of work that only reads (UnitOfWork.read_only: exports, reports) begins
            # DEFERRED instead: it reads its WAL snapshot and never holds the lock the bot's
            # writes need for the seconds a month's archive takes.
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

        event.listen(engine.sync_engine, "handle_error", _hide_values)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "handle_error", _hide_values)
    _ping_when_idle(engine)
    return engine


# A pooled PostgreSQL connection left unused this long is checked before it is used again
# (the server restarted, or a firewall dropped it overnight), as SQLAlchemy's pre-ping
# did on every checkout.  Under load the pool's connections come round many times a
# second and are not checked: the pre-ping cost three round trips (BEGIN, ';', ROLLBACK),
# as many as half a conversation step's own statements.  A connection that dies under
# load fails its first statement instead, which invalidates the pool's older connections
# and is retried like any brief outage (storage.failures `transient`).
IDLE_BEFORE_PING = 1.0
_LAST_USED = "wuye_last_used"


def _ping_when_idle(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _fresh(_dbapi_conn: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkin")
    def _used(_dbapi_conn: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _check(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) < IDLE_BEFORE_PING:
            return
        try:
            dbapi_conn.ping()
        except Exception as exc:
            # The pool drops this connection and checks out another (SQLAlchemy's recipe).
            raise DisconnectionError() from exc


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

    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade)
    except (OSError, sqlite3.Error, ConnectionError, TimeoutError) as exc:
        raise DatabaseUnavailable(describe_failure(exc, engine.url)) from None
    except Exception as exc:
        # Driver errors come wrapped (DBAPIError) or raw (asyncpg's own, at connect).
        if exc.__class__.__module__.startswith(("sqlalchemy", "asyncpg")):
            raise DatabaseUnavailable(describe_failure(exc, engine.url)) from None
        raise


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


# Sessions the pool keeps for delivery, the scheduler and notices, beyond the desk's share.
RESERVED_SESSIONS = 6


def session_limit(engine: AsyncEngine | None) -> int:
    """How many conversation steps may hold a session at once in one process.

    SQLite takes one writer at a time (every step writes: it records its update), so more
    would only wait inside the pool — and time out there under a burst.  On PostgreSQL the
    desk gets the pool but for what delivery and the scheduler need."""
    if engine is None or engine.dialect.name == "sqlite":
        return 1
    pool = engine.pool
    size = getattr(pool, "size", lambda: 5)() + max(getattr(pool, "_max_overflow", 10), 0)
    return max(2, size - RESERVED_SESSIONS)
