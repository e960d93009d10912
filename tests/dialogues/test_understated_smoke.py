"""An owner who apologises and doubts herself about smoke or a burning smell (nlp round 13:
会不会是着火, 是不是我想多了, 不知道哪里来的) gets an emergency case and the fire advice at
once, not a routine ticket and not only the danger question; a neighbour's cooking smoke the
owner calls normal opens no emergency."""

from __future__ import annotations

from bot.bootstrap import App
from cases.clock import FakeClock
from tests.dialogues.conftest import MANAGEMENT, OWNER, SQLITE_ONLY, emergencies, later
from tests.harness import People

UNDERSTATED = [
    "不好意思打扰 家里有股烟味 会不会是哪里着火了 麻烦你们看看",
    "我是5栋的王奶奶 不好意思啊 楼道里好像有点烟 是不是我想多了 麻烦你们看看",
    "对不起麻烦你们 我闻到有点焦味 不知道是从哪里来的 家里有点烟 麻烦看看",
]


@SQLITE_ONLY
async def test_an_apologetic_smoke_report_opens_an_emergency_at_once(app: App, owner: People,
                                                                     clock: FakeClock) -> None:
    for i, text in enumerate(UNDERSTATED, 1):
        seen = len(owner.chats[OWNER])
        await owner.say(OWNER, text)
        opened = await emergencies(app)
        assert len(opened) == i, text
        case = opened[-1]
        assert case.description == text and case.status == "dispatched"
        told = "\n".join(owner.texts(OWNER)[seen:])
        assert f"🚨 已按紧急情况为您派单（工单 #{case.id}）" in told and "119" in told
        assert f"🚨 紧急工单 #{case.id}" in owner.last(MANAGEMENT)
        later(clock)


@SQLITE_ONLY
async def test_a_neighbours_cooking_smoke_called_normal_is_no_emergency(app: App, owner: People) -> None:
    await owner.say(OWNER, "对面窗户有点烟 好像是在做饭 正常的 不用管")
    assert await emergencies(app) == []
    assert "🚨" not in "\n".join(owner.texts(OWNER))
