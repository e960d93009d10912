"""The follow-up actions on WeCom: an owner's addition read in the app, arrived, ask for
help, hand back — each from the card in
the app, each re-authorised by the desk, each seen where it should be (the owner, the
team's members in the app, the supervisor, the robot feed), and the handed-back case is
offered to the whole team again with its accept button."""

from __future__ import annotations

from pathlib import Path

from bot.bootstrap import App
from cases.lifecycle import Status
from tests.wecom.conftest import both_channels


async def test_arrived_help_and_hand_back_from_wecom(app: App, tmp_path: Path) -> None:
    async with both_channels(app, tmp_path) as s:
        wx = s.wx
        case_id = await s.report_leak()
        tag = f"#{case_id}"
        await s.wx_press(s.wang, "接单", tag)
        await wx.latest(s.wang, "13800000001", what="王强's contact")

        # The owner adds a detail on Telegram: every engineer reads it in the app, 王强 (the
        # worker, also a team member) once.
        await s.tg_press(s.owner, s.owner.id, "我的工单")
        await s.tg_press(s.owner, s.owner.id, f"{tag} 报事报修")
        await s.tg_press(s.owner, s.owner.id, "补充说明")
        s.tg.say(s.owner, "下午三点以后家里有人")
        notice = f"工单 {tag} 业主补充：下午三点以后家里有人"  # the alert; the card shows it too
        for member in (s.wang, s.liu, s.ma):
            await wx.latest(member, notice, what=f"the owner's addition for {member}")
            await wx.until(lambda m=member: any("业主补充" in c.shown for c in wx.cards(m, tag)),
                           what=f"{member}'s card showing the addition")
        assert sum(notice in m.shown for m in wx.transcript(s.wang)) == 1

        # Arrived: the owner hears it on Telegram.
        await s.wx_press(s.wang, "已到场", tag)
        await s.tg_latest(s.owner.id, "王强")
        assert (await s.case(case_id)).status == Status.IN_PROGRESS  # type: ignore[union-attr]

        # 刘洋 (not the worker) cannot hand it back: told so, nothing changes.
        handback_key = next(k for m in wx.transcript(s.wang) for t, k in m.buttons if "退回" in t)
        await wx.deliver(s.liu, {"MsgType": "event", "Event": "template_card_event", "EventKey": handback_key,
                                 "TaskId": "w0", "CardType": "button_interaction", "ResponseCode": "x"})
        await wx.latest(s.liu, "由 王强 负责", what="the refusal to 刘洋")
        assert (await s.case(case_id)).status == Status.IN_PROGRESS  # type: ignore[union-attr]

        # Help: the team in the app and the robot feed; the engineering manager as supervisor.
        await s.wx_press(s.wang, "求助", tag)
        await wx.latest(s.liu, "请求协助", what="the call for help to 刘洋")
        await wx.latest(s.ma, "请求协助", what="the call for help to the manager")
        robot = s.robots["engineering"]
        await wx.until(lambda: any("请求协助" in p for p in wx.robot_posts[robot]), what="help in the robot feed")

        # Hand back with a reason typed in the app: the case is the team's again.
        await s.wx_press(s.wang, "退回", tag)
        await wx.latest(s.wang, "可以说明原因")
        await wx.say(s.wang, "需要更换整段管道，请有焊工证的同事处理")
        await wx.latest(s.wang, "已退回部门")
        case = await s.case(case_id)
        assert case is not None and case.status == Status.DISPATCHED and case.assignee_id is None
        for member in (s.liu, s.ma):
            await wx.until(lambda m=member: [c for c in wx.cards(m, tag) if any("接单" in t for t, _ in c.buttons)],
                           what=f"an accept button for {member} again")
        await wx.until(lambda: any("已被 王强 退回" in p for p in wx.robot_posts[robot]), what="the hand-back in the feed")
