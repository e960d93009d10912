"""The office and the owners of the demo community, bound to console chats, and a deliverer
that plays the console channel so tests read what each owner's phone received.

Console user ids: staff by initials (lj 李静 butler, zm 周敏 butler, cx 陈晓 cs_agent,
zl 赵丽 cs_supervisor, lzy 林志远 manager, mjg 马建国 engineering manager, hp 何平 quality
inspector, wq 王强 engineer); owners `o1` … `o20` in the order of the community file
(o1 张伟 1-1-101 … o20 Emily Carter 3-1-602, who reads English).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.bootstrap import App, build_app, load_community_file
from bot.channel import Undeliverable
from bot.delivery import Deliverer
from bot.outbox import SqlOutbox
from cases.clock import FakeClock
from handlers.kit.messages import Reply
from storage import models as m
from storage.notices import NoticeRow
from tests.conftest import EXAMPLE_COMMUNITY, make_settings
from tests.harness import People

STAFF_USERS = {
    "lj": "李静", "zm": "周敏", "cx": "陈晓", "zl": "赵丽", "lzy": "林志远", "mjg": "马建国", "hp": "何平", "wq": "王强",
}
OWNERS = yaml.safe_load(EXAMPLE_COMMUNITY.read_text(encoding="utf-8"))["owners"]
OWNER_USERS = {f"o{n}": owner for n, owner in enumerate(OWNERS, start=1)}
GROUPS = ("工程部群", "秩序部群", "环境部群", "客服中心群", "管理处群")


def owners_in(*prefixes: str) -> set[str]:
    """Console users of the owners with a room whose code starts with one of `prefixes`."""
    return {user for user, owner in OWNER_USERS.items() if any(r.startswith(prefixes) for r in owner["rooms"])}


@pytest.fixture
async def app(database_url: str, clock: FakeClock, tmp_path: Path) -> AsyncIterator[App]:
    """The shared `app`, with the media directory (report charts) in the test's own folder."""
    app = await build_app(make_settings(database_url, MEDIA_DIR=str(tmp_path / "media")), clock, run_migrations=False)
    await load_community_file(app, str(EXAMPLE_COMMUNITY))
    yield app
    await app.close()


@pytest.fixture
async def people(app: App) -> People:
    return People(app)


@pytest.fixture
async def office(app: App) -> dict[str, int]:
    """Bind the staff's console identities; console user id → staff id."""
    ids = {}
    async with app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        for user, name in STAFF_USERS.items():
            member = await uow.directory.staff_by_name(community.id, name)
            assert member is not None, name
            await uow.directory.bind("console", user, user, now=app.now(), staff_id=member.id)
            ids[user] = member.id
        await uow.commit()
    return ids


@pytest.fixture
async def owners(app: App) -> dict[str, int]:
    """Bind every owner of the demo register to a console chat; console user id → owner id."""
    ids = {}
    async with app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        for user, spec in OWNER_USERS.items():
            owner = await uow.directory.owner_by_phone(community.id, spec["phone"])
            assert owner is not None
            await uow.directory.bind("console", user, user, now=app.now(), owner_id=owner.id)
            if spec["name"] == "Emily Carter":
                await uow.directory.set_locale("console", user, "en")
            ids[user] = owner.id
        await uow.commit()
    return ids


@dataclass
class Phones:
    """The console channel as the owners' and staff's phones: what each chat received."""

    received: dict[str, list[Reply]] = field(default_factory=lambda: defaultdict(list))
    # Chats whose owner blocked the bot: delivery is refused as Telegram refuses it.
    blocked: set[str] = field(default_factory=set)
    channel: str = "console"

    async def send(self, reply: Reply, edit_message_id: str | None = None) -> str:
        if reply.chat_id in self.blocked:
            raise Undeliverable("403: Forbidden: bot was blocked by the user")
        self.received[reply.chat_id].append(reply)
        return str(sum(len(v) for v in self.received.values()))

    def texts(self, chat: str) -> list[str]:
        return [r.text for r in self.received[chat]]


@dataclass
class Delivery:
    phones: Phones
    deliverer: Deliverer

    async def run(self) -> None:
        """Deliver everything due, as the outbox worker would."""
        while await self.deliverer.run_once():
            pass


@pytest.fixture
def delivery(app: App) -> Delivery:
    phones = Phones()
    return Delivery(phones, Deliverer(SqlOutbox(app.sessions, app.clock), phones, now=app.clock.now))


async def notice_rows(app: App) -> list[NoticeRow]:
    """Every notice, oldest first."""
    async with app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        return list(reversed(await uow.notices.recent(community.id, 1_000)))


async def notice_outbox(app: App, notice_id: int | None = None) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    """(chat id, state, body) of the outbox rows of notices (of one notice if given)."""
    o = m.OutboxMessage
    query = select(o.chat_id, o.state, o.body).where(o.notice_id.is_not(None)).order_by(o.id)
    if notice_id is not None:
        query = query.where(o.notice_id == notice_id)
    async with app.uow() as uow:
        return [tuple(r) for r in (await uow.session.execute(query)).all()]  # type: ignore[misc]
