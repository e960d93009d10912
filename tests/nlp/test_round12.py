"""Round 12: the families of the emergencies missed on heldout13 (round 11's blind set),
on train_l and train_m (two fresh independent sets, scored before they joined) and in
leave-one-set-out, each with wordings written here (in no labelled set; checked below)
and the look-alikes that must stay calm.

What the owner notices: an emergency answered as a routine ticket (or only with the
question "现在有人员或财产危险吗？"), or a calm message sent to the duty team. Each family
runs the shipped classifier; the ablation tests at the end show each rests on its rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nlp import Classifier
from nlp.evaluate import load_jsonl
from tests.nlp.test_ablation import PACKAGED, without

# family → wordings that are emergencies now
EMERGENCIES = {
    "someone not seen for days, signs at the door": [
        "对门的老爷子一个星期没出过门了，拍门也没人，他家门口的牛奶一瓶都没拿",
        "隔壁阿姨四天没见着了 叫门也不答应 屋里的灯一直开着",
        "楼上独居的大伯一周都没下楼，晚上他家灯一直没关，窗户上趴了好多苍蝇",
    ],
    "a relative cannot reach someone who lives alone or is ill": [
        "我爸一个人住在6栋303，从昨天到现在打电话都没人接，他有心脏病，能不能派人上去敲敲门",
        "我姐独居，三天联系不上了，微信也不回，麻烦物业帮忙去看一下 12-1-801",
        "我外婆一个人住在9栋，从前天到现在一直联系不到她，微信也不回",
        "家父八十多岁独自居住，两天来电话无人接听，烦请物业上门查看",
        "I'm overseas and can't reach my grandfather in block 2, 1503 for two days now. He lives alone. Could someone knock on his door?",
    ],
    "a relative not back, with a sign it is a disappearance": [
        "我家老伴有点糊涂，下午出去买菜到现在没回来，手机落在家里了",
        "闺女放学早该到家了，打她手表打不通，门岗说没看到她",
        "My 6-year-old is missing, last seen near the fountain ten minutes ago, please check the gates",
    ],
    "sewage coming up into a home": [
        "一楼卫生间地漏一直往上翻脏东西，现在整个屋都是味，地上全是",
        "马桶在往外冒黄的黑的都有，已经流过走廊了",
    ],
    "a smell or smoke that hurts the eyes or takes the breath": [
        "垃圾房那边往外冒黑乎乎的一团一团，味道冲得人眼泪直流",
        "地库里不知道烧什么，熏得眼睛睁不开，大家都往外跑",
    ],
    "sparks and burning insulation, voice input": [
        "厨房插座插上电饭煲就冒兰光，噼啪一下",
        "客厅的排插有一股烧胶皮味，摸着还挺热",
    ],
    "a whole message in toneless pinyin": [
        "chu fang you mei qi wei, 3 dong 1 dan yuan 502, kuai lai ren",
        "lou dao li mao yan le, 7 dong 12 lou",
        "wo ba shuai dao le qi bu lai, 5 dong 1 lou da ting",
        "dian ti kun zhu le, 2 dong, jiu ming",
    ],
    "locked into a small room and the air running out": [
        "我被反锁在地下室的储藏间里了，门从里面打不开，里面好闷，没有窗",
        "仓库的门坏了我们三个人被关在里面出不去，越来越热",
    ],
    "labour, a swallowed battery, heatstroke": [
        "我老婆羊水破了，电梯又停了，能不能来两个人帮忙抬下楼 9-2-1201",
        "孩子吞了颗纽扣电池，我们在3栋，请保安帮忙按住电梯",
        "门口保安大叔好像heatstroke了，一直在吐，站都站不稳",
    ],
    "an arson threat in progress": [
        "楼下有个人拎着一桶汽油在我车边上转，说要放火",
        "那个醉汉说要把物业办公室烧了，手里拿着打火机",
    ],
    "a whole building without power, told by units": [
        "3号楼一单元二单元都没电了，电梯也停了，楼梯黑得什么都看不见",
    ],
    "gas told as 'the cooking gas'": [
        "楼道里一股做饭的气那种味道，比平时冲很多",
    ],
    "a water hose come off": [
        "洗衣机的进水管子掉了，水哗哗往外流，我人在外地",
    ],
    "water already knee-deep": [
        "地库出口那段水已经没过膝盖了，还有车在往下开",
    ],
    "labour, even beside a car that won't start": [
        "我媳妇羊水破了，车又点不着，麻烦叫两个保安来帮忙扶下楼 6-1-902",
        "My wife's waters have broken and our car won't start, can someone help us get a taxi at the north gate?",
    ],
    "a cable cut to the copper beside water or flashing": [
        "车库里那根充电线皮破了，铜线露在外面，泡在积水里",
        "走廊插线板的线被门压破了，露出铜丝，刚才还闪了一下",
    ],
    "a ceiling, slab or balcony giving way": [
        "地库顶一块块往下掉混凝土，钢筋都露出来了，下面停满了车",
        "我家阳台跟墙之间裂开一条缝，阳台整个往外斜了",
        "The garage ceiling keeps making a cracking sound and the crack is getting wider.",
    ],
    "someone in a lift stopped halfway (Northern wording)": [
        "电梯停半道了，门扒不开，我和我妈都在里头",
    ],
}
EMERGENCY_CASES = [pytest.param(t, id=f"{family}-{i}")
                   for family, texts in EMERGENCIES.items() for i, t in enumerate(texts)]


@pytest.mark.parametrize("text", EMERGENCY_CASES)
def test_an_emergency_of_the_family_goes_to_the_duty_team(clf, text):
    got = clf.classify(text)
    assert got.urgency == "emergency", got


# family → look-alikes that must not be sent to the duty team
CALM = {
    "someone not seen for days, signs at the door": [
        "楼道的灯一直亮着好几天了，白天也不关，太浪费电",
        "垃圾房好几天没清了，窗台上全是苍蝇",
    ],
    "a relative cannot reach someone who lives alone or is ill": [
        "房东联系不上好几天了，他家水管漏到我家了",
        "我爸一个人住，想问下他家的物业费怎么在网上交",
    ],
    "a relative not back, with a sign it is a disappearance": [
        "孩子放学回来说小区门口的监控坏了",
        "我家的猫两天没回来了，有没有人在车库看到一只橘猫",
    ],
    "locked into a small room and the air running out": [
        "我把钥匙锁在车里了，能帮忙找个开锁的吗",
        "储藏间的门锁坏了打不开，里面放的东西拿不出来",
    ],
    "an arson threat, said as a joke": [
        "邻居大哥说要砍死那个偷菜的，说着玩的，不过菜真被偷了好几次",
    ],
    "anger told with a fire or stroke word": [
        "你们物业的服务气得我直冒火，报修一个礼拜了都没人来",
        "管家说话那个态度，我气得冒烟",
        "停车费又涨了，我爸气到快中风了",
        "火大！车位又被人占了",
    ],
    "a damaged cable or a crack with nothing happening": [
        "电线皮破了一点，露出里面的铜丝，有空来换一下",
        "阳台墙角有一条细裂缝，不影响使用，什么时候方便来补",
    ],
    "water that is not deep": [
        "小区门口路面有积水，大概到脚背，走路不方便",
    ],
    "pinyin that is not a danger": [
        "qing wen wu ye fei zai na li jiao",
    ],
}
CALM_CASES = [pytest.param(t, id=f"{family}-{i}")
              for family, texts in CALM.items() for i, t in enumerate(texts)]


@pytest.mark.parametrize("text", CALM_CASES)
def test_a_look_alike_is_not_sent_to_the_duty_team(clf, text):
    got = clf.classify(text)
    assert got.urgency != "emergency", got


def test_a_compound_rule_is_not_turned_into_a_question_by_unfamiliar_characters(clf):
    # Three independent cues (a relative far away, no contact for days, lives alone)
    # agree; the n-grams have hardly seen this wording and score it near 0. Before
    # round 12 the low score turned the emergency into the question only.
    text = "我舅舅独居在11栋，好几天没人接他电话了，麻烦看一下"
    got = clf.classify(text)
    assert clf.danger.probability(clf.danger_text(clf.normalize(text))) < clf.settings.danger_ngram_doubt_below
    assert got.urgency == "emergency" and not got.danger_unsure, got


def test_a_single_danger_word_in_a_question_is_still_asked_about(clf):
    # The doubt still guards one danger word inside a question or a past event.
    got = clf.classify("着火的时候能坐电梯吗")
    assert got.urgency != "emergency"


def test_these_messages_are_in_no_data_set(dev_texts):
    data = Path(__file__).resolve().parent / "data"
    seen = set(dev_texts)
    for name in sorted(p.name for p in data.glob("*.jsonl")):
        seen |= {r["text"] for r in load_jsonl(data / name)}
    mine = {t for texts in EMERGENCIES.values() for t in texts}
    mine |= {t for texts in CALM.values() for t in texts}
    assert not seen & mine


# Each family rests on its rule (or its abbreviations): without it the rules no longer
# read the message (rules only: the learned words and n-grams, rebuilt from data that
# now holds these sets, may also catch some wordings); the setting is checked on the
# shipped classifier, whose n-grams it is about.
ABLATIONS = [
    (dict(group="家人几天联系不上独居或有病的亲人"),
     "我姐独居，三天联系不上了，微信也不回，麻烦物业帮忙去看一下 12-1-801", "urgency", "emergency"),
    (dict(group="人被关、锁在储藏间"),
     "我被反锁在地下室的储藏间里了，门从里面打不开，里面好闷，没有窗", "urgency", "emergency"),
    (dict(group="一股味道冲得、熏得眼睛疼"),
     "地库里不知道烧什么，熏得眼睛睁不开，大家都往外跑", "urgency", "emergency"),
    (dict(group="水已经没过膝盖"), "地库出口那段水已经没过膝盖了，还有车在往下开", "urgency", "emergency"),
    (dict(group="说完狠话又说是开玩笑"),
     "邻居大哥说要砍死那个偷菜的，说着玩的，不过菜真被偷了好几次", "urgency", "normal"),
    (dict(group="气话里的冒烟、冒火、中风是比喻"), "火大！车位又被人占了", "urgency", "normal"),
    (dict(pinyin=True), "chu fang you mei qi wei, 3 dong 1 dan yuan 502, kuai lai ren", "urgency", "emergency"),
    (dict(setting=("danger_ngram_doubt_compound_below", -1)),
     "我舅舅独居在11栋，好几天没人接他电话了，麻烦看一下", "danger_unsure", False),
]


@pytest.mark.parametrize(("removed", "text", "field", "value"), ABLATIONS,
                         ids=[str(list(a[0].values())[0]) for a in ABLATIONS])
def test_removing_the_rule_brings_the_miss_back(tmp_path, removed, text, field, value):
    full = "setting" in removed or "气话" in removed.get("group", "")
    kw = {} if full else dict(learned_path=None, danger_path=None)
    assert getattr(Classifier(**kw).classify(text), field) == value, "precondition"
    data = without(PACKAGED, group=removed.get("group"), setting=removed.get("setting"))
    if removed.get("pinyin"):
        data["abbreviations"] = {k: v for k, v in data["abbreviations"].items() if len(k) <= 2}
    path = tmp_path / "ablated.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert getattr(Classifier(rules_path=path, **kw).classify(text), field) != value
