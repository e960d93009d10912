"""The office's commands: room QR codes (PNG files) and the custom menu, through `wuye wechat`."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.conftest import EXAMPLE_COMMUNITY
from tests.wechat.standin import AES_KEY, APP_ID, APP_SECRET, TOKEN, WechatStandIn

ROOT = Path(__file__).resolve().parents[2]


async def _wuye(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode(), err.decode()


async def test_qr_codes_and_menu_from_the_command_line(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    standin = WechatStandIn(app.clock.now)
    await standin.start()
    env = {"DATABASE_URL": app.settings.database_url, "COMMUNITY_FILE": str(EXAMPLE_COMMUNITY),
           "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET, "WECHAT_TOKEN": TOKEN,
           "WECHAT_AES_KEY": AES_KEY, "WECHAT_API_BASE_URL": standin.url}
    try:
        code, out, err = await _wuye(env, "wechat", "qr", "1-1-101", "2-1-101", "--out", str(tmp_path / "qr"))
        assert code == 0, err
        files = sorted((tmp_path / "qr").iterdir())
        assert [f.name for f in files] == ["qr-1-1-101.png", "qr-2-1-101.png"]
        assert all(f.read_bytes().startswith(b"\x89PNG") for f in files)
        assert [q["action_info"]["scene"]["scene_str"] for q in standin.qrcodes] == ["room:1-1-101", "room:2-1-101"]
        assert all(q["action_name"] == "QR_LIMIT_STR_SCENE" for q in standin.qrcodes)
        # A room not in the register: one clear line, nothing asked of WeChat, nothing written.
        code, out, err = await _wuye(env, "wechat", "qr", "9-9-999", "--out", str(tmp_path / "none"))
        assert code == 1 and "not in the owner register: 9-9-999" in err and "Traceback" not in err
        assert len(standin.qrcodes) == 2 and not (tmp_path / "none").exists()

        code, out, err = await _wuye(env, "wechat", "menu")
        assert code == 0, err
        assert "menu published: 报修 · 办事 · 我的工单" in out
        (menu,) = standin.menus
        assert [b.get("key") for b in menu["button"]] == ["menu:report", None, "menu:mycases"]
        assert [s["key"] for s in menu["button"][1]["sub_button"]] == ["menu:complaint", "menu:service", "menu:inquiry"]
        # Missing settings: one line naming the variable.
        code, out, err = await _wuye({**env, "WECHAT_APP_SECRET": ""}, "wechat", "menu")
        assert code == 1 and "WECHAT_APP_SECRET is not set" in err and "Traceback" not in err
    finally:
        await standin.stop()
