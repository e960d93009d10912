"""Booking paid services end to end: catalogue, home, slot, an explicit yes to the price."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from bot.bootstrap import App
from cases.records import Booking
from storage import models as m
from tests.flows.conftest import ENGINEERING, bound_owner
from tests.flows.helpers import all_cases, choose_kind, only_case, pick, restart
from tests.harness import People

ENVIRONMENT = "环境部群"
# The slot button "6月2日（周二）上午" as the window the team keeps to.
TUESDAY_MORNING = {"span": "window", "start": "2026-06-02T08:00:00+08:00", "end": "2026-06-02T12:00:00+08:00"}
SECURITY = "秩序部群"


async def bookings(app: App) -> list[Booking]:
    async with app.uow() as uow:
        ids = await uow.session.scalars(select(m.Booking.case_id).order_by(m.Booking.id))
        return [b for case_id in ids.all() if (b := await uow.bookings.for_case(case_id))]


async def test_book_a_lamp_installation(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "预约服务")
    catalogue = people.chats["u1"][-1]
    labels = [b.text for row in catalogue.buttons for b in row]
    assert "灯具安装 · ¥50/盏" in labels and "车位月租 · ¥300/月" in labels and "搬家放行手续 · 免费" in labels
    await people.press("u1", "灯具安装")
    # One home: no question about which; the demo clock is Monday 1 June, 09:00 local.
    assert "什么时间" in people.last("u1")
    slots = [b.text for row in people.chats["u1"][-1].buttons for b in row][:6]
    assert slots == ["明天 6月2日（周二）上午", "明天 6月2日（周二）下午", "6月3日（周三）上午", "6月3日（周三）下午",
                     "6月4日（周四）上午", "6月4日（周四）下午"]
    await people.press("u1", "6月2日（周二）上午")
    summary = people.last("u1")
    assert "🧾 服务：灯具安装" in summary and "1-1-101" in summary and "6月2日（周二）上午" in summary
    assert "价格 ¥50/盏，确认预约？" in summary
    await people.press("u1", "确认预约（¥50/盏）")

    case = await only_case(app)
    assert people.last("u1").startswith(f"✅ 预约成功，工单号 #{case.id}：灯具安装，6月2日（周二）上午，价格 ¥50/盏")
    assert (case.kind, case.category, case.team_code, case.urgency) == ("service", "home_repair", "engineering", "normal")
    assert case.details == {"item": "灯具安装", "slot": "6月2日（周二）上午", "price": "¥50/盏", "window": TUESDAY_MORNING}
    assert case.room_id is not None and case.description == "灯具安装"
    (booking,) = await bookings(app)
    assert (booking.case_id, booking.price_cents, booking.slot) == (case.id, 5000, "6月2日（周二）上午")
    assert booking.price_confirmed_at == app.now()

    card = people.last(ENGINEERING)
    assert f"【有偿服务】#{case.id}" in card and "🧾 服务项目：灯具安装" in card and "💰 价格：¥50/盏" in card
    assert "🕒 预约时段：6月2日（周二）上午" in card and "🗓 时间窗：6月2日（周二）08:00–12:00" in card
    assert "张*" in card and "138****0001" in card and "13800000001" not in card


async def test_owner_of_two_homes_chooses_one_and_types_a_time(app: App, people: People) -> None:
    await bound_owner(people, "u5", "13800000005")  # 陈静: 1-1-601 and 2-1-101
    await people.press("u5", "预约服务")
    await people.press("u5", "家庭深度保洁")
    assert "哪一套房屋" in people.last("u5")
    await people.say("u5", "1-1-101")
    assert "不在您绑定的房屋中" in people.last("u5")
    await people.say("u5", "2-1-101")
    await people.say("u5", "周六晚上7点")
    assert "价格 ¥35/小时" in people.last("u5") and "2-1-101" in people.last("u5")
    await people.say("u5", "确认")
    case = await only_case(app)
    assert (case.category, case.team_code, case.details["slot"]) == ("housekeeping", "environment", "周六晚上7点")
    assert "2-1-101" in people.last(ENVIRONMENT)


@dataclass
class AccessClassifier:
    """A classifier sure the owner wants an access-card service."""

    kind: str = "service"
    urgency: str = "normal"
    category: str = "access"
    area: str = ""
    confidence: float = 0.9
    keywords: tuple[str, ...] = ("门禁卡",)
    low_confidence: bool = False

    def classify(self, text: str) -> AccessClassifier:
        return self


async def test_the_routers_category_narrows_the_catalogue(app: App, people: People) -> None:
    app.desk.classifier = AccessClassifier()
    await bound_owner(people)
    await people.say("u1", "门禁那边想约个人来弄一下")  # the category, no item named
    await people.press("u1", "是的")
    shown = [b.text for row in people.chats["u1"][-1].buttons for b in row]
    assert "“门禁/钥匙/开锁”类的服务" in people.last("u1")
    assert shown[:2] == ["补办门禁卡 · ¥20/张", "紧急开锁 · ¥150/次"] and "📋 查看全部服务" in shown
    await people.press("u1", "查看全部服务")
    assert any("灯具安装" in b.text for row in people.chats["u1"][-1].buttons for b in row)
    await people.press("u1", "补办门禁卡")
    await people.press("u1", "6月3日（周三）下午")
    await people.press("u1", "确认预约")
    case = await only_case(app)
    assert (case.description, case.category, case.team_code) == ("门禁那边想约个人来弄一下", "access", "security")
    assert f"#{case.id}" in people.last(SECURITY)


async def test_an_item_named_in_the_first_message_is_not_asked_for_again(app: App, people: People) -> None:
    await bound_owner(people)
    await choose_kind(people, "u1", "门禁卡丢了想补办一张", "有偿服务")
    assert "您希望什么时间上门/办理" in people.last("u1")  # no catalogue: 补办门禁卡 was named
    await people.press("u1", "6月3日（周三）下午")
    assert "补办门禁卡" in people.last("u1") and "¥20/张" in people.last("u1")
    await people.press("u1", "确认预约")
    case = await only_case(app)
    assert (case.details["item"], case.description) == ("补办门禁卡", "门禁卡丢了想补办一张")
    await people.say("u1", "想预约一下擦玻璃 周四上午方便")
    await people.press("u1", "是的")
    # The item and the time were both said: straight to the price to agree to.
    assert "擦玻璃" in people.last("u1") and "6月4日（周四）" in people.last("u1") and "确认预约" in people.last("u1")
    await people.press("u1", "确认预约")
    window = (await all_cases(app))[-1].details["window"]
    assert window["start"].startswith("2026-06-04T08:00")


async def test_free_text_booking_whatever_the_classifier_guesses(app: App, people: People) -> None:
    await bound_owner(people)
    await choose_kind(people, "u1", "我想预约一下擦玻璃的服务", "有偿服务")
    assert "您希望什么时间上门/办理" in people.last("u1")  # 擦玻璃 named: no list to pick from
    await people.press("u1", "6月4日（周四）上午")
    await people.press("u1", "确认预约")
    case = await only_case(app)
    assert case.category == "housekeeping" and case.details["price"] == "¥120/次"


async def test_a_price_change_before_the_yes_is_shown_not_slipped_in(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "预约服务")
    await people.press("u1", "晾衣架安装")
    await people.press("u1", "下午")
    assert "价格 ¥80/次" in people.last("u1")
    async with app.uow() as uow:
        await uow.session.execute(update(m.ServiceItem).where(m.ServiceItem.code == "rack_install").values(price_cents=9000))
        await uow.commit()
    await people.press("u1", "确认预约")
    assert "价格刚刚调整" in people.all_text("u1") and "价格 ¥90/次，确认预约？" in people.last("u1")
    assert await all_cases(app) == []
    await people.press("u1", "确认预约（¥90/次）")
    (booking,) = await bookings(app)
    assert booking.price_cents == 9000


async def test_restart_in_the_middle_resumes(app: App, people: People, database_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people)
    await people.press("u1", "预约服务")
    await people.press("u1", "大件垃圾清运")
    again = await restart(app, people, database_url, clock)
    try:
        await again.people.press("u1", "6月2日（周二）下午")
        await again.people.press("u1", "确认预约")
        case = await only_case(again.app)
        assert (case.category, case.team_code) == ("recycling", "environment")
        assert len(await bookings(again.app)) == 1
    finally:
        await again.app.close()


async def test_bad_input_at_every_step(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "预约服务")
    await people.say("u1", "造火箭")
    said = people.texts("u1")[-2:]
    assert "没有找到“造火箭”这项服务" in said[0] and "请选择您要预约的服务" in said[1]  # and the list again
    await people.photo("u1", "p1")  # kept for the booking (issue #13), and the list asked again
    assert "会附在这次有偿服务里" in people.texts("u1")[-2] and "请选择您要预约的服务" in people.last("u1")
    await people.say("u1", "🔧🔧")
    assert "光有表情" in people.last("u1")
    await people.say("u1", "灯" * 10_000)
    assert "内容太长了（10000 字）" in people.last("u1")
    await people.raw_press("u1", pick(people, "u1", "灯具安装", "item:99999"))  # not in the catalogue
    assert "已过期" in people.last("u1")
    await people.say("u1", "水龙头更换")  # typing the name works too
    await people.raw_press("u1", pick(people, "u1", "上午", "2020-01-01:am"))  # a slot in the past
    assert "这个时段已经过了" in people.all_text("u1")
    await people.raw_press("u1", pick(people, "u1", "上午", "tomorrow:noon"))
    assert "这个时段已经过了" in people.all_text("u1")
    await people.say("u1", "")
    assert "内容是空的" in people.last("u1")
    await people.press("u1", "6月2日（周二）上午")
    await people.say("u1", "嗯")  # neither yes nor a button: acknowledged, and the question asked again
    assert "我们接着来" in people.texts("u1")[-2] and "确认预约？" in people.last("u1")
    old_confirm = people.button("u1", "确认预约")
    await people.press("u1", "取消")
    await people.raw_press("u1", old_confirm)  # a button of the abandoned booking
    assert "已过期" in people.last("u1")
    assert await all_cases(app) == [] and await bookings(app) == []


async def test_english_owner_books_in_english(app: App, people: People) -> None:
    await bound_owner(people, "u9", "13800000020")
    await people.say("u9", "/lang en")
    await people.press("u9", "Book a service")
    await people.press("u9", "Light fitting installation · ¥50/light")
    await people.press("u9", "Tue 2 Jun, morning")
    assert "Price ¥50/light — book it?" in people.last("u9")
    await people.press("u9", "Book it")
    case = await only_case(app)
    assert people.last("u9").startswith(f"✅ Booked: case #{case.id} — Light fitting installation, Tue 2 Jun, morning")
    # Staff read the slot and the price in Chinese.
    assert case.details == {"item": "灯具安装", "slot": "6月2日（周二）上午", "price": "¥50/盏", "window": TUESDAY_MORNING}
