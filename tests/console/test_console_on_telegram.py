"""`wuye run` with WEB_PORT set: the bot on Telegram and the console in one process; the
sign-in code reaches the staff member's own Telegram chat (the stand-in Bot API), and the
photo an owner sent on Telegram is shown on the case page from the office's media store."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import App, build_app, load_community_file
from bot.runner import start_bot
from tests.conftest import make_settings
from tests.telegram.conftest import FAST, free_port
from tests.telegram.botapi_standin import BotApiStandIn
from cases.clock import FakeClock
from tests.telegram.test_tg_end_to_end import Scene


@pytest.fixture
async def app(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[App]:
    # SQLite only: the storage runs on both databases elsewhere; here the channel is under test.
    shutil.copy(sqlite_template, tmp_path / "wuye.sqlite3")
    app = await build_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'wuye.sqlite3'}",
                                        MEDIA_DIR=str(tmp_path / "media")), FakeClock(), run_migrations=False)
    yield app


async def test_one_process_serves_the_bot_and_the_console(app: App, tmp_path: Path, browser) -> None:
    async with BotApiStandIn(limits=FAST) as api:
        scene = Scene(api, app)
        await load_community_file(app, str(scene.community_file(tmp_path)))
        settings = make_settings(app.settings.database_url, TELEGRAM_BOT_TOKEN=api.token,
                                 TELEGRAM_API_BASE_URL=api.root, WEB_PORT=free_port(),
                                 MEDIA_DIR=str(app.settings.media_dir))
        running = await start_bot(settings, app, limits=FAST, poll_timeout=1)
        try:
            assert running.console is not None
            page = await (await browser.new_context()).new_page()
            await page.goto(f"http://127.0.0.1:{running.console.port}/login")
            await page.fill("#staff", "gc01")
            await page.click("#send-code")
            sent = await scene.latest(scene.wang.id, "the sign-in code", "验证码")
            code = re.search(r"\d{6}", sent.text or "")
            assert code is not None
            await page.fill("#code", code.group(0))
            await page.click("#verify")
            await page.wait_for_url("**/board")
            assert "王强" in await page.inner_text("header")

            # The owner reports a leak with a photo on Telegram.
            owner = scene.owner
            await scene.say_and_wait(owner, "/start", "分享手机号")
            api.share_contact(owner, "+8613800000001")
            await scene.latest(owner.id, "the binding", "绑定成功")
            await scene.press(owner, owner.id, "报事报修")
            await scene.press(owner, owner.id, "我家 1-1-101")
            await scene.latest(owner.id, "the description question", "描述")
            api.say(owner, "厨房水槽下面的水管接头漏水")
            await scene.latest(owner.id, "the photo question", "照片")
            [_, _, big] = api.send_photo(owner)
            await scene.latest(owner.id, "the photo receipt", "已收到 1 张照片")
            await scene.press(owner, owner.id, "完成")
            await scene.press(owner, owner.id, "一般")
            await scene.press(owner, owner.id, "明天")
            await scene.press(owner, owner.id, "提交")
            submitted = await scene.latest(owner.id, "the case number", "报修已提交")
            case_id = int((submitted.text or "").split("#")[1].split("。")[0])

            await page.goto(f"http://127.0.0.1:{running.console.port}/cases/{case_id}")
            src = await page.locator(".photos img").first.get_attribute("src")
            assert src is not None and src.startswith(f"/cases/{case_id}/photos/photo-")
            shown = await page.request.get(f"http://127.0.0.1:{running.console.port}{src}")
            assert shown.ok and await shown.body() == big.data  # the stand-in's bytes (not a real JPEG)
            assert len(list(app.settings.media_dir.glob("photo-*.jpg"))) == 1  # fetched once, kept
            await page.reload()
            assert len(list(app.settings.media_dir.glob("photo-*.jpg"))) == 1
        finally:
            await running.stop()
