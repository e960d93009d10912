"""Free text outside a flow is classified and routed; emergencies skip the questions."""

from __future__ import annotations

from bot.bootstrap import App
from tests.flows.conftest import ENGINEERING, MANAGEMENT, SECURITY, bound_owner
from tests.harness import People


async def test_free_text_offers_the_report_flow_with_fields_filled(app: App, people: People) -> None:
    await bound_owner(people)
    await people.say("u1", "厨房水龙头坏了一直关不紧")
    assert "看起来您要报事报修" in people.last("u1")
    await people.press("u1", "是的")
    await people.press("u1", "我家")
    # The description is already known: straight to photos.
    assert "照片" in people.last("u1")
    await people.press("u1", "跳过")
    await people.press("u1", "一般")
    await people.press("u1", "今天")
    assert "厨房水龙头坏了一直关不紧" in people.last("u1")
    await people.press("u1", "提交")
    async with app.uow() as uow:
        (case,) = await uow.cases.recent()
    assert case.description == "厨房水龙头坏了一直关不紧" and case.category == "plumbing"


async def test_emergency_opens_at_once_and_alerts_duty(app: App, people: People) -> None:
    await bound_owner(people)
    await people.say("u1", "家里厨房有很大的煤气味，我好害怕")
    guidance = people.last("u1")
    assert "紧急" in guidance and "119" in guidance and "燃气" in guidance
    async with app.uow() as uow:
        (case,) = await uow.cases.recent()
    assert case.urgency == "emergency" and case.room_id is not None
    assert f"#{case.id}" in people.last(SECURITY) and "🚨" in people.last(MANAGEMENT)
    assert ENGINEERING not in people.chats


async def test_unbound_stranger_can_still_report_an_emergency(app: App, people: People) -> None:
    await people.say("s1", "电梯困人了！3号楼有人被关在里面")
    assert "🚨" in people.last("s1")
    async with app.uow() as uow:
        (case,) = await uow.cases.recent()
    assert case.owner_id is None and case.reporter_chat_id == "s1" and case.urgency == "emergency"
    assert "未绑定" in people.last(ENGINEERING)
