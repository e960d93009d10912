"""What an owner is told the moment an emergency is reported: help is coming, and what to do now.

The advice depends on what is happening — a gas leak, a fire, someone trapped in a lift,
someone hurt, water flooding in, sparking wiring, an intruder or a fight — read from the
owner's own words (`emergency_types`), with the community's emergency numbers.
"""

from __future__ import annotations

import re

from cases.lifecycle import Case
from cases.when import normalise
from handlers.kit.context import Ctx

# Most dangerous first: a message naming two dangers gets both pieces of advice, in this order.
EMERGENCY_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fire", ("着火", "起火", "失火", "火灾", "火警", "烧起来", "烧着", "火苗", "明火", "火很大", "大火", "冒烟", "浓烟",
              "烟很大", "好多烟", "烟雾", "黑烟", "烧焦", "fire", "smoke", "burning", "flames")),
    ("gas", ("煤气", "燃气", "天然气", "液化气", "瓦斯", "漏气", "气味很大", "gas")),
    ("electrical", ("火花", "打火", "漏电", "触电", "电到", "电线", "电箱", "配电", "电表箱", "短路", "插座冒", "插座烧",
                    "电闸", "spark", "electric shock", "live wire", "electrocut")),
    ("medical", ("摔倒", "摔了", "摔下来", "摔到头", "摔伤", "跌倒", "滑倒", "起不来", "晕倒", "昏倒", "昏迷", "晕过去", "不省人事", "受伤", "伤了", "流血", "出血", "骨折",
                 "心脏", "喘不上气", "呼吸困难", "抽搐", "中风", "中暑", "急救", "救护车", "砸到", "砸伤", "割伤", "烫伤",
                 "injur", "hurt", "bleeding", "unconscious", "fainted", "fell", "ambulance")),
    ("trapped", ("困", "被关", "关在", "关里面", "出不来", "卡在", "卡住了", "锁在里面", "电梯停", "电梯坏在", "trapped",
                 "stuck in", "locked in")),
    ("intruder", ("小偷", "入室", "盗窃", "偷东西", "撬门", "撬锁", "撬窗", "陌生人", "可疑", "闯进", "闯入", "翻进", "爬进",
                  "溜进", "钻进", "撬我家", "在撬", "打架", "打人", "斗殴",
                  "持刀", "拿刀", "动刀", "砍人", "抢劫", "闹事", "家暴", "威胁", "跟踪", "intruder", "burglar", "thief",
                  "break-in", "fight", "knife", "attack", "violence")),
    ("flood", ("漏水", "爆管", "水管爆", "水管炸", "管子爆", "爆了", "淹", "进水", "积水", "水漫", "漫水", "倒灌", "溢出",
               "漫出", "漫到", "冒水", "喷水", "水喷", "涌出", "污水", "粪水", "返水", "管裂", "水管裂", "爆裂", "往外喷", "往外冒水",
               "flood", "burst pipe", "water everywhere", "overflow")),
)
# What a danger rule of the classifier (nlp/rules.yaml) is about, read from its `why` (each says
# it in Chinese and English): the rule that fired names the danger even in words none of the
# lists above has ("水管裂开了 水喷得满地都是").  One danger per rule, the first that fits in this
# order (the most specific first: "sparks, burning smell from wiring" is electrical, not fire);
# a "(without …)" note says what the rule is not about and is not read.
WHY_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("electrical", ("wiring", "spark", "shock", "current is leaking", "socket", "switchboard", "meter box", "漏电", "触电")),
    ("gas", ("gas", "carbon monoxide", "fumes", "petrol", "fuel", "燃气", "煤气", "一氧化碳")),
    ("trapped", ("trapped", "cannot get out", "locked in", "i am in the lift", "caught in", "locked out with", "被困")),
    ("medical", ("injur", "collapsed", "breathe", "chest pain", "fallen", "broken", "bitten", "stinging people",
                 "falling", "life-support", "jumping", "screaming", "cold or confused", "受伤", "晕倒")),
    ("intruder", ("break-in", "theft", "fight", "intruder", "weapon", "smashing", "throwing things", "attacking")),
    ("flood", ("burst", "water pouring", "water spraying", "flood", "sewage", "water running onto", "water reaching")),
    ("fire", ("fire", "smoke", "flames", "burning smell", "着火", "冒烟")),
)
_NOT_ABOUT = re.compile(r"[(（](?:without|not)\b[^)）]*[)）]?", re.IGNORECASE)
# A danger told in words neither lists: the case's category says which advice fits.
CATEGORY_TYPES = {"plumbing": "flood", "elevator": "trapped", "electrical": "electrical"}
# Which number to call first for each danger (the community's emergency numbers).
CALL = {"fire": "fire", "medical": "medical", "intruder": "police"}
MAX_TIPS = 2


def emergency_types(text: str, cues: tuple[str, ...] = (), category: str = "") -> tuple[str, ...]:
    """The dangers the owner's words name, most dangerous first ("" text: none): by the words
    above, by the classifier's danger rules that fired (`cues`: their `why`, see
    `ReadOnce.danger_cues`), else by the case's category."""
    s = normalise(text or "")[:2000]
    negated = ("没有燃气味", "没有煤气味", "没闻到", "没有闻到", "没有烟", "没着火", "没有人受伤", "没人受伤", "没受伤")
    for phrase in negated:
        s = s.replace(phrase, " ")
    found = {kind for kind, words in EMERGENCY_TYPES if any(w in s for w in words)}
    for why in cues:
        about = _NOT_ABOUT.sub(" ", why.lower())
        found |= {next((kind for kind, words in WHY_TYPES if any(w in about for w in words)), "default")} - {"default"}
    if not found and category in CATEGORY_TYPES:
        found.add(CATEGORY_TYPES[category])
    return tuple(kind for kind, _ in EMERGENCY_TYPES if kind in found)


def emergency_guidance(ctx: Ctx, case: Case) -> str:
    """The owner's message after an emergency case opened: the case number, advice for the
    danger they described, and whom to call."""
    numbers = {"fire": "119", "medical": "120", "police": "110", **ctx.policy.emergency_numbers}
    told = f"{case.description} {case.place}"
    reader = getattr(ctx.classifier, "danger_cues", None)
    cues = reader(told) if reader is not None else ()
    kinds = emergency_types(told, cues, case.category)[:MAX_TIPS] or ("default",)
    fields = dict(fire=numbers["fire"], medical=numbers["medical"], police=numbers["police"],
                  hotline=ctx.policy.hotline or "-")
    tips = "\n".join(ctx.t(f"emergency.tip_{k}", **fields) for k in kinds)
    first_call = next((CALL[k] for k in kinds if k in CALL), None)
    call = ctx.t(f"emergency.call_{first_call}" if first_call else "emergency.call_any", **fields)
    return ctx.t("emergency.opened", id=case.id, tips=tips, call=call, hotline=fields["hotline"])
