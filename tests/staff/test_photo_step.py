"""The photo step is one widget (handlers.kit.photos) in the owner's report and in the
worker's finished job: up to nine photos, a tenth refused politely without losing the nine,
a word instead of a photo answered with a hint, and "完成" moving on with all of them."""

from __future__ import annotations

from cases.lifecycle import Status
from tests.harness import People
from tests.staff.conftest import ENGINEERING, Crew, bound_owner, buttons_of, report_leak, the_case


async def test_the_owners_report_keeps_nine_photos_and_refuses_a_tenth(app, people: People) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people)
    await people.press("u1", "报事报修")
    await people.press("u1", "我家")
    await people.say("u1", "卫生间水管漏水，地上都是水")
    assert "跳过" in " ".join(buttons_of(people.chats["u1"][-1]))
    for n in range(1, 10):
        await people.photo("u1", f"p{n}")
        assert f"已收到 {n} 张照片" in people.last("u1")
    await people.photo("u1", "p10")
    assert people.last("u1") == "最多可以发送 9 张照片，已足够了，请点“完成”。"
    await people.say("u1", "随便")
    assert "请发送照片" in people.last("u1")
    await people.press("u1", "完成")
    await people.press("u1", "一般")
    await people.press("u1", "越快越好")
    assert "照片：9 张" in people.last("u1")
    await people.press("u1", "提交")
    case = await the_case(app)
    assert case.photos == [f"p{n}" for n in range(1, 10)]
    assert people.chats[ENGINEERING][-1].photos == tuple(f"p{n}" for n in range(1, 10))


async def test_the_workers_finished_job_keeps_nine_photos_and_refuses_a_tenth(app, people: People,  # type: ignore[no-untyped-def]
                                                                            crew: Crew) -> None:
    await bound_owner(people)
    await report_leak(people)
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    await people.press("wq", "完成", chat=ENGINEERING, group=True)
    await people.say("wq", "更换了水管接头")
    assert "跳过" in " ".join(buttons_of(people.chats["wq"][-1]))
    for n in range(1, 10):
        await people.photo("wq", f"w{n}")
    await people.photo("wq", "w10")
    assert people.last("wq") == "最多 9 张照片，已足够了，请点“完成”。"
    await people.say("wq", "随便")
    assert people.last("wq") == "请发送照片，或点“完成/跳过”继续。"
    await people.press("wq", "完成")
    await people.press("wq", "不收费")
    assert "📷 照片：9 张" in people.last("wq")
    await people.press("wq", "确认完工")
    case = await the_case(app)
    assert case.status == Status.DONE
    told = [r for r in people.chats["u1"] if "已处理完成" in r.text][-1]
    assert told.photos == tuple(f"w{n}" for n in range(1, 10))
