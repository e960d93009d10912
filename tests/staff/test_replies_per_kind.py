"""Replies that fit the case (issue 13, item 7), through the core: what the owner hears when
staff accept depends on the kind of case; the emergency advice on the danger described; a
fee typed with words around it is charged as meant."""

from __future__ import annotations

import pytest

from bot.bootstrap import App
from tests.staff.conftest import (
    CUSTOMER_SERVICE, ENGINEERING, MANAGEMENT, SECURITY, Crew, bound_owner, open_direct, the_case,
)
from tests.harness import People

VISIT = "约定上门时间"


async def test_accepting_a_complaint_promises_a_call_back_not_a_visit(app: App, people: People, crew: Crew) -> None:
    await bound_owner(people)
    await people.press("u1", "投诉")
    await people.say("u1", "前台工作人员态度很差，问两句就不耐烦")
    await people.press("u1", "最近几天")
    await people.say("u1", "客服中心前台")
    await people.press("u1", "不涉及具体人员")
    await people.press("u1", "调查清楚并给我答复")
    await people.press("u1", "综合服务")
    await people.press("u1", "提交投诉")
    case = await the_case(app)
    await people.press("zl", "接单", chat=CUSTOMER_SERVICE, group=True)
    told = people.last("u1")
    assert told.startswith(f"📣 您的投诉 #{case.id} 已由客服中心的 赵丽 受理") and "给您回电" in told
    assert VISIT not in told and "上门" not in told
    await people.press("zl", "已到场", chat=CUSTOMER_SERVICE, group=True)
    assert people.last("u1").startswith(f"🔎 赵丽 已开始处理您的投诉 #{case.id}") and "到场" not in people.last("u1")


async def test_accepting_a_question_promises_an_answer(app: App, people: People, crew: Crew) -> None:
    await bound_owner(people)
    case_id = await open_direct(app, people, kind="inquiry", category="", owner_phone="13800000001",
                                description="装修押金什么时候退")
    await people.press("lj", "接单", chat=CUSTOMER_SERVICE, group=True)
    told = people.last("u1")
    assert told.startswith(f"💬 您的咨询 #{case_id} 已由客服中心的 李静 受理") and "回电或留言答复" in told
    assert VISIT not in told


async def test_accepting_a_repair_keeps_to_the_owners_window(app: App, people: People, crew: Crew) -> None:
    await bound_owner(people)
    await people.press("u1", "报事报修")
    await people.press("u1", "我家")
    await people.say("u1", "卫生间水管漏水，地上都是水")
    await people.say("u1", "不用")
    await people.say("u1", "一般")
    await people.say("u1", "今天下午")
    await people.say("u1", "提交")
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    told = people.last("u1")
    assert "已由工程部的 王强 接单（工作电话 13700000201）" in told
    assert "将按您约定的时间（6月1日（周一）13:00–18:00）上门" in told


async def test_accepting_a_shared_area_repair_promises_someone_on_site(app: App, people: People, crew: Crew) -> None:
    await bound_owner(people)
    await people.press("u1", "报事报修")
    await people.press("u1", "公共区域")
    await people.say("u1", "3号楼1单元5楼楼道")
    await people.say("u1", "楼道的灯坏了，晚上一片漆黑")
    await people.say("u1", "没有")
    await people.say("u1", "不急")
    await people.press("u1", "越快越好")
    await people.say("u1", "提交")
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    told = people.last("u1")
    assert "到现场处理" in told and VISIT not in told


@pytest.mark.parametrize("text, tip, number, team", [
    ("厨房着火了 烟很大", "不要乘电梯", "火警 119", SECURITY),
    ("家里厨房有很大的煤气味，我好害怕", "不要开关任何电器", "火警 119", SECURITY),
    ("我爸在楼道里摔倒了，头在流血", "不要随意搬动伤者", "急救电话 120", SECURITY),
    ("电梯困人了 快来", "按电梯内警铃", "急救 120", ENGINEERING),
    ("配电箱冒火花了", "不要触碰电线", "急救 120", ENGINEERING),
    ("有小偷在撬我家门", "锁好门", "报警电话 110", SECURITY),
    ("楼上水管爆了 我家淹了", "关闭入户总阀", "急救 120", ENGINEERING),
])
async def test_emergency_advice_fits_the_danger(app: App, people: People, crew: Crew, text: str, tip: str,
                                                number: str, team: str) -> None:
    await bound_owner(people)
    await people.say("u1", text)
    case = await the_case(app)
    # The alarm's advice (a question for the place may follow it where the place is unknown).
    guidance = next((t for t in reversed(people.texts("u1")) if t.startswith("🚨")), "")
    assert case.urgency == "emergency" and guidance.startswith(f"🚨 已按紧急情况为您派单（工单 #{case.id}）")
    assert tip in guidance and number in guidance and "0571-8888-6666" in guidance
    if "煤气" not in text:
        assert "燃气味" not in guidance  # no gas advice for a fall, a fire or a flood
    assert "🚨" in people.last(MANAGEMENT) and f"#{case.id}" in people.last(team)
    accepter = {SECURITY: "zy", ENGINEERING: "wq"}[team]
    await people.press(accepter, "接单", chat=team, group=True)
    assert "正在立即赶往现场" in people.last("u1") and VISIT not in people.last("u1")


async def test_fee_typed_with_words(app: App, people: People, crew: Crew) -> None:
    await bound_owner(people)
    await people.press("u1", "报事报修")
    await people.press("u1", "我家")
    await people.say("u1", "卫生间水管漏水，地上都是水")
    await people.say("u1", "跳过")
    await people.say("u1", "一般")
    await people.press("u1", "明天")
    await people.say("u1", "提交")
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    await people.press("wq", "完成", chat=ENGINEERING, group=True)
    await people.say("wq", "更换了角阀")
    await people.say("wq", "没有照片")
    assert "收费金额" in people.last("wq")
    await people.say("wq", "材料35人工50")
    assert "总数" in people.last("wq")
    await people.say("wq", "材料费三十五块五")
    assert "¥35.50" in people.last("wq")
    await people.say("wq", "确认")
    case = await the_case(app)
    assert case.status == "done" and case.fee_cents == 3550
    assert "💰 费用：¥35.50" in people.last("u1")
