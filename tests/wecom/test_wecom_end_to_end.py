"""An owner's report on Telegram worked by engineers on WeCom, over real HTTP against both
stand-ins: the card reaches every engineer in the app (and the team's robot feed), two
press accept in the same instant and exactly one wins — every copy then shows who —
the winner finishes with a fee from WeCom, the owner confirms, the callback is booked."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from bot.bootstrap import App
from cases.lifecycle import Status
from storage import models as m
from tests.wecom.conftest import both_channels


async def test_report_dispatched_to_wecom_first_press_wins_and_done_with_fee(app: App, tmp_path: Path) -> None:
    async with both_channels(app, tmp_path) as s:
        wx, tg = s.wx, s.tg
        case_id = await s.report_leak()
        tag = f"#{case_id}"

        # Every engineer on WeCom gets the card with its buttons, the owner masked.
        card_wang = await s.wx_card(s.wang, tag, button="接单")
        card_liu = await s.wx_card(s.liu, tag, button="接单")
        for card in (card_wang, card_liu):
            assert "138****0001" in card.shown and "13800000001" not in card.shown and "张伟" not in card.shown
        # The team's WeCom group gets a read-only copy through its robot, the Telegram group its card.
        robot = s.robots["engineering"]
        await wx.until(lambda: any(tag in p for p in wx.robot_posts[robot]), what="the robot feed")
        assert all("13800000001" not in p for p in wx.robot_posts[robot])
        await s.tg_latest(s.groups["engineering"], tag)
        assert not wx.cards(s.ba01), "security staff get no engineering card"

        # Both press accept at the same instant: exactly one wins.
        statuses = await asyncio.gather(wx.press(s.wang, card_wang, "接单"), wx.press(s.liu, card_liu, "接单"))
        assert statuses == [200, 200]

        async def settled() -> object:
            async with app.uow() as uow:
                case = await uow.cases.get(case_id)
            return case if case is not None and case.assignee_id is not None else None

        case = None
        for _ in range(300):
            case = await settled()
            if case is not None:
                break
            await asyncio.sleep(0.05)
        assert case is not None and case.status == Status.ACCEPTED
        async with app.uow() as uow:
            winner = await uow.directory.staff(case.assignee_id)
        assert winner is not None and winner.name in ("王强", "刘洋")
        win_id, lose_id = (s.wang, s.liu) if winner.name == "王强" else (s.liu, s.wang)

        # Both cards — the same messages, updated in place — show the winner and no accept button.
        for card in (card_wang, card_liu):
            await wx.until(lambda c=card: winner.name in c.shown and not any("接单" in t for t, _ in c.buttons),
                           what=f"the card of {card.userid} showing {winner.name}")
            assert card.updates >= 1
        # The Telegram group's card shows the winner too; so does 刘洋's Telegram, if he won there.
        await s.tg.until(lambda: any(tag in (m.text or "") and winner.name in (m.text or "")
                                     for m in s.tg.transcript(s.groups["engineering"])), what="the Telegram card")
        # The winner has the owner's full contact privately; the other was told who was quicker.
        await wx.latest(win_id, "13800000001", what="the owner's contact for the winner")
        notice = await wx.latest(lose_id, f"已被 {winner.name} 接单", what="the loser's notice")
        assert notice.card is None  # a message of its own (WeCom has no toasts), not a card
        assert not any("13800000001" in m.shown for m in wx.transcript(lose_id))
        await s.tg_latest(s.owner.id, winner.name)
        async with app.uow() as uow:
            accepted = [i for i in await uow.cases.timeline(case_id) if i.action == "accepted"]
        assert len(accepted) == 1

        # Private work in the app, in words: /my and /case N.
        await wx.say(win_id, "/my")
        await wx.latest(win_id, "我负责的工单（1）")
        await wx.say(win_id, f"/case {case_id}")
        await wx.until(lambda: sum(tag in m.shown for m in wx.transcript(win_id)) >= 3, what="the /case view")

        # The winner finishes from WeCom: note, a photo, a fee, confirm.
        await s.wx_press(win_id, "完成", tag)
        await wx.latest(win_id, "请简要说明处理结果")
        await wx.say(win_id, "更换了水管接头，已试水不漏")
        await wx.latest(win_id, "完工照片")
        wx.fail_next("media/get", 40007)  # the first try: WeCom will not hand the photo over
        await wx.send_photo(win_id, b"\x89PNG lost photo")
        await wx.latest(win_id, "没能收到")
        await wx.send_photo(win_id, b"\x89PNG finished-work photo")
        await wx.latest(win_id, "已收到 1 张照片")
        await s.wx_press(win_id, "完成", "已收到 1 张照片")
        await wx.latest(win_id, "收费金额")
        await wx.say(win_id, "材料费35元")
        await wx.latest(win_id, "请确认完工信息")
        await s.wx_press(win_id, "确认完工")
        await wx.latest(win_id, "已提交完工")

        # The owner confirms on Telegram; the case closes with the fee, its callback is booked.
        await s.tg_latest(s.owner.id, "更换了水管接头")
        # The photo taken in WeCom reaches the owner on Telegram.
        await tg.until(lambda: any(m.photo for m in tg.transcript(s.owner.id)), what="the finish photo")
        await s.tg_press(s.owner, s.owner.id, "确认完成")
        await tg.until(lambda: any("感谢" in (m.text or "") for m in tg.transcript(s.owner.id)[-2:]), what="thanks")
        async with app.uow() as uow:
            case = await uow.cases.get(case_id)
            callbacks = await uow.callbacks.for_case(case_id)
        assert case is not None and case.status == Status.CLOSED and case.fee_cents == 3500
        assert case.assignee_id == winner.id
        assert [c.round for c in callbacks] == [1]
        # The robot's key is a credential: the outbox names the team, never the key.
        async with app.uow() as uow:
            chats = set(await uow.session.scalars(select(m.OutboxMessage.chat_id)))
        assert "robot:engineering" in chats and not any(robot in chat for chat in chats)

