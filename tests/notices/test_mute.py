"""/mute and /unmute: stored on the owner, confirmed in their language, urgent notices still come."""

from __future__ import annotations

from bot.bootstrap import App
from tests.harness import People
from tests.notices.conftest import Delivery

MUTED = "🔕 已设置：今后不再给您发送普通通知。停水停电、燃气等紧急通知仍会照常发送。发送 /unmute 可恢复接收。"


async def muted(app: App, owner_id: int) -> bool:
    async with app.uow() as uow:
        owner = await uow.directory.owner(owner_id)
        assert owner is not None
        return owner.muted_notices


async def test_an_owner_turns_ordinary_notices_off_and_on(app: App, people: People, owners, office,
                                                          delivery: Delivery) -> None:
    await people.say("o1", "/mute")
    assert people.last("o1") == MUTED
    assert await muted(app, owners["o1"])
    await people.say("o1", "/mute")
    assert people.last("o1") == "您已经关闭了普通通知（紧急通知仍会发送）。发送 /unmute 可恢复接收。"

    # Ordinary notices skip them, urgent ones do not.
    for urgency in ("普通通知", "紧急通知"):
        await people.say("lj", "/notice")
        await people.press("lj", "全小区")
        await people.say("lj", f"{urgency}：测试")
        await people.press("lj", "不配图")
        await people.press("lj", urgency)
        await people.press("lj", "发送")
    await delivery.run()
    assert delivery.phones.texts("o1")[-1] == "【紧急通知】兰亭雅苑\n紧急通知：测试"
    assert len(delivery.phones.texts("o2")) == 2  # an owner who did not mute got both

    await people.say("o1", "/unmute")
    assert people.last("o1") == "🔔 已恢复接收物业通知。发送 /mute 可关闭普通通知。"
    assert not await muted(app, owners["o1"])
    await people.say("o1", "/unmute")
    assert people.last("o1") == "您正在接收物业通知，无需重复开启。发送 /mute 可关闭普通通知。"


async def test_confirmed_in_the_owners_language(app: App, people: People, owners) -> None:
    await people.say("o20", "/mute")  # Emily Carter reads English
    assert people.last("o20").startswith("🔕 Done: ordinary notices will no longer be sent to you.")
    await people.say("o20", "/unmute")
    assert people.last("o20").startswith("🔔 You will receive the office's notices again.")


async def test_strangers_and_staff_have_nothing_to_mute(app: App, people: People, office) -> None:
    await people.say("stranger", "/mute")
    assert people.last("stranger") == "通知设置需要先绑定业主身份：发送 /start 即可绑定。"
    await people.say("lj", "/unmute")
    assert people.last("lj") == "通知设置是业主的功能，工作人员账号无需设置。"


async def test_help_tells_owners_about_it(app: App, people: People, owners) -> None:
    await people.say("o1", "/help")
    assert "/mute 不再接收普通物业通知（紧急通知照常送达），/unmute 恢复。" in people.last("o1")
