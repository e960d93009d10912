"""Where the classifier is unsure about danger, the owner is asked one yes/no question
instead of a guess: yes opens the emergency, no carries on as if never asked."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from bot.bootstrap import App
from tests.dialogues.conftest import SQLITE_ONLY, MANAGEMENT, OWNER, emergencies, state
from tests.flows.helpers import all_cases
from tests.harness import People

pytestmark = SQLITE_ONLY

UNSURE = "电梯里好像有人在喊"


@dataclass
class UnsureAbout:
    """The real classifier, unsure about danger for one message (today's rules never are)."""

    real: object
    text: str

    def classify(self, text: str):  # type: ignore[no-untyped-def]
        result = self.real.classify(text)  # type: ignore[attr-defined]
        return replace(result, danger_unsure=True, urgency="urgent") if text == self.text else result


@pytest.fixture
async def unsure(app: App, owner: People) -> People:
    app.desk.classifier = UnsureAbout(app.desk.classifier, UNSURE)
    return owner


async def test_yes_opens_the_emergency_with_the_owners_words(app: App, unsure: People) -> None:
    await unsure.say(OWNER, UNSURE)
    assert "现在有人员或财产危险吗" in unsure.last(OWNER) and await all_cases(app) == []
    await unsure.say(OWNER, "有")
    [case] = await emergencies(app)
    assert case.description == UNSURE and f"#{case.id}" in unsure.last(MANAGEMENT)


async def test_no_carries_on_where_the_owner_was(app: App, unsure: People) -> None:
    await unsure.press(OWNER, "报事报修")
    await unsure.press(OWNER, "公共区域")
    await unsure.say(OWNER, "3号楼电梯")
    assert await state(app) == ("report", "what")
    await unsure.say(OWNER, UNSURE)
    assert await state(app) == ("danger", "ask")
    await unsure.press(OWNER, "没有危险")
    # The message answered the step it was typed at: the report's description.
    assert await state(app) == ("report", "photos") and await all_cases(app) == []
    for label in ("跳过", "一般", "今天", "提交"):
        await unsure.press(OWNER, label)
    [case] = await all_cases(app)
    assert case.description == UNSURE and case.urgency != "emergency" and case.place == "3号楼电梯"


async def test_something_else_instead_of_an_answer_is_read_afresh(app: App, unsure: People) -> None:
    await unsure.say(OWNER, UNSURE)
    await unsure.say(OWNER, "物业电话多少")
    assert "0571-8888-6666" in unsure.last(OWNER) and await all_cases(app) == []


async def test_a_step_answer_is_kept_when_the_owner_lets_the_question_go_by(app: App, unsure: People) -> None:
    await unsure.press(OWNER, "报事报修")
    await unsure.press(OWNER, "公共区域")
    await unsure.say(OWNER, "3号楼电梯")
    await unsure.say(OWNER, UNSURE)
    assert await state(app) == ("danger", "ask")
    # No yes or no: the owner goes on answering the report. The description typed before
    # the question is kept, and this message answers the step after it.
    await unsure.say(OWNER, "没有照片")
    assert await state(app) == ("report", "urgency")
    for label in ("一般", "今天", "提交"):
        await unsure.press(OWNER, label)
    [case] = await all_cases(app)
    assert case.description == UNSURE and case.place == "3号楼电梯" and case.photos == []
