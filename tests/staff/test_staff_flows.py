"""The private-chat flows (finish, transfer, hand back): bad input at every step gets a
clear answer and changes nothing; a restart resumes; a case that changed meanwhile is
re-checked at the moment of change."""

from __future__ import annotations

from bot.bootstrap import build_app
from cases.lifecycle import Status
from handlers.staff.finish import parse_fee
from tests.conftest import make_settings
from tests.harness import People
from tests.staff.conftest import ENGINEERING, SECURITY, Crew, bound_owner, report_leak, the_case, timeline


def test_fee_parsing() -> None:
    assert parse_fee("50") == 5000 and parse_fee("80.5") == 8050 and parse_fee("¥120") == 12000
    assert parse_fee("120元") == 12000 and parse_fee(" ￥1,200.05 ") == 120005 and parse_fee("0") == 0
    # Words around the number are read now (typed answers, issue 13): the worker writes as they speak.
    assert parse_fee("50块钱") == 5000 and parse_fee("材料费35元") == 3500 and parse_fee("收了三十五块") == 3500
    assert parse_fee("免费") == 0 and parse_fee("不收费") == 0
    for bad in ("", "abc", "-5", "12.345", "1e3", "五十", "12345678", "5 0", "材料35人工50"):
        assert parse_fee(bad) is None, bad


async def test_finish_flow_bad_input_at_every_step(app, people: People, crew: Crew) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people)
    await report_leak(people)
    case = await the_case(app)
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    await people.press("wq", "完成", chat=ENGINEERING, group=True)
    await people.photo("wq", "p1")
    assert "需要您输入文字" in people.last("wq")
    await people.say("wq", "   ")
    assert "内容是空的" in people.last("wq")
    await people.say("wq", "修" * 10_000)
    assert "内容太长了（10000 字）" in people.last("wq")
    await people.say("wq", "👍👍")
    assert "光有表情" in people.last("wq")
    await people.say("wq", "更换了水管接头")
    await people.say("wq", "随便")
    assert "请发送照片" in people.last("wq")
    await people.press("wq", "跳过")
    for bad in ("abc", "-5", "12.345", "😀"):
        await people.say("wq", bad)
        assert "请输入金额数字" in people.last("wq") or "光有表情" in people.last("wq"), bad
    await people.say("wq", "2000000")
    assert "金额 ¥2000000 太大了" in people.last("wq")
    await people.say("wq", "¥80.5")
    assert "¥80.50" in people.last("wq")
    await people.say("wq", "返回")  # change the fee
    assert "收费金额" in people.last("wq")
    await people.press("wq", "不收费")
    await people.say("wq", "好的")  # not a button
    assert "请点击上面的按钮" in people.last("wq")
    await people.press("wq", "取消")
    assert "已取消" in people.last("wq")
    case = await the_case(app)
    assert case.status == Status.ACCEPTED and case.fee_cents == 0
    assert "done" not in await timeline(app, case.id)


async def test_restart_in_the_middle_of_finishing_resumes(app, database_url, clock, people: People,  # type: ignore[no-untyped-def]
                                                          crew: Crew) -> None:
    await bound_owner(people)
    await report_leak(people)
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    await people.press("wq", "完成", chat=ENGINEERING, group=True)
    await people.say("wq", "疏通了下水管")
    await app.close()

    restarted = await build_app(make_settings(database_url), clock)
    try:
        again = People(restarted)
        again.chats = people.chats
        await again.press("wq", "跳过")
        await again.say("wq", "30")
        await again.press("wq", "确认完工")
        case = await the_case(restarted)
        assert case.status == Status.DONE and case.fee_cents == 3000
    finally:
        await restarted.close()


async def test_finish_is_rechecked_when_submitted(app, people: People, crew: Crew) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people)
    await report_leak(people)
    case = await the_case(app)
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    await people.press("wq", "完成", chat=ENGINEERING, group=True)
    await people.say("wq", "已修好")
    await people.press("wq", "跳过")
    await people.press("wq", "不收费")
    submit = people.button("wq", "确认完工")
    # Meanwhile the engineering manager puts the case back in the queue.
    await people.press("mjg", "退回", chat=ENGINEERING, group=True)
    await people.press("mjg", "不填原因")
    assert f"工单 #{case.id} 已由 马建国 退回部门队列" in people.last("wq")
    await people.raw_press("wq", submit)
    assert f"工单 #{case.id} 还没有人接单" in people.last("wq")
    case = await the_case(app)
    assert case.status == Status.DISPATCHED and "done" not in await timeline(app, case.id)
    await people.raw_press("wq", submit)  # the flow has ended: the old button is stale
    assert "已过期" in people.last("wq")


async def test_transfer_flow_bad_input(app, people: People, crew: Crew) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people)
    await report_leak(people)
    case = await the_case(app)
    await people.press("wq", "转派", chat=ENGINEERING, group=True)  # a waiting case: any teammate may
    await people.say("wq", "秩序部")  # typed instead of pressed
    assert "请点击上面的按钮" in people.last("wq")
    security = people.button("wq", "秩序部")
    forged_own_team = security.rsplit("|", 1)[0] + "|engineering"
    await people.raw_press("wq", forged_own_team)
    assert "请点击上面的按钮" in people.last("wq")
    await people.raw_press("wq", security.rsplit("|", 1)[0] + "|nowhere")
    assert "请点击上面的按钮" in people.last("wq")
    await people.raw_press("wq", security)
    assert "转给秩序部的原因" in people.last("wq")
    await people.say("wq", "")
    assert "内容是空的" in people.last("wq")
    await people.say("wq", "原" * 201)
    assert "内容太长了（201 字）" in people.last("wq")
    assert (await the_case(app)).team_code == "engineering"
    await people.say("wq", "返回")
    await people.press("wq", "取消")
    assert (await the_case(app)).team_code == "engineering" and "transferred" not in await timeline(app, case.id)


async def test_two_transfers_at_once_only_the_first_happens(app, people: People, crew: Crew) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people)
    await report_leak(people)
    case = await the_case(app)
    await people.press("wq", "转派", chat=ENGINEERING, group=True)
    await people.press("ly", "转派", chat=ENGINEERING, group=True)
    await people.press("wq", "秩序部")
    await people.press("ly", "环境部")
    await people.say("wq", "楼道有可疑人员弄坏了水管")
    await people.say("ly", "需要清理积水")
    assert f"工单 #{case.id} 刚刚已被转到秩序部，本次转派取消" in people.last("ly")
    case = await the_case(app)
    assert case.team_code == "security" and (await timeline(app, case.id)).count("transferred") == 1
    assert "由工程部转来（王强）" in people.last(SECURITY)


async def test_hand_back_reason_too_long_changes_nothing(app, people: People, crew: Crew) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people)
    await report_leak(people)
    await people.press("wq", "接单", chat=ENGINEERING, group=True)
    await people.press("wq", "退回", chat=ENGINEERING, group=True)
    await people.say("wq", "因" * 10_000)
    assert "内容太长了" in people.last("wq")
    await people.photo("wq", "p1")
    assert "需要您输入文字" in people.last("wq")
    assert (await the_case(app)).status == Status.ACCEPTED
