"""A staff member with Telegram and WeCom: a press on either counts once.  刘洋 accepts in
the team's Telegram group; the cards in everyone's WeCom app show him; his own tap on the
WeCom card, arriving after, changes nothing."""

from __future__ import annotations

from pathlib import Path

from bot.bootstrap import App
from cases.lifecycle import Status
from tests.wecom.conftest import both_channels


async def test_accept_on_telegram_shows_on_wecom_and_the_wecom_press_counts_once(app: App, tmp_path: Path) -> None:
    async with both_channels(app, tmp_path) as s:
        wx = s.wx
        case_id = await s.report_leak()
        tag = f"#{case_id}"
        card_wang = await s.wx_card(s.wang, tag, button="接单")
        card_liu = await s.wx_card(s.liu, tag, button="接单")
        # 刘洋 taps accept in WeCom too, but that tap reaches us only after his Telegram press.
        late_tap = wx.tap_fields(s.liu, card_liu, "接单")

        await s.tg_press(s.liu_tg, s.groups["engineering"], "接单")
        def taken(card) -> bool:  # type: ignore[no-untyped-def]
            return "刘洋" in card.shown and not any("接单" in t for t, _ in card.buttons)

        await wx.until(lambda: taken(card_wang) and taken(card_liu), what="the WeCom cards showing 刘洋")
        case = await s.case(case_id)
        assert case is not None and case.status == Status.ACCEPTED
        # The owner's contact goes privately to 刘洋 on the channel he pressed on.
        await s.tg_latest(s.liu_tg.id, "13800000001")
        async with app.uow() as uow:
            before = [i.action for i in await uow.cases.timeline(case_id)]

        status, _, _ = await wx.deliver(s.liu, late_tap)
        assert status == 200
        await wx.latest(s.liu, f"你已经接下了工单 {tag}", what="'you have it already'")
        async with app.uow() as uow:
            assert [i.action for i in await uow.cases.timeline(case_id)] == before
