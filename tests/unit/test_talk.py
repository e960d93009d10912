"""Reading short messages before any flow takes them (handlers.owner.talk, pure)."""

from __future__ import annotations

import pytest

from handlers.owner import talk


@pytest.mark.parametrize(("text", "kind"), [
    ("谢谢", "thanks"), ("谢谢啦！", "thanks"), ("辛苦了 谢谢你们", "thanks"), ("thank you so much", "thanks"),
    ("早上好", "greeting"), ("您好", "greeting"), ("hello", "greeting"), ("在吗？", "presence"), ("有人吗", "presence"),
    ("好的", "ack"), ("收到", "ack"), ("OK", "ack"), ("嗯嗯", "ack"), ("👍", "emoji"), ("拜拜", "bye"),
    # traditional characters and Cantonese
    ("謝謝你們 辛苦了", "thanks"), ("唔該晒", "thanks"), ("多謝晒", "thanks"), ("早晨", "greeting"),
    ("thank u", "thanks"), ("感恩", "thanks"), ("知道啦", "ack"), ("88", "bye"), ("good night", "bye"),
    ("辛苦了 这么晚还有人回消息", "praise"), ("谢谢 回得这么快", "praise"),
])
def test_small_talk(text: str, kind: str) -> None:
    assert talk.small_talk(text) == kind


@pytest.mark.parametrize("text", ["你好，我家漏水", "谢谢你们上次修的水管又漏了", "好的 明天上午来吧", "？？", "", "在1号楼",
                                  "1688", "88号", "这么晚了电梯还坏着", "怎么这么慢"])
def test_messages_with_something_to_act_on_are_not_small_talk(text: str) -> None:
    assert talk.small_talk(text) is None


@pytest.mark.parametrize(("text", "intent"), [
    ("报修", "report"), ("我要报修", "report"), ("我要报事", "report"), ("投诉", "complaint"), ("我想投诉一下", "complaint"),
    ("预约", "service"), ("咨询", "inquiry"), ("查一下进度", "mycases"), ("我的工单", "mycases"), ("人工", "human"),
    ("转人工", "human"), ("客服", "human"), ("菜单", "menu"), ("help", "menu"),
    ("報修", "report"), ("我要投訴", "complaint"), ("諮詢", "inquiry"),
    ("报个修", "report"), ("我要投诉物业", "complaint"), ("预约上门", "service"), ("我的单子", "mycases"),
    ("我的报修单", "mycases"), ("找人工", "human"), ("转客服", "human"), ("I want to report a problem", "report"),
])
def test_bare_intent_words(text: str, intent: str) -> None:
    assert talk.bare_intent(text) == intent


@pytest.mark.parametrize("text", ["厨房水管漏水了要报修", "投诉保安态度差", "预约明天上午保洁", "客服电话是多少"])
def test_an_account_is_not_a_bare_word(text: str) -> None:
    assert talk.bare_intent(text) is None


@pytest.mark.parametrize(("text", "result"), [
    ("取消", (True, "")), ("算了", (True, "")), ("不用了谢谢", (True, "")), ("取消预约", (True, "")),
    ("算了 我想问一下物业费怎么交", (True, "我想问一下物业费怎么交")), ("不用了，我问一下快递放哪里", (True, "我问一下快递放哪里")),
    ("算了 我要投诉", (True, "我要投诉")), ("楼道灯不亮了", (False, "")),
    # the thing being done, called off by name
    ("不报修了", (True, "")), ("不用修了", (True, "")), ("先不投诉了 外来车辆停车怎么收费", (True, "外来车辆停车怎么收费")),
    ("不报修了 我要约个擦玻璃", (True, "我要约个擦玻璃")), ("不好意思 水管漏了", (False, "")), ("不修好不行", (False, "")),
])
def test_calling_off(text: str, result: tuple[bool, str]) -> None:
    assert talk.cancel_lead(text) == result


def test_done_false_alarm_additions_and_yes_no() -> None:
    assert talk.says_done("好的，修好了谢谢") and talk.says_done("已经可以用了")
    assert not talk.says_done("还没修好") and not talk.says_done("修好了又坏了")
    assert talk.false_alarm("没事了 是误报") and talk.false_alarm("虚惊一场") and not talk.false_alarm("有事")
    assert talk.addition("补充一下：厨房也漏") == (True, "厨房也漏") and talk.addition("厨房也漏") == (False, "")
    assert (talk.yes_no("有"), talk.yes_no("没有"), talk.yes_no("是的"), talk.yes_no("不是"), talk.yes_no("也许")) == \
        ("yes", "no", "yes", "no", None)
    assert talk.question_part("我想问一下快递放哪里") == "快递放哪里" and talk.question_part("快递放哪里") is None


def test_going_back_to_what_was_set_aside() -> None:
    assert talk.wants_to_resume("继续") and talk.wants_to_resume("接着来！") and talk.wants_to_resume("continue")
    assert not talk.wants_to_resume("继续报修厨房水管") and not talk.wants_to_resume(None)


@pytest.mark.parametrize(("text", "question"), [
    ("等一下 我先问问快递放哪里", "快递放哪里"), ("对了 物业费怎么交", "物业费怎么交"), ("等等，停车费多少？", "停车费多少?"),
    ("哦 对了 我顺便问一下垃圾几点扔", "垃圾几点扔"), ("btw where do parcels go?", "where do parcels go?"),
    ("我想先打听一下装修要办什么手续", "装修要办什么手续"),
])
def test_a_question_asked_in_passing(text: str, question: str) -> None:
    assert talk.aside(text) == question


@pytest.mark.parametrize("text", ["为什么电梯老是坏", "厨房水龙头一直滴水", "等一下", "额头磕破了怎么办", "那个灯坏了"])
def test_an_answer_to_the_step_is_no_aside(text: str) -> None:
    # a plain question-shaped account stays the step's answer; "额头" is no interjection
    assert talk.aside(text) is None


def test_a_hedge_in_front_does_not_hide_calling_off_or_a_new_intent() -> None:
    assert talk.cancel_lead("等等 算了不报了") == (True, "") and talk.cancel_lead("算了不报了") == (True, "")
    assert talk.cancel_lead("哎，算了，我想问下快递放哪") == (True, "我想问下快递放哪")
    assert talk.bare_intent("等一下 我要投诉") == "complaint" and talk.bare_intent("对了 查一下进度") == "mycases"
    assert talk.small_talk("等一下") == "wait" and talk.small_talk("稍等哈") == "wait" and talk.small_talk("等下我想想") == "wait"
    assert talk.small_talk("等一下 水管漏了") is None


@pytest.mark.parametrize("text", ["半夜有东西坏了找谁修", "周末家里跳闸了找谁", "晚上要是水管坏了该联系谁", "节假日报修打哪个电话",
                                  "夜里有人修吗", "物业下班以后东西坏了谁管", "晚上电梯坏了给谁打电话", "晚上十点以后还能报修吗",
                                  "夜間有嘢壞咗搵邊個整", "What number do I ring after hours?", "who do I call if something breaks at night",
                                  "who should we contact at the weekend"])
def test_whom_to_call_after_hours(text: str) -> None:
    assert talk.asks_who_to_call(text) and talk.looks_like_question(text)


@pytest.mark.parametrize("text", ["我家厨房水管漏了找谁修", "谁家的狗一直叫", "晚上楼上很吵", "电梯坏了", "周末物业办公室有人吗"])
def test_an_account_or_another_question_is_not_whom_to_call(text: str) -> None:
    assert not talk.asks_who_to_call(text)


@pytest.mark.parametrize(("text", "general"), [
    ("半夜有东西坏了找谁修", True), ("晚上要是水管坏了该联系谁", True), ("夜間有嘢壞咗搵邊個整", True),
    ("who do I call if something breaks at night", True),
    ("卫生间水管漏水了 晚上有人修吗", False), ("周末家里跳闸了 整个屋都没电 找谁来修", False), ("晚上电梯坏了给谁打电话", False)])
def test_whom_to_call_in_general_or_about_a_problem_happening_now(text: str, general: bool) -> None:
    # Asked in general: the 24-hour hotline answers it. Told as happening: the desk reads a report.
    assert talk.in_general(text) is general


@pytest.mark.parametrize("caption, result", [
    ("补一张现场照片", (True, "")), ("再发一张", (True, "")), ("加个图 漏得更厉害了", (True, "漏得更厉害了")),
    ("附上照片", (True, "")), ("多发几张", (True, "")),
    # Words that only start like one: a new photo's own caption.
    ("补漏", (False, "")), ("加油站旁边的路灯坏了", (False, "")), ("附近的井盖松了", (False, "")), (None, (False, "")),
])
def test_a_photo_captioned_as_more_for_a_case(caption: str | None, result: tuple[bool, str]) -> None:
    assert talk.photo_addition(caption) == result


def test_corrections_and_loose_additions() -> None:
    assert talk.question_part("哦不对 我是想问物业费多少钱一平") == "物业费多少钱一平"
    assert talk.question_part("说错了，我想问的是快递放哪") == "快递放哪"
    assert talk.unhedge("不对劲 水管一直响") == (False, "不对劲 水管一直响")  # a word, not a correction
    assert talk.loose_addition("另外客厅插座没电了") and not talk.loose_addition("补充一下：厨房也漏")


@pytest.mark.parametrize("text", ["垃圾分类几点可以扔", "满意吗", "你们打几分", "分类垃圾放哪", "五星级酒店是哪家？"])
def test_a_question_is_no_rating(text: str) -> None:
    """Outside a survey a rating is thanked and filed nowhere: a question sharing its words
    (垃圾 is a one-star word, 分 a score) must still reach the FAQ."""
    assert talk.rating(text) is None


@pytest.mark.parametrize(("text", "kind"), [
    ("师傅来得很及时，修得也好，点个赞👍", "praise"), ("保安态度很好", "praise"), ("Great service, thank you guys!", "praise"),
    ("物业的各位，辛苦了！祝你们新年快乐，身体健康", "wishes"), ("Have a good weekend", "wishes"),
    ("不好意思 打扰了", "sorry"), ("sorry to bother you", "sorry"),
    ("我儿子说他来弄", "self_help"), ("我自己找人修就行，谢谢", "self_help"), ("my son will do it", "self_help"),
])
def test_courtesy_at_length(text: str, kind: str) -> None:
    assert talk.small_talk(text) == kind


@pytest.mark.parametrize("text", [
    "服务挺好 但电梯又坏了", "你们服务很好？", "你们服务太差了", "谢谢 另外我家水管漏了", "我儿子说厨房灯要修",
    "我儿子说灯坏了叫你们来修", "邻居家漏水 我自己修不了", "物业效率高吗", "我家好热", "啊啊啊", "建议北门加个快递柜",
])
def test_a_request_or_problem_is_no_courtesy(text: str) -> None:
    assert talk.small_talk(text) is None


@pytest.mark.parametrize(("text", "matter"), [
    ("转人工 我要投诉保安", "我要投诉保安"), ("我要投诉保安，转人工", "我要投诉保安"), ("找人工 物业费交错了", "物业费交错了"),
    ("人工草坪翘起来了", None), ("人工要多少钱", None), ("人工，谢谢", None), ("转人工转人工", None),
])
def test_a_person_asked_for_with_the_matter(text: str, matter: str | None) -> None:
    assert talk.person_lead(text) == matter
