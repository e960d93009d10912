"""Typed answers where buttons are offered (issue 13, item 5), through the real core: the
owner types as they would on WeChat or SMS; the database keeps the structured value and the
owner sees it understood.  The demo clock is Monday 1 June 2026, 09:00 in Shanghai."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import App
from tests.flows.conftest import CUSTOMER_SERVICE, ENGINEERING, SECURITY, bound_owner
from tests.flows.helpers import only_case
from tests.harness import People

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int) -> datetime:
    return datetime(2026, 6, day, hour, tzinfo=SHANGHAI)


async def test_report_answered_in_words(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "报事报修")
    await people.press("u1", "我家 1-1-101")
    await people.say("u1", "厨房水槽下面的水管一直在滴水")
    await people.say("u1", "没有照片")
    assert "紧急程度" in people.last("u1")
    await people.say("u1", "这个嘛")
    hint = people.texts("u1")[-2]  # the words that do, then the question again with its buttons
    assert "没听明白紧急程度" in hint and "挺急的" in hint and "紧急程度" in people.last("u1")
    await people.say("u1", "挺急的")
    assert "什么时候上门" in people.last("u1")
    await people.say("u1", "返回")  # changes their mind: not that urgent after all
    await people.say("u1", "不急")
    await people.say("u1", "等我想想")
    hint = people.texts("u1")[-2]  # what would do, then the question again with its buttons
    assert "没看懂这个时间" in hint and "周六上午" in hint and "什么时候上门" in people.last("u1")
    await people.say("u1", "昨天")
    assert "已经过去了" in people.texts("u1")[-2] and "什么时候上门" in people.last("u1")
    await people.say("u1", "今天下午")
    summary = people.last("u1")
    assert "照片：0 张" in summary and "紧急程度：一般" in summary
    assert "🕒 期望上门：今天下午（6月1日（周一）13:00–18:00）" in summary
    await people.say("u1", "提交")

    case = await only_case(app)
    assert (case.urgency, case.photos, case.details["preferred_time"]) == ("normal", [], "今天下午")
    assert case.details["window"] == {"span": "window", "start": "2026-06-01T13:00:00+08:00",
                                      "end": "2026-06-01T18:00:00+08:00"}
    # The desk's 24 hours would fall after the afternoon asked for: contact before it opens,
    # the visit done before it closes.
    assert case.response_due_at == local(1, 13) and case.completion_due_at == local(1, 18)
    assert people.last("u1").startswith(f"✅ 报修已提交，工单号 #{case.id}") and "6月1日 13:00 前与您联系" in people.last("u1")
    card = people.last(ENGINEERING)
    assert "🕒 期望上门：今天下午" in card and "🗓 时间窗：6月1日（周一）13:00–18:00" in card
    assert "请于 6月1日 13:00 前接单" in card


async def test_urgent_in_words_and_nothing_to_photograph(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "报事报修")
    await people.press("u1", "我家 1-1-101")
    await people.say("u1", "卫生间的灯不亮了")
    await people.say("u1", "没有热水")  # not "no photos": a photo is still asked for
    assert "请发送照片" in people.last("u1")
    await people.say("u1", "不用了谢谢")
    await people.say("u1", "很急！")
    await people.say("u1", "越快越好")
    assert "越快越好" in people.last("u1")
    await people.say("u1", "确认")
    case = await only_case(app)
    assert case.urgency == "urgent" and case.photos == []
    assert case.details["window"] == {"span": "asap", "start": "2026-06-01T09:00:00+08:00", "end": None}
    assert case.response_due_at == local(1, 11)  # the urgent 2 hours stand


async def test_booking_time_in_words(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "预约服务")
    await people.press("u1", "灯具安装")
    await people.say("u1", "🙂")
    assert "光有表情" in people.last("u1")
    await people.say("u1", "十二月二十五号")
    assert "60 天以内" in people.texts("u1")[-2] and "您希望什么时间上门/办理" in people.last("u1")
    await people.say("u1", "今天下班后")
    assert "🕒 时间：今天下班后（6月1日（周一）18:00–21:00）" in people.last("u1")
    await people.press("u1", "确认预约")

    case = await only_case(app)
    assert case.details["slot"] == "今天下班后"
    assert case.details["window"] == {"span": "window", "start": "2026-06-01T18:00:00+08:00",
                                      "end": "2026-06-01T21:00:00+08:00"}
    assert case.response_due_at == local(1, 18) and case.completion_due_at == local(1, 21)
    assert "6月1日 18:00 前与您联系确认" in people.last("u1")
    async with app.uow() as uow:
        booking = await uow.bookings.for_case(case.id or 0)
    assert booking is not None and booking.slot == "今天下班后"
    assert (booking.window_start, booking.window_end) == (local(1, 18), local(1, 21))  # the window, as times
    assert "🗓 时间窗：6月1日（周一）18:00–21:00" in people.last(ENGINEERING)


async def test_booking_availability_note_is_kept(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "预约服务")
    await people.press("u1", "灯具安装")
    await people.say("u1", "工作日白天家里没人，来之前提前打电话")
    assert "已记下您的时间说明" in people.all_text("u1")
    await people.press("u1", "确认预约")
    case = await only_case(app)
    assert case.details["slot"] == "工作日白天家里没人，来之前提前打电话" and "window" not in case.details
    assert case.response_due_at == local(2, 9)  # no window: the desk's 24 hours
    async with app.uow() as uow:
        booking = await uow.bookings.for_case(case.id or 0)
    assert booking is not None and (booking.window_start, booking.window_end) == (None, None)


async def test_complaint_time_in_words(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "投诉")
    await people.say("u1", "保安晚上在岗亭睡觉，陌生人随便进出小区")
    await people.say("u1", "明天下午")
    hint = people.texts("u1")[-2]  # why not, with examples; then the question again with its buttons
    assert "还没到" in hint and "昨晚11点" in hint and "什么时候发生的" in people.last("u1")
    await people.say("u1", "昨晚十一点左右")
    assert "在哪里发生的" in people.last("u1")
    await people.say("u1", "北门岗亭")
    await people.press("u1", "不涉及具体人员")
    await people.press("u1", "尽快把问题解决")
    await people.press("u1", "秩序管理")
    assert "🕒 发生时间：昨晚十一点左右（5月31日（周日）23:00–24:00）" in people.last("u1")
    await people.press("u1", "提交投诉")
    case = await only_case(app)
    assert case.details["when"] == "昨晚十一点左右"
    assert case.details["happened"] == {"span": "window", "start": "2026-05-31T23:00:00+08:00",
                                        "end": "2026-06-01T00:00:00+08:00"}
    # A time in the past never moves the answer deadline: the desk's 24 hours.
    assert case.response_due_at == local(2, 9)
    card = people.last(SECURITY)
    assert f"#{case.id}" in card and "🕒 发生时间：昨晚十一点左右" in card and "🗓 发生时段：5月31日（周日）23:00–24:00" in card


async def test_complaint_category_typed(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "投诉")
    await people.say("u1", "楼上装修噪音太大 晚上十点还在电钻")
    await people.say("u1", "昨晚10点")
    await people.say("u1", "1-1-101")
    await people.say("u1", "楼上装修队")
    await people.say("u1", "希望尽快处理")
    assert "类别" in people.last("u1")
    await people.say("u1", "随便吧")
    assert "没听明白是哪一类" in people.texts("u1")[-2] and "类别" in people.last("u1")
    await people.say("u1", "邻里纠纷")
    assert "🏷 类别：相邻关系" in people.last("u1")
    await people.say("u1", "提交")
    case = await only_case(app)
    assert (case.kind, case.category, case.details["who"]) == ("complaint", "neighbor", "楼上装修队")


@dataclass
class Unsure:  # a classifier that cannot tell the category, so the owner is asked
    kind: str = "report"
    urgency: str = "normal"
    category: str = ""
    area: str = "home"
    confidence: float = 0.1
    keywords: tuple[str, ...] = ()
    low_confidence: bool = True
    danger_unsure: bool = False


def unsure_classifier(app: App) -> None:
    app.desk.classifier = type("C", (), {"classify": lambda self, text: Unsure()})()


async def test_report_category_typed(app: App, people: People) -> None:
    unsure_classifier(app)
    await bound_owner(people)
    await people.press("u1", "报事报修")
    await people.press("u1", "我家 1-1-101")
    await people.say("u1", "家里有个东西坏了")
    await people.say("u1", "跳过")
    assert "问题类别" in people.last("u1")
    await people.say("u1", "漏水的")
    assert "紧急程度" in people.last("u1")
    await people.say("u1", "一般")
    await people.say("u1", "明天上午")
    await people.say("u1", "提交")
    case = await only_case(app)
    assert (case.category, case.team_code) == ("plumbing", "engineering")
    assert case.details["window"]["start"] == "2026-06-02T08:00:00+08:00"


@pytest.mark.parametrize("answer", ["⏭ 不清楚（跳过，由工作人员判断）", "不知道是哪类", "跳过"])
async def test_an_owner_who_cannot_tell_the_category_leaves_it_to_customer_service(
        app: App, people: People, answer: str) -> None:
    unsure_classifier(app)
    await bound_owner(people)
    await people.press("u1", "报事报修")
    await people.press("u1", "我家 1-1-101")
    await people.say("u1", "家里有个东西坏了")
    await people.say("u1", "跳过")
    assert "问题类别" in people.last("u1")
    if answer.startswith("⏭"):
        await people.press("u1", answer)
    else:
        await people.say("u1", answer)
    assert "紧急程度" in people.last("u1")
    await people.say("u1", "一般")
    await people.say("u1", "明天上午")
    assert "🏷 类别：待工作人员判断" in people.last("u1")
    await people.say("u1", "提交")
    case = await only_case(app)
    # No category: customer service reads it and passes it on (cases.routing).
    assert (case.kind, case.category, case.team_code) == ("report", "", "customer_service")
    assert "#%d" % case.id in people.all_text(CUSTOMER_SERVICE)


async def test_words_for_home_nothing_and_yes(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "报事报修")
    await people.say("u1", "我家")
    assert "描述" in people.last("u1")
    await people.say("u1", "阳台的晾衣架掉下来了")
    await people.say("u1", "不用")
    await people.say("u1", "一般")
    await people.say("u1", "周末")
    await people.say("u1", "好的")
    case = await only_case(app)
    assert case.room_id is not None and case.description == "阳台的晾衣架掉下来了"
    assert case.details["window"] == {"span": "window", "start": "2026-06-06T08:00:00+08:00",
                                      "end": "2026-06-07T20:00:00+08:00"}

    await people.press("u1", "投诉")
    await people.say("u1", "小区里的垃圾好几天没人清了")
    await people.say("u1", "好几天了")
    await people.say("u1", "不涉及")
    assert "涉及哪些人员" in people.last("u1")
    await people.say("u1", "没有具体人员")
    await people.press("u1", "尽快把问题解决")
    await people.say("u1", "环境卫生")
    await people.say("u1", "可以")
    async with app.uow() as uow:
        complaint = (await uow.cases.recent(limit=1))[0]
    assert (complaint.kind, complaint.category, complaint.place) == ("complaint", "environment", "")
    assert (complaint.details["who"], complaint.details["happened"]["span"]) == ("", "ongoing")


async def test_english_owner_types_a_time(app: App, people: People) -> None:
    await bound_owner(people, "u9", "13800000020")
    await people.say("u9", "/lang en")
    await people.press("u9", "Book a service")
    await people.press("u9", "Light fitting installation · ¥50/light")
    await people.say("u9", "whenever you like?")
    assert "🕒 Time: whenever you like? (any time)" in people.last("u9")
    await people.say("u9", "back")
    await people.say("u9", "purple")
    hint = people.texts("u9")[-2]
    assert "could not read that as a time" in hint and "this afternoon" in hint and "When would suit you" in people.last("u9")
    await people.say("u9", "tomorrow morning")
    assert "🕒 Time: tomorrow morning (Tue 2 Jun 08:00–12:00)" in people.last("u9")
    await people.say("u9", "yes")
    case = await only_case(app)
    assert case.details["slot"] == "tomorrow morning"  # staff read the owner's words and the window in Chinese
    assert "🗓 时间窗：6月2日（周二）08:00–12:00" in people.last(ENGINEERING)
