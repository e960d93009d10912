"""Hostile input at every door that used to crash a step (issue 15.5): Unicode digits,
forged button values, far-future dates, NUL characters and lone surrogates.

Each gets a clear answer — never the apology for a failed step, never an ERROR log —
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import logging

import pytest

from bot.bootstrap import App
from handlers.kit.messages import Inbound
from handlers.kit.numbers import parse_int
from handlers.kit.payloads import Pick, decode, encode
from handlers.kit.sanitise import clean_inbound, clean_text
from tests.flows.conftest import MANAGEMENT, SECURITY, bound_owner
from tests.flows.helpers import pick
from tests.harness import People
from tests.notices.conftest import office  # noqa: F401  (fixture)

APOLOGY = "系统开小差了"


@pytest.fixture
def no_errors(caplog: pytest.LogCaptureFixture):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
    yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


def no_apology(people: People) -> None:
    for chat, replies in people.chats.items():
        for reply in replies:
            assert APOLOGY not in reply.text, (chat, reply.text)


# ------------------------------------------------------------------ the helper itself

@pytest.mark.parametrize("text", ["²", "①", "١٢", "１２", "12a", "-1", "+1", "", " ", "1 2", "9" * 20, "1.0", "0x1"])
def test_only_ascii_digits_are_numbers(text: str) -> None:
    assert parse_int(text) is None


def test_numbers_in_range_and_blanks_around() -> None:
    assert parse_int(" 42 ") == 42
    assert parse_int("42", hi=41) is None and parse_int("3", lo=4) is None
    assert parse_int(7) == 7 and parse_int(True) is None and parse_int(None) is None


def test_cleaning_keeps_words_emoji_and_line_breaks() -> None:
    assert clean_text("楼道里着火了\x00冒烟") == "楼道里着火了冒烟"
    assert clean_text("漏水\ud83d了\r\n第二行\t😀") == "漏水了\n第二行\t😀"
    inbound = Inbound("telegram", "1", "1", text="a\x00b", display_name="\udc00王", payload="1|m|x\x00")
    assert clean_inbound(inbound) == Inbound("telegram", "1", "1", text="ab", display_name="王", payload="1|m|x")


# ------------------------------------------------------------------ through the desk

async def test_unicode_digits_after_mycases_and_in_the_case_list(app: App, people: People, no_errors) -> None:
    await bound_owner(people)
    await people.say("u1", "/mycases ²")
    assert people.last("u1") == "“²”不是工单号，请输入数字，例如 /mycases 12。"
    await people.say("u1", "/mycases ١٢")
    assert people.last("u1") == "“١٢”不是工单号，请输入数字，例如 /mycases 12。"
    for typed in ("#²", "12²"):
        await people.press("u1", "我的工单")
        await people.say("u1", typed)  # in the case list: not a case number, so taken as a new request
        assert people.last("u1") == "请问您想办理哪一项？"
    no_apology(people)


async def test_forged_buttons_with_odd_digits_are_expired(app: App, people: People, no_errors) -> None:
    await bound_owner(people)
    await people.press("u1", "报事报修")
    real = decode(people.button("u1", "我家 1-1-101"))
    assert isinstance(real, Pick)
    for forged in (f"1|p|{real.flow}|{real.step}|²|{real.value}", "1|c|view|²", "1|s|①|solved|1", "1|c|view|" + "9" * 30):
        outcome = await people.raw_press("u1", forged)
        assert outcome.answer == "这个按钮已过期，请使用最新的消息。"
    no_apology(people)


@pytest.mark.parametrize("value", ["room", "room:", "room:²", "roomx", "room:-1", "room:99999999999999999999"])
async def test_a_forged_room_choice_is_refused_politely(app: App, people: People, no_errors, value: str) -> None:
    await bound_owner(people)
    await people.press("u1", "报事报修")
    outcome = await people.raw_press("u1", pick(people, "u1", "我家 1-1-101", value))
    assert people.last("u1") == "这个按钮已过期，请使用最新的消息。"
    assert outcome.answer is not None
    await people.press("u1", "我家 1-1-101")  # the real button still works
    assert "描述" in people.last("u1")
    no_apology(people)


async def test_report_for_a_date_at_the_end_of_time(app: App, people: People, office, no_errors) -> None:  # noqa: F811
    for arg in ("9999-12-31", "9999-12-31 9999-12-31", "0001-01-01", "²０２６-01-01", "2026-1-1 9999-12-31"):
        await people.say("lzy", f"/report {arg}")
        assert people.last("lzy").startswith("用法：/report 查看本周至今"), (arg, people.last("lzy"))
    no_apology(people)


async def test_a_unit_forged_with_odd_digits_in_the_notice_flow(app: App, people: People, office, no_errors) -> None:  # noqa: F811
    await people.say("lj", "/notice")
    await people.press("lj", "1号楼")  # two units: the unit question
    for value in ("u:²", "u:-1", "u:99", "u:"):
        await people.raw_press("lj", pick(people, "lj", "1单元", value))
        assert "请使用按钮" in people.last("lj") or "按钮" in people.last("lj"), people.last("lj")
    no_apology(people)


async def test_an_emergency_with_a_nul_character_is_filed(app: App, people: People, no_errors) -> None:
    await bound_owner(people)
    await people.say("u1", "楼道里着火了\x00冒烟")
    async with app.uow() as uow:
        (case,) = await uow.cases.recent()
    # The alarm is raised (and then, the place unknown, the owner is asked where).
    assert f"🚨 已按紧急情况为您派单（工单 #{case.id}）" in people.all_text("u1")
    assert case.urgency == "emergency" and case.description == "楼道里着火了冒烟"
    assert f"#{case.id}" in people.last(MANAGEMENT) or f"#{case.id}" in people.last(SECURITY)
    no_apology(people)


async def test_lone_surrogates_and_nul_in_names_and_payloads(app: App, people: People, no_errors) -> None:
    await people._send("s9", text="电梯\ud83d困人了！\x003号楼有人被关在里面", display_name="\x00\udc00")
    async with app.uow() as uow:
        (case,) = await uow.cases.recent()
    assert case.urgency == "emergency" and case.description == "电梯困人了！3号楼有人被关在里面"
    await people._send("s9", text="/start\ud83d", display_name="\x00\udc00")
    assert "绑定" in people.last("s9")
    outcome = await people.raw_press("s9", "1|m|x\x00\ud800")
    assert outcome.answer == "这个按钮已过期，请使用最新的消息。"
    no_apology(people)
