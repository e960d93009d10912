from __future__ import annotations

import pytest

from bot.bootstrap import App
from tests.harness import People

ENGINEERING = "工程部群"
MANAGEMENT = "管理处群"
CUSTOMER_SERVICE = "客服中心群"
SECURITY = "秩序部群"


@pytest.fixture
async def people(app: App) -> People:
    return People(app)


async def bound_owner(people: People, user: str = "u1", phone: str = "13800000001") -> None:
    """Link a console user to an owner of the demo register by sharing their phone."""
    await people.say(user, "/start")
    await people.contact(user, phone)
