"""Remove one rule and check the message it exists for changes its answer.

This guards the tests themselves: each family test in ``test_families.py``
would fail if the rule it is about were deleted from ``rules.yaml``. Each
case builds a classifier from a copy of the packaged rules with one rule
group (found by the start of its ``why``), negator or typo taken out.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from nlp import Classifier, hant
from nlp.rules import DEFAULT_RULES

with open(DEFAULT_RULES, encoding="utf-8") as f:
    PACKAGED = yaml.safe_load(f)


def without(data: dict, *, group: str | None = None, negator: str | None = None,
            typo: str | None = None, setting: tuple[str, object] | None = None) -> dict:
    data = copy.deepcopy(data)
    if group is not None:
        before = len(data["rules"])
        data["rules"] = [g for g in data["rules"] if not str(g.get("why", "")).startswith(group)]
        assert len(data["rules"]) == before - 1, f"no single group starts with {group!r}"
    if negator is not None:
        data["negators"]["zh"].remove(negator)
    if typo is not None:
        del data["typos"][typo]
    if setting is not None:
        data["settings"][setting[0]] = setting[1]
    return data


def build(tmp_path, data: dict) -> Classifier:
    path = tmp_path / "ablated.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return Classifier(rules_path=path)


ABLATIONS = [
    # (what to remove, message, field, value with the rule)
    (dict(group="着火、冒烟"), "5号楼18楼有人家窗户往外冒黑烟", "urgency", "emergency"),
    (dict(group="燃气/煤气泄漏"), "地下室有股很重的天然气味道", "urgency", "emergency"),
    (dict(group="电梯 + 有人出不来"), "The lift in block 3 has stopped between floors and my son is stuck inside!",
     "urgency", "emergency"),
    (dict(group="水路上的东西爆了"), "卫生间角阀爆了，水一直喷，关不住", "urgency", "emergency"),
    (dict(group="有人受伤"), "花园里一个小孩从滑梯上摔下来，头在流血", "urgency", "emergency"),
    (dict(negator="没有"), "配电箱没有冒烟，就是一直嗡嗡响", "urgency", "normal"),
    (dict(group="业主说不急"), "家里一点电都没了，不急，明天白天来看就行", "urgency", "normal"),
    (dict(group="没人管、没人来"), "卧室插座没电，报修三天了都没人上门", "kind", "complaint"),
    (dict(group="拖了很久还没好"), "我家阳台门关不严，快一个月了还没修", "kind", "complaint"),
    (dict(setting=("complaint_over_report_at", 99)), "卫生间水管爆了，水一直往外喷，打了值班电话说马上到，等到现在",
     "kind", "complaint"),
    (dict(group="邻里纠纷"), "楼上每天半夜打麻将，吵得我们睡不着，上去说了也不听", "category", "neighbor"),
    (dict(group="政府部门、热线、媒体"), "12345那边已经把我反映的电梯问题转给你们了，什么时候处理", "category", "government"),
    (dict(group="只是威胁要打 12345"), "电梯天天坏，再不修好我就打12345投诉", "category", "equipment"),
    (dict(typo="点梯"), "点梯卡在3楼了里面有人", "category", "elevator"),
    (dict(group="公共区域"), "3栋楼道的声控灯不亮了", "area", "public"),
    (dict(group="户内 / inside"), "厨房里突然好多蟑螂", "area", "home"),
    (dict(group="明确请物业办事"), "车位下个月到期，帮我续一年，怎么交钱？", "kind", "service"),
    (dict(group="问手续怎么办"), "需要什么材料才能办装修许可", "kind", "inquiry"),
    (dict(group="卡、钥匙坏了或丢了"), "门禁卡坏了，想再补办一张", "kind", "service"),
    (dict(group="只是用电梯当位置"), "电梯口有人扔了一袋垃圾", "category", "environment"),
]


@pytest.mark.parametrize(("removed", "text", "field", "value"), ABLATIONS,
                         ids=[f"{i}-{list(a[0].values())[0]}" for i, a in enumerate(ABLATIONS)])
def test_removing_the_rule_changes_the_answer(tmp_path, removed, text, field, value):
    assert getattr(Classifier.default().classify(text), field) == value, "precondition"
    ablated = build(tmp_path, without(PACKAGED, **removed))
    assert getattr(ablated.classify(text), field) != value


def test_without_the_traditional_table_traditional_text_is_lost(monkeypatch):
    text = "電梯壞了，停在十樓不動"
    assert Classifier.default().classify(text).category == "elevator"
    monkeypatch.setattr(hant, "TABLE", {})
    assert Classifier.default().classify(text).category != "elevator"


def test_whole_word_matching_is_what_keeps_cigarettes_out():
    # 烟 is a one-character cue; only segmentation keeps it out of 烟头.
    clf = Classifier.default()
    assert clf.classify("楼道里有烟").urgency == "emergency"
    assert clf.classify("楼道里有烟头").urgency == "normal"
