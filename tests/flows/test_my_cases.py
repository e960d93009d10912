"""The owner's cases: list, one case with its timeline, cancel, confirm, reject — each
press re-authorised, another owner's case refused without changing anything."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App
from cases.lifecycle import Case, Status
from handlers.kit.payloads import CaseAction, encode
from tests.flows.conftest import ENGINEERING, bound_owner
from tests.flows.helpers import all_cases, restart, staff_accepts, staff_finishes
from tests.harness import People


async def report_leak(people: People, user: str = "u1", text: str = "厨房水管漏水了") -> None:
    await people.press(user, "报事报修")
    await people.press(user, "我家")
    await people.say(user, text)
    await people.press(user, "跳过")
    await people.press(user, "一般")
    await people.press(user, "明天")
    await people.press(user, "提交")


async def book_lamp(people: People, user: str = "u1") -> None:
    await people.press(user, "预约服务")
    await people.press(user, "灯具安装")
    await people.press(user, "6月2日（周二）上午")
    await people.press(user, "确认预约")


async def case_of(app: App, case_id: int) -> Case:
    async with app.uow() as uow:
        case = await uow.cases.get(case_id)
        assert case is not None
        return case


def press_case(action: str, case_id: int) -> str:
    return encode(CaseAction(action, case_id))


async def test_list_newest_first_and_one_case_with_its_timeline(app: App, people: People, clock) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people)
    await report_leak(people)
    clock.advance(timedelta(minutes=30))
    await book_lamp(people)
    repair, booking = await all_cases(app)
    clock.advance(timedelta(minutes=10))
    await staff_accepts(app, repair.id or 0, "刘洋")

    await people.press("u1", "我的工单")
    listing = people.chats["u1"][-1]
    assert "您最近的工单（共 2 个）" in listing.text
    labels = [b.text for row in listing.buttons for b in row]
    assert labels[:2] == [f"#{booking.id} 有偿服务·居家维修 · 待接单", f"#{repair.id} 报事报修·给排水 · 已接单"]

    await people.press("u1", f"#{repair.id} 报事报修")
    detail = people.last("u1")
    assert detail.startswith(f"#{repair.id} 报事报修·给排水 · 已接单")
    for line in ("🕒 提交于 6月1日 09:00", "📍 位置：1-1-101", "📝 厨房水管漏水了", "🕒 期望上门：明天",
                 "· 6月1日 09:00 提交了工单", "· 6月1日 09:00 派给工程部", "· 6月1日 09:40 刘洋 已接单"):
        assert line in detail
    # Accepted work cannot be cancelled here, so no cancel button; details can still be added.
    assert [b.text for row in people.chats["u1"][-1].buttons for b in row] == ["➕ 补充说明", "⏱️ 催一下", "📋 返回工单列表"]

    await people.press("u1", "返回工单列表")
    await people.say("u1", f"#{booking.id}")  # a typed number works as well
    assert "🧾 服务项目：灯具安装" in people.last("u1") and "💰 价格：¥50/盏" in people.last("u1")
    assert people.button("u1", "取消工单")


async def test_typing_a_new_request_in_the_list_is_not_stuck_there(app: App, people: People) -> None:
    await bound_owner(people)
    await report_leak(people)
    await people.say("u1", "/mycases")
    await people.say("u1", "卫生间水管也开始漏水了")
    # Not a case number: the text is treated like any new message (the router takes it).
    async with app.uow() as uow:
        state = await uow.conversations.load("console", "u1", "u1")
    assert state.flow != "my_cases"
    await people.say("u1", "/mycases")
    await people.photo("u1", "p1")  # a photo from the list starts a report with it
    assert "收到照片" in people.texts("u1")[-2] and "请问是哪里的问题" in people.last("u1")


async def test_no_cases_yet(app: App, people: People) -> None:
    await bound_owner(people)
    await people.say("u1", "/mycases")
    assert "您还没有工单" in people.last("u1") and people.button("u1", "报事报修")


async def test_another_owners_case_is_refused_and_nothing_changes(app: App, people: People) -> None:
    await bound_owner(people, "u1", "13800000001")
    await bound_owner(people, "u2", "13800000002")
    await report_leak(people, "u1")
    (case,) = await all_cases(app)
    cid = case.id or 0
    engineering_before = len(people.chats[ENGINEERING])

    await people.say("u2", f"/mycases {cid}")
    assert people.last("u2") == "抱歉，您无权查看或操作这个工单。"
    for action in ("view", "cancel", "confirm", "reject"):
        await people.raw_press("u2", press_case(action, cid))
        assert people.last("u2") == "抱歉，您无权查看或操作这个工单。"
    await people.say("u2", "/mycases")
    assert "您还没有工单" in people.last("u2")
    # A stranger and a staff member are refused the same way.
    await people.raw_press("s9", press_case("cancel", cid))
    assert people.last("s9") == "抱歉，您无权查看或操作这个工单。"
    await people.say("u2", "/mycases 999999")
    assert people.last("u2") == "没有找到这个工单。"
    await people.say("u2", "/mycases abc")
    assert "“abc”不是工单号" in people.last("u2")

    after = await case_of(app, cid)
    assert after.status == Status.DISPATCHED and after.version == case.version
    assert len(people.chats[ENGINEERING]) == engineering_before
    assert "厨房水管" not in people.all_text("u2") and "厨房水管" not in people.all_text("s9")


async def test_cancel_before_acceptance_after_confirmation(app: App, people: People) -> None:
    await bound_owner(people)
    await report_leak(people)
    (case,) = await all_cases(app)
    await people.say("u1", f"/mycases {case.id}")
    await people.press("u1", "取消工单")
    assert f"确定要取消工单 #{case.id}（厨房水管漏水了）吗？" in people.last("u1")
    await people.press("u1", "不取消")
    assert "保留" in people.last("u1")
    assert (await case_of(app, case.id or 0)).status == Status.DISPATCHED

    await people.press("u1", "取消工单")
    await people.say("u1", "嗯？")  # neither yes nor no: the question again, nothing cancelled
    assert f"确定要取消工单 #{case.id}" in people.last("u1")
    assert (await case_of(app, case.id or 0)).status == Status.DISPATCHED
    await people.press("u1", "确定取消")
    assert people.last("u1").startswith(f"工单 #{case.id} 已取消")
    cancelled = await case_of(app, case.id or 0)
    assert cancelled.status == Status.CANCELLED and cancelled.closed_at is not None
    card = people.chats[ENGINEERING][-1]
    assert card.replace_key == f"card:{case.id}" and "已取消" in card.text and card.buttons == ()


async def test_cancel_is_refused_once_accepted_even_mid_question(app: App, people: People) -> None:
    await bound_owner(people)
    await report_leak(people)
    (case,) = await all_cases(app)
    await people.say("u1", f"/mycases {case.id}")
    await people.press("u1", "取消工单")
    await staff_accepts(app, case.id or 0)  # a worker takes it while the owner is deciding
    await people.press("u1", "确定取消")
    assert "刚才有人先一步处理了这个工单" in people.last("u1")
    assert (await case_of(app, case.id or 0)).status == Status.ACCEPTED
    await people.raw_press("u1", press_case("cancel", case.id or 0))
    assert "已有工作人员在处理，无法在线取消" in people.last("u1")


async def test_confirm_finished_work_books_the_callback(app: App, people: People) -> None:
    await bound_owner(people)
    await report_leak(people)
    (case,) = await all_cases(app)
    await people.raw_press("u1", press_case("confirm", case.id or 0))
    assert "还没有完工，暂时不能验收" in people.last("u1")

    await staff_finishes(app, case.id or 0, note="更换了角阀", fee_cents=3000)
    await people.say("u1", f"/mycases {case.id}")
    detail = people.last("u1")
    assert "王强 完成了工作，等待您确认（费用 ¥30）：“更换了角阀”" in detail and "请您验收" in detail
    await people.press("u1", "确认完成")
    assert people.last("u1").startswith(f"感谢您的确认！工单 #{case.id} 已完成")
    closed = await case_of(app, case.id or 0)
    assert closed.status == Status.CLOSED and closed.confirmed_by == "owner"
    async with app.uow() as uow:
        (callback,) = await uow.callbacks.for_case(case.id or 0)
    assert callback.state == "scheduled" and callback.round == 1
    card = people.chats[ENGINEERING][-1]
    assert card.replace_key == f"card:{case.id}" and "已完成" in card.text

    await people.raw_press("u1", press_case("confirm", case.id or 0))  # pressed twice
    assert "已经确认完成了" in people.last("u1")
    async with app.uow() as uow:
        assert len(await uow.callbacks.for_case(case.id or 0)) == 1


async def test_reject_with_a_reason_sends_it_back_for_rework(app: App, people: People) -> None:
    await bound_owner(people)
    await report_leak(people)
    (case,) = await all_cases(app)
    await staff_finishes(app, case.id or 0)
    await people.raw_press("u1", press_case("reject", case.id or 0))
    assert "还有哪些问题" in people.last("u1")
    await people.say("u1", "")
    assert "内容是空的" in people.last("u1")
    await people.say("u1", "💧💧💧")
    assert "光有表情" in people.last("u1")
    await people.photo("u1", "p1")
    assert "需要您输入文字" in people.last("u1")
    await people.say("u1", "漏" * 10_000)
    assert "内容太长了" in people.last("u1")
    assert (await case_of(app, case.id or 0)).status == Status.DONE

    await people.say("u1", "还在滴水，师傅走了半小时又开始漏，电话13800000001")
    reworked = await case_of(app, case.id or 0)
    assert reworked.status == Status.DISPATCHED and reworked.rework_round == 1 and reworked.assignee_id is None
    assert people.last("u1").startswith("已退回工程部返工（工单 #")
    card, alert = people.chats[ENGINEERING][-2:]
    assert card.replace_key == f"card:{case.id}" and "返工第 1 次" in card.text and "接单" in card.buttons[0][0].text
    assert f"工单 #{case.id} 业主验收未通过" in alert.text and "138****0001" in alert.text
    assert "13800000001" not in alert.text
    async with app.uow() as uow:
        timeline = await uow.cases.timeline(case.id or 0)
    assert timeline[-1].action == "rejected" and timeline[-1].note.startswith("还在滴水")


async def test_restart_in_the_middle_of_a_rejection_resumes(app: App, people: People, database_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people)
    await report_leak(people)
    (case,) = await all_cases(app)
    await staff_finishes(app, case.id or 0)
    await people.raw_press("u1", press_case("reject", case.id or 0))
    again = await restart(app, people, database_url, clock)
    try:
        await again.people.say("u1", "水龙头还是关不紧")
        assert (await case_of(again.app, case.id or 0)).rework_round == 1
    finally:
        await again.app.close()


async def test_restart_in_the_middle_of_the_list_resumes(app: App, people: People, database_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people)
    await report_leak(people)
    (case,) = await all_cases(app)
    await people.say("u1", "/mycases")
    again = await restart(app, people, database_url, clock)
    try:
        await again.people.say("u1", str(case.id))
        assert f"#{case.id} 报事报修·给排水 · 待接单" in again.people.last("u1")
    finally:
        await again.app.close()


async def test_unbound_reporter_sees_their_own_case(app: App, people: People) -> None:
    await people.say("s1", "电梯困人了！3号楼有人被关在里面")
    (case,) = await all_cases(app)
    await people.say("s1", "/mycases")
    assert "共 1 个" in people.last("s1")
    await people.press("s1", f"#{case.id}")
    assert "电梯困人了" in people.last("s1")
    await people.say("s2", f"/mycases {case.id}")  # another stranger
    assert people.last("s2") == "抱歉，您无权查看或操作这个工单。"


async def test_english_owner_reads_the_case_in_english(app: App, people: People) -> None:
    await bound_owner(people, "u9", "13800000020")
    await people.say("u9", "/lang en")
    await people.press("u9", "Report a repair")
    await people.press("u9", "My home")
    await people.say("u9", "Bathroom tap is leaking")
    await people.press("u9", "Skip")
    if "kind of problem" in people.last("u9"):  # the classifier may not know English words
        await people.press("u9", "Plumbing")
    await people.press("u9", "Normal")
    await people.press("u9", "Tomorrow")
    await people.press("u9", "Submit")
    (case,) = await all_cases(app)
    await people.press("u9", "My cases")
    await people.press("u9", f"#{case.id}")
    detail = people.last("u9")
    assert f"#{case.id} Repair" in detail and "Passed to Engineering" in detail and "Case submitted" in detail
    await people.raw_press("u9", press_case("confirm", 424242))
    assert people.last("u9") == "No such case."
