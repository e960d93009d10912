"""A booking's first message that names one of the owner's homes ("帮我约一下 1-1-601 明天上午的
保洁") is not asked which home, nor the time it gave; a home that is not theirs is asked about
as before.  陈静 (13800000005) owns 1-1-601 and 2-1-101; the clock is Monday 1 June 2026, 09:00."""

from __future__ import annotations

from bot.bootstrap import App
from tests.dialogues.conftest import BOTH_DATABASES, OWNER, SQLITE_ONLY, state
from tests.flows.conftest import bound_owner
from tests.flows.helpers import all_cases, only_case
from tests.flows.test_booking import ENVIRONMENT, bookings
from tests.harness import People

WHICH_HOME = "哪一套房屋"
WHAT_TIME = "什么时间"


async def room_code(app: App, room_id: int | None) -> str:
    async with app.uow() as uow:
        room = await uow.directory.room_by_id(room_id or 0)
    return room.code if room else "-"


def since(people: People, said: str) -> str:
    """Everything the owner was shown after saying `said`."""
    return people.all_text(OWNER).rsplit(said, 1)[-1]


@BOTH_DATABASES
async def test_the_named_home_time_and_everyday_item_are_taken(app: App, people: People) -> None:
    await bound_owner(people, OWNER, "13800000005")
    said = "帮我约一下 1-1-601 明天上午的保洁"
    await people.say(OWNER, said)
    await people.press(OWNER, "是的")
    # "保洁" is the everyday word for the catalogue's 家庭深度保洁: nothing is asked, the price is shown.
    summary = people.last(OWNER)
    assert "类的服务如下" not in since(people, said)
    assert "🧾 服务：家庭深度保洁" in summary and "🏠 房屋：1-1-601" in summary
    assert "🕒 时间：6月2日（周二）08:00–12:00" in summary
    assert WHICH_HOME not in since(people, said) and WHAT_TIME not in since(people, said)
    await people.press(OWNER, "确认预约（¥35/小时）")

    case = await only_case(app)
    assert people.last(OWNER).startswith(f"✅ 预约成功，工单号 #{case.id}：家庭深度保洁")
    assert await room_code(app, case.room_id) == "1-1-601"
    assert case.details["window"] == {"span": "window", "start": "2026-06-02T08:00:00+08:00",
                                      "end": "2026-06-02T12:00:00+08:00"}
    (booking,) = await bookings(app)
    assert booking.case_id == case.id and booking.price_cents == 3500 and booking.slot == case.details["slot"]
    assert "1-1-601" in people.last(ENVIRONMENT) and "2-1-101" not in people.last(ENVIRONMENT)


@SQLITE_ONLY
async def test_home_item_and_time_named_go_straight_to_the_price_and_back_reaches_each(app: App, people: People) -> None:
    await bound_owner(people, OWNER, "13800000005")
    said = "约 2-1-101 周六下午3点 擦玻璃"
    await people.say(OWNER, said)
    await people.press(OWNER, "是的")
    summary = people.last(OWNER)
    assert "🧾 服务：擦玻璃" in summary and "🏠 房屋：2-1-101" in summary and "🕒 时间：6月6日（周六）15:00" in summary
    assert WHICH_HOME not in since(people, said) and WHAT_TIME not in since(people, said)
    # What was taken from the words can still be changed: back to the time, then the home.
    await people.press(OWNER, "返回")
    assert WHAT_TIME in people.last(OWNER)
    await people.press(OWNER, "返回")
    assert WHICH_HOME in people.last(OWNER)
    await people.press(OWNER, "1-1-601")
    assert "🏠 房屋：1-1-601" in people.last(OWNER) and "🕒 时间：6月6日（周六）15:00" in people.last(OWNER)
    await people.press(OWNER, "确认预约（¥120/次）")

    case = await only_case(app)
    assert await room_code(app, case.room_id) == "1-1-601" and case.details["item"] == "擦玻璃"
    assert case.details["window"] == {"span": "window", "start": "2026-06-06T15:00:00+08:00",
                                      "end": "2026-06-06T16:00:00+08:00"}


@SQLITE_ONLY
async def test_a_home_that_is_not_theirs_is_asked_about_as_before(app: App, people: People) -> None:
    await bound_owner(people, OWNER, "13800000005")
    await people.say(OWNER, "帮我约一下 3-1-101 明天上午擦玻璃")
    await people.press(OWNER, "是的")
    assert WHICH_HOME in people.last(OWNER) and await state(app) == ("booking", "room")
    offered = [b.text for row in people.chats[OWNER][-1].buttons for b in row]
    assert any("1-1-601" in b for b in offered) and any("2-1-101" in b for b in offered)
    assert not any("3-1-101" in b for b in offered)
    assert await all_cases(app) == []
    await people.press(OWNER, "2-1-101")
    assert "🏠 房屋：2-1-101" in people.last(OWNER) and "🕒 时间：6月2日（周二）08:00–12:00" in people.last(OWNER)
    await people.press(OWNER, "确认预约（¥120/次）")
    assert await room_code(app, (await only_case(app)).room_id) == "2-1-101"


@SQLITE_ONLY
async def test_a_time_said_before_the_service_is_kept_for_the_time_step(app: App, people: People) -> None:
    """"明天上午" typed at the service list is the time, not a service nobody offers."""
    await bound_owner(people, OWNER, "13800000005")
    await people.press(OWNER, "预约服务")
    await people.say(OWNER, "明天上午")
    shown = people.all_text(OWNER).rsplit("请选择您要预约的服务", 2)[-2]  # what the typed time got
    assert "“明天上午”已记下" in shown and "价目表里没有" not in shown
    await people.press(OWNER, "擦玻璃")
    await people.press(OWNER, "1-1-601")
    summary = people.last(OWNER)
    assert "🕒 时间：明天上午（6月2日（周二）08:00–12:00）" in summary, summary
    assert WHAT_TIME not in since(people, "1-1-601")
    await people.press(OWNER, "确认预约（¥120/次）")
    case = await only_case(app)
    assert case.details["window"]["start"] == "2026-06-02T08:00:00+08:00"
