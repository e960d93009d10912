"""Three-level spot checks of answered callbacks (回访抽查)."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App
from cases.clock import FakeClock
from cases.codes import Kind
from handlers.aftercare.callback_outcome import conclude
from tests.callbacks.conftest import bind_staff, case_and_timeline, close_cases, set_policy
from tests.harness import People


async def answered_callbacks(app: App, count: int) -> list[int]:
    """`count` repairs closed and called back (satisfied, in chat); returns the callback ids."""
    ids = []
    for case_id in await close_cases(app, Kind.REPORT, count):
        async with app.uow() as uow:
            community = await uow.directory.community()
            [record] = await uow.callbacks.for_case(case_id)
            assert community and await uow.callbacks.claim(record.id, "scheduled", state="sent", sent_at=app.now())
            await conclude(uow, community, record, solved=True, speed=5, attitude=4, comment=f"评价{case_id}",
                           method="chat", recorded_by=None, by_owner=None, now=app.now())
            await uow.commit()
            ids.append(record.id)
    return ids


async def findings(app: App, callback_ids: list[int]) -> list[tuple[int, str, str, str]]:
    async with app.uow() as uow:
        return [(cid, c["level"], c["finding"], c["note"]) for cid in callback_ids for c in await uow.callbacks.spot_checks(cid)]


async def test_supervisor_reviews_a_sample_and_records_findings(app: App, people: People, clock: FakeClock) -> None:
    zhaoli = await bind_staff(app, "zhaoli", "赵丽")
    await set_policy(app, spot_check_sample=3)
    ids = await answered_callbacks(app, 5)
    clock.advance(timedelta(days=1))

    await people.say("zhaoli", "/spotcheck")
    first = people.last("zhaoli")
    assert first.startswith("🔍 回访抽查（客服主管）1/3") and "张伟 13800000001" in first
    assert "已解决 · 速度 5⭐ · 态度 4⭐" in first and "线上回访" in first and "业主本人" in first
    await people.say("zhaoli", "属实")  # typed, not pressed
    assert "请点击上面的按钮" in people.last("zhaoli")
    await people.press("zhaoli", "属实")
    assert "2/3" in people.last("zhaoli")
    await people.press("zhaoli", "有出入")
    assert "请写下发现的出入" in people.last("zhaoli")
    await people.say("zhaoli", "")
    assert "内容是空的" in people.last("zhaoli")
    await people.say("zhaoli", "差" * 10_000)
    assert "内容太长了" in people.last("zhaoli")
    await people.say("zhaoli", "🤔")
    assert "光有表情" in people.last("zhaoli")
    await people.photo("zhaoli", "p1")
    assert "需要您输入文字" in people.last("zhaoli")
    await people.say("zhaoli", "复核电话中业主说仍有滴水")
    assert "3/3" in people.last("zhaoli")
    await people.press("zhaoli", "跳过这条")
    assert people.last("zhaoli") == "✅ 抽查完成：共 3 条，属实 1 条，有出入 1 条，跳过 1 条。"

    recorded = await findings(app, ids)
    assert sorted((level, finding, note) for _, level, finding, note in recorded) == [
        ("cs_supervisor", "confirmed", ""), ("cs_supervisor", "discrepancy", "复核电话中业主说仍有滴水")]
    async with app.uow() as uow:
        record = await uow.callbacks.get([cid for cid, _, f, _ in recorded if f == "discrepancy"][0])
        checks = await uow.callbacks.spot_checks(record.id)  # type: ignore[union-attr]
    assert checks[0]["checker_id"] == zhaoli and checks[0]["at"] == clock.now()
    _, timeline = await case_and_timeline(app, record.case_id)  # type: ignore[union-attr]
    assert timeline[-1] == "callback_spot_checked"

    # Stale buttons of the finished check do nothing.
    await people.press("zhaoli", "属实")
    assert "已过期" in people.last("zhaoli")
    assert len(await findings(app, ids)) == 2


async def test_each_level_draws_its_own_sample(app: App, people: People) -> None:
    await bind_staff(app, "zhaoli", "赵丽")
    await bind_staff(app, "heping", "何平")
    await bind_staff(app, "majianguo", "马建国")
    ids = await answered_callbacks(app, 2)
    await people.say("zhaoli", "/spotcheck")
    await people.press("zhaoli", "属实")
    await people.press("zhaoli", "属实")
    await people.say("zhaoli", "/spotcheck")
    # Everything was checked at the supervisor's level already…
    assert people.last("zhaoli") == "近 30 天没有需要您抽查的回访记录（都已抽查过或还没有回访结果）。"
    # …but quality and engineering check independently.
    await people.say("heping", "/spotcheck")
    assert people.last("heping").startswith("🔍 回访抽查（品质部）1/2")
    await people.press("heping", "属实")
    await people.say("majianguo", "/spotcheck", chat="工程部群", group=True)
    assert people.last("majianguo").startswith("🔍 回访抽查（工程经理）1/2")
    await people.press("majianguo", "属实")
    levels = sorted(level for _, level, _, _ in await findings(app, ids))
    assert levels == ["cs_supervisor", "cs_supervisor", "engineering", "quality"]


async def test_others_are_refused(app: App, people: People) -> None:
    await bind_staff(app, "wangqiang", "王强")
    await bind_staff(app, "lijing", "李静")
    await bind_staff(app, "linzhiyuan", "林志远")
    await answered_callbacks(app, 1)
    for user in ("wangqiang", "lijing", "linzhiyuan", "stranger"):
        await people.say(user, "/spotcheck")
        assert people.last(user) == "抱歉，回访抽查由客服主管、工程经理和品质部进行。"
    await bind_staff(app, "zhaoli", "赵丽")
    await people.say("zhaoli", "/spotcheck")
    forged = people.button("zhaoli", "属实")
    await people.raw_press("wangqiang", forged)  # someone else's flow button
    assert "已过期" in people.last("wangqiang")
