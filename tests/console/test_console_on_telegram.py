"""`wuye run` with WEB_PORT set: the bot on Telegram and the console in one process; the
sign-in code reaches the staff member's own Telegram chat (the stand-in Bot API)."""

from __future__ import annotations

import re

from bot.bootstrap import App, load_community_file
from bot.runner import start_bot
from tests.conftest import make_settings
from tests.console.conftest import browser  # noqa: F401  (the fixture)
from tests.telegram.conftest import FAST, free_port
from tests.telegram.botapi_standin import BotApiStandIn
from tests.telegram.test_tg_end_to_end import Scene, app  # noqa: F401  (the fixture: SQLite, channel under test)


async def test_one_process_serves_the_bot_and_the_console(app: App, tmp_path, browser) -> None:  # noqa: F811
    async with BotApiStandIn(limits=FAST) as api:
        scene = Scene(api, app)
        await load_community_file(app, str(scene.community_file(tmp_path)))
        settings = make_settings(app.settings.database_url, TELEGRAM_BOT_TOKEN=api.token,
                                 TELEGRAM_API_BASE_URL=api.root, WEB_PORT=free_port())
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
        finally:
            await running.stop()
