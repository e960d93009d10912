"""A message that names only a place is never an emergency by itself (nlp.place): owners give
exactly that at the "where?" step, and the learned words and n-grams had read "在1号楼" and
"在2号楼3单元楼梯间" as danger because so many emergencies are written with their place."""

from __future__ import annotations

import pytest

from nlp import classify
from nlp.place import only_a_place

PLACES = ["在1号楼1单元门口", "在2号楼3单元楼梯间", "在1号楼", "3号楼2单元5楼楼道", "地下车库B区", "1号楼电梯口",
          "就在5栋2单元大堂", "在二号楼三单元门口", "building 2 unit 3 lobby", "B2 garage near the entrance"]
WITH_DANGER = ["在1号楼1单元门口 有人晕倒了", "电梯困人 在2号楼", "在2号楼3单元楼梯间 好大的烟", "1号楼着火了",
               "在5号楼楼下 有人倒在地上流血"]


@pytest.mark.parametrize("text", PLACES)
def test_a_place_alone_is_no_emergency(text: str) -> None:
    assert only_a_place(text.lower())
    assert classify(text).urgency != "emergency"


@pytest.mark.parametrize("text", WITH_DANGER)
def test_a_place_with_danger_in_it_still_is(text: str) -> None:
    assert not only_a_place(text.lower())
    assert classify(text).urgency == "emergency"
