"""Questions are answered from the community file — by meaning words, the hotline and the
emergency numbers included — and become a case only when the owner wants a person."""

from __future__ import annotations

from bot.bootstrap import App
from tests.dialogues.conftest import CUSTOMER_SERVICE, OWNER, SQLITE_ONLY
from tests.flows.helpers import all_cases, only_case
from tests.harness import People

pytestmark = SQLITE_ONLY


QUESTIONS = [
    ("物业费在哪里交", "物业费可在客服中心"),
    ("管理费怎么缴纳啊", "物业费可在客服中心"),
    ("小区能给电动车充电吗", "公共充电桩"),
    ("电瓶车在哪充电", "公共充电桩"),
    ("客服电话是多少", "0571-8888-6666"),
    ("物业电话多少", "0571-8888-6666"),
    ("报警电话是多少", "报警 110"),
    ("垃圾几点扔", "厨余垃圾投放时间"),
    ("快递一般放哪里", "菜鸟驿站"),
    ("周末可以装修吗", "周末及节假日不得进行噪音作业"),
    ("管家电话", "0571-8888-6666"),
    ("火警电话是多少", "火警 119"),  # the danger word only names the number asked for
    ("救护车电话多少", "急救 120"),
    ("交物业费", "物业费可在客服中心"),
    ("物業電話多少", "0571-8888-6666"),  # traditional characters ask the same questions
    ("小區養寵物有什麼規定", "养犬须办理犬证"),
    ("家里要重新装修一下 需要办啥手续", "装修前需到客服中心办理装修申请"),  # colloquial "啥" asks too
    ("小区让养大狗吗", "养犬须办理犬证"),  # a one-character word ("狗") alone is too weak: the file lists 大狗
    ("下个月搬走 搬家需要办什么手续吗", "搬家放行条"),
    ("周六搬进来 货车能进小区吗", "搬家货车请从北门进出"),
    ("我钥匙丢了 有人捡到吗", "失物招领在南门岗亭"),
    ("在楼下捡到一个钱包 交给谁", "失物招领在南门岗亭"),
    ("门禁卡丢了怎么补办", "补办门禁卡 20 元/张"),
]


async def test_a_problem_that_names_a_lost_thing_is_no_lost_and_found_question(app: App, owner: People) -> None:
    """The new answers' words stay specific: what fell off or broke is a repair, not lost property."""
    for problem in ("卫生间墙砖掉了好几块", "门把手掉了 关不上门"):
        await owner.say(OWNER, problem)
        assert "失物招领" not in owner.last(OWNER), problem
        await owner.say(OWNER, "/menu")


async def test_questions_are_answered_not_filed(app: App, owner: People) -> None:
    for question, answer in QUESTIONS:
        await owner.say(OWNER, question)
        assert answer in owner.last(OWNER), question
        await owner.say(OWNER, "谢谢")
        assert "很高兴帮到您" in owner.last(OWNER)
    assert await all_cases(app) == [] and CUSTOMER_SERVICE not in owner.chats


async def test_a_case_only_when_the_answer_did_not_help(app: App, owner: People) -> None:
    await owner.say(OWNER, "车位怎么租")
    assert "地下车位月租 300 元" in owner.last(OWNER) and await all_cases(app) == []
    await owner.say(OWNER, "没用，我要问的是车位能不能买")
    case = await only_case(app)
    assert (case.kind, case.team_code, case.details) == ("inquiry", "customer_service", {"faq": "parking_rent"})
    assert case.description == "车位怎么租" and f"#{case.id}" in owner.last(CUSTOMER_SERVICE)


async def test_an_unknown_question_waits_for_the_owner_to_want_a_person(app: App, owner: People) -> None:
    await owner.say(OWNER, "小区游泳池什么时候开放")
    assert "还没有现成的答案" in owner.last(OWNER) and await all_cases(app) == []
    await owner.say(OWNER, "不用了")
    assert await all_cases(app) == []
    await owner.say(OWNER, "小区游泳池什么时候开放")
    await owner.say(OWNER, "转人工")
    case = await only_case(app)
    assert case.description == "小区游泳池什么时候开放" and case.kind == "inquiry"


async def test_asking_for_a_number_in_danger_is_still_an_emergency(app: App, owner: People) -> None:
    await owner.say(OWNER, "有人晕倒了 急救电话多少")
    [case] = await all_cases(app)
    assert case.urgency == "emergency" and "120" in "\n".join(owner.texts(OWNER)[-3:])
