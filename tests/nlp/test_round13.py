"""Round 13: the families of heldout14's misses and false alarms (round 12's blind set,
opened this round) and of a dialogue author's miss (a grandmother apologising for "some
smoke"), each with wordings written here (in no labelled set; checked below) and the
look-alikes that must stay calm.

What the owner notices: a fire reported politely and with doubt answered as a routine
ticket, or a calm message (a gas alarm's idle light, a loose paving tile, a lift that
started again by itself, window guards to fit) sent to the duty team. Each family runs
the shipped classifier; the ablation tests at the end show each rests on its rule.
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
    "understated present smoke or burning smell, told with doubt": [
        "不好意思打扰 家里有股烟味 会不会是哪里着火了 麻烦你们看看",
        "真不好意思 屋里有点烟味 担心是哪里烧着了 麻烦你们来看看",
        "对不起打扰你们 楼道里有烟味 还有点呛 是不是我想多了 麻烦看看",
        "不好意思 可能是我多心了 家里有点烟味 焦焦的 麻烦你们看看",
        "打扰了 家里冒了点烟 不知道怎么回事 麻烦你们看看",
        "我是5栋的王奶奶 不好意思啊 楼道里好像有点烟 是不是我想多了 麻烦你们看看",
        "对不起麻烦你们 我闻到有点焦味 不知道是从哪里来的 家里有点烟 麻烦看看",
        "不好意思哦 后面那栋楼顶好像在烧什么 烟好大 是在烧烤还是着火了 麻烦派人去看看",
        "sorry to trouble you, there's a bit of smoke in the corridor and a burning smell, "
        "not sure if it's anything, could someone have a look",
    ],
    "smoke first taken for the owner's eyes, then getting worse": [
        "不好意思 我家好像有烟 以为是我眼花 但是越来越呛了 麻烦你们看看",
    ],
    "a large stretch of a ramp or road caved in where cars pass": [
        "地库出口那段坡道塌下去一大片，旁边挡土墙也倒了，刚才有辆车差点翻进去",
        "小区南门车道塌下去好大一块 车还在进出",
    ],
}
# and the negated joke still counts
EMERGENCIES["a joke that is denied"] = ["这不是开玩笑 地库真的着火了 B2 好大的烟"]
EMERGENCY_CASES = [pytest.param(t, id=f"{family}-{i}")
                   for family, texts in EMERGENCIES.items() for i, t in enumerate(texts)]


@pytest.mark.parametrize("text", EMERGENCY_CASES)
def test_an_emergency_of_the_family_goes_to_the_duty_team(clf, text):
    got = clf.classify(text)
    assert got.urgency == "emergency", got


# family → look-alikes that must not be sent to the duty team
CALM = {
    "found property: whom to hand it to (a dialogue author's found phone)": [
        "我在儿童乐园那边捡到一个手机交给谁",
        "游泳池边上捡到一副眼镜 交给谁啊",
        "电梯里捡了一串钥匙 怎么还给失主",
        "I found a phone by the kids' slide, who do I give it to",
    ],
    "understated present smoke or burning smell, told with doubt": [
        # a past fire, a drill, a neighbour's cooking the owner calls normal, cigarettes
        "上个月楼下着过一次火 不知道是不是电线老化 麻烦你们看看其他楼的线路",
        "前天消防演习放了好多烟 不知道是不是每年都演 我家老人吓了一跳",
        "今天下午消防演练 楼道里有烟雾 不知道演练几点结束",
        "对面那家窗户在冒烟 是在炒菜 正常的 不用管 就是跟你们说一声",
        "对面窗户有点烟 好像是在做饭 正常的 不用管",
        "楼道里有人抽烟 烟味好大 不知道是哪家的 麻烦你们贴个禁烟标志",
        "楼下有人抽烟 烟有点飘上来 不知道是哪家 麻烦提醒一下",
        "昨天那股烧焦味后来查了是楼下烧水壶干烧了 已经没事了 就跟你们说一声",
    ],
    "a gas or smoke alarm with nothing wrong": [
        "燃气报警器一直亮着个绿灯 也闻不到味儿 这是正常的吗",
        "我妈炒个菜烟雾报警器就响 能不能帮忙把它挪远一点",
        "家里烟雾报警器按测试键没反应 能帮忙看看吗",
    ],
    "disinfectant sprayed, a strong smell and nothing else": [
        "楼道喷消毒水味道太冲了 能不能少喷点",
    ],
    "a lift that stopped and started again by itself": [
        "昨天在3栋电梯里被关了五六分钟，后来自己又好了，麻烦查一下原因",
        "the lift stopped between floors for a bit yesterday, I got out myself after a few minutes, please check it",
    ],
    "a lift trapping that is over, told with how long the rescue took": [
        "今天在电梯里被关了二十分钟才放出来，你们的维保到底什么时候来查",
    ],
    "the owner says they are only asking": [
        "电梯困人了一般多久能到 就是问问 现在没事啊",
    ],
    "a fear of what may happen (怕), somewhere else, or what happened before (过)": [
        "客厅吊灯有点晃 怕掉下来砸到人 什么时候能来看看",
        "其他小区有电梯掉下去了 我们的电梯检查过吗",
        "插座冒过一次火花 后来没再用 想约电工换个新的",
        "楼下那家阳台冒烟那次 幸好没人受伤 我家窗户熏黑了 找谁赔",
    ],
    "a joke, a dream, a rumour or an 'if' question": [
        "哈哈 厨房着火了 开玩笑的 就是锅糊了 烟感是不是坏了没响",
        "昨晚梦到电梯掉下去了 吓死 顺便问下电梯多久检修一次",
        "昨晚梦到楼里着火了 吓死 顺便问下灭火器多久检查一次",
        "听说3栋有人被困电梯一个小时 真的假的",
        "水管爆了的话物业负责赔吗 我家老房子",
        "What should I tell my dad to do if he ever gets stuck in the lift?",
    ],
    "English that says when after the event": [
        "The lift trapped my son for an hour last week, has it been serviced since?",
    ],
    "a loose paving tile or step": [
        "人行道有块地砖松了 踩上去一翘一翘的 有空来修一下",
    ],
    "window guards to fit": [
        "孩子大了 想在窗户外面装个防护网 你们能上门装吗 多少钱",
    ],
}
CALM_CASES = [pytest.param(t, id=f"{family}-{i}")
              for family, texts in CALM.items() for i, t in enumerate(texts)]


@pytest.mark.parametrize("text", CALM_CASES)
def test_a_look_alike_is_not_sent_to_the_duty_team(clf, text):
    got = clf.classify(text)
    assert got.urgency != "emergency", got


def test_an_understated_fire_is_called_not_only_asked_about(clf):
    # The doubt is about the cause, the smoke is now: the desk calls the duty team
    # instead of asking "is anyone in danger?" first.
    got = clf.classify("不好意思打扰 家里有股烟味 会不会是哪里着火了 麻烦你们看看")
    assert got.urgency == "emergency" and not got.danger_unsure, got


def test_these_messages_are_in_no_data_set(dev_texts):
    data = Path(__file__).resolve().parent / "data"
    seen = set(dev_texts)
    for name in sorted(p.name for p in data.glob("*.jsonl")):
        seen |= {r["text"] for r in load_jsonl(data / name)}
    mine = {t for texts in EMERGENCIES.values() for t in texts}
    mine |= {t for texts in CALM.values() for t in texts}
    assert not seen & mine


# Each family rests on its rule or not-cue: without it the rules read the message the
# old way (rules only: the learned words and n-grams, rebuilt from data that now holds
# heldout14, may also catch some wordings).
ABLATIONS = [
    (dict(group="有烟或烧焦味，业主却说得很轻"),
     "不好意思打扰 家里有股烟味 会不会是哪里着火了 麻烦你们看看", "urgency", "emergency"),
    (dict(group="有烟或烧焦味，业主却说得很轻"),
     "对不起打扰你们 楼道里有烟味 还有点呛 是不是我想多了 麻烦看看", "urgency", "emergency"),
    (dict(group="邻居做饭、烧烤的烟"), "对面窗户有点烟 好像是在做饭 正常的 不用管", "urgency", "normal"),
    (dict(group="路面、坡道大片塌下去"),
     "地库出口那段坡道塌下去一大片，旁边挡土墙也倒了，刚才有辆车差点翻进去", "urgency", "emergency"),
    (dict(group="地上的砖、台阶松了会绊人"), "人行道有块地砖松了 踩上去一翘一翘的 有空来修一下", "urgency", "normal"),
    (dict(group="请物业上门装防护网"), "孩子大了 想在窗户外面装个防护网 你们能上门装吗 多少钱", "urgency", "normal"),
    (dict(group="英文里时间说在事情后面"),
     "The lift trapped my son for an hour last week, has it been serviced since?", "urgency", "normal"),
    (dict(group="被困电梯后"),
     "今天在电梯里被关了二十分钟才放出来，你们的维保到底什么时候来查", "urgency", "normal"),
    (dict(group="业主自己说\"只是问问"), "电梯困人了一般多久能到 就是问问 现在没事啊", "urgency", "normal"),
    (dict(group="业主说是开玩笑"), "哈哈 厨房着火了 开玩笑的 就是锅糊了 烟感是不是坏了没响", "urgency", "normal"),
    (dict(mood=("hypothetical", "梦到")), "昨晚梦到楼里着火了 吓死 顺便问下灭火器多久检查一次", "urgency", "normal"),
    (dict(mood=("hypothetical", "if he")),
     "What should I tell my dad to do if he ever gets stuck in the lift?", "urgency", "normal"),
    (dict(mood=("hypothetical", "怕")), "客厅吊灯有点晃 怕掉下来砸到人 什么时候能来看看", "urgency", "normal"),
    (dict(not_cue="冒过一次火花"), "插座冒过一次火花 后来没再用 想约电工换个新的", "urgency", "normal"),
    (dict(not_cue="闻不到味儿"), "燃气报警器一直亮着个绿灯 也闻不到味儿 这是正常的吗", "urgency", "normal"),
    (dict(not_cue="烟雾报警"), "家里烟雾报警器按测试键没反应 能帮忙看看吗", "urgency", "normal"),
    (dict(not_cue="喷消毒水"), "楼道喷消毒水味道太冲了 能不能少喷点", "urgency", "normal"),
]


@pytest.mark.parametrize(("removed", "text", "field", "value"), ABLATIONS,
                         ids=[f"{list(a[0].values())[0]}-{i}" for i, a in enumerate(ABLATIONS)])
def test_removing_the_rule_brings_the_error_back(tmp_path, removed, text, field, value):
    kw = dict(learned_path=None, danger_path=None)
    assert getattr(Classifier(**kw).classify(text), field) == value, "precondition"
    data = without(PACKAGED, group=removed.get("group"), not_cue=removed.get("not_cue"),
                   mood=removed.get("mood"))
    path = tmp_path / "ablated.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert getattr(Classifier(rules_path=path, **kw).classify(text), field) != value
