"""Emergency recognition on unseen wording (round 5): the families of issue
#13 item 8, their calm look-alikes, the mood of a danger cue, and
``Classification.danger_unsure`` (the desk asks "现在有人员或财产危险吗？").

Every message here is new (in no labelled set; checked below). The family
tests run the shipped classifier (rules + learned words); the
``danger_unsure`` band is unit-tested with a learned table made up in the
test, so it checks the decision, not the vocabulary.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import Classifier
from nlp.evaluate import load_jsonl
from nlp.learned import PRIOR, LearnedWeights
from nlp.rules import DEFAULT_RULES

# Danger right now: the misses, written the way owners write them.
EMERGENCIES = [
    # a child crying in a stuck lift
    "电梯卡在两层中间不动了，我女儿在里面一直哭",
    "The lift is stuck between floors and my son is crying inside",
    # an owner locked in a lift who complains
    "我被关在电梯里二十分钟了，你们的人呢？太不负责任了",
    "又把我困电梯里了，物业到底管不管",
    # sewage overflowing onto a pavement
    "化粪池冒了，粪水流得整个人行道都是",
    "污水井往外冒污水，已经漫到马路上了",
    "Sewage is overflowing onto the pavement outside block 3",
    # a roof tank flooding a stairwell
    "楼顶水箱漏了，水顺着楼梯往下灌，楼道全是水",
    "The roof tank is leaking and water is pouring down the stairwell",
    # a later cue meant now outweighs an earlier one in the past
    "上次着火你们来得很慢，现在三楼又着火了",
    # a loose thing over people who pass every day
    "单元门上面的雨棚玻璃有一块往下耷拉着，大家每天从下面进出",
    # fumes making people ill, a child locked in a car
    "楼下热水器的废气倒灌进我家，我和孩子都头晕",
    "宝宝被锁在车里了，车里很热，快找人开锁",
    # 不 inside a potential complement (打不开, 出不来) denies nothing after it
    "电梯停了，门打不开我在里面",
]

# Calm look-alikes: the danger word is there, the danger is not.
CALM = [
    # the look-alikes
    "电梯的报警按钮按下去没反应，麻烦修一下",
    "单元门口的地砖松了几块",
    "楼梯间的灯不亮了",
    # hypothetical, past, habitual
    "楼道里堆满了纸箱，万一着火了怎么办",
    "上个月电梯困人，保安五分钟就到了，点个赞",
    "前年冬天水管冻爆过，今年怎么保温？",
    "地库一下雨就淹到车轮，说了多少回了",
    # words that only look like danger
    "修水管的师傅走的时候还跟我要烟钱",
    "小区路灯坏了，晚上黑灯瞎火的",
    "漏电开关跳了一下，推上去就好了，麻烦检查下线路",
    "对门天天在楼道里抽烟，烟全飘进我家",
    "马桶水箱一直哗哗地流，停不下来",
    "电梯卡在8楼了，里面没人",
    "值班保安在岗亭里睡觉，敲窗都叫不醒",
    "我家猫走丢了，谁看见了说一声",
    "明天停电是全小区停吗？",
    # round 8's families (no danger word) stay off the everyday wordings that share
    # their words: a phone nobody answers, a light on for days, glare, cooking fumes
    "I've called management for two days, no answer",
    "楼道灯一直亮着好几天了，也没人管",
    "路灯太亮，晃得眼睛都睁不开",
    "楼下饭馆的油烟熏得我眼睛刺痛",
    # paperwork and people at the door are not a leak
    "燃气表装在楼道里，每个月是谁来抄表？",
    "有个自称燃气公司的人要上门检查，没有工牌，我没开门",
]

# A look-alike word does not hide danger that is really there.
STILL_EMERGENCIES = [
    "燃气表那里有很大的煤气味",
    "有个自称修燃气的人在撬我家的门",
    # round 8: 网上 ("online", a past mood) inside 防盗网上 (on the window grille)
    # made a child on the grille a story from the internet
    "阳台栏杆外的防盗网上趴着个小孩，家里没大人",
]

HEDGED = ["好像有点煤气味？", "是不是漏电了", "楼道里好像有点烧焦的味道"]


@pytest.mark.parametrize("text", EMERGENCIES)
def test_danger_now_is_an_emergency(clf, text):
    got = clf.classify(text)
    assert got.urgency == "emergency", got
    assert not got.danger_unsure, got


@pytest.mark.parametrize("text", STILL_EMERGENCIES)
def test_a_look_alike_word_does_not_hide_real_danger(clf, text):
    assert clf.classify(text).urgency == "emergency"


@pytest.mark.parametrize("text", CALM)
def test_calm_look_alikes_are_no_emergency_and_ask_nothing(clf, text):
    got = clf.classify(text)
    assert got.urgency != "emergency", got
    assert not got.danger_unsure, got


@pytest.mark.parametrize("text", HEDGED)
def test_a_hedged_danger_word_is_an_emergency_the_desk_asks_about(clf, text):
    # A false alarm is cheap, so the urgency stays "emergency"; danger_unsure
    # tells the desk to ask the owner before the duty team is called out.
    got = clf.classify(text)
    assert (got.urgency, got.danger_unsure) == ("emergency", True), got


def test_a_hedge_confirmed_by_another_cue_is_sure(clf):
    got = clf.classify("好像有点煤气味，燃气管那里还在嘶嘶响")
    assert (got.urgency, got.danger_unsure) == ("emergency", False), got


def test_empty_and_small_talk_are_not_unsure(clf):
    for text in ("", "你好", "👍", None):
        assert clf.classify(text).danger_unsure is False


# -- the learned band, with a learned table made up here --------------------------


def _with_learned_emergency(p: float) -> Classifier:
    """The packaged rules plus learned words where only the made-up keyword
    异响 speaks, and gives urgency.emergency the probability ``p``."""
    import math

    lw = LearnedWeights()
    for label in ("urgency.emergency", "urgency.urgent", "urgency.normal"):
        lw.add(PRIOR, label, 0.0)
    # softmax over three labels at 0, 0 and x: p = e^x / (e^x + 2)
    lw.add("异响", "urgency.emergency", round(math.log(2 * p / (1 - p)), 6))
    clf = Classifier(DEFAULT_RULES, learned_path=None, danger_path=None)
    clf.set_learned(lw)
    return clf


@pytest.fixture(scope="module")
def settings():
    return Classifier(DEFAULT_RULES, learned_path=None, danger_path=None).settings


def test_the_band_is_set_in_the_rules_file(settings):
    assert 0 < settings.danger_unsure_from < settings.learned_emergency_alone_at <= 1


def test_learned_words_alone_in_the_middle_band_ask_instead_of_guessing(settings):
    p = (settings.danger_unsure_from + settings.learned_emergency_alone_at) / 2
    got = _with_learned_emergency(p).classify("楼道里有异响")
    assert got.urgency != "emergency"
    assert got.danger_unsure is True


def test_learned_words_alone_above_the_band_are_an_emergency(settings):
    p = min(0.99, settings.learned_emergency_alone_at + 0.1)
    got = _with_learned_emergency(p).classify("楼道里有异响")
    assert (got.urgency, got.danger_unsure) == ("emergency", False)


def test_learned_words_alone_below_the_band_are_calm(settings):
    p = settings.danger_unsure_from / 2
    got = _with_learned_emergency(p).classify("楼道里有异响")
    assert got.urgency != "emergency"
    assert got.danger_unsure is False


def test_a_look_alike_rule_silences_the_band(settings):
    # The overflow-pipe rule says "not an emergency": no question either.
    p = (settings.danger_unsure_from + settings.learned_emergency_alone_at) / 2
    got = _with_learned_emergency(p).classify("溢流管那里有异响")
    assert got.urgency != "emergency"
    assert got.danger_unsure is False


def test_a_rule_cue_needs_no_learned_confidence(settings):
    # One strong rule cue is enough; the band only governs learned words alone.
    got = _with_learned_emergency(0.01).classify("厨房着火了")
    assert (got.urgency, got.danger_unsure) == ("emergency", False)


def test_the_band_can_be_switched_off(tmp_path):
    import yaml

    with open(DEFAULT_RULES, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    data["settings"]["danger_unsure_from"] = 0
    path = Path(tmp_path) / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    clf = Classifier(path, learned_path=None, danger_path=None)
    clf.set_learned(_with_learned_emergency(0.5).learned)
    assert clf.classify("楼道里有异响").danger_unsure is False


def test_these_messages_are_in_no_data_set(dev_texts):
    data = Path(__file__).resolve().parent / "data"
    seen = set(dev_texts)
    for name in sorted(p.name for p in data.glob("*.jsonl")):
        seen |= {r["text"] for r in load_jsonl(data / name)}
    assert not seen & set(EMERGENCIES + CALM + HEDGED + STILL_EMERGENCIES)


# A place typed at the "where" step is classified too (the desk asks about danger
# on any message): a building and a lift with nothing happening is no question.
# The learned words gave 3号楼电梯 0.42 after round 9's pool, over the old 0.4. (Not yet:
# 5号楼电梯, whose n-gram score, 0.31, is just over the question's 0.3.)
@pytest.mark.parametrize("text", ["3号楼电梯", "3号楼的电梯", "2栋电梯"])
def test_a_bare_place_is_not_asked_about(clf, text):
    got = clf.classify(text)
    assert (got.urgency, got.danger_unsure) == ("normal", False)
