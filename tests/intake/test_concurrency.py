"""Two desks on one database, each with its own engine and pool — two `wuye run`
processes or two webhook replicas — handling the same person at the same moment
(issue 15.0).  On PostgreSQL the steps really overlap; on SQLite they queue for the
single writer.  Either way one press of 提交 twice gives one case, and a new user's
first two updates are both answered."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sys
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App, build_app
from handlers.kit.messages import Inbound
from storage import models as m
from tests.conftest import ROOT, make_settings
from tests.harness import People

OWNERS = 12  # 13800000001 … 13800000012; 13800000005 has two rooms and is left out below
_ids = itertools.count(10_000_000)


@pytest.fixture
async def second(app: App, database_url: str, clock) -> AsyncIterator[App]:  # type: ignore[no-untyped-def]
    """Another desk on the same database, with an engine of its own."""
    other = await build_app(make_settings(database_url), clock, run_migrations=False)
    yield other
    await other.close()


def inbound(user: str, **fields: object) -> Inbound:
    return Inbound(channel="console", chat_id=user, user_id=user, update_id=str(next(_ids)), **fields)  # type: ignore[arg-type]


async def to_the_summary(people: People, user: str, phone: str) -> None:
    await people.say(user, "/start")
    await people.contact(user, phone)
    await people.press(user, "报事报修")
    await people.press(user, "我家")
    await people.say(user, "厨房水槽下面的水管一直在滴水")
    await people.press(user, "跳过")
    await people.press(user, "一般")
    await people.press(user, "明天")
    assert "提交" in people.all_text(user).split("\n")[-1] or people.button(user, "提交")


async def test_pressing_submit_twice_at_once_on_two_desks_gives_one_case(
        app: App, second: App, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    people = People(app)
    users = {f"o{n}": f"138000000{n:02d}" for n in range(1, OWNERS + 1) if n != 5}
    for user, phone in users.items():
        await to_the_summary(people, user, phone)

    presses = []
    for user in users:
        payload = people.button(user, "提交")
        presses.append(app.desk.handle(inbound(user, payload=payload)))
        presses.append(second.desk.handle(inbound(user, payload=payload)))
    outcomes = await asyncio.gather(*presses)

    async with app.uow() as uow:
        per_owner = (await uow.session.execute(
            select(m.Case.owner_id, func.count()).group_by(m.Case.owner_id))).all()
    assert len(per_owner) == len(users) and all(count == 1 for _, count in per_owner), per_owner
    for user, (first, again) in zip(users, zip(outcomes[::2], outcomes[1::2])):
        texts = [r.text for r in first.replies + again.replies if r.chat_id == user]
        assert sum(t.startswith("✅ 报修已提交") for t in texts) == 1, texts
        assert sum("已过期" in t for t in texts) == 1, texts  # the second press: told, not ignored
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "系统开小差了" not in str(outcomes)


async def test_a_new_users_first_two_updates_at_once_are_both_answered(
        app: App, second: App, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    users = [f"n{i}" for i in range(10)]
    outcomes = await asyncio.gather(*(
        desk.handle(inbound(user, text=text, language="zh-hans"))
        for user in users for desk, text in ((app.desk, "/start"), (second.desk, "/help"))))

    assert all(o.replies for o in outcomes), outcomes
    assert "系统开小差了" not in str(outcomes)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    async with app.uow() as uow:
        identities = await uow.session.scalar(select(func.count()).select_from(m.Identity).where(m.Identity.user_id.in_(users)))
        conversations = await uow.session.scalar(
            select(func.count()).select_from(m.Conversation).where(m.Conversation.user_id.in_(users)))
    assert identities == len(users) and conversations == len(users)


async def test_one_update_delivered_to_two_replicas_at_once_is_handled_once(
        app: App, second: App, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    updates = [inbound(f"r{i}", text="/help") for i in range(10)]
    outcomes = await asyncio.gather(*(desk.handle(u) for u in updates for desk in (app.desk, second.desk)))

    assert sorted(len(o.replies) for o in outcomes) == [0] * 10 + [1] * 10
    assert app.desk.stats["duplicates"] + second.desk.stats["duplicates"] == 10
    refused = [r.getMessage() for r in caplog.records if "refused as a duplicate" in r.getMessage()]
    assert len(refused) == 10 and not any("/help" in line for line in refused)


async def test_pressing_submit_twice_at_once_in_two_os_processes_gives_one_case(
        app: App, database_url: str, clock, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    """The same as above with the two desks in two OS processes (two `wuye run`s), on PostgreSQL."""
    if not database_url.startswith("postgresql"):
        pytest.skip("two processes writing at once: PostgreSQL (SQLite has one writer)")
    people = People(app)
    users = {f"p{n}": f"138000000{n:02d}" for n in range(1, OWNERS + 1) if n != 5}
    for user, phone in users.items():
        await to_the_summary(people, user, phone)
    presses = json.dumps([[user, people.button(user, "提交")] for user in users])

    start = time.time() + 4  # both processes built and connected by then, racing from that instant
    processes = [await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "tests" / "intake" / "press_process.py"), database_url, clock.now().isoformat(),
        str(start), presses, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE) for _ in range(2)]
    results = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in processes)), 120)
    sent: list[dict[str, list[str]]] = []
    for process, (out, err) in zip(processes, results):
        assert process.returncode == 0 and b"Traceback" not in err, err.decode()[-2000:]
        assert b"ERROR" not in err, err.decode()[-2000:]
        sent.append(json.loads(out))
    assert time.time() > start  # they did wait for the common start

    async with app.uow() as uow:
        per_owner = dict((await uow.session.execute(
            select(m.Case.owner_id, func.count()).group_by(m.Case.owner_id))).all())
    assert len(per_owner) == len(users) and set(per_owner.values()) == {1}, per_owner
    for user in users:
        texts = sent[0].get(user, []) + sent[1].get(user, [])
        assert sum(t.startswith("✅ 报修已提交") for t in texts) == 1, texts
        assert sum("已过期" in t for t in texts) == 1, texts
        assert "系统开小差了" not in str(texts)
    # Each process won some of the races (they really overlapped, neither did it all).
    wins = [sum(any(t.startswith("✅ 报修已提交") for t in s.get(u, [])) for u in users) for s in sent]
    print(f"\nsubmits won per process: {wins}")
