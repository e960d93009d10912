from __future__ import annotations

import pytest

from bot.bootstrap import App
from tests.harness import People


@pytest.fixture
async def people(app: App) -> People:
    return People(app)
