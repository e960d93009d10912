"""The schema the migrations build is the schema the models describe, on SQLite and PostgreSQL.

Several branches each add a migration and an index in the models; when they are chained at merge
a model index without its migration (or the other way round) would only show as a slow query in
production. Alembic's own comparison names any table, column or index that differs."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import create_engine
from storage.models import Base
from tests.storage.test_fee_history_migration import _run, empty_url  # noqa: F401  (fixture)


async def test_migrating_to_head_builds_exactly_the_models(empty_url: str) -> None:  # noqa: F811
    await _run(empty_url, "head")
    engine = create_engine(empty_url)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": False}), Base.metadata))
    finally:
        await engine.dispose()
    assert differences == []
