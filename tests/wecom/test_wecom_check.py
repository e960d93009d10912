"""`wuye check` with the WeChat Service Account and WeCom configured, run as the operator
runs it (a subprocess) against the two stand-ins over real HTTP: a good configuration
says "configuration OK (wechat, wecom)" and exits 0; a wrong secret, an IP the platform
does not allow, an agent id that is not the secret's app, a team's robot key WeCom does
not know, a missing or malformed setting each give one line (Chinese / English, naming
the platform's error code and what to do) and exit status 1 — no traceback, no secret."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from bot.bootstrap import App, load_community_file
from tests.conftest import EXAMPLE_COMMUNITY, ROOT
from tests.wechat.standin import AES_KEY as WX_AES_KEY
from tests.wechat.standin import APP_ID, APP_SECRET, TOKEN, WechatStandIn
from tests.wecom.standin import AES_KEY, AGENT_ID, CALLBACK_TOKEN, CORP_ID, SECRET, WecomStandIn


def _community(wx: WecomStandIn, tmp: Path) -> dict[str, str]:
    """The example community with a WeCom robot for every team and every staff member on
    WeCom (so the only lines are the ones a test provokes); team -> robot key."""
    data = yaml.safe_load(EXAMPLE_COMMUNITY.read_text(encoding="utf-8"))
    robots = {}
    for team in data["teams"]:
        robots[team["code"]] = team["chats"]["wecom"] = wx.add_robot()
    for member in data["staff"]:
        member["chats"] = {"wecom": wx.add_member(member["code"])}
    (tmp / "community.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return robots


def _env(app: App, wechat: WechatStandIn, wecom: WecomStandIn, **changes: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("WECHAT_", "WECOM_", "TELEGRAM_"))}
    env.update({"DATABASE_URL": app.settings.database_url,
                "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET, "WECHAT_TOKEN": TOKEN,
                "WECHAT_AES_KEY": WX_AES_KEY, "WECHAT_API_BASE_URL": wechat.url,
                "WECOM_CORP_ID": CORP_ID, "WECOM_AGENT_ID": str(AGENT_ID), "WECOM_SECRET": SECRET,
                "WECOM_TOKEN": CALLBACK_TOKEN, "WECOM_AES_KEY": AES_KEY, "WECOM_API_BASE_URL": wecom.root})
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


async def _check(env: dict[str, str]) -> tuple[int, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "check", "--timeout", "10", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    text = out.decode() + err.decode()
    assert "Traceback" not in text, text
    assert process.returncode is not None
    return process.returncode, [line for line in text.splitlines() if line.strip()]


@pytest.fixture
async def platforms(app: App, tmp_path: Path) -> AsyncIterator[tuple[WechatStandIn, WecomStandIn, dict[str, str]]]:
    async with WechatStandIn(app.clock.now) as wechat, WecomStandIn() as wecom:
        robots = _community(wecom, tmp_path)
        await load_community_file(app, str(tmp_path / "community.yaml"))
        yield wechat, wecom, robots


async def test_a_good_configuration_is_ok_and_leaves_a_running_bots_token_alone(app: App, platforms) -> None:
    wechat, wecom, robots = platforms
    # A running bot's WeChat token (normal mode hands the same token out again).
    await wechat_token(wechat)
    held = wechat.current

    code, lines = await _check(_env(app, wechat, wecom))

    assert (code, lines) == (0, ["configuration OK (wechat, wecom)"])
    assert wechat.current == held and wechat.forced == 0
    # The robots were asked about without anything appearing in the team groups.
    assert all(wecom.robot_posts[key] == [] for key in robots.values())
    assert [path for path, _ in wecom.calls].count("webhook/send") == len(robots)


async def wechat_token(wechat: WechatStandIn) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.post(f"{wechat.url}/cgi-bin/stable_token", json={
                "grant_type": "client_credential", "appid": APP_ID, "secret": APP_SECRET}) as response:
            assert "access_token" in await response.json()


async def test_wrong_secrets_are_named_with_the_platforms_code_and_what_to_do(app: App, platforms) -> None:
    wechat, wecom, _ = platforms
    code, lines = await _check(_env(app, wechat, wecom, WECHAT_APP_SECRET="f" * 32, WECOM_SECRET="not-the-app-secret-at-all"))

    assert code == 1 and len(lines) == 2, lines
    wx_line, wecom_line = lines
    assert wx_line.startswith("微信拒绝发放 access_token（错误码 40125）") and "WECHAT_APP_SECRET" in wx_line
    assert " / WeChat refused the access token (errcode 40125)" in wx_line
    assert wecom_line.startswith("企业微信拒绝发放 access_token（错误码 40001）") and "WECOM_SECRET" in wecom_line
    assert "WeCom refused the access token (errcode 40001)" in wecom_line
    assert not any("f" * 32 in line or "not-the-app-secret" in line for line in lines)


async def test_an_ip_off_the_allow_list_and_a_wrong_agent_id(app: App, platforms) -> None:
    wechat, wecom, _ = platforms
    wechat.fail_next("stable_token", 40164)
    code, lines = await _check(_env(app, wechat, wecom, WECOM_AGENT_ID="1000099"))

    assert code == 1 and len(lines) == 2, lines
    assert "错误码 40164" in lines[0] and "IP白名单" in lines[0] and "outgoing IP is not on the IP allow-list" in lines[0]
    assert lines[1].startswith("企业微信拒绝了应用 1000099（错误码 40056）") and "WECOM_AGENT_ID" in lines[1]


async def test_each_team_whose_robot_wecom_does_not_know_is_named(app: App, platforms, tmp_path: Path) -> None:
    wechat, wecom, robots = platforms
    gone = {team: robots[team] for team in ("security", "environment")}
    wecom.robots -= set(gone.values())  # the robots were removed from their groups

    code, lines = await _check(_env(app, wechat, wecom))

    assert code == 1 and len(lines) == 2, lines
    for team, key in gone.items():
        line = next(line for line in lines if line.startswith(f"team {team} ("))
        assert "wecom refuses group chat" in line and "93000" in line
        assert key[:8] in line and key not in line  # the key is a credential: shortened
    assert all(wecom.robot_posts[key] == [] for key in robots.values())


async def test_missing_and_malformed_settings_without_asking_the_platforms(app: App, platforms) -> None:
    wechat, wecom, _ = platforms
    code, lines = await _check(_env(app, wechat, wecom, WECHAT_APP_ID="wx-typo", WECOM_TOKEN=None,
                                    WECOM_CORP_ID="corp 123"))

    assert code == 1, lines
    assert lines == [
        next(line for line in lines if line.startswith("微信：WECHAT_APP_ID 格式不对")),
        next(line for line in lines if line.startswith("企业微信：未设置 WECOM_TOKEN")),
        next(line for line in lines if line.startswith("企业微信：WECOM_CORP_ID 格式不对")),
    ]
    assert "WeCom: WECOM_TOKEN not set" in lines[1]
    assert wechat.token_calls == 0 and wecom.calls == []
