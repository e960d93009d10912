"""Courtesy and "a person, please" (issue #13 item 3), in wordings of our own.

1. Courtesy is never a case: thanks, praise, well-wishes, regards, goodbyes, apologies and
   "never mind, my son will do it" — Chinese, English or mixed, short or long, after a greeting
   or in the middle of a flow — get one short warm answer.  With a real request in it, the
   message is still that request.
2. "人工" / "转人工" / "客服" with nothing said yet about what it is: no case; the hotline and the
   office hours from the community file, "what is it about?", and one button for a call back.
   The next message is read as any message is; asking again, or asking with the matter said,
   hands over as before."""

from __future__ import annotations

import pytest

from bot.bootstrap import App
from tests.dialogues.conftest import BOTH_DATABASES, CUSTOMER_SERVICE, OWNER, SQLITE_ONLY, state
from tests.flows.helpers import all_cases, only_case
from tests.harness import People

COURTESY = [
    # praise of the service and of staff, long and short
    ("物业最近进步很大，保安大叔也特别热情，点个赞！", "谢谢您的肯定"),
    ("昨天来修水管的师傅非常专业，干活利索，态度也好，表扬一下", "谢谢您的肯定"),
    ("说实话这两年小区环境越来越好了，辛苦大家", "谢谢您的肯定"),
    ("Great job guys, the lobby looks really clean now. Thanks!", "Thank you for the kind words"),
    ("你哋啲保安好有礼貌 多謝晒", "谢谢您的肯定"),
    # well-wishes and regards
    ("祝大家中秋快乐 阖家幸福", "也祝您"),
    ("物业的各位，辛苦了！祝你们新年快乐，身体健康", "也祝您"),
    ("Thank you all, enjoy your holiday", "all the best to you too"),
    ("Best regards", "all the best to you too"),
    # apologies for the bother
    ("不好意思啊 大半夜的打扰你们了", "没关系"),
    ("Sorry to bother you", "No trouble at all"),
    # never mind, someone at home will do it
    ("我老公说他自己来修 谢谢啦", "就不安排了"),
    ("没事没事，我女儿周末回来帮我弄，不好意思哈", "就不安排了"),
    ("my husband will fix it himself, thanks anyway", "we won't arrange anything"),
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("text,answer", COURTESY)
async def test_courtesy_at_idle_gets_a_warm_answer_and_no_case(app: App, owner: People, text: str, answer: str) -> None:
    if text.isascii():
        await owner.say(OWNER, "/lang en")
    await owner.say(OWNER, "你好" if not text.isascii() else "hello")
    seen = len(owner.chats[OWNER])
    await owner.say(OWNER, text)
    replies = owner.texts(OWNER)[seen:]
    assert len(replies) == 1 and answer in replies[0] and len(replies[0]) < 120, replies
    assert await all_cases(app) == [] and CUSTOMER_SERVICE not in owner.chats
    assert await state(app) == ("", "")


@SQLITE_ONLY
async def test_courtesy_in_the_middle_of_a_report_keeps_the_question(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "我家")
    await owner.say(OWNER, "主卧的插座没电了")
    await owner.say(OWNER, "好的 辛苦师傅们了 祝工作顺利")  # at the photo step: no description, no case
    assert "也祝您顺利" in owner.texts(OWNER)[-2] and await state(app) == ("report", "photos")
    for label in ("跳过", "一般", "今天", "提交"):
        await owner.press(OWNER, label)
    case = await only_case(app)
    assert (case.kind, case.description) == ("report", "主卧的插座没电了")


@BOTH_DATABASES
async def test_never_mind_someone_at_home_will_do_it_calls_off_the_booking_kindly(app: App, owner: People) -> None:
    await owner.press(OWNER, "预约服务")
    await owner.press(OWNER, "灯具安装")
    await owner.say(OWNER, "算了算了 我儿子下班回来自己装 麻烦你们了")
    assert "已取消" in owner.last(OWNER) and "按钮" not in owner.last(OWNER)
    assert await state(app) == ("", "") and await all_cases(app) == []
    await owner.say(OWNER, "我自己修就行，谢谢")  # nothing open: no "nothing to cancel", a kind word
    assert "就不安排了" in owner.last(OWNER) and "没有进行中" not in owner.last(OWNER)
    assert await all_cases(app) == []


CARRIES_A_REQUEST = [
    ("谢谢你们，另外3号楼门口的路灯不亮了", "report"),
    ("你们服务一直挺好的 但是这次电梯坏了三天了都没人修", "complaint"),
    ("保安大叔很负责，建议晚上在北门多加一个岗", "suggestion"),
]


@SQLITE_ONLY
async def test_courtesy_with_a_real_request_is_still_that_request(app: App, owner: People) -> None:
    for text, kind in CARRIES_A_REQUEST:
        await owner.say(OWNER, text)
        if kind == "suggestion":
            [case] = [c for c in await all_cases(app) if c.kind == "suggestion"]
            assert "北门" in case.description
        else:
            assert "谢谢您的肯定" not in owner.last(OWNER) and await state(app) == ("router", "propose"), text
            assert owner.button(OWNER, "继续")  # "看起来您要…" with the kind offered
        await owner.say(OWNER, "取消")


# ----------------------------------------------------------------- a person, please
PERSON_WORDS = ["人工", "转人工", "人工客服", "找人工", "转人工转人工", "人工客服在吗", "你好 转人工"]


@SQLITE_ONLY
async def test_a_bare_request_for_a_person_asks_what_it_is_about_and_opens_nothing(app: App, owner: People) -> None:
    for word in PERSON_WORDS:
        await owner.say(OWNER, word)
        last = owner.last(OWNER)
        # the hotline and the office hours from the community file, and what it is about
        assert "0571-8888-6666" in last and "08:30–18:00" in last and "是什么事" in last, (word, last)
        assert owner.button(OWNER, "请客服联系我")
        assert await all_cases(app) == [], word
        await owner.say(OWNER, "好的")  # read as any message: small talk, nothing filed
        assert await state(app) == ("", "")
    assert CUSTOMER_SERVICE not in owner.chats


@BOTH_DATABASES
async def test_the_call_me_button_hands_over_saying_a_person_was_asked_for(app: App, owner: People) -> None:
    await owner.say(OWNER, "转人工")
    await owner.press(OWNER, "请客服联系我")
    case = await only_case(app)
    assert (case.kind, case.team_code) == ("inquiry", "customer_service")
    assert case.description.startswith("业主要求人工客服") and "尚未说明事由" in case.description
    assert f"【咨询】#{case.id}" in owner.last(CUSTOMER_SERVICE)
    assert f"已转给客服中心人工处理（编号 #{case.id}）" in owner.last(OWNER)
    assert await state(app) == ("", "")


@SQLITE_ONLY
async def test_asking_for_a_person_twice_in_a_row_hands_over(app: App, owner: People) -> None:
    await owner.say(OWNER, "客服")
    assert await all_cases(app) == []
    await owner.say(OWNER, "我要人工")
    case = await only_case(app)
    assert case.kind == "inquiry" and "尚未说明事由" in case.description


@BOTH_DATABASES
async def test_after_asking_for_a_person_a_repair_becomes_a_report_in_the_owners_words(app: App, owner: People) -> None:
    await owner.say(OWNER, "找人工")
    await owner.say(OWNER, "厨房水槽下面的管子在滴水，柜子都泡了")
    assert await state(app) == ("router", "propose")
    await owner.press(OWNER, "继续")
    await owner.press(OWNER, "我家")
    for label in ("跳过", "一般", "今天", "提交"):
        await owner.press(OWNER, label)
    case = await only_case(app)
    assert (case.kind, case.description) == ("report", "厨房水槽下面的管子在滴水，柜子都泡了")


@SQLITE_ONLY
async def test_after_asking_for_a_person_a_question_gets_its_answer(app: App, owner: People) -> None:
    await owner.say(OWNER, "人工服务")
    await owner.say(OWNER, "物业费能在手机上交吗")
    assert "物业费" in owner.last(OWNER) and "2.8元" in owner.last(OWNER)
    assert await all_cases(app) == [] and await state(app) == ("inquiry", "answered")


@SQLITE_ONLY
async def test_after_asking_for_a_person_a_question_with_no_answer_goes_to_the_person(app: App, owner: People) -> None:
    await owner.say(OWNER, "转人工")
    await owner.say(OWNER, "业委会下一次换届选举大概是什么时候")
    case = await only_case(app)
    assert case.kind == "inquiry" and case.description.startswith("业主要求人工客服")
    assert "换届选举" in case.description and "已转给客服中心人工处理" in owner.last(OWNER)


@SQLITE_ONLY
async def test_after_asking_for_a_person_never_mind_calls_it_off(app: App, owner: People) -> None:
    await owner.say(OWNER, "人工")
    await owner.say(OWNER, "算了")
    assert "已取消" in owner.last(OWNER) and await all_cases(app) == []
    await owner.say(OWNER, "人工")  # not "in a row" with the first: asked again what it is about
    assert "是什么事" in owner.last(OWNER) and await all_cases(app) == []


@BOTH_DATABASES
async def test_a_person_asked_for_with_the_matter_said_hands_over_with_it(app: App, owner: People) -> None:
    await owner.say(OWNER, "转人工，我要投诉夜班保安睡觉")
    case = await only_case(app)
    assert (case.kind, case.team_code) == ("inquiry", "customer_service")
    assert case.description.startswith("业主要求人工客服") and "夜班保安睡觉" in case.description
    await owner.say(OWNER, "谢谢")
    await owner.say(OWNER, "车位的事说不清楚 找人工")
    assert len(await all_cases(app)) == 2 and "车位" in (await all_cases(app))[-1].description


@SQLITE_ONLY
async def test_a_person_asked_for_in_a_flow_with_nothing_said_asks_first(app: App, owner: People) -> None:
    await owner.press(OWNER, "投诉")
    await owner.say(OWNER, "转人工")
    assert "是什么事" in owner.last(OWNER) and await all_cases(app) == []
    await owner.say(OWNER, "转人工")
    assert (await only_case(app)).kind == "inquiry"


@SQLITE_ONLY
async def test_artificial_turf_is_no_request_for_a_person(app: App, owner: People) -> None:
    await owner.say(OWNER, "儿童乐园的人工草坪翘起来了 小孩容易绊倒")
    assert "是什么事" not in owner.last(OWNER) and "人工处理" not in owner.last(OWNER)
