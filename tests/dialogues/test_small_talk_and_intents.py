"""Small talk is answered briefly and never becomes a case; a bare intent word starts its
flow or view, and a case's description is always the owner's account, never the word."""

from __future__ import annotations

from bot.bootstrap import App
from tests.dialogues.conftest import CUSTOMER_SERVICE, OWNER, SQLITE_ONLY, state
from tests.flows.helpers import all_cases, only_case
from tests.harness import People

pytestmark = SQLITE_ONLY

SMALL_TALK = ["谢谢", "谢谢啦！", "辛苦了 谢谢你们", "早上好", "你好", "在吗？", "有人吗", "好的", "收到", "嗯嗯", "OK",
              "👍", "🙏🙏", "thank you so much", "hello", "拜拜", "好的，知道了",
              # traditional characters and Cantonese are the same small talk
              "謝謝你們 辛苦了", "多謝", "唔該晒", "早晨"]


async def test_small_talk_is_answered_and_never_filed(app: App, owner: People) -> None:
    for text in SMALL_TALK:
        seen = len(owner.chats[OWNER])
        await owner.say(OWNER, text)
        replies = owner.texts(OWNER)[seen:]
        assert len(replies) == 1 and len(replies[0]) < 80, (text, replies)
        assert await state(app) == ("", ""), text
    assert await all_cases(app) == [] and CUSTOMER_SERVICE not in owner.chats
    await owner.say(OWNER, "在吗")
    assert "在的" in owner.last(OWNER) and owner.chats[OWNER][-1].buttons  # the menu, to go on


BARE_WORDS = [
    ("报修", "report", "room", "请问是哪里的问题"),
    ("我要报事", "report", "room", "请问是哪里的问题"),
    ("投诉", "complaint", "what", "请告诉我们发生了什么事"),
    ("预约", "booking", "item", "请选择您要预约的服务"),
    ("咨询", "inquiry", "question", "请问您想咨询什么"),
    ("查一下进度", "my_cases", "list", "您最近的工单"),
    ("我的工单", "my_cases", "list", "您最近的工单"),
    ("我的报修到哪了", "my_cases", "list", "您最近的工单"),
    ("報修", "report", "room", "请问是哪里的问题"),
    ("我要投訴", "complaint", "what", "请告诉我们发生了什么事"),
    ("諮詢", "inquiry", "question", "请问您想咨询什么"),
]


async def test_a_bare_intent_word_starts_its_flow(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "我家")
    await owner.say(OWNER, "卧室空调不制冷了")
    for label in ("跳过", "一般", "明天", "提交"):
        await owner.press(OWNER, label)
    for word, flow, step, asks in BARE_WORDS:
        await owner.say(OWNER, word)
        assert asks in owner.last(OWNER) and await state(app) == (flow, step), word
        await owner.say(OWNER, "取消")
    assert [c.description for c in await all_cases(app)] == ["卧室空调不制冷了"]


async def test_after_a_bare_word_the_description_is_the_owners_account(app: App, owner: People) -> None:
    await owner.say(OWNER, "报修")
    await owner.say(OWNER, "厨房水龙头关不紧 一直滴水")  # at the place question: kept as the description
    await owner.press(OWNER, "我家")
    await owner.press(OWNER, "跳过")
    await owner.press(OWNER, "一般")
    await owner.press(OWNER, "今天")
    await owner.press(OWNER, "提交")
    case = await only_case(app)
    assert case.description == "厨房水龙头关不紧 一直滴水" and case.kind == "report"


async def test_asking_for_a_person_hands_over_with_what_was_said(app: App, owner: People) -> None:
    await owner.say(OWNER, "我家门口的地垫被人拿走了")
    await owner.say(OWNER, "取消")
    await owner.say(OWNER, "转人工")
    case = await only_case(app)
    assert (case.kind, case.team_code) == ("inquiry", "customer_service")
    assert case.description.startswith("业主要求人工客服") and "地垫被人拿走了" in case.description
    assert "取消" not in case.description.split("：", 1)[1]
    assert f"【咨询】#{case.id}" in owner.last(CUSTOMER_SERVICE) and "地垫" in owner.last(CUSTOMER_SERVICE)
    assert f"已转给客服中心人工处理（编号 #{case.id}）" in owner.last(OWNER)


async def test_a_person_with_nothing_said_yet_is_asked_what_it_is_about_then_a_clear_case(app: App, owner: People) -> None:
    await owner.say(OWNER, "人工")
    assert await all_cases(app) == [] and "是什么事" in owner.last(OWNER)  # no case yet (test_courtesy_and_person)
    await owner.say(OWNER, "人工")  # asked again in a row: a person takes it
    case = await only_case(app)
    assert case.description != "人工" and "尚未说明事由" in case.description


async def test_typed_thanks_is_not_a_suggestion_but_real_feedback_is(app: App, owner: People) -> None:
    await owner.say(OWNER, "辛苦了 谢谢你们")
    assert await all_cases(app) == []
    await owner.say(OWNER, "建议小区在北门加装一个快递柜，现在取件太远了")
    case = await only_case(app)
    assert case.kind == "suggestion" and "快递柜" in case.description
