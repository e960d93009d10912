"""`wuye`: the operator's command line."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import wraps
from importlib.metadata import version as package_version
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy.exc import IntegrityError

from bot import inbox_status
from bot.bootstrap import App, build_app, load_files
from bot.case_listing import STATUSES, CaseListing, status_values
from bot.chat_checks import refused_group_chats
from bot.config_checks import config_warnings
from bot.console import run_shell
from bot.delivery_health import chat_health, status_lines
from bot.logs import configure
from bot.platform_checks import wechat_lines, wechat_present, wecom_lines, wecom_present
from bot.registers import apply_register
from bot.runner import command_menus, run_until_signalled
from bot.settings import load_settings
from bot.shared_pace import SharedPaceUnavailable
from bot.telegram import InvalidBotToken, build_telegram_channel
from bot.wechat import WechatNotConfigured
from bot.wechat.cli import wechat
from bot.web_runner import serve_console_until_signalled
from cases.errors import DeskError
from cases.records import Community
from handlers.kit.i18n import t
from services.directory import people_by_code
from services.reports import rollup as rollups
from services.reports.company import build_company_report
from services.reports.statistics import build_report, export_cases, write_report
from storage.community_file import CommunityFileError
from storage.console import ConsoleStore
from storage.db import DatabaseUnavailable, current_revision
from storage.inbox import Inbox
from storage.loader import plan_register, problems_text
from web.auth import hash_password, password_problem


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
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@_run
async def load(app: App, files: tuple[str, ...]) -> None:
    """Apply community files, or a company file listing them (YAML); all or nothing;
    loading again updates, never duplicates."""
    for summary in await load_files(app, list(files)):
        click.echo(f"loaded {summary}")


async def _community_option(app: App, code: str | None) -> str | None:
    """The community a command is about: the one given, or the only one loaded; with
    several and none given, the command stops and names them (never silently the first)."""
    async with app.uow() as uow:
        communities = await uow.directory.communities()
    if code is not None:
        if not any(c.code == code for c in communities):
            raise click.ClickException(f"no community {code!r}; there are: {_listed(communities)}")
        return code
    if len(communities) > 1:
        raise click.ClickException(f"{len(communities)} communities are loaded; say which with --community CODE: "
                                   f"{_listed(communities)}")
    return None


def _listed(communities: list[Community]) -> str:
    return ", ".join(f"{c.code} ({c.name})" for c in communities) or "none (run `wuye load FILE`)"


@main.command("load-owners")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--community", default=None, help="community code (default: the only one)")
@click.option("--apply", "apply_", is_flag=True, help="apply the changes (without it: preview only)")
@click.option("--add-only", is_flag=True, help="a list of newcomers, not the whole register: nobody moves out")
@click.option("--allow-mass-move-out", is_flag=True, help="apply even when most people would move out")
@click.option("--all", "show_all", is_flag=True, help="list every new row (default: the first 30)")
@_run
async def load_owners(app: App, file: str, community: str | None, apply_: bool, add_only: bool,
                      allow_mass_move_out: bool, show_all: bool) -> None:
    """Import the owner register (业主名册): CSV or xlsx, one room column or 楼栋/单元/房号.

    The register is the whole list of who lives where: people no longer listed move out
    (their chats are unbound, their cases kept). Without --apply only the preview of new,
    updated and moved-out rows is printed and nothing changes; every bad row is named
    with its line, and a register with bad rows loads nothing."""
    community = await _community_option(app, community)
    async with app.uow() as uow:
        plan = await plan_register(uow.session, community, file, move_out=not add_only)
        if plan.problems:
            raise click.ClickException(
                f"{len(plan.problems)} problem(s) in {file}; nothing was loaded:\n{problems_text(plan)}")
        click.echo(plan.summary())
        lines = plan.lines()
        shown = lines if show_all else [*(c.describe() for c in plan.new[:30]),
                                        *(c.describe() for c in (*plan.updated, *plan.moved_out))]
        for line in shown:
            click.echo(line)
        if len(shown) < len(lines):
            click.echo(f"  … and {len(lines) - len(shown)} more new rows (--all lists them)")
        if plan.mass_move_out():
            note = (f"{len(plan.moved_out)} of {plan.people_now} people would move out: is this the whole register? "
                    "(--add-only for a list of newcomers, --allow-mass-move-out if it is right)")
            if apply_ and not allow_mass_move_out:
                raise click.ClickException(f"{note}; nothing was changed")
            click.echo(f"warning: {note}")
        if not apply_:
            click.echo("preview only, nothing changed: run again with --apply to apply these changes")
            return
        try:
            unbound = await apply_register(uow, plan, app.now())
            await uow.commit()
        except IntegrityError:
            # The bot changed the same people meanwhile (an owner added a tenant with a
            # listed phone): the transaction is rolled back whole.
            raise click.ClickException("the database changed while the register was applied; "
                                       "nothing was loaded: run the command again") from None
    click.echo(f"applied: {len(plan.new)} new, {len(plan.updated)} updated, {len(plan.moved_out)} moved out; "
               f"{unbound} chat(s) unbound")


def _status_choice(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A status the desk knows; anything else is refused with the list of those it does."""
    if value is None or value.strip().lower() in STATUSES:
        return value.strip().lower() if value else None
    raise click.BadParameter(t("zh-CN", "cli.bad_status", value=value, values=status_values("zh-CN")))


def _cases_help(key: str) -> str:
    return t("zh-CN", key, values=status_values("zh-CN")) + " / " + t("en", key, values=status_values("en"))


@main.command(help=_cases_help("cli.cases_help"))
@click.argument("case_id", required=False, type=int)
@click.option("--status", default=None, metavar="STATUS", callback=_status_choice, help=_cases_help("cli.status_help"))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000),
              help=_cases_help("cli.limit_help"))
@click.option("--lang", default=None, type=click.Choice(["zh-CN", "en"]), help=_cases_help("cli.lang_help"))
@click.option("--community", default=None, help="community code (default: the only one)")
@_run
async def cases(app: App, case_id: int | None, status: str | None, limit: int, lang: str | None,
                community: str | None) -> None:
    locale = lang or app.settings.default_locale
    listing = CaseListing(app, locale)
    if case_id is None:
        for line in await listing.list_lines(status, limit, await _community_option(app, community)):
            click.echo(line)
        return
    lines = await listing.case_lines(case_id)
    if lines is None:
        raise click.ClickException(t(locale, "cli.no_case", id=case_id))
    for line in lines:
        click.echo(line)


@main.command()
@_run
async def status(app: App) -> None:
    """Delivery health: per channel and chat, messages pending, retrying and failed; and the
    WeChat/WeCom inbox: messages pending, in progress and failed (given up) per channel."""

    now = app.now()
    async with app.uow() as uow:
        rows = await chat_health(uow, now)
        inbox = await Inbox(uow.session).health(now)
    running = ({"telegram"} if app.settings.telegram_bot_token else set()) | \
        ({"wechat"} if app.settings.wechat_app_id else set()) or {"console"}
    for line in [*status_lines(rows, now, running), *inbox_status.status_lines(inbox, now)]:
        click.echo(line)


@main.group()
def inbox() -> None:
    """WeChat/WeCom messages given up after repeated failures: list them, hand them to the desk again."""


@inbox.command("failed")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--lang", default=None, type=click.Choice(["zh-CN", "en"]), help="language shown (zh-CN | en)")
@_run
async def inbox_failed(app: App, limit: int, lang: str | None) -> None:
    """List the failed messages (id, channel, when, how often taken, kind; never who or what)."""
    async with app.uow() as uow:
        rows = await Inbox(uow.session).failed(limit)
    for line in inbox_status.failed_lines(rows, ZoneInfo(app.settings.timezone), lang or app.settings.default_locale):
        click.echo(line)


@inbox.command("retry")
@click.option("--id", "ids", type=int, multiple=True, help="a failed message's id (wuye inbox failed); repeatable")
@click.option("--all-failed", is_flag=True, help="every failed message")
@_run
async def inbox_retry(app: App, ids: tuple[int, ...], all_failed: bool) -> None:
    """Put failed messages back to pending: a running `wuye run` handles them again (one the
    desk did handle is only marked done), else the next start does."""
    if bool(ids) == all_failed:
        raise click.UsageError(" / ".join(inbox_status.both("cli.inbox_retry_which")))
    async with app.uow() as uow:
        back = await Inbox(uow.session).retry(None if all_failed else sorted(set(ids)))
        missing = sorted(set(ids) - set(back))
        if missing:  # all or nothing: a mistyped id is not half applied
            raise click.ClickException(" / ".join(inbox_status.both(
                "cli.inbox_retry_not_failed", ids=", ".join(f"#{i}" for i in missing))))
        if back:  # the audit log: which messages, never whose or what (ids only)
            await ConsoleStore(uow.session).audit(app.now(), None, "inbox_retry", remote="cli", ids=back)
        await uow.commit()
    click.echo(" / ".join(inbox_status.both("cli.inbox_retry_done", count=len(back),
                                             ids=", ".join(f"#{i}" for i in back) or "-")))


@main.command()
@click.option("--rebuild", is_flag=True, help="recompute every day, not only those that ended or changed")
@_run
async def rollup(app: App, rebuild: bool) -> None:
    """Bring the company report's daily rollups up to date (the scheduler does it every 5
    minutes; the first run, or --rebuild, rolls up the whole history)."""
    async with app.uow() as uow:
        done = await rollups.refresh(uow, app.now(), rebuild=rebuild)
        await uow.commit()
    click.echo(" / ".join(t(locale, "cli.rollup_done", communities=done.communities, days=done.days)
                          for locale in ("zh-CN", "en")))


@main.command()
@click.option("--timeout", default=30.0, show_default=True, help="seconds to wait for the channel to answer")
@_run
async def check(app: App, timeout: float) -> None:
    """Check the configuration against the channels: teams or staff with no chat; on
    Telegram the team group chats it refuses; for WeChat and WeCom the settings, an access
    token from the platform, WeCom's app and the teams' group robots.  Exit status 1 if any."""
    settings = app.settings
    wechat_on, wecom_on = wechat_present(settings), wecom_present(settings)
    channels = (["telegram"] if settings.telegram_bot_token else []) + (["wechat"] if wechat_on else []) + \
        (["wecom"] if wecom_on else [])
    channels = channels or ["console"]
    lines = await config_warnings(app, channels)
    if settings.telegram_bot_token:
        try:
            channel = build_telegram_channel(settings.bot_framework, settings.telegram_bot_token.get_secret_value(),
                                             settings.telegram_api_base_url, app.desk, commands=command_menus())
        except InvalidBotToken as exc:
            raise click.ClickException(str(exc)) from None
        try:
            try:
                await asyncio.wait_for(channel.connect(), timeout)
            except TimeoutError:
                raise click.ClickException(
                    f"the Telegram Bot API at {settings.telegram_api_base_url} did not answer in {timeout:.0f} s") from None
            except InvalidBotToken as exc:
                raise click.ClickException(str(exc)) from None
            lines += await refused_group_chats(app, channel.sender)
        finally:
            await channel.stop()
    if wechat_on:
        lines += await wechat_lines(settings, timeout)
    if wecom_on:
        lines += await wecom_lines(settings, app, timeout)
    for line in lines:
        click.echo(line)
    if lines:
        raise SystemExit(1)
    click.echo(f"configuration OK ({', '.join(channels)})")


@main.command()
def run() -> None:
    """Start the bot on every configured channel: Telegram (long polling, or a webhook when
    WEBHOOK_URL is set) and the WeChat Service Account (when WECHAT_APP_ID is set)."""
    settings = load_settings()
    configure(settings.log_level, settings.log_libraries)
    try:
        asyncio.run(run_until_signalled(settings))
    except (InvalidBotToken, WechatNotConfigured, CommunityFileError, DatabaseUnavailable, SharedPaceUnavailable) as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
def web() -> None:
    """Serve the office console alone (WEB_LISTEN:WEB_PORT, default 127.0.0.1:8080).

    `wuye run` serves it too when WEB_PORT is set; run this one beside a bot in another
    process (they share the database; the bot delivers the sign-in codes)."""
    settings = load_settings()
    configure(settings.log_level, settings.log_libraries)
    try:
        asyncio.run(serve_console_until_signalled(settings))
    except (CommunityFileError, DatabaseUnavailable) as exc:
        raise click.ClickException(str(exc)) from None


@main.command("console-password")
@click.argument("staff_code")
@click.password_option("--password", prompt="Password (at least 10 characters)", help="asked for when not given")
@click.option("--community", default=None,
              help="community code, when two communities each have a different person with this staff code")
@_run
async def console_password(app: App, staff_code: str, password: str, community: str | None) -> None:
    """Set the console password of a member of staff without a chat with the bot (one password
    for the person, whichever communities they serve)."""
    problem = password_problem(password)
    if problem:
        raise click.ClickException(t("zh-CN", problem) + " / " + t("en", problem))
    async with app.uow() as uow:
        store = ConsoleStore(uow.session)
        people = [person for person in await people_by_code(uow, staff_code)
                  if community is None or any(p.community_code == community for p in person)]
        if not people:
            raise click.ClickException(f"no active staff member {staff_code!r}")
        if len(people) > 1:
            where = ", ".join(sorted({p.community_code for person in people for p in person}))
            raise click.ClickException(f"{staff_code!r} names different people in {where}: add --community")
        staff_id = people[0][0].staff_id
        await store.set_password(staff_id, hash_password(password), app.now())
        await store.audit(app.now(), staff_id, "password_set", remote="cli")
        await uow.commit()
    click.echo(f"console password set for {staff_code}; their open console sessions were ended")


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
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "xlsx", "png"]), default=None,
              help="default: from --out's extension, else md (png: the --company chart)")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None, help="file (default: stdout)")
@click.option("--community", default=None,
              help="community code (default: the only one); with --company, codes separated by commas (default: all)")
@click.option("--cases", "export", is_flag=True, help="export the period's cases with timelines instead (csv|xlsx)")
@click.option("--company", is_flag=True, help="the communities side by side, with a company total and a chart")
@_run
async def report(app: App, start: Any, end: Any, fmt: str | None, out: str | None, community: str | None,
                 export: bool, company: bool) -> None:
    """Service statistics for [--from, --to), or with --cases an archive export of the cases,
    or with --company the communities compared (the xlsx holds the chart; png is the chart alone)."""
    from pathlib import Path

    suffix = Path(out).suffix.lstrip(".").lower() if out else ""
    fmt = fmt or (suffix if suffix in ("md", "csv", "xlsx", "png") else ("csv" if export else "md"))
    if export and company:
        raise click.UsageError("--cases and --company are separate reports")
    if export and fmt == "md":
        raise click.UsageError("--cases exports csv or xlsx")
    if fmt == "png" and not company:
        raise click.UsageError("png is the --company chart")
    if fmt in ("xlsx", "png") and not out:
        raise click.UsageError(f"an {fmt} file needs --out FILE")
    if not company:
        community = await _community_option(app, community)
    try:
        if export:
            data = await export_cases(app.uow(), start.date(), end.date(), fmt, community, now=app.now())
        elif company:
            codes = [c.strip() for c in (community or "").split(",") if c.strip()]
            # No scheduler may be running beside a command: the rolled-up days changed since
            # the last refresh are recomputed first (never a backfill: `wuye rollup` does that).
            async with app.uow() as uow:
                await rollups.catch_up(uow, await uow.directory.communities(), app.now())
                await uow.commit()
            built, _ = await build_company_report(app.uow(), start.date(), end.date(), codes, now=app.now(),
                                                  chart=fmt in ("xlsx", "png"))
            data = (built.chart or b"") if fmt == "png" else write_report(built, fmt)
        else:
            data = write_report(await build_report(app.uow(), start.date(), end.date(), community, now=app.now()), fmt)
    except (DeskError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if out:
        Path(out).write_bytes(data)
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(data.decode("utf-8-sig"), nl=False)
