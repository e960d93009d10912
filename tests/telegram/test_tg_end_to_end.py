"""The whole product on Telegram: the real core, SQL outbox and rate-limited delivery,
through python-telegram-bot and aiogram, by long polling and by webhook, over real HTTP
against the stand-in Bot API on 127.0.0.1.

bind by contact → report with a photo → card in the engineering group → a staff member
accepts in the group → finishes in private → the owner confirms → closed.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from bot.bootstrap import App, build_app, load_community_file
from bot.runner import Running, start_bot
from cases.clock import FakeClock
from cases.lifecycle import Status
from tests.conftest import EXAMPLE_COMMUNITY, make_settings
from tests.telegram.botapi_standin import BotApiStandIn, BotMessage, TgUser
from tests.telegram.conftest import FAST, FRAMEWORKS, MODES, WEBHOOK_SECRET, free_port


class Scene:
    """The stand-in plus who is who, with helpers that act as the people would."""

    def __init__(self, api: BotApiStandIn, app: App) -> None:
        self.api, self.app = api, app
        self.owner = api.user("伟", "张")
        self.wang = api.user("强", "王")
        self.liu = api.user("洋", "刘")
        self.groups = {team: api.group(name) for team, name in (
            ("engineering", "工程部群"), ("security", "秩序部群"), ("environment", "环境部群"),
            ("customer_service", "客服中心群"), ("management", "管理处群"))}

    def community_file(self, tmp: Path) -> Path:
        """The demo community with this scene's Telegram groups and staff ids."""
        data = yaml.safe_load(EXAMPLE_COMMUNITY.read_text(encoding="utf-8"))
        for team in data["teams"]:
            team["chats"]["telegram"] = str(self.groups[team["code"]])
        for member in data["staff"]:
            user = {"王强": self.wang, "刘洋": self.liu}.get(member["name"])
            if user:
                member["chats"] = {"telegram": str(user.id)}
        path = tmp / "community.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    async def latest(self, chat: int, what: str, contains: str) -> BotMessage:
        def find() -> BotMessage | None:
            return next((m for m in reversed(self.api.transcript(chat)) if contains in (m.text or m.caption or "")), None)

        return await self.api.until(find, what=what)

    async def press(self, user: TgUser, chat: int, label: str) -> None:
        """Press the newest button labelled `label` in `chat`."""
        def find() -> tuple[BotMessage, str] | None:
            for message in reversed(self.api.transcript(chat)):
                for row in message.buttons:
                    for text, data in row:
                        if label in text:
                            return message, data
            return None

        message, data = await self.api.until(find, what=f"a {label!r} button in chat {chat}")
        self.api.press(user, message, data)

    async def say_and_wait(self, user: TgUser, text: str, reply_contains: str) -> BotMessage:
        self.api.say(user, text)
        return await self.latest(user.id, f"a reply to {text!r}", reply_contains)


@pytest.fixture
async def app(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[App]:
    # Storage runs on both databases elsewhere; here the channel is under test.
    path = tmp_path / "wuye.sqlite3"
    shutil.copy(sqlite_template, path)
    app = await build_app(make_settings(f"sqlite+aiosqlite:///{path}"), FakeClock(), run_migrations=False)
    yield app


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("mode", MODES)
async def test_report_to_confirmation_on_telegram(app: App, tmp_path: Path, framework: str, mode: str) -> None:
    async with BotApiStandIn(limits=FAST) as api:
        scene = Scene(api, app)
        await load_community_file(app, str(scene.community_file(tmp_path)))
        overrides: dict[str, object] = {
            "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.root, "BOT_FRAMEWORK": framework}
        if mode == "webhook":
            port = free_port()
            overrides |= {"WEBHOOK_URL": f"http://127.0.0.1:{port}/tg/hook", "WEBHOOK_LISTEN": "127.0.0.1",
                          "WEBHOOK_PORT": port, "WEBHOOK_SECRET": WEBHOOK_SECRET}
        settings = make_settings(app.settings.database_url, **overrides)
        running: Running = await start_bot(settings, app, limits=FAST, poll_timeout=1)
        try:
            await _scenario(scene)
        finally:
            await running.stop()
        assert api.rate_violations() == []


async def _scenario(s: Scene) -> None:
    api, owner, wang, liu = s.api, s.owner, s.wang, s.liu
    engineering = s.groups["engineering"]

    # Binding by sharing the phone number (the reply keyboard's contact button).
    ask = await s.say_and_wait(owner, "/start", "分享手机号")
    assert ask.contact_request == "📱 分享手机号"
    api.share_contact(owner, "+8613800000001")
    await s.latest(owner.id, "the binding", "绑定成功！张伟")

    # A report with a photo, driven by the buttons.
    await s.press(owner, owner.id, "报事报修")
    await s.latest(owner.id, "the room question", "请问是哪里的问题")
    await s.press(owner, owner.id, "我家 1-1-101")
    await s.latest(owner.id, "the description question", "描述")
    api.say(owner, "厨房水槽下面的水管接头漏水")
    await s.latest(owner.id, "the photo question", "照片")
    [_, _, big] = api.send_photo(owner)
    await s.latest(owner.id, "the photo receipt", "已收到 1 张照片")
    await s.press(owner, owner.id, "完成")
    await s.press(owner, owner.id, "一般")
    await s.press(owner, owner.id, "明天")
    await s.latest(owner.id, "the summary", "请确认报修信息")
    await s.press(owner, owner.id, "提交")
    submitted = await s.latest(owner.id, "the case number", "报修已提交")
    case_id = int(submitted.text.split("#")[1].split("。")[0])

    # The card reaches the engineering group with the photo, the owner masked.
    card = await s.latest(engineering, "the dispatch card", f"#{case_id}")
    assert "138****0001" in card.text and "张*" in card.text and "13800000001" not in card.text
    assert any(m.photo == big.file_id for m in api.transcript(engineering))

    # 王强 accepts in the group; the card is edited in place; the contact comes privately.
    await s.press(wang, engineering, "接单")
    await api.until(lambda: "王强" in (api.transcript(engineering)[-1].text or ""), what="the card edit")
    edited = [m for m in api.transcript(engineering) if f"#{case_id}" in (m.text or "")]
    assert len(edited) == 1 and edited[0].edits and not any("接单" in t for row in edited[0].buttons for t, _ in row)
    private = await s.latest(wang.id, "the owner's contact", "13800000001")
    assert "张伟" in private.text
    await s.latest(owner.id, "the owner's notice of acceptance", "王强")

    # A colleague pressing the stale accept of the same card changes nothing.
    assert all("13800000001" not in (m.text or "") for m in api.transcript(liu.id))

    # 王强 finishes in the private chat: note, no photos, no fee, confirm.
    await s.press(wang, engineering, "完成")
    await s.latest(wang.id, "the note question", "请简要说明处理结果")
    api.say(wang, "更换了水管接头，已试水不漏")
    await s.latest(wang.id, "the finish photos question", "完工照片")
    await s.press(wang, wang.id, "跳过")
    await s.latest(wang.id, "the fee question", "收费金额")
    await s.press(wang, wang.id, "不收费")
    await s.latest(wang.id, "the finish summary", "请确认完工信息")
    await s.press(wang, wang.id, "确认完工")

    # The owner confirms; the case closes and its callback is booked.
    await s.latest(owner.id, "the please-confirm message", "更换了水管接头")
    await s.press(owner, owner.id, "确认完成")
    await api.until(lambda: any("感谢" in (m.text or "") for m in api.transcript(owner.id)[-2:]), what="thanks")
    async with s.app.uow() as uow:
        case = await uow.cases.get(case_id)
        callbacks = await uow.callbacks.for_case(case_id)
    assert case is not None and case.status == Status.CLOSED and case.confirmed_by == "owner"
    assert case.photos == [big.file_id] and case.first_responder_id is not None
    assert [c.round for c in callbacks] == [1]
