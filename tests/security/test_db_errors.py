"""Database errors carry no data values: a failed statement's message and its whole
exception chain name the constraint or type at fault, never the owner's name or phone."""

from __future__ import annotations

import traceback

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.db import create_engine


async def test_error_messages_and_tracebacks_hold_no_values(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("CREATE TEMPORARY TABLE leak_probe (p VARCHAR(20) UNIQUE, n INTEGER)"))
            await conn.execute(text("INSERT INTO leak_probe VALUES (:p, 1)"), {"p": "13800000001"})
            statements = [
                ("INSERT INTO leak_probe VALUES (:p, 1)", {"p": "13800000001"}),  # unique violation
                ("SELECT CAST(:p AS INTEGER) + 1", {"p": "张伟13800000002"}),  # bad input (PostgreSQL)
                ("SELECT n FROM leak_probe WHERE p = :p AND no_such_column = 1", {"p": "张伟13800000003"}),
            ]
            failures = 0
            for sql, params in statements:
                try:
                    async with conn.begin_nested():
                        await conn.execute(text(sql), params)
                except DBAPIError as exc:
                    failures += 1
                    shown = "".join(traceback.format_exception(exc))
                    for secret in ("13800000001", "13800000002", "13800000003", "张伟"):
                        assert secret not in shown, shown
            assert failures >= 2
    finally:
        await engine.dispose()
