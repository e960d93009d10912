"""`wuye wechat ...`: the office's commands for the Service Account."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from bot.bootstrap import build_app
from bot.channel import DeliveryError
from bot.settings import load_settings
from bot.wechat import WechatChannel, WechatNotConfigured
from bot.wechat.office import UnknownRooms, publish_menu, room_qr_codes
from bot.wxbase.api import ApiError


async def _with_channel(work):  # type: ignore[no-untyped-def]
    settings = load_settings()
    app = await build_app(settings)
    try:
        channel = WechatChannel.from_settings(settings, app)
        try:
            return await work(channel, app)
        finally:
            await channel.stop()
    finally:
        await app.close()


def _run(work):  # type: ignore[no-untyped-def]
    try:
        return asyncio.run(_with_channel(work))
    except (WechatNotConfigured, UnknownRooms) as exc:
        raise click.ClickException(str(exc)) from None
    except (ApiError, DeliveryError) as exc:
        raise click.ClickException(f"WeChat refused or could not be reached: {exc}") from None


@click.group("wechat")
def wechat() -> None:
    """The WeChat Service Account: room QR codes, the custom menu."""


@wechat.command("qr")
@click.argument("rooms", nargs=-1, required=True)
@click.option("--out", type=click.Path(file_okay=False), default="var/qr", show_default=True,
              help="directory the PNG files go to")
def qr(rooms: tuple[str, ...], out: str) -> None:
    """Write a binding QR code (PNG) for each ROOM, e.g. `wuye wechat qr 1-1-101 1-1-102`."""
    paths = _run(lambda channel, app: room_qr_codes(channel.api, app.sessions, list(rooms), Path(out)))
    for path in paths:
        click.echo(str(path))


@wechat.command("menu")
def menu() -> None:
    """Publish the account's custom menu (报修 · 办事 · 我的工单)."""
    published = _run(lambda channel, app: publish_menu(channel.api, app.settings.default_locale))
    names = [b["name"] for b in published["button"]]
    click.echo("menu published: " + " · ".join(names))
