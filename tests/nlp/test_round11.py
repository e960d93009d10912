"""Round 11: six misreads a dialogue author found, fixed as families, each with
wordings written here (in no labelled set; checked below) and its look-alikes.

What the owner notices: a calm message asked "现在有人员或财产危险吗？"
(danger_unsure), or a clear report or booking answered with "which kind is it?"
(low_confidence) or the wrong kind. Each family runs the shipped classifier;
``test_ablation.py`` (ROUND11_ABLATIONS) shows each one rests on its rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nlp import Classifier
from nlp.evaluate import load_jsonl
from tests.nlp.test_ablation import PACKAGED, without

# family → (kind, category) expected, wordings (the first is the author's)
SURE = {
    "a past complaint about staff": (("complaint", "order"), [
        "我要投诉你们保安 昨晚十一点我在北门叫了半天没人开门 态度还很差",
        "投诉一下门岗 昨天晚上我回来按了半天喇叭没人开门",
        "昨晚在东门敲了半天门 值班的保安才出来 态度特别凶",
    ]),
    "a drip": (("report", "plumbing"), [
        "还有热水器底下也在滴水",
        "厨房水槽下面的管子在滴水",
        "卫生间天花板在往下滴水",
        "水龙头关不紧 一直在滴",
    ]),
    "a home fault with a time the owner is in": (("report", "plumbing"), [
        "2-1-101那套房子卫生间的马桶一直漏水 明天上午家里有人 可以上门",
        "厨房的水管漏水了 明天下午家里有人 随时可以来",
        "我家马桶堵了 明早九点后都在家 可以上门",
    ]),
    "a stuck household fixture": (("report", "building"), [
        "阳台的晾衣架摇不下来了",
        "卧室的窗户卡住了关不上",
        "厨房推拉门推不动了",
        "晾衣架升降的绳子卡住了 降不下来",
    ]),
    "booking someone to replace or fit a thing": (("service", "home_repair"), [
        "想约个师傅来换水龙头 明天下午",
        "预约一下换水龙头的服务 明天下午",
        "帮我约一下换水龙头 明天下午可以",
        "想预约师傅上门换个马桶盖",
        "约个时间来装一下热水器 周末都行",
        "帮我约师傅换一下卫生间的灯泡",
    ]),
}
SURE_CASES = [pytest.param(want, t, id=f"{family}-{i}")
              for family, (want, texts) in SURE.items() for i, t in enumerate(texts)]


@pytest.mark.parametrize(("want", "text"), SURE_CASES)
def test_a_calm_message_of_the_family_is_read_sure_and_not_asked_about_danger(clf, want, text):
    got = clf.classify(text)
    assert (got.kind, got.category) == want, got
    assert got.urgency != "emergency", got
    assert not got.danger_unsure, got
    assert not got.low_confidence, got


CONNECTIVES = ["另外", "还有", "对了 ", "顺便说一下，"]
CALM_AFTER = ["客厅有个插座没电了", "热水器底下也在滴水", "书房的灯不亮了", "楼道的声控灯坏了"]
DANGER_AFTER = ["厨房有很重的煤气味", "三楼楼道里在冒烟", "电梯里还关着一个人 出不来", "地库里有人晕倒了"]


@pytest.mark.parametrize("lead", CONNECTIVES)
@pytest.mark.parametrize("text", CALM_AFTER + DANGER_AFTER)
def test_a_leading_connective_does_not_change_the_danger_reading(clf, lead, text):
    alone, led = clf.classify(text), clf.classify(lead + text)
    assert (led.kind, led.urgency, led.danger_unsure) == (alone.kind, alone.urgency, alone.danger_unsure)
    assert led.urgency == ("emergency" if text in DANGER_AFTER else "normal")


def test_someone_still_there_is_no_connective(clf):
    # 还有人… means "someone is still (there)", not "also": it stays in the reading.
    rules = clf.rules
    assert rules.opener_end(clf.normalize("还有人被困在电梯里")) == 0
    assert rules.opener_end(clf.normalize("在吗，另外，楼道灯坏了")) == len("在吗，另外，")


# Look-alikes: a danger still going on stays an emergency inside each family's wording.
STILL_DANGER = [
    "我要投诉保安 昨晚开始地库就有很重的煤气味 到现在还没人来管",
    "昨晚电梯就困人了 喊了半天保安都不来 我妈现在还在里面",
    "另外楼上渗下来的水滴到电箱里了 在冒火花",
    "天花板在漏水，正好滴到插座上",
    "water keeps dripping from the kitchen ceiling light and it crackles, the light flickers",
    "电梯门卡住了 里面有人出不来",
]


@pytest.mark.parametrize("text", STILL_DANGER)
def test_a_danger_still_going_on_stays_an_emergency(clf, text):
    assert clf.classify(text).urgency == "emergency"


@pytest.mark.parametrize(("text", "want"), [
    ("想请保洁阿姨明天上午来打扫 家里有人", ("service", "housekeeping")),  # a time, but no fault
    # who is in (not when): a paid job for someone who cannot do it
    ("卫生间的灯泡坏了 我妈一个人在家够不着 能派个师傅来换吗 收费没关系", ("service", "home_repair")),
    ("想装一个电动晾衣架", ("service", "home_repair")),  # a fixture, but not stuck
    ("想预约一下搬家 周六上午", ("service", "moving")),  # a booking, but no repair object
    ("想预约擦玻璃 这周六上午方便", ("service", "housekeeping")),
    ("投诉管家 昨天打了一下午电话都没人理", ("complaint", "common")),  # the butler: common, not order
])
def test_the_families_look_alikes_keep_their_reading(clf, text, want):
    got = clf.classify(text)
    assert (got.kind, got.category) == want, got


def test_these_messages_are_in_no_data_set(dev_texts):
    data = Path(__file__).resolve().parent / "data"
    seen = set(dev_texts)
    for name in sorted(p.name for p in data.glob("*.jsonl")):
        seen |= {r["text"] for r in load_jsonl(data / name)}
    mine = {t for _, texts in SURE.values() for t in texts[1:]}  # the first is the author's
    mine |= set(STILL_DANGER) - {"天花板在漏水，正好滴到插座上"}  # round 10's
    assert not seen & mine


# Each family rests on its rule: without it the shipped classifier (learned words
# and n-grams included: they are what misread these) gives the misread back.
# Round 12: with heldout13, train_l and train_m in the pool the learned words and n-grams read
# the past staff complaint and the home fault with a visit time right without their
# rules, so those two ablations no longer show anything; SURE above still guards them.
# Round 13: with heldout14 in the pool they also read a leading connective right without
# `leading_connectives` (另外客厅有个插座没电了 and eight other wordings are not asked about
# either way), so that ablation went too; the connective tests above still guard it.
ABLATIONS = [
    (dict(group="滴水是慢慢滴"), "卫生间天花板在往下滴水", "urgency", "normal"),
    (dict(group="家里的晾衣架、窗、门卡住了"), "阳台的晾衣架摇不下来了", "low_confidence", False),
    (dict(group="约师傅换、装家里的东西"), "帮我约一下换水龙头 明天下午可以", "category", "home_repair"),
]


@pytest.mark.parametrize(("removed", "text", "field", "value"), ABLATIONS,
                         ids=[list(a[0].values())[0] if a[0].get("group") else "connectives" for a in ABLATIONS])
def test_removing_the_rule_brings_the_misread_back(clf, tmp_path, removed, text, field, value):
    assert getattr(clf.classify(text), field) == value, "precondition"
    data = without(PACKAGED, group=removed.get("group"))
    if removed.get("connectives"):
        data["leading_connectives"] = []
    path = tmp_path / "ablated.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert getattr(Classifier(rules_path=path).classify(text), field) != value
