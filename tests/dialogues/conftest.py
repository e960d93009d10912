"""Dialogues through the desk as an owner would hold them: typed, pressed, interrupted.

Each test drives the real core in-process (the flow tests' `People` harness on the
product wired to a fresh database) and checks what the database holds and what the
owner and the staff groups saw.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.bootstrap import App
from cases.clock import FakeClock
from cases.lifecycle import Case
from tests.flows.conftest import CUSTOMER_SERVICE, ENGINEERING, MANAGEMENT, SECURITY, bound_owner  # noqa: F401
from tests.flows.helpers import all_cases
from tests.harness import People

OWNER = "u1"
# Dialogues read the conversation, not the storage engine: SQLite by default (fast); the
# storage paths they add (case details, photos, timeline) also run on PostgreSQL in the
# tests marked with BOTH_DATABASES.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
BOTH_DATABASES = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
async def people(app: App) -> People:
    return People(app)


@pytest.fixture
async def owner(people: People) -> People:
    """Owner 张伟 of 1-1-101, bound in chat u1."""
    await bound_owner(people)
    return people


async def emergencies(app: App) -> list[Case]:
    return [c for c in await all_cases(app) if c.urgency == "emergency"]


async def timeline(app: App, case_id: int) -> list[str]:
    async with app.uow() as uow:
        return [t.action for t in await uow.cases.timeline(case_id)]


async def state(app: App, user: str = OWNER) -> tuple[str, str]:
    """(flow, step) the conversation is in."""
    async with app.uow() as uow:
        s = await uow.conversations.load("console", user, user)
        return s.flow, s.step


def later(clock: FakeClock, minutes: int = 60) -> None:
    """Let the follow-up minutes of an emergency pass, so the next one is a new case."""
    clock.advance(timedelta(minutes=minutes))
