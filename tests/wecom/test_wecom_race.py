"""Three engineers tap accept on their WeCom cards at the same instant, on SQLite and on
PostgreSQL (where the three transactions really overlap): exactly one has the case, the
timeline says "accepted" once, only the winner gets the owner's contact, the other two are
told who was quicker, and every card shows the winner."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import App, build_app
from cases.clock import FakeClock
from cases.lifecycle import Status
from tests.conftest import make_settings
from tests.wecom.conftest import both_channels


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[App]:  # both databases, unlike the other WeCom tests
    yield await build_app(make_settings(database_url), FakeClock(), run_migrations=False)


async def test_three_taps_at_once_one_winner(app: App, tmp_path: Path) -> None:
    async with both_channels(app, tmp_path) as s:
        wx = s.wx
        case_id = await s.report_leak()
        tag = f"#{case_id}"
        people = (s.wang, s.liu, s.ma)
        cards = [await s.wx_card(user, tag, button="接单") for user in people]
        taps = [wx.tap_fields(user, card, "接单") for user, card in zip(people, cards)]
        statuses = await asyncio.gather(*(wx.deliver(user, tap) for user, tap in zip(people, taps)))
        assert [status for status, _, _ in statuses] == [200, 200, 200]

        async def accepted() -> object:
            case = await s.case(case_id)
            return case if case is not None and case.assignee_id is not None else None

        case = None
        for _ in range(200):
            if (case := await accepted()) is not None:
                break
            await asyncio.sleep(0.05)
        assert case is not None and case.status == Status.ACCEPTED
        async with app.uow() as uow:
            winner = await uow.directory.staff(case.assignee_id)  # type: ignore[arg-type]
            timeline = [i.action for i in await uow.cases.timeline(case_id)]
        assert winner is not None and timeline.count("accepted") == 1
        won = {"王强": s.wang, "刘洋": s.liu, "马建国": s.ma}[winner.name]
        await wx.latest(won, "13800000001", what="the winner's contact")
        for user, card in zip(people, cards):
            await wx.until(lambda c=card: winner.name in c.shown and not any("接单" in t for t, _ in c.buttons),
                           what=f"{user}'s card showing {winner.name}")
            if user != won:
                await wx.latest(user, f"已被 {winner.name} 接单", what=f"{user} told who was quicker")
                assert not any("13800000001" in m.shown for m in wx.transcript(user))
