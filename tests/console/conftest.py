"""The office console served on 127.0.0.1 beside the product, driven by a real Chromium.

Staff and the owner 张伟 (1-1-101) are bound to console-channel chats, so what the desk
sends them — sign-in codes, dispatch cards, the owner's messages — lands in the outbox
rows of those chats, which the tests read as the person's phone would show them.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import async_playwright
from sqlalchemy import select

from bot.bootstrap import App
from storage import models as m
from web.routes import build_console

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DOCS = Path(__file__).resolve().parents[2] / "docs"
STAFF = {"kf01": "kf01", "kf02": "kf02", "gc01": "gc01", "gc02": "gc02", "jl01": "jl01", "gj01": "gj01", "pz01": "pz01", "ba01": "ba01"}
ENGINEERING_GROUP = "工程部群"
OWNER_CHAT = "owner-zw"


@dataclass
class Desk:
    app: App
    url: str
    staff: dict[str, int]
    owner_id: int

    async def chat(self, chat_id: str) -> list[str]:
        """Every message queued for a chat, oldest first (a card edited in place appears again)."""
        async with self.app.uow() as uow:
            rows = await uow.session.scalars(
                select(m.OutboxMessage).where(m.OutboxMessage.chat_id == chat_id).order_by(m.OutboxMessage.id))
            return [r.body["text"] for r in rows]

    async def code_for(self, staff_code: str) -> str:
        texts = await self.chat(staff_code)
        assert texts, f"no message to {staff_code}"
        found = re.search(r"(\d{6})", texts[-1])
        assert found, texts[-1]
        return found.group(1)


@pytest.fixture
async def desk(app: App) -> AsyncIterator[Desk]:
    staff: dict[str, int] = {}
    async with app.uow() as uow:
        for code in STAFF:
            staff[code] = await uow.session.scalar(select(m.Staff.id).where(m.Staff.code == code))
            await uow.directory.bind("console", code, code, now=app.now(), staff_id=staff[code])
        owner_id = await uow.session.scalar(select(m.Owner.id).where(m.Owner.phone == "13800000001"))
        await uow.directory.bind("console", OWNER_CHAT, OWNER_CHAT, now=app.now(), owner_id=owner_id)
        await uow.commit()
    console = build_console(app, secure_cookies=True)
    await console.start("127.0.0.1", 0)
    try:
        yield Desk(app, f"http://127.0.0.1:{console.port}", staff, owner_id)
    finally:
        await console.stop()


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            await chromium.close()


async def sign_in(browser, desk: Desk, chat: str, *, staff_code: str | None = None,  # type: ignore[no-untyped-def]
                  lands: str = "**/board"):
    """A fresh browser context signed in with the staff code (by default the chat's name) and
    the code sent to that chat; `lands`: where signing in leads (someone serving several
    communities is asked which one first)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = await context.new_page()
    await page.goto(desk.url + "/board")
    assert page.url.endswith("/login")
    await page.fill("#staff", staff_code or chat)
    await page.click("#send-code")
    await page.wait_for_selector("#code")
    await page.fill("#code", await desk.code_for(chat))
    await page.click("#verify")
    await page.wait_for_url(lands)
    return page
