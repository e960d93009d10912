"""No trap anywhere: /menu, /start and 取消/算了/不用了 always work, a button question given
words reads them as new input or says clearly what it did not understand, and switching
intent mid-flow answers the new intent."""

from __future__ import annotations

from bot.bootstrap import App
from tests.dialogues.conftest import OWNER, SQLITE_ONLY, state
from tests.flows.helpers import all_cases
from tests.harness import People

pytestmark = SQLITE_ONLY

PRESS_ONLY = "请点击上面的按钮"


async def test_cancel_with_nothing_open_says_so_and_the_next_message_is_read(app: App, owner: People) -> None:
    await owner.say(OWNER, "取消")
    assert "当前没有进行中的操作" in owner.last(OWNER)
    await owner.say(OWNER, "楼道灯不亮了")
    assert PRESS_ONLY not in owner.last(OWNER) and "楼道灯不亮了" in owner.last(OWNER)


async def test_every_way_out_of_the_chooser_works(app: App, owner: People) -> None:
    for way_out in ["/menu", "/start", "取消", "算了", "不用了", "不要了"]:
        await owner.say(OWNER, "我有事")
        assert await state(app) == ("router", "choose")
        await owner.say(OWNER, way_out)
        assert await state(app) == ("", "") and PRESS_ONLY not in owner.last(OWNER), way_out
        assert owner.chats[OWNER][-1].buttons  # the menu to start again from
        await owner.say(OWNER, "卫生间下水道堵了")
        assert "卫生间下水道堵了" in owner.last(OWNER)  # read as a new request, not as an answer
        await owner.say(OWNER, "取消")
    assert await all_cases(app) == []


async def test_words_at_the_chooser_are_new_input_or_a_clear_question_again(app: App, owner: People) -> None:
    await owner.say(OWNER, "我有事")
    await owner.say(OWNER, "啊这")
    assert "没太看懂" in owner.texts(OWNER)[-2] and "请问您想办理哪一项" in owner.last(OWNER)
    await owner.say(OWNER, "物业费在哪里交")
    assert "物业费可在客服中心" in owner.last(OWNER)
    assert await all_cases(app) == []


BUTTON_STEPS = [
    (["report", "我家", "卫生间的灯不亮了", "跳过"], ("report", "urgency")),
    (["report", "我家", "卫生间的灯不亮了", "跳过", "一般", "今天"], ("report", "confirm")),
    (["booking", "first", "first"], ("booking", "confirm")),
]


async def test_a_button_question_given_words_never_just_says_press_the_buttons(app: App, owner: People) -> None:
    for reach, step in BUTTON_STEPS:
        await _at_button_step(app, owner, reach, step)
        await owner.say(OWNER, "取消")


async def _at_button_step(app: App, owner: People, reach: list[str], step: tuple[str, str]) -> None:
    await owner.press(OWNER, {"report": "报事报修", "booking": "预约服务"}[reach[0]])
    for item in reach[1:]:
        if item == "first":
            reply = next(r for r in reversed(owner.chats[OWNER]) if r.buttons)
            await owner.raw_press(OWNER, reply.buttons[0][0].payload)
        elif item in ("我家", "跳过", "一般", "今天"):
            await owner.press(OWNER, item)
        else:
            await owner.say(OWNER, item)
    assert await state(app) == step
    await owner.say(OWNER, "唔唔唔")
    said = owner.texts(OWNER)[-2]  # "didn't understand" (or the step's own hint with the words that do)
    assert ("没太看懂" in said or "没听明白" in said) and owner.chats[OWNER][-1].buttons  # the question again
    assert all(PRESS_ONLY not in t for t in owner.texts(OWNER)[-2:])
    await owner.say(OWNER, "谢谢")
    assert "我们接着来" in owner.texts(OWNER)[-2] and await state(app) == step
    await owner.say(OWNER, "/menu")
    assert await state(app) == ("", "") and "回到刚才的" in owner.chats[OWNER][-1].buttons[0][0].text
    await owner.press(OWNER, "回到刚才的")
    assert await state(app) == step
    assert await all_cases(app) == []


async def test_switching_intent_mid_flow_answers_the_new_intent(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.say(OWNER, "算了 我想问一下物业费怎么交")
    assert "物业费可在客服中心" in owner.last(OWNER)
    await owner.press(OWNER, "投诉")
    await owner.say(OWNER, "不用了 我问一下快递放哪里")
    assert "菜鸟驿站" in owner.last(OWNER)
    await owner.press(OWNER, "预约服务")
    await owner.say(OWNER, "报修")
    assert await state(app) == ("report", "room")
    await owner.say(OWNER, "我的工单")
    assert await state(app) == ("", "") and "还没有工单" in owner.last(OWNER)
    assert await all_cases(app) == []


async def test_a_question_in_the_middle_of_a_report_is_answered_and_the_report_waits(app: App, owner: People) -> None:
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "我家")
    await owner.say(OWNER, "卧室窗户关不上了")
    await owner.press(OWNER, "跳过")
    await owner.say(OWNER, "请问物业电话多少")
    assert "0571-8888-6666" in owner.last(OWNER)
    await owner.press(OWNER, "解决了")
    await owner.press(OWNER, "回到刚才的报事报修")
    assert await state(app) == ("report", "urgency")
    await owner.press(OWNER, "一般")
    await owner.press(OWNER, "今天")
    await owner.press(OWNER, "提交")
    [case] = await all_cases(app)
    assert case.description == "卧室窗户关不上了"


async def test_calling_off_with_a_new_intent_starts_it_and_nonsense_is_not_a_description(app: App,
                                                                                        owner: People) -> None:
    await owner.say(OWNER, "报修")
    await owner.say(OWNER, "啊啊啊")  # at the place question: not taken as the problem's description
    assert "没太看懂" in owner.texts(OWNER)[-2] and "请问是哪里的问题" in owner.last(OWNER)
    await owner.say(OWNER, "算了 我要投诉")
    assert await state(app) == ("complaint", "what")
    await owner.say(OWNER, "取消")
    await owner.press(OWNER, "报事报修")
    await owner.press(OWNER, "我家")
    await owner.say(OWNER, "卫生间灯不亮")
    await owner.say(OWNER, "镜子上方的那盏灯闪了几下就灭了")  # at the photo step: more of the account
    assert "补充到问题描述" in owner.texts(OWNER)[-2] and await state(app) == ("report", "photos")
    for label in ("跳过", "一般", "今天", "提交"):
        await owner.press(OWNER, label)
    [case] = await all_cases(app)
    assert case.description == "卫生间灯不亮；镜子上方的那盏灯闪了几下就灭了"


async def test_the_service_named_in_words_is_picked(app: App, owner: People) -> None:
    await owner.say(OWNER, "预约")
    await owner.say(OWNER, "我想约个保洁")
    assert await state(app) == ("booking", "slot")
    await owner.raw_press(OWNER, next(r for r in reversed(owner.chats[OWNER]) if r.buttons).buttons[0][0].payload)
    assert "家庭深度保洁" in owner.last(OWNER)



async def test_calling_off_by_name_goes_on_to_what_follows(app: App, owner: People) -> None:
    await owner.press(OWNER, "投诉")
    await owner.say(OWNER, "先不投诉了 外来车辆停车怎么收费")
    assert "临时停车首小时免费" in owner.last(OWNER) and await all_cases(app) == []
    await owner.press(OWNER, "报事报修")
    await owner.say(OWNER, "不用修了")
    assert await state(app) == ("", "") and await all_cases(app) == []


async def test_an_unknown_service_shows_the_list_again(app: App, owner: People) -> None:
    await owner.press(OWNER, "预约服务")
    await owner.say(OWNER, "asdfgh")
    assert PRESS_ONLY not in owner.all_text(OWNER)
    again = owner.chats[OWNER][-1]
    assert "请选择您要预约的服务" in again.text and any("灯具安装" in b.text for row in again.buttons for b in row)
    assert "没有找到“asdfgh”这项服务" in owner.texts(OWNER)[-2] and await state(app) == ("booking", "item")
