"""Round 10: the families of the misses of heldout12 (round 9's blind set), of
train_k (a fresh independent set) and of leave-one-set-out, each with wordings
written here (in no labelled set; checked below) and its calm look-alikes.

The family tests run the shipped classifier (rules + learned words + n-grams);
``test_ablation.py`` (ROUND10_ABLATIONS) shows each one rests on its rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import Classifier
from nlp.evaluate import load_jsonl

RULES_ONLY = Classifier(learned_path=None, danger_path=None)

# Look-alikes the rules read right but the n-gram scorer, very sure of danger (over
# danger_ngram_over_denial_at), still calls an emergency: known limits.
KNOWN_LIMITS = {"还以为电梯又困人了，原来是小孩在里面玩", "楼下有人在烧纸，烟都飘到我家了"}


FAMILIES = {
    # sewage coming up into a home and reaching the rooms, or still rising
    "sewage into a home": (
        ["地漏里往上冒粪水 已经流到客厅地板上了",
         "马桶反上来的脏水越冒越多，卧室也进了",
         "sewage is coming up through our shower drain and it's in the bedroom now"],
        ["卫生间地漏有点返臭味，能派人看看吗",
         "马桶堵了冲不下去，明天上午来修可以吗"]),
    # tingling when touching metal or water: a current is leaking
    "tingling at metal or water": (
        ["摸了一下楼道的铁栏杆，手上一阵发麻",
         "I touched the balcony railing and my hand is tingling"],
        ["早上起来手发麻，是不是枕头太高了",
         "洗完澡手脚发麻，想问问是不是低血糖"]),
    # bleeding that does not stop, a bite by a dog or a snake
    "bleeding and bites": (
        ["孩子摔在台阶上，额头血一直流止都止不住",
         "邻居切到手了 流了好多血 能帮忙叫个车吗",
         "my dad cut his leg on the broken glass door and it won't stop bleeding",
         "小区里的流浪狗把一个小孩的腿咬了",
         "a stray dog just bit a kid near the playground"],
        ["小区献血车今天几点到",
         "狗把我家门口的快递咬烂了",
         "草太高了蚊子多，孩子腿上被咬了好多包"]),
    # someone collapsed next to a guard word; a guard who is only asleep
    "collapsed next to a guard": (
        ["门卫大爷趴在桌上，我以为他在睡觉，推也推不醒",
         "我爸倒在沙发上打呼噜，怎么叫都叫不醒",
         "the night guard is slumped in his chair and not moving"],
        ["值班保安又在睡觉，睡得跟死猪一样，推都推不醒",
         "值班室的保安在打瞌睡，叫了两声才醒"]),
    # a danger first taken for something ordinary; a danger first feared, then explained
    "mistaken for ordinary": (
        ["婆婆说头晕，我们以为是感冒，今天发现她家热水器一直开着，她站都站不稳",
         "I thought it was just the rubbish, but the smell is coming from the gas pipe behind the stove"],
        ["刚以为起火了 原来是楼下在熏腊肉",
         "还以为电梯又困人了，原来是小孩在里面玩"]),
    # gas at the hob told without the word gas; a hob that only will not light
    "gas at the hob": (
        ["灶台下面那根软管一直嘶嘶地响",
         "my daughter left the knob on with no flame and the flat smells strange",
         "the hob won't light and the kitchen smells strange"],
        ["灶台的瓷砖裂了一块，想找人换",
         "our stove clicks but won't light, no smell, is that you or the gas company?"]),
    # charcoal in a closed room; pesticide making people ill
    "fumes": (
        ["楼下那户老人关着门窗在屋里烧炭取暖，敲门应声迷迷糊糊的",
         "there's a charcoal brazier burning in 302 and the windows are shut",
         "绿化在楼下喷农药，我家孩子闻了一直咳，还吐了"],
        ["打农药之前能不能贴个通知",
         "绿化打了药也不通知，我家狗舔了草回来就吐了"]),
    # a person outside a window
    "outside a window": (
        ["对面楼有个男的坐在窗台外面，腿悬在外头",
         "a man is out on the ledge of a 12th floor window"],
        ["窗台外面放花盆安全吗"]),
    # I am in the lift and it does not move; terse patrol wording
    "in the lift": (
        ["我在电梯里，门打不开，一直不动",
         "we are in the elevator in block 2 and it stopped, the doors won't open",
         "3号楼电梯 困 人"],
        ["我在电梯里看到一张停水通知，是明天吗",
         "电梯不动了，我在楼下等了半天"]),
    # screaming, then silence; threats to kill
    "screaming, threats": (
        ["楼上的女的一直尖叫，现在突然没声了",
         "heard screaming from the flat next door, now it's gone quiet",
         "有个男的在我家门口喊着要弄死我，还在踹门"],
        ["楼上小孩天天尖叫，吵死了"]),
    # fire told without the word; water onto a socket
    "fire and water told without the word": (
        ["对面楼的窗户在往外冒黑的，还有人在喊",
         "天花板在漏水，正好滴到插座上"],
        ["插座面板松了，想找人换一下"]),
    # a near miss just now while the hazard is still there; a near miss that is over
    "near miss, hazard still there": (
        ["楼上阳台掉下来一块水泥，差点砸到买菜的阿姨，上面还有一大块裂着",
         "电梯门没关就往下走了，差点把我女儿夹住，现在还停在两层中间"],
        ["外卖电动车在小区里骑得飞快，差点撞到我家孩子，现在还在乱骑",
         "卫生间的挂钩掉下来了，差点砸到我的脚"]),
    # a haze indoors with a sharp smell; a small child alone by deep water
    "haze indoors, child by water": (
        ["三楼楼道里全是雾，什么都看不清，呛得人直咳嗽",
         "湖边有个三岁左右的小孩一个人在玩，旁边没有大人"],
        ["今天外面雾蒙蒙的，小区里的路灯能不能早点开",
         "泳池开放时间能不能延长，孩子想多玩一会"]),
    # over, explained, or asked about afterwards
    "over or explained": (
        [],
        ["电梯刚才困了我五分钟，现在出来了人没事，什么时候修",
         "楼下有人在烧纸，烟都飘到我家了",
         "Last week's flood in the garage ruined my car, who pays?",
         "昨天楼下晕倒的那个大爷，想问下后续怎么样了"]),
}


def _cases(slot: int) -> list:
    known = pytest.mark.xfail(strict=True, reason="n-grams outvote the look-alike")
    return [pytest.param(family, t, id=f"{family}-{i}", marks=[known] if t in KNOWN_LIMITS else [])
            for family, lists in FAMILIES.items() for i, t in enumerate(lists[slot])]


EMERGENCY = _cases(0)
CALM = _cases(1)
TEXTS = {p.values[1] for p in EMERGENCY + CALM}


@pytest.mark.parametrize(("family", "text"), EMERGENCY)
def test_danger_in_a_new_wording_is_an_emergency(clf, family, text):
    got = clf.classify(text)
    assert got.urgency == "emergency", got


@pytest.mark.parametrize(("family", "text"), CALM)
def test_its_calm_look_alike_is_no_emergency(clf, family, text):
    got = clf.classify(text)
    assert got.urgency != "emergency", got


NEW_TO_THE_NGRAMS = "碰到花洒的时候身上麻了一下，吓死了"


def test_a_new_family_the_ngrams_have_not_seen_is_not_dropped(clf):
    # The rule calls it an emergency; the n-gram scorer, which has seen no such
    # wording, scores it low. Round 10: the doubt asked the owner instead of
    # calling the duty team. Round 12: the rule has two cue lists (touching
    # water or metal + tingling) and no past mood, so the n-grams no longer
    # doubt it and the duty team is called (test_round12.py).
    assert RULES_ONLY.classify(NEW_TO_THE_NGRAMS).urgency == "emergency"
    assert clf.danger.probability(clf.danger_text(clf.normalize(NEW_TO_THE_NGRAMS))) \
        < clf.settings.danger_ngram_doubt_below
    got = clf.classify(NEW_TO_THE_NGRAMS)
    assert (got.urgency, got.danger_unsure) == ("emergency", False), got


def test_a_rule_word_with_a_contraction_matches():
    # normalize.py turns "won't" into "wo not"; rule words are folded the same way,
    # or "won't light", "can't see", "won't stop running" could never match.
    from nlp.rules import compile_word
    assert compile_word("won't light", "test").parts == ("wo not light",)
    # the unlit-hob rule reads "won't light" (its only gas cue here)
    assert RULES_ONLY.classify("the hob won't light and the kitchen smells strange").urgency == "emergency"


def test_an_apostrophe_inside_an_english_word_ends_no_clause():
    # "last month's flood": the past mood reaches the word after the apostrophe.
    assert RULES_ONLY.classify("Last month's flood in the car park, who pays?").urgency != "emergency"
    assert RULES_ONLY.classify("The car park is flooding, water rising fast").urgency == "emergency"


def test_these_messages_are_in_no_data_set(dev_texts):
    data = Path(__file__).resolve().parent / "data"
    seen = set(dev_texts)
    for name in sorted(p.name for p in data.glob("*.jsonl")):
        seen |= {r["text"] for r in load_jsonl(data / name)}
    assert not seen & (TEXTS | {NEW_TO_THE_NGRAMS})
