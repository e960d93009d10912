"""The product on Telegram (owners) and WeCom (staff) at once, against the two stand-ins."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import yaml

from bot.bootstrap import App, build_app, load_community_file
from bot.ratelimit import Rate
from bot.runner import Running, start_bot
from bot.wecom.sender import WecomLimits
from cases.clock import FakeClock
from cases.lifecycle import Case
from tests.conftest import EXAMPLE_COMMUNITY, make_settings
from tests.telegram.botapi_standin import BotApiStandIn, BotMessage, TgUser
from tests.telegram.conftest import FAST, free_port
from tests.wecom.standin import AES_KEY, AGENT_ID, CALLBACK_TOKEN, CORP_ID, SECRET, AppMessage, WecomStandIn

# WeCom's limits a hundred times faster, on both sides: our pacing and the stand-in's counting.
WECOM_FAST = WecomLimits().scaled(0.01)
RATE_WAIT = 0.2  # seconds a rate-limited item waits (WeCom's windows are a minute)


class Scene:
    """Who is who: an owner on Telegram; 王强 on WeCom only; 刘洋 on WeCom and Telegram;
    the engineering team with a Telegram group and a WeCom group robot."""

    def __init__(self, tg: BotApiStandIn, wx: WecomStandIn, app: App) -> None:
        self.tg, self.wx, self.app = tg, wx, app
        self.owner = tg.user("伟", "张")
        self.liu_tg = tg.user("洋", "刘")
        self.wang = wx.add_member("wangqiang")
        self.liu = wx.add_member("liuyang")
        self.ba01 = wx.add_member("zhangyong")  # security: outside the engineering team
        self.ma = wx.add_member("majianguo")  # engineering manager
        self.groups = {team: tg.group(name) for team, name in (
            ("engineering", "工程部群"), ("security", "秩序部群"), ("environment", "环境部群"),
            ("customer_service", "客服中心群"), ("management", "管理处群"))}
        self.robots = {team: wx.add_robot() for team in ("engineering", "security", "management")}

    def community_file(self, tmp: Path) -> Path:
        data = yaml.safe_load(EXAMPLE_COMMUNITY.read_text(encoding="utf-8"))
        for team in data["teams"]:
            team["chats"]["telegram"] = str(self.groups[team["code"]])
            if team["code"] in self.robots:
                team["chats"]["wecom"] = self.robots[team["code"]]
        chats = {"王强": {"wecom": self.wang}, "刘洋": {"wecom": self.liu, "telegram": str(self.liu_tg.id)},
                 "张勇": {"wecom": self.ba01}, "马建国": {"wecom": self.ma}}
        for member in data["staff"]:
            if member["name"] in chats:
                member["chats"] = chats[member["name"]]
        path = tmp / "community.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    # ------------------------------------------------------------------ Telegram side (the owner)
    async def tg_latest(self, chat: int, contains: str) -> BotMessage:
        def find() -> BotMessage | None:
            return next((m for m in reversed(self.tg.transcript(chat)) if contains in (m.text or m.caption or "")), None)

        return await self.tg.until(find, what=f"{contains!r} in Telegram chat {chat}")

    async def tg_press(self, user: TgUser, chat: int, label: str) -> None:
        def find() -> tuple[BotMessage, str] | None:
            for message in reversed(self.tg.transcript(chat)):
                for row in message.buttons:
                    for text, data in row:
                        if label in text:
                            return message, data
            return None

        message, data = await self.tg.until(find, what=f"a {label!r} button in chat {chat}")
        self.tg.press(user, message, data)

    async def bind_owner(self) -> None:
        self.tg.say(self.owner, "/start")
        await self.tg_latest(self.owner.id, "分享手机号")
        self.tg.share_contact(self.owner, "+8613800000001")
        await self.tg_latest(self.owner.id, "绑定成功")

    async def report_leak(self) -> int:
        """The owner binds and reports a leaking pipe on Telegram; the case number."""
        tg, owner = self.tg, self.owner
        await self.bind_owner()
        await self.tg_press(owner, owner.id, "报事报修")
        await self.tg_latest(owner.id, "请问是哪里的问题")
        await self.tg_press(owner, owner.id, "我家 1-1-101")
        await self.tg_latest(owner.id, "描述")
        tg.say(owner, "厨房水槽下面的水管接头漏水")
        await self.tg_latest(owner.id, "照片")
        await self.tg_press(owner, owner.id, "跳过")
        await self.tg_press(owner, owner.id, "一般")
        await self.tg_press(owner, owner.id, "明天")
        await self.tg_latest(owner.id, "请确认报修信息")
        await self.tg_press(owner, owner.id, "提交")
        submitted = await self.tg_latest(owner.id, "报修已提交")
        return int((submitted.text or "").split("#")[1].split("。")[0])

    # ------------------------------------------------------------------ WeCom side (staff)
    async def wx_card(self, userid: str, contains: str, *, button: str | None = None) -> AppMessage:
        def find() -> AppMessage | None:
            return next((m for m in reversed(self.wx.cards(userid, contains))
                         if button is None or any(button in text for text, _ in m.buttons)), None)

        return await self.wx.until(find, what=f"a card {contains!r} for {userid}")

    async def case(self, case_id: int | None = None) -> Case | None:
        async with self.app.uow() as uow:
            if case_id is not None:
                return await uow.cases.get(case_id)
            recent = await uow.cases.recent(1)
            return recent[0] if recent else None

    async def wx_press(self, userid: str, label: str, contains: str = "") -> int:
        card = await self.wx_card(userid, contains, button=label)
        return await self.wx.press(userid, card, label)


@pytest.fixture
async def app(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[App]:
    path = tmp_path / "wuye.sqlite3"
    shutil.copy(sqlite_template, path)
    app = await build_app(make_settings(f"sqlite+aiosqlite:///{path}"), FakeClock(), run_migrations=False)
    yield app
    await app.close()


def wecom_settings(wx: WecomStandIn, port: int) -> dict[str, object]:
    return {"WECOM_CORP_ID": CORP_ID, "WECOM_AGENT_ID": AGENT_ID, "WECOM_SECRET": SECRET,
            "WECOM_TOKEN": CALLBACK_TOKEN, "WECOM_AES_KEY": AES_KEY, "WECOM_API_BASE_URL": wx.root,
            "WECOM_LISTEN": "127.0.0.1", "WECOM_PORT": port, "WECOM_PATH": "/wecom"}


@asynccontextmanager
async def both_channels(app: App, tmp: Path) -> AsyncIterator[Scene]:
    """Both stand-ins, the community mapped to them, `wuye run` started on both channels."""
    async with BotApiStandIn(limits=FAST) as tg, WecomStandIn(
            robot_rate=Rate(20, 0.6), member_rate=Rate(30, 0.6),
            clock=lambda: app.clock.now().timestamp()) as wx:
        scene = Scene(tg, wx, app)
        await load_community_file(app, str(scene.community_file(tmp)))
        port = free_port()
        wx.callback_url = f"http://127.0.0.1:{port}/wecom"
        settings = make_settings(app.settings.database_url, TELEGRAM_BOT_TOKEN=tg.token,
                                 TELEGRAM_API_BASE_URL=tg.root, MEDIA_DIR=str(tmp / "media"),
                                 **wecom_settings(wx, port))
        running: Running = await start_bot(settings, app, limits=FAST, poll_timeout=1, wecom_limits=WECOM_FAST,
                                           wecom_rate_wait=RATE_WAIT)
        try:
            yield scene
        finally:
            await running.stop()
        assert wx.rate_violations() == [] and tg.rate_violations() == []
