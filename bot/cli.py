"""`wuye`: the operator's command line."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import wraps
from importlib.metadata import version as package_version
from typing import Any

import click

from bot.bootstrap import App, build_app, load_community_file
from bot.console import run_shell
from bot.delivery_health import chat_health, status_lines
from bot.logs import configure
from bot.runner import run_until_signalled
from bot.settings import load_settings
from bot.telegram import InvalidBotToken
from cases.errors import DeskError
from cases.privacy import scrub
from services.reports.statistics import build_report, export_cases, write_report
from storage.community_file import CommunityFileError
from storage.db import DatabaseUnavailable, current_revision
from storage.loader import load_owners_csv
from bot.wechat.cli import wechat


def _run(func: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    """Run an async command body against a freshly built (and migrated) app."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        async def main() -> Any:
            app = await build_app(load_settings())
            try:
                return await func(app, *args, **kwargs)
            finally:
                await app.close()

        try:
            return asyncio.run(main())
        except (CommunityFileError, DatabaseUnavailable) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


@click.group()
def main() -> None:
    """wuye — 物业自助服务机器人 (property help desk bot)."""
    configure("WARNING")


main.add_command(wechat)


@main.command()
def version() -> None:
    """Print the version."""
    click.echo(f"wuye {package_version('wuye')}")


@main.command()
@_run
async def migrate(app: App) -> None:
    """Bring the database schema up to date (also done at every start)."""

    click.echo(f"database at revision {await current_revision(app.engine)}")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_run
async def load(app: App, file: str) -> None:
    """Apply a community file (YAML); loading again updates, never duplicates."""
    click.echo(f"loaded {await load_community_file(app, file)}")


@main.command("load-owners")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--community", default=None, help="community code (default: the first one)")
@_run
async def load_owners(app: App, file: str, community: str | None) -> None:
    """Import the owner register from a CSV export with room, name and phone columns."""
    async with app.uow() as uow:
        count = await load_owners_csv(uow.session, community, file)
        await uow.commit()
    click.echo(f"imported {count} owners")


@main.command()
@click.argument("case_id", required=False, type=int)
@click.option("--status", default=None, help="only cases in this status")
@click.option("--limit", default=50, show_default=True)
@_run
async def cases(app: App, case_id: int | None, status: str | None, limit: int) -> None:
    """List recent cases, or show one case with its timeline."""

    async with app.uow() as uow:
        if case_id is None:
            rows = await uow.cases.recent(limit, status)
            if not rows:
                click.echo("no cases")
            for c in rows:
                created = c.created_at.strftime("%Y-%m-%d %H:%M") if c.created_at else ""
                click.echo(
                    f"#{c.id:<6} {created}  {c.kind:<10} {c.category or '-':<12} {c.urgency:<9} "
                    f"{c.status:<11} {c.team_code:<16} {scrub(c.description)[:40]}"
                )
            return
        case = await uow.cases.get(case_id)
        if case is None:
            raise click.ClickException(f"no case #{case_id}")
        click.echo(f"case #{case.id}: {case.kind}/{case.category or '-'} {case.urgency}, {case.status}, team {case.team_code}")
        click.echo(f"  {scrub(case.description)}")
        for item in await uow.cases.timeline(case_id):
            who = item.actor_kind + (f" {item.actor_id}" if item.actor_id else "")
            click.echo(f"  {item.at:%Y-%m-%d %H:%M}  {item.action:<14} {who:<12} {scrub(item.note)}")


@main.command()
@_run
async def status(app: App) -> None:
    """Delivery health: per channel and chat, messages pending, retrying and failed."""

    now = app.now()
    async with app.uow() as uow:
        rows = await chat_health(uow, now)
    running = {"telegram"} if app.settings.telegram_bot_token else {"console"}
    for line in status_lines(rows, now, running):
        click.echo(line)


@main.command()
def run() -> None:
    """Start the bot on Telegram (long polling, or a webhook when WEBHOOK_URL is set)."""
    settings = load_settings()
    configure(settings.log_level, settings.log_libraries)
    try:
        asyncio.run(run_until_signalled(settings))
    except (InvalidBotToken, CommunityFileError, DatabaseUnavailable) as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
def shell() -> None:
    """Chat with the help desk in this terminal: owners, staff and team groups in one window.

    Uses DATABASE_URL (the embedded SQLite file by default); an empty database is
    migrated and gets the demo community (COMMUNITY_FILE) on first start.
    """
    import sys

    try:
        asyncio.run(run_shell(load_settings(), sys.stdin, sys.stdout))
    except (CommunityFileError, DatabaseUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        pass


@main.command()
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="first day (community time)")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="day after the last (exclusive)")
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "xlsx"]), default=None,
              help="default: from --out's extension, else md")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None, help="file (default: stdout)")
@click.option("--community", default=None, help="community code (default: the first one)")
@click.option("--cases", "export", is_flag=True, help="export the period's cases with timelines instead (csv|xlsx)")
@_run
async def report(app: App, start: Any, end: Any, fmt: str | None, out: str | None, community: str | None,
                 export: bool) -> None:
    """Service statistics for [--from, --to), or with --cases an archive export of the cases."""
    from pathlib import Path

    suffix = Path(out).suffix.lstrip(".").lower() if out else ""
    fmt = fmt or (suffix if suffix in ("md", "csv", "xlsx") else ("csv" if export else "md"))
    if export and fmt == "md":
        raise click.UsageError("--cases exports csv or xlsx")
    if fmt == "xlsx" and not out:
        raise click.UsageError("an xlsx workbook needs --out FILE")
    try:
        if export:
            data = await export_cases(app.uow(), start.date(), end.date(), fmt, community, now=app.now())
        else:
            data = write_report(await build_report(app.uow(), start.date(), end.date(), community, now=app.now()), fmt)
    except (DeskError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if out:
        Path(out).write_bytes(data)
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(data.decode("utf-8-sig"), nl=False)
