"""Whether a message names only a place ("在1号楼1单元门口", "2号楼3单元楼梯间", "B2 garage").

Owners answer "具体位置？" with nothing but the place.  Emergencies are so often written with
their place ("…在1号楼门口倒下了") that the learned words and the character n-grams lean towards
danger for the place alone; a message that says where and nothing else has no danger in it,
and only a rule cue can make it an emergency (nlp.classifier).
"""

from __future__ import annotations

import re

_NUM = r"(?:[0-9０-９]+|[一二三四五六七八九十两百零〇]+|[a-z])"
_PLACE_WORDS = (
    "号楼|号门|号库|栋|幢|座|单元|层|楼|室|号|区|期|排|户|门牌"
    "|单元门口|单元门|大门口|大门|门口|门前|门外|楼道|楼梯间|楼梯口|楼梯|走廊|过道|电梯口|电梯厅|电梯间|电梯里|电梯"
    "|大堂|大厅|楼下|楼上|楼顶|天台|屋顶|地下室|地下车库|车库|停车场|车位|负一层|负一楼|负二层|负二楼"
    "|花园|绿化带|草坪|广场|小区|院子|南门|北门|东门|西门|岗亭|入口|出口|门禁|外墙|阳台|平台"
    "|我家|家里|家门口|公共区域|这边|那边|这里|那里|旁边|附近|对面|里面|外面|边上|上面|下面"
    "|building|block|tower|unit|floor|level|room|flat|apartment|lobby|stairwell|stairs|corridor|hallway"
    "|garage|basement|car ?park|parking|entrance|gate|lift lobby|elevator lobby|roof|outside|inside|near|next to"
    "|in front of|by|at|in|on|the|of|no\\.?|number|my home|home"
)
_LEAD = r"^(?:就在|是在|位置是|位置在|地点是|地点在|地址是|在|是|位置|地点|地址|place|location)?"
_PIECE = rf"(?:{_NUM}|{_PLACE_WORDS}|[的里边口前后内外中间处上下]|[\s\-—#－、,，.。:：/])"
_ONLY = re.compile(rf"{_LEAD}(?:{_PIECE})+$", re.IGNORECASE)
_HAS_PLACE = re.compile(r"号楼|栋|幢|单元|楼道|楼梯|门口|车库|大堂|building|block|unit|garage|lobby", re.IGNORECASE)


def only_a_place(norm: str) -> bool:
    """True when the (normalized) message is a place and nothing else."""
    s = norm.strip()
    return bool(s) and len(s) <= 40 and _HAS_PLACE.search(s) is not None and _ONLY.match(s) is not None
