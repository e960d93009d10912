"""The WeCom channel's parts on their own: where a team's messages go (one answer, both
databases), response codes spent once (both databases, two spenders at once), the card
and text rendering within WeCom's limits, and the settings."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.bootstrap import App, load_community_file
from bot.settings import SettingsError, load_settings
from bot.wecom import render
from handlers.kit.messages import Button, Reply, rows
from storage.db import create_engine, session_maker
from storage.wecom_cards import CardCodes
from tests.conftest import EXAMPLE_COMMUNITY


async def test_team_destinations_are_the_group_chats_the_robot_feed_and_each_member_in_the_app(
        app: App, tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE_COMMUNITY.read_text(encoding="utf-8"))
    for team in data["teams"]:
        if team["code"] == "engineering":
            team["chats"] = {"telegram": "-1001", "wecom": "robot-key-eng"}
    for member in data["staff"]:
        member["chats"] = {"王强": {"wecom": "wangqiang"}, "刘洋": {"wecom": "liuyang", "telegram": "2002"},
                           "孙浩": {"telegram": "2003"}, "张勇": {"wecom": "zhangyong"}}.get(member["name"], {})
    path = tmp_path / "community.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    await load_community_file(app, str(path))
    async with app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        engineering = await uow.directory.team_destinations(community.id, "engineering")
        security = await uow.directory.team_destinations(community.id, "security")
        assert await uow.directory.team_chat("wecom", "engineering") == "robot-key-eng"
    # Telegram: the group, where staff press; WeCom: the robot's read-only feed (named by
    # the team: its key is a credential and stays out of the outbox), and every member who
    # has WeCom, privately (where the buttons are).  Nobody twice, no other team.
    assert engineering == [("telegram", "-1001"), ("wecom", "robot:engineering"),
                           ("wecom", "wangqiang"), ("wecom", "liuyang")]
    assert security == [("console", "秩序部群"), ("wecom", "zhangyong")]


async def test_a_response_code_is_spent_once_newest_first_and_not_after_72_hours(database_url: str, clock) -> None:
    engine = create_engine(database_url)
    codes = CardCodes(session_maker(engine))
    try:
        now = clock.now()
        await codes.add("task-a", "u1", "from-send", now)
        await codes.add("task-a", "u1", "from-tap", now + timedelta(seconds=5))
        await codes.add("task-b", "u2", "old", now - timedelta(hours=72))
        later = now + timedelta(minutes=1)
        assert await codes.take("task-a", later) == "from-tap"
        assert await codes.take("task-a", later) == "from-send"
        assert await codes.take("task-a", later) is None
        assert await codes.take("task-b", later) is None  # lapsed
        # Two processes wanting the one code of a card at the same moment: one gets it.
        await codes.add("task-c", "u3", "only", now)
        got = await asyncio.gather(*(CardCodes(session_maker(engine)).take("task-c", later) for _ in range(4)))
        assert got.count("only") == 1 and got.count(None) == 3
    finally:
        await engine.dispose()


def test_long_text_is_cut_within_wecoms_byte_limit_at_newlines() -> None:
    text = "\n".join(f"第{i}行：" + "水管漏水" * 30 for i in range(40))
    parts = render.split_bytes(text, render.TEXT_LIMIT)
    assert len(parts) > 1 and all(len(p.encode()) <= render.TEXT_LIMIT for p in parts)
    assert "\n".join(parts) == text  # cut at newlines: nothing lost, nothing added
    assert render.split_bytes("", 10) == [""]


def test_cards_hold_six_buttons_whose_keys_are_the_payloads() -> None:
    buttons = [Button(f"选项{i}", f"1|p|report|urgency|3|v{i}") for i in range(8)]
    reply = Reply("wecom", "u1", "请选择\n紧急程度", rows(buttons[:3], buttons[3:6], buttons[6:]))
    groups = render.button_groups(reply)
    assert [len(g) for g in groups] == [6, 2]
    card = render.card(reply.text, groups[0], "w1")
    assert card["main_title"]["title"] == "请选择" and card["sub_title_text"] == "紧急程度"
    assert [b["key"] for b in card["button_list"]] == [b.payload for b in buttons[:6]]
    done = render.card("工单 #3 已完成", (), "w1")
    assert done["button_list"] == [] and done["replace_text"] == "无需操作"


def test_settings_name_a_bad_wecom_key_and_start_wecom_only_when_complete() -> None:
    with pytest.raises(SettingsError, match="wecom_aes_key|WECOM_AES_KEY"):
        load_settings(_env_file=None, WECOM_AES_KEY="too-short")
    partial = load_settings(_env_file=None, WECOM_CORP_ID="ww1", WECOM_SECRET="s")
    assert not partial.wecom_configured
    full = load_settings(_env_file=None, WECOM_CORP_ID="ww1", WECOM_AGENT_ID=1000002, WECOM_SECRET="s",
                         WECOM_TOKEN="t", WECOM_AES_KEY="a" * 43, WECOM_API_BASE_URL="http://127.0.0.1:9/")
    assert full.wecom_configured and full.wecom_api_base_url == "http://127.0.0.1:9" and full.wecom_path == "/wecom"
