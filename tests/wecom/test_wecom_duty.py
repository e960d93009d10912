"""The duty roster changed from WeCom over real HTTP (the stand-in): the engineering manager,
who uses only the WeCom app, takes 孙浩 off tonight and puts 王强 on with typed words and the
card's confirm button; the team hears it on Telegram and in the WeCom robot feed; the
emergency at 03:00 reaches 王强 in the app.  An engineer tapping a forged roster key is told
politely and nothing changes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.bootstrap import App, load_community_file
from storage import models as m
from tests.harness import People
from tests.staff.test_dispatch_modes import DISPATCH, SUNDAY_3AM, open_case
from tests.staff.test_duty_roster import SATURDAY_10AM, TONIGHT
from tests.wecom.conftest import both_channels


async def test_the_manager_changes_tonight_from_wecom_and_the_emergency_follows(app: App, tmp_path: Path) -> None:
    app.clock.set(SATURDAY_10AM)  # type: ignore[attr-defined]
    async with both_channels(app, tmp_path) as s:
        wx, tg = s.wx, s.tg
        path = tmp_path / "community.yaml"  # the scene's file, with the roster added
        path.write_text(path.read_text(encoding="utf-8") + DISPATCH, encoding="utf-8")
        await load_community_file(app, str(path))

        await wx.say(s.ma, "/duty 孙浩 今晚不在")
        await s.wx_press(s.ma, "确认变更", f"孙浩 不值班：{TONIGHT}")
        await wx.latest(s.ma, "值班变更已保存")
        await wx.say(s.ma, "/duty 王强 今晚值班")
        await s.wx_press(s.ma, "确认变更", f"王强 值班：{TONIGHT}")
        await wx.latest(s.ma, "值班变更已保存")
        group = s.groups["engineering"]
        await tg.until(lambda: sum("值班变更" in (msg.text or "") for msg in tg.transcript(group)) == 2,
                       what="both changes in the engineering group on Telegram")
        robot = s.robots["engineering"]
        await wx.until(lambda: sum("值班变更" in p for p in wx.robot_posts[robot]) == 2, what="both in the robot feed")
        await wx.latest(s.wang, f"您的值班有变更：王强 值班：{TONIGHT}（马建国 调整）")
        assert not any("值班变更" in p for p in wx.robot_posts[s.robots["security"]])

        # 刘洋 taps a roster key he was never sent: told politely, nothing saved.
        await wx.deliver(s.liu, {"MsgType": "event", "Event": "template_card_event", "EventKey": "1|d|swap",
                                 "TaskId": "w9", "CardType": "button_interaction", "ResponseCode": "x"})
        await wx.latest(s.liu, "只有主管", what="the refusal to 刘洋")

        app.clock.set(SUNDAY_3AM)  # type: ignore[attr-defined]
        case_id = await open_case(app, People(app), kind="report", urgency="emergency", category="plumbing",
                                  area="home", description="水管爆裂，满屋是水")
        await wx.latest(s.wang, f"工单 #{case_id} 派给您（值班）", what="the duty offer to 王强 in the app")
        async with app.uow() as uow:
            case = await uow.cases.get(case_id)
            stored = await uow.session.scalar(select(func.count()).select_from(m.RosterChange))
        assert case is not None and case.details["offer"]["mode"] == "duty" and stored == 2
