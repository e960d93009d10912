"""Delivery health on both databases: `wuye status` lines, and the management group told
about chats undeliverable for too long — e.g. the demo's console chat names left in a
Telegram deployment — once, not at every tick."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.bootstrap import App
from bot.delivery_health import chat_health, status_lines
from bot.outbox import SqlOutbox
from bot.scheduler import tick
from handlers.kit.messages import Reply, reply_to_dict
from storage import models as m


async def test_console_chats_in_a_telegram_deployment_are_reported_once(app: App, clock) -> None:  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        management = await uow.session.scalar(select(m.Team.id).where(m.Team.code == "management"))
        uow.session.add(m.TeamChat(team_id=management, channel="telegram", chat_id="-1009"))
        for n in range(3):
            r = Reply("console", "工程部群", f"【报修】#{n}")
            await uow.outbox.add(r.channel, r.chat_id, reply_to_dict(r), None, app.now())
        r = Reply("telegram", "42", "您好")
        await uow.outbox.add(r.channel, r.chat_id, reply_to_dict(r), None, app.now())
        await uow.commit()
    app.extras["running_channels"] = {"telegram"}
    store = SqlOutbox(app.sessions, clock)
    [item] = await store.claim("telegram", clock.now())
    await store.retry_later(item.id, clock.now() + timedelta(minutes=50), 3, failing_since=clock.now())

    clock.advance(timedelta(minutes=10))
    await tick(app)
    assert await alerts(app) == []  # not yet: under 30 minutes

    clock.advance(timedelta(minutes=25))
    await tick(app)
    await tick(app)
    texts = await alerts(app)
    assert len(texts) == 2  # the console group and the failing private chat, once each
    console = next(t for t in texts if "工程部群" in t)
    assert "console 聊天 工程部群 已有 35 分钟无法送达（待发 3 条" in console and "没有运行 console 渠道" in console
    assert any("telegram 聊天 42" in t and "持续发送失败" in t for t in texts)

    async with app.uow() as uow:
        lines = status_lines(await chat_health(uow, clock.now()), clock.now(), {"telegram"})
    console_line = next(line for line in lines if "工程部群" in line)
    assert console_line.split()[:5] == ["console", "工程部群", "3", "0", "0"]
    assert "undeliverable" in console_line
    assert next(line for line in lines if line.startswith("telegram   42")).split()[2:4] == ["1", "1"]


async def alerts(app: App) -> list[str]:
    async with app.uow() as uow:
        rows = await uow.session.scalars(select(m.OutboxMessage.body).where(m.OutboxMessage.chat_id == "-1009"))
        return [body["text"] for body in rows]
