"""The families a fifth author's dialogues found (issue #13), in wordings of our own:

A. at "看起来您要报事报修…是否继续办理？" an answer to a later step ("不拍了", "挺着急的",
   "后天下午", "我家", "不用 直接交上去吧") means yes and goes to its step, whose question is
   not asked; a clear no stays a no; a new problem stays new input;
B. at the photo step, an urgency or a time means no (more) photos and goes to its own step;
C. a paid service the catalogue lacks is filed with the owner's words for staff to quote;
   everyday words name catalogue items;
D. a rating in words with no survey open is thanked, never filed;
E. the safety advice names the danger as the classifier reads it, for every danger type.
"""

from __future__ import annotations

import pytest

from bot.bootstrap import App
from tests.dialogues.conftest import CUSTOMER_SERVICE, ENGINEERING, OWNER, SECURITY, SQLITE_ONLY, emergencies
from tests.flows.helpers import all_cases, only_case
from tests.harness import People

pytestmark = SQLITE_ONLY

ASKS_PHOTOS = "如方便，请发送现场照片"
ASKS_URGENCY = "请选择紧急程度"
ASKS_TIME = "您希望维修人员什么时候上门"
NOT_UNDERSTOOD = "没太看懂"
# What a hurried owner presses, in order (the judge's @auto).
HURRIED = ["继续", "确认", "提交", "我家", "完成", "跳过", "一般", "今天", "明天"]


def labels(people: People) -> list[str]:
    return [b.text for row in people.chats[OWNER][-1].buttons for b in row]


async def hurry(people: People) -> None:
    """Press the preferred button of the latest answer until none fits."""
    for _ in range(10):
        shown = labels(people)
        pick = next((label for word in HURRIED for label in shown if word in label), None)
        if pick is None:
            return
        await people.press(OWNER, pick)


def said_after(people: People, start: int) -> str:
    return "\n".join(people.texts(OWNER)[start:])


# ----------------------------------------------------------------- A: at "是否继续办理？"
@pytest.mark.parametrize("answer, skipped, check", [
    ("不拍了", ASKS_PHOTOS, lambda c: c.photos == []),
    ("没法拍照", ASKS_PHOTOS, lambda c: c.photos == []),
    ("挺着急的", ASKS_URGENCY, lambda c: c.urgency == "urgent"),
    ("没那么急", ASKS_URGENCY, lambda c: c.urgency == "normal"),
    ("后天下午", ASKS_TIME, lambda c: c.details.get("preferred_time") == "后天下午"),
    ("周末来就行", ASKS_TIME, lambda c: c.details.get("preferred_time") == "周末来就行"),
])
async def test_an_answer_to_a_later_step_means_yes(app: App, owner: People, answer: str, skipped: str, check) -> None:
    problem = "卧室的窗户关不严 一直漏风"
    await owner.say(OWNER, problem)
    assert "看起来您要报事报修" in owner.last(OWNER)
    start = len(owner.texts(OWNER))
    await owner.say(OWNER, answer)
    assert NOT_UNDERSTOOD not in owner.last(OWNER)
    await hurry(owner)
    case = await only_case(app)
    assert (case.kind, case.description) == ("report", problem)
    assert check(case)
    assert skipped not in said_after(owner, start)  # the question it answered was not asked
    assert problem in owner.all_text(ENGINEERING) or problem in owner.all_text(CUSTOMER_SERVICE)


async def test_a_home_said_ahead_is_the_room(app: App, owner: People) -> None:
    await owner.say(OWNER, "厨房的吊柜门合页松了")
    await owner.say(OWNER, "就在我家")
    assert "哪里的问题" not in owner.last(OWNER) and ASKS_PHOTOS in owner.last(OWNER)
    await hurry(owner)
    case = await only_case(app)
    assert case.room_id is not None and case.area == "home"


async def test_submit_said_ahead_files_without_more_questions(app: App, owner: People) -> None:
    problem = "次卧的暖气片接口有点渗水"
    await owner.say(OWNER, problem)
    start = len(owner.texts(OWNER))
    await owner.say(OWNER, "不用了 直接交上去吧")
    await owner.press(OWNER, "我家")
    case = await only_case(app)
    assert case.description == problem and case.photos == []
    shown = said_after(owner, start)
    assert "报修已提交" in shown and ASKS_URGENCY not in shown and ASKS_TIME not in shown


@pytest.mark.parametrize("no", ["不是", "不对", "不用了", "算了"])
async def test_a_clear_no_is_still_a_no(app: App, owner: People, no: str) -> None:
    await owner.say(OWNER, "楼道的声控灯不灵了")
    await owner.say(OWNER, no)
    await hurry(owner)
    assert await all_cases(app) == []


async def test_a_new_problem_at_the_question_is_new_input(app: App, owner: People) -> None:
    await owner.say(OWNER, "客厅的插座没电了")
    await owner.say(OWNER, "还有 卫生间的水龙头一直在滴水")
    assert "水龙头" in owner.last(OWNER) and "看起来您要报事报修" in owner.last(OWNER)


async def test_a_room_in_words_at_the_room_question(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.say(OWNER, "1号楼1单元101室")
    assert "请简单描述一下是什么问题" in owner.last(OWNER)
    await owner.say(OWNER, "阳台晾衣杆掉下来了")
    await hurry(owner)
    case = await only_case(app)
    assert case.description == "阳台晾衣杆掉下来了" and case.room_id is not None


# ----------------------------------------------------------------- B: at the photo step
@pytest.mark.parametrize("answer, urgency, time", [
    ("挺着急 今晚下班后来", "urgent", "今晚下班后来"),
    ("不着急 周末过来就行", "normal", "周末过来就行"),
    ("一般吧 这两天都可以", "normal", "这两天都可以"),
])
async def test_urgency_and_time_at_the_photo_step(app: App, owner: People, answer: str, urgency: str, time: str) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "我家")
    await owner.say(OWNER, "书房的插座没电了")
    assert ASKS_PHOTOS in owner.last(OWNER)
    await owner.say(OWNER, answer)
    assert "请确认报修信息" in owner.last(OWNER)  # urgency and time were not asked again
    await owner.press(OWNER, "提交")
    case = await only_case(app)
    assert (case.description, case.urgency, case.details.get("preferred_time")) == ("书房的插座没电了", urgency, time)
    assert "书房的插座没电了" in owner.all_text(ENGINEERING)


async def test_reason_with_the_urgency_joins_the_description(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "我家")
    await owner.say(OWNER, "燃气热水器不出热水")
    await owner.say(OWNER, "比较急 家里老人等着用热水")
    await hurry(owner)
    case = await only_case(app)
    assert case.urgency == "urgent" and case.description.startswith("燃气热水器不出热水") and "老人等着用热水" in case.description


# ----------------------------------------------------------------- C: a service not in the catalogue
async def test_an_unlisted_service_is_quoted_by_staff(app: App, owner: People) -> None:
    await owner.press(OWNER, "预约服务")
    await owner.say(OWNER, "想找师傅把客厅电视挂到墙上")
    assert "其他" in owner.last(OWNER) or any("报价" in b for b in labels(owner))
    await hurry(owner)
    case = await only_case(app)
    assert (case.kind, case.description) == ("service", "想找师傅把客厅电视挂到墙上")
    assert case.details.get("price") == "待工作人员报价"
    assert "报价" in owner.last(OWNER) and "#" in owner.last(OWNER)
    groups = owner.all_text(ENGINEERING) + owner.all_text(CUSTOMER_SERVICE)
    assert "客厅电视挂到墙上" in groups


async def test_the_quoted_service_from_the_list_asks_what(app: App, owner: People) -> None:
    await owner.press(OWNER, "预约服务")
    await owner.press(OWNER, "其他服务")
    assert "请简单描述您需要的服务" in owner.last(OWNER)
    await owner.say(OWNER, "卫生间墙上打两个孔装置物架")
    await hurry(owner)
    case = await only_case(app)
    assert case.kind == "service" and case.description == "卫生间墙上打两个孔装置物架"


@pytest.mark.parametrize("words, item", [
    ("想约个阿姨来家里打扫卫生", "家庭深度保洁"),
    ("客厅要装个吸顶灯", "灯具安装"),
    ("厨房龙头要换个新的", "水龙头更换"),
])
async def test_everyday_words_name_the_catalogue_item(app: App, owner: People, words: str, item: str) -> None:
    await owner.say(OWNER, words)
    await hurry(owner)
    case = await only_case(app)
    assert case.kind == "service" and case.details.get("item") == item


# ----------------------------------------------------------------- D: a rating with no survey open
@pytest.mark.parametrize("rating, reply", [
    ("服务不错 给五星", "谢谢您的认可"), ("打个满分吧", "谢谢您的认可"), ("还行 三颗星", "谢谢您的认可"),
    ("一星 太差了", "抱歉没让您满意"),
])
async def test_a_rating_without_a_survey_is_no_case(app: App, owner: People, rating: str, reply: str) -> None:
    await owner.say(OWNER, "地库入口的道闸抬不起来")
    await hurry(owner)
    before = await all_cases(app)
    await owner.say(OWNER, rating)
    assert reply in owner.last(OWNER)
    assert len(await all_cases(app)) == len(before) == 1


async def test_more_than_a_rating_is_read_for_what_it_says(app: App, owner: People) -> None:
    await owner.say(OWNER, "对你们很满意 但是垃圾桶旁边太臭了")
    assert "谢谢您的认可" not in owner.last(OWNER)


# ----------------------------------------------------------------- E: advice for the danger
TIPS = {"gas": "关闭燃气总阀", "fire": "湿毛巾捂住口鼻", "trapped": "不要扒门", "medical": "不要随意搬动伤者",
        "flood": "关闭入户总阀", "electrical": "拉下家中总闸", "intruder": "记下对方特征"}


@pytest.mark.parametrize("text, danger", [
    ("灶台那边一直嘶嘶响 一股怪味 头有点晕", "gas"),
    ("热水器旁边我妈说头晕站不住了", "gas"),
    ("隔壁阳台窜出火苗了", "fire"),
    ("楼道里全是烟 看不清路 往哪跑", "fire"),
    ("我在电梯里 电梯不动了门也打不开", "trapped"),
    ("孩子的手卡在电梯门缝里拔不出来", "trapped"),
    ("我爸从梯子上摔下来 摔到头了", "medical"),
    ("我老公突然胸口疼 喘不上气", "medical"),
    ("暖气片接口崩开了 热水哗哗往外流", "flood"),
    ("楼上的水从吊顶里往下灌 地上全是水", "flood"),
    ("地下车库进水了 水位一直在涨", "flood"),
    ("配电箱噼里啪啦响 还冒蓝光", "electrical"),
    ("插座那里滋滋响 手一碰麻了一下", "electrical"),
    ("有个男的翻进我家阳台了", "intruder"),
    ("有人拿刀在楼下砸车", "intruder"),
])
async def test_the_advice_names_the_danger(app: App, owner: People, text: str, danger: str) -> None:
    told = "\n".join(r.text for r in (await owner.say(OWNER, text)).replies)
    [case] = await emergencies(app)
    assert case.description == text
    assert TIPS[danger] in told, told
    assert "请先确保人身安全，远离危险区域" not in told  # not the generic advice
    assert text in owner.all_text(ENGINEERING) + owner.all_text(CUSTOMER_SERVICE) + owner.all_text(SECURITY)
