"""Questions: answered from the FAQ at once, or handed to customer service as a case."""

from __future__ import annotations

from bot.bootstrap import App
from tests.flows.conftest import CUSTOMER_SERVICE, bound_owner
from tests.flows.helpers import all_cases, choose_kind, only_case, restart
from tests.harness import People


async def test_faq_answers_at_once_and_solved_leaves_no_case(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "咨询")
    assert "请问您想咨询什么" in people.last("u1")
    await people.say("u1", "物业费在哪里交？")
    answer = people.last("u1")
    assert "❓ 物业费怎么交？" in answer and "2.8元/平方米" in answer and "解决您的问题了吗" in answer
    await people.press("u1", "解决了")
    assert "很高兴帮到您" in people.last("u1") and people.button("u1", "报事报修")
    assert await all_cases(app) == [] and CUSTOMER_SERVICE not in people.chats


async def test_another_question_after_an_answer_and_thanks(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "咨询")
    await people.say("u1", "北门晚上几点关")
    assert "北门 23:00 关闭" in people.last("u1")
    await people.say("u1", "那充电桩在哪里")
    assert "地下车库B区有12个公共充电桩" in people.last("u1")
    await people.say("u1", "谢谢！")
    assert "很高兴帮到您" in people.last("u1")
    assert await all_cases(app) == []


async def test_stranger_not_helped_is_handed_to_customer_service(app: App, people: People) -> None:
    await choose_kind(people, "s1", "请问小区车位月租多少钱", "咨询")
    assert "地下车位月租 300 元" in people.last("s1")
    await people.press("s1", "没解决，转人工")
    case = await only_case(app)
    assert people.last("s1").startswith(f"好的，已转给客服中心人工处理（编号 #{case.id}）")
    assert "6月2日 09:00 前答复您" in people.last("s1")
    assert (case.kind, case.team_code, case.owner_id, case.reporter_chat_id) == ("inquiry", "customer_service", None, "s1")
    assert case.description == "请问小区车位月租多少钱" and case.details == {"faq": "parking_rent"}
    card = people.last(CUSTOMER_SERVICE)
    assert f"【咨询】#{case.id}" in card and "未绑定" in card and "车位月租" in card


async def test_unknown_question_goes_to_a_person_when_the_owner_asks(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "咨询")
    await people.say("u1", "可以在小区里养鸡吗，联系我13912345678")
    # No answer on file: said so, and no case until the owner wants a person.
    assert "还没有现成的答案" in people.last("u1") and await all_cases(app) == []
    await people.press("u1", "转人工客服")
    case = await only_case(app)
    assert people.last("u1").startswith(f"好的，已转给客服中心人工处理（编号 #{case.id}）")
    assert case.owner_id is not None and case.details == {}
    card = people.last(CUSTOMER_SERVICE)
    # The phone number typed into the question is masked for the group.
    assert "139****5678" in card and "13912345678" not in card and "张*" in card


async def test_english_question_gets_the_english_answer(app: App, people: People) -> None:
    await bound_owner(people, "u9", "13800000020")
    await people.say("u9", "/lang en")
    await people.press("u9", "Ask a question")
    await people.say("u9", "How do I pay the property fee?")
    assert "Pay at the service centre" in people.last("u9") and "Did that answer your question?" in people.last("u9")
    await people.press("u9", "talk to a person")
    case = await only_case(app)
    assert people.last("u9").startswith(f"OK — passed to a person at the service centre (case #{case.id})")


async def test_restart_in_the_middle_resumes(app: App, people: People, database_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    await bound_owner(people)
    await people.press("u1", "咨询")
    await people.say("u1", "装修有什么规定")
    again = await restart(app, people, database_url, clock)
    try:
        await again.people.press("u1", "转人工")
        case = await only_case(again.app)
        assert case.kind == "inquiry" and case.description == "装修有什么规定"
    finally:
        await again.app.close()


async def test_bad_input(app: App, people: People) -> None:
    await bound_owner(people)
    await people.press("u1", "咨询")
    await people.photo("u1", "p1")
    assert "需要您输入文字" in people.last("u1")
    await people.say("u1", "")
    assert "内容是空的" in people.last("u1")
    await people.say("u1", "？" * 10_000)
    assert "内容太长了（10000 字）" in people.last("u1")
    await people.say("u1", "🤔🤔")
    assert "光有表情" in people.last("u1")
    await people.say("u1", "垃圾怎么分类")
    old_solved = people.button("u1", "解决了")
    await people.press("u1", "解决了")
    await people.raw_press("u1", old_solved)
    assert "已过期" in people.last("u1")
    await people.raw_press("u1", "1|p|inquiry|answered|1|human")  # forged: a stale nonce
    assert "已过期" in people.last("u1")
    assert await all_cases(app) == []
