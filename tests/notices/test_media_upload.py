"""Generated images (`media:` photos) are uploaded over real HTTP by both Telegram adapters, from
the media directory only; file ids still pass through; anything leading out is refused."""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import media
from bot.bootstrap import App, build_app, load_community_file
from bot.channel import Undeliverable
from bot.delivery import Deliverer
from bot.outbox import SqlOutbox
from bot.ratelimit import RateLimiter
from bot.telegram import TelegramChannel, build_telegram_channel
from cases.clock import FakeClock
from handlers.kit.messages import Button, Reply, rows
from services.reports.chat import ChatReporter, weekly_push
from storage import models as m
from tests.conftest import EXAMPLE_COMMUNITY, make_settings
from tests.reports.history import local, seed_history
from tests.telegram.botapi_standin import BotApiStandIn
from tests.telegram.conftest import FAST, FRAMEWORKS


async def push_weekly(app: App, now: datetime) -> bool:
    """The scheduler's weekly job: last week's summary to the management group."""
    reporter = ChatReporter(app.settings.media_dir, media.save)
    return await weekly_push(app.uow(), now, reporter, app.settings.default_locale)


def png(width: int, height: int, shade: int) -> bytes:
    """A real (grey) PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes([shade]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class NoCore:
    async def handle(self, inbound):  # type: ignore[no-untyped-def]
        raise AssertionError("no updates are expected in this test")


@asynccontextmanager
async def telegram(api: BotApiStandIn, framework: str, media_dir: Path | None) -> AsyncIterator[TelegramChannel]:
    channel = build_telegram_channel(framework, api.token, api.root, NoCore(),  # type: ignore[arg-type]
                                     limiter=RateLimiter(FAST), poll_timeout=1, media_dir=media_dir)
    await channel.start_polling()
    try:
        yield channel
    finally:
        await channel.stop()


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_chart_is_uploaded_as_a_multipart_file(framework: str, tmp_path: Path) -> None:
    media_dir = tmp_path / "media"
    chart, other = png(64, 48, 90), png(32, 32, 200)
    ref, ref2 = media.save(media_dir, "weekly-lanting-20260601-20260608", chart), media.save(media_dir, "x", other)
    async with BotApiStandIn(limits=FAST) as api, telegram(api, framework, media_dir) as channel:
        manager = api.user("志远", "林")
        group = api.group("管理处群")
        await channel.sender.send(Reply("telegram", str(manager.id), "【物业周报】兰亭雅苑", photos=(ref,)))
        photo_message, text_message = api.transcript(manager.id)
        assert text_message.text == "【物业周报】兰亭雅苑"
        assert api.files[photo_message.photo].data == chart  # the stand-in holds exactly the PNG's bytes
        [call] = api.calls_to("sendPhoto")
        assert call.content_type.startswith("multipart/")

        # An album of two generated images, with buttons under the text, to a group.
        await channel.sender.send(Reply("telegram", str(group), "两张图", photos=(ref, ref2),
                                        buttons=rows([Button("好", "ok")])))
        first, second, caption = api.transcript(group)
        assert [api.files[first.photo].data, api.files[second.photo].data] == [chart, other]
        assert first.media_group_id == second.media_group_id and caption.buttons == [[("好", "ok")]]
        assert api.calls_to("sendMediaGroup")[0].content_type.startswith("multipart/")

        # A file id Telegram already has still goes as it is, without an upload.
        known, stored = photo_message.photo, len(api.files)
        await channel.sender.send(Reply("telegram", str(manager.id), "再看一次", photos=(known,)))
        assert api.transcript(manager.id)[-2].photo == known and len(api.files) == stored


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_references_leading_out_of_the_media_directory_are_refused(framework: str, tmp_path: Path) -> None:
    media_dir = tmp_path / "media"
    media_dir.mkdir()
    secret = tmp_path / "secret.png"
    secret.write_bytes(png(8, 8, 1))
    (media_dir / "link.png").symlink_to(secret)  # planted inside, pointing out
    (media_dir / "sub").mkdir()
    (media_dir / "sub" / "deep.png").write_bytes(png(8, 8, 2))
    refused = ["media:../../etc/passwd", "media:../secret.png", "media:/etc/passwd", "media:link.png",
               "media:sub/deep.png", "media:sub", "media:.hidden.png", "media:", "media:gone.png",
               "media:..", "media:a\x00b.png", "media:" + "a" * 200]
    async with BotApiStandIn(limits=FAST) as api, telegram(api, framework, media_dir) as channel:
        owner = api.user()
        for ref in refused:
            with pytest.raises(Undeliverable, match="media photo refused"):
                await channel.sender.send(Reply("telegram", str(owner.id), "看图", photos=(ref,)))
        assert api.calls_to("sendPhoto") == [] and api.calls_to("sendMessage") == [] and api.files == {}
    # Without a media directory no media photo is sent at all.
    ok = media.save(media_dir, "fine", png(8, 8, 3))
    async with BotApiStandIn(limits=FAST) as api, telegram(api, framework, None) as channel:
        owner = api.user()
        with pytest.raises(Undeliverable, match="MEDIA_DIR"):
            await channel.sender.send(Reply("telegram", str(owner.id), "看图", photos=(ok,)))
        assert api.calls_to("sendPhoto") == []


def test_the_media_store_names_by_content_and_prunes_old_files(tmp_path: Path) -> None:
    media_dir = tmp_path / "created" / "on" / "demand"
    first = media.save(media_dir, "report-lanting-20260601-20260608", png(8, 8, 1))
    assert first == media.save(media_dir, "report-lanting-20260601-20260608", png(8, 8, 1))  # same bytes, same name
    second = media.save(media_dir, "report-lanting-20260601-20260608", png(8, 8, 2))
    assert second != first and media.read(media_dir, second).data == png(8, 8, 2)
    old = media.path_of(media_dir, first)
    os.utime(old, (0, 0))  # written in 1970
    media.save(media_dir, "another", png(8, 8, 3))
    assert not old.exists() and media.path_of(media_dir, second).exists()
    assert sorted(p.name for p in media_dir.iterdir() if p.name.startswith(".")) == []  # no partial files left
    with pytest.raises(media.MediaRefused):
        media.save(media_dir, "../escape", png(8, 8, 4))


async def test_the_weekly_push_reaches_a_telegram_group_with_its_chart(tmp_path: Path, sqlite_template: Path) -> None:
    """From the SQL outbox through the Deliverer and python-telegram-bot to the stand-in."""
    db = tmp_path / "wuye.sqlite3"
    shutil.copy(sqlite_template, db)
    clock = FakeClock()
    app: App = await build_app(make_settings(f"sqlite+aiosqlite:///{db}", MEDIA_DIR=str(tmp_path / "media")), clock,
                               run_migrations=False)
    try:
        await load_community_file(app, str(EXAMPLE_COMMUNITY))
        await seed_history(app, clock)
        async with BotApiStandIn(limits=FAST) as api:
            group = api.group("管理处群")
            async with app.uow() as uow:
                team_id = await uow.session.scalar(select(m.Team.id).where(m.Team.code == "management"))
                uow.session.add(m.TeamChat(team_id=team_id, channel="telegram", chat_id=str(group)))
                await uow.commit()
            clock.set(local(8, 9))
            await push_weekly(app, clock.now())
            async with telegram(api, "ptb", app.settings.media_dir) as channel:
                deliverer = Deliverer(SqlOutbox(app.sessions, clock), channel.sender, now=clock.now)
                await deliverer.run_once()
                await api.until(lambda: len(api.transcript(group)) == 2, what="the chart and the summary")
            chart, summary = api.transcript(group)
            assert summary.text.startswith("【物业周报】兰亭雅苑 2026-06-01 至 2026-06-07\n新增案件 11 件")
            data = api.files[chart.photo].data
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1000, 700)
            async with app.uow() as uow:
                states = (await uow.session.scalars(
                    select(m.OutboxMessage.state).where(m.OutboxMessage.chat_id == str(group)))).all()
            assert states == ["sent"]
    finally:
        await app.close()
