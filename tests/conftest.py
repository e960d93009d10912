"""Shared fixtures: every storage test runs on SQLite and on PostgreSQL.

PostgreSQL is the server on 127.0.0.1:5432 (database `test`, trust auth), or
WUYE_TEST_PG_URL.  Each test session creates its own scratch database there, so
several runs on one machine never see each other's rows; where no server answers
the PostgreSQL half is skipped with a message saying so.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.bootstrap import App, build_app, load_community_file
from bot.settings import Settings
from cases.clock import FakeClock
from storage.db import create_engine, migrate
from storage.models import Base

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_COMMUNITY = ROOT / "examples" / "community.yaml"
PG_URL = os.environ.get("WUYE_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


async def _migrated(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file copied for each test (migrating once keeps the suite fast)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    asyncio.run(_migrated(f"sqlite+aiosqlite:///{path}"))
    return path


async def _pg_admin(sql: str) -> None:
    import asyncpg

    url = make_url(PG_URL)
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                 database=url.database, timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A scratch PostgreSQL database for this test session, or None if no server answers."""
    name = f"wuye_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncio.TimeoutError, ImportError) as exc:
        pytest.wuye_pg_skip = f"PostgreSQL not reachable at {PG_URL} ({exc.__class__.__name__}); PostgreSQL half skipped"  # type: ignore[attr-defined]
        yield None
        return
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_migrated(url))
    yield url
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_database: str | None
) -> AsyncIterator[str]:
    """An empty, migrated database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "wuye.sqlite3"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url = pg_database
    if url is None:
        pytest.skip(getattr(pytest, "wuye_pg_skip", "PostgreSQL not reachable"))
    engine = create_engine(url)
    async with engine.begin() as conn:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()
    yield url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_settings(database_url: str, **overrides: object) -> Settings:
    return Settings(DATABASE_URL=database_url, COMMUNITY_FILE=EXAMPLE_COMMUNITY, _env_file=None, **overrides)  # type: ignore[call-arg]


@pytest.fixture
async def app(database_url: str, clock: FakeClock) -> AsyncIterator[App]:
    """The product wired on a fresh database with the demo community loaded."""
    app = await build_app(make_settings(database_url), clock, run_migrations=False)
    await load_community_file(app, str(EXAMPLE_COMMUNITY))
    yield app
    await app.close()


# --------------------------------------------------------------------------- privacy scan
# Every record logged during the tests of the files below (or the whole suite with
# WUYE_PRIVACY_SCAN=all; none with =off) is captured at DEBUG — the root logger and every
# library logger opened to DEBUG, SQL rows and Bot API payloads included — formatted
# through the product's own root-handler filter (bot.logs.Redact), and searched for the
# demo register's full names and phone numbers however written.  A test whose logs leak fails.
import logging  # noqa: E402
import re  # noqa: E402

import yaml  # noqa: E402

from bot.logs import PAYLOAD_LOGGERS, Redact  # noqa: E402
from cases.privacy import normalise  # noqa: E402

SCANNED = ("tests/flows", "tests/security", "tests/staff/test_staff_privacy.py", "tests/staff/test_staff_flows.py",
           "tests/staff/test_staff_new_case.py",
           "tests/telegram/test_tg_end_to_end.py", "tests/wecom/test_wecom_end_to_end.py",
           "tests/wechat/test_wx_journey.py", "tests/wechat/test_wx_run.py", "tests/console")
_REGISTER = yaml.safe_load(EXAMPLE_COMMUNITY.read_text(encoding="utf-8"))["owners"]
REGISTER_NAMES = tuple(o["name"] for o in _REGISTER)
REGISTER_PHONES = tuple(o["phone"] for o in _REGISTER)
_SEPARATORS = re.compile(r"[\s.\-_/()·]")
PRIVACY_TOTALS = {"tests": 0, "records": 0, "leaks": 0}


class PrivacyScan(logging.Handler):
    """A root handler as `wuye run` has one: Redact filter, then the formatted line is kept."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(Redact())
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a record that cannot be formatted is the library's bug, not a leak
            self.lines.append(f"{record.levelname} {record.name}: <unformattable>")


def privacy_leaks(line: str) -> list[str]:
    """Full register names and phone numbers (however separated) in one output line."""
    found = [name for name in REGISTER_NAMES if name in line]
    digits = _SEPARATORS.sub("", normalise(line))
    found += [phone for phone in REGISTER_PHONES if phone in digits]
    return found


def _scanned(request: pytest.FixtureRequest) -> bool:
    mode = os.environ.get("WUYE_PRIVACY_SCAN", "")
    if mode == "off":
        return False
    where = Path(str(request.node.fspath)).resolve().relative_to(ROOT).as_posix()
    return mode == "all" or where.startswith(SCANNED)


@pytest.fixture(autouse=True)
def privacy_scan(request: pytest.FixtureRequest) -> Iterator[PrivacyScan | None]:
    if not _scanned(request):
        yield None
        return
    scan = PrivacyScan()
    root = logging.getLogger()
    opened = [root, *(logging.getLogger(n) for n in PAYLOAD_LOGGERS),
              *(logging.getLogger(n) for n in list(logging.root.manager.loggerDict))]
    saved = [(lg, lg.level) for lg in opened if isinstance(lg, logging.Logger)]
    for lg, _ in saved:
        lg.setLevel(logging.DEBUG)
    root.addHandler(scan)
    try:
        yield scan
    finally:
        root.removeHandler(scan)
        for lg, level in saved:
            lg.setLevel(level)
    leaked = [(line[:300], who) for line in scan.lines if (who := privacy_leaks(line))]
    PRIVACY_TOTALS["tests"] += 1
    PRIVACY_TOTALS["records"] += len(scan.lines)
    PRIVACY_TOTALS["leaks"] += len(leaked)
    if leaked:
        pytest.fail(f"{len(leaked)} log record(s) leak owners' data, e.g. {leaked[:3]}", pytrace=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if PRIVACY_TOTALS["tests"]:
        terminalreporter.write_line(
            f"privacy scan at DEBUG (all library loggers): {PRIVACY_TOTALS['tests']} tests, "
            f"{PRIVACY_TOTALS['records']} log records, {PRIVACY_TOTALS['leaks']} with an owner's full name or phone")
