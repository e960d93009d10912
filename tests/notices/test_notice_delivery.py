"""A notice to 2,000 owners on Telegram: composed in chat, enqueued in the SQL outbox,
delivered by the Deliverer through the real Telegram sender to the stand-in Bot API
within the (time-scaled) flood limits; the sender's status then shows every message
delivered — or, for owners who blocked the bot, failed."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.bootstrap import App, build_app, load_community_file
from bot.delivery import Deliverer, RetryPolicy
from bot.outbox import SqlOutbox
from bot.ratelimit import RateLimiter
from bot.telegram import build_telegram_channel
from cases.clock import FakeClock, SystemClock
from storage import models as m
from tests.conftest import EXAMPLE_COMMUNITY, make_settings
from tests.harness import People
from tests.telegram.botapi_standin import BotApiStandIn, TgUser
from tests.telegram.test_tg_burst import BURST, HEADROOM

OWNERS = 2_000
TEXT = "6月3日9:00-12:00全小区停水检修，请提前储水。"


async def register(app: App, users: list[TgUser]) -> None:
    """One owner per Telegram user, spread over the demo's rooms, each with their private chat."""
    async with app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        rooms = (await uow.session.scalars(select(m.Room.id).where(m.Room.community_id == community.id)
                                           .order_by(m.Room.id))).all()
        first = await uow.session.scalar(select(func.coalesce(func.max(m.Owner.id), 0))) + 1
        await uow.session.execute(insert(m.Owner), [
            {"id": first + n, "community_id": community.id, "name": f"业主{n}", "phone": f"139{n:08d}",
             "muted_notices": False} for n in range(len(users))])
        await uow.session.execute(insert(m.OwnerRoom), [
            {"owner_id": first + n, "room_id": rooms[n % len(rooms)]} for n in range(len(users))])
        await uow.session.execute(insert(m.Identity), [
            {"channel": "telegram", "user_id": str(u.id), "chat_id": str(u.id), "owner_id": first + n, "locale": "zh-CN"}
            for n, u in enumerate(users)])
        await uow.commit()


async def pending_on_telegram(app: App) -> int:
    async with app.uow() as uow:
        return await uow.session.scalar(select(func.count()).select_from(m.OutboxMessage).where(
            m.OutboxMessage.channel == "telegram", m.OutboxMessage.state == "pending"))


async def notice_to_everyone(app: App, framework: str, blocked: int) -> None:
    """李静 sends a notice to 2,000 Telegram owners (`blocked` of whom blocked the bot); it is
    delivered; her status button then tells how it went."""
    people = People(app)
    async with app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        sender = await uow.directory.staff_by_name(community.id, "李静")
        assert sender is not None
        await uow.directory.bind("console", "lj", "lj", now=app.now(), staff_id=sender.id)
        await uow.commit()
    async with BotApiStandIn(limits=BURST) as api:
        users = api.users(OWNERS)
        await register(app, users)
        refusing = users[::OWNERS // blocked][:blocked] if blocked else []
        for user in refusing:
            api.block(user)

        await people.say("lj", "/notice")
        await people.press("lj", "全小区")
        await people.say("lj", TEXT)
        await people.press("lj", "不配图")
        await people.press("lj", "普通通知")
        assert "将发送给 2000 位业主（2000 个聊天）" in people.last("lj")
        await people.press("lj", "发送给 2000 位业主")

        channel = build_telegram_channel(framework, api.token, api.root, app.desk,  # type: ignore[arg-type]
                                         limiter=RateLimiter(BURST, headroom=HEADROOM), poll_timeout=1)
        await channel.start_polling()
        # Real time for delivery (the rows were queued "earlier", by the fake clock).
        clock = SystemClock()
        deliverer = Deliverer(SqlOutbox(app.sessions, clock), channel.sender, now=clock.now,
                              retry=RetryPolicy(first_delay=0.0, max_delay=0.0, max_attempts=20), poll_interval=0.05)
        stop = asyncio.Event()
        task = asyncio.create_task(deliverer.run_forever(stop))
        try:
            for _ in range(1_200):
                if await pending_on_telegram(app) == 0:
                    break
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            await task
            await channel.stop()

        refused = {u.id for u in refusing}
        for user in users:
            assert api.texts(user.id) == ([] if user.id in refused else [f"【物业通知】兰亭雅苑\n{TEXT}"])
        assert api.rate_violations() == []

    await people.press("lj", "#1 送达情况")
    assert people.last("lj").endswith(
        f"共 2000 条：✅ 已送达 {OWNERS - blocked} · ⛔ 未送达 {blocked}（业主屏蔽了机器人或聊天已不存在） · ⏳ 发送中 0")


async def test_a_notice_to_two_thousand_owners_is_delivered_whole_within_the_limits(app: App) -> None:
    """Through python-telegram-bot, on SQLite and PostgreSQL: 2,000 delivered."""
    await notice_to_everyone(app, "ptb", blocked=0)


async def test_owners_who_blocked_the_bot_show_as_failed(tmp_path: Path, sqlite_template: Path) -> None:
    """Through aiogram (the outbox itself is covered on both databases above): 7 of 2,000 blocked."""
    db = tmp_path / "wuye.sqlite3"
    shutil.copy(sqlite_template, db)
    app = await build_app(make_settings(f"sqlite+aiosqlite:///{db}", MEDIA_DIR=str(tmp_path / "media")), FakeClock(),
                          run_migrations=False)
    try:
        await load_community_file(app, str(EXAMPLE_COMMUNITY))
        await notice_to_everyone(app, "aiogram", blocked=7)
    finally:
        await app.close()
