"""An emergency reaches the duty team on WeCom at once and again every five minutes — a
fresh card with its accept button in each member's app, and the team's robot feed — until
someone accepts; then the alerts stop."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.bootstrap import App
from bot.scheduler import tick
from cases.clock import FakeClock
from cases.lifecycle import Status
from tests.wecom.conftest import both_channels


async def test_emergency_alert_repeats_on_wecom_until_accepted(app: App, tmp_path: Path) -> None:
    clock = app.clock
    assert isinstance(clock, FakeClock)
    async with both_channels(app, tmp_path) as s:
        wx = s.wx
        await s.bind_owner()
        s.tg.say(s.owner, "家里厨房有很大的煤气味，我好害怕")
        case = None
        for _ in range(200):
            case = await s.case()
            if case is not None:
                break
            await asyncio.sleep(0.05)
        assert case is not None and case.urgency == "emergency" and case.team_code == "security"
        tag = f"#{case.id}"

        # At once: the card in the security member's app, urgent, with its accept button.
        await s.wx_card(s.ba01, tag, button="接单")
        robot = s.robots["security"]

        def alerts(n: int) -> list:
            return [m for m in wx.cards(s.ba01, f"第 {n} 次警报") if any("接单" in t for t, _ in m.buttons)]

        for n in (2, 3):
            clock.advance(timedelta(minutes=5))
            await tick(app)
            await wx.until(lambda n=n: alerts(n), what=f"alert {n} in the app")
            await wx.until(lambda n=n: any(f"第 {n} 次警报" in p for p in wx.robot_posts[robot]),
                           what=f"alert {n} in the security robot feed")
        assert not any("13800000001" in p for p in wx.robot_posts[robot])

        # 张勇 accepts on the newest alert; the alerts stop.
        await wx.press(s.ba01, alerts(3)[-1], "接单")
        await wx.latest(s.ba01, "13800000001", what="the owner's contact after accepting")
        assert (await s.case(case.id)).status == Status.ACCEPTED  # type: ignore[union-attr]
        clock.advance(timedelta(minutes=30))
        await tick(app)
        await asyncio.sleep(0.5)
        assert not alerts(4) and not any("第 4 次警报" in p for p in wx.robot_posts[robot])
