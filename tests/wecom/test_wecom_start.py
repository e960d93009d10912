"""`wuye run` with WeCom configured: credentials WeCom refuses stop the start in one line
naming the settings, and nothing is left listening."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.bootstrap import App, load_community_file
from bot.runner import start_bot
from bot.settings import SettingsError
from tests.conftest import make_settings
from tests.telegram.botapi_standin import BotApiStandIn
from tests.telegram.conftest import FAST, free_port
from tests.wecom.conftest import WECOM_FAST, Scene, wecom_settings
from tests.wecom.standin import WecomStandIn


async def test_a_refused_secret_stops_the_start_in_one_line(app: App, tmp_path: Path) -> None:
    async with BotApiStandIn(limits=FAST) as tg, WecomStandIn() as wx:
        await load_community_file(app, str(Scene(tg, wx, app).community_file(tmp_path)))
        port = free_port()
        settings = make_settings(app.settings.database_url, TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_API_BASE_URL=tg.root,
                                 **{**wecom_settings(wx, port), "WECOM_SECRET": "not-the-secret"})
        with pytest.raises(SettingsError, match="WECOM_SECRET.*40001"):
            await start_bot(settings, app, limits=FAST, poll_timeout=1, wecom_limits=WECOM_FAST)
        # Nothing listens on the callback port afterwards.
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
