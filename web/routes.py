"""The console's routes, all in one table; and the one function that builds the console."""

from __future__ import annotations

from aiohttp import web

from bot.bootstrap import App
from web.app import STATIC, Console
from web.photos import Fetch
from web.pages import board, case, duty, intake, login, office


async def _home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/board")


async def _health(request: web.Request) -> web.StreamResponse:
    return web.Response(text="ok")


ROUTES = [
    web.get("/", _home),
    web.get("/healthz", _health),
    web.get("/login", login.login_page),
    web.post("/login/code", login.send_code),
    web.post("/login/verify", login.verify_code),
    web.post("/login/password", login.verify_password),
    web.post("/logout", login.logout),
    web.get("/community", login.choose_community),
    web.post("/community", login.switch_community),
    web.get("/board", board.board),
    web.get("/cases/new", intake.new_form),
    web.post("/cases/new", intake.create),
    web.get("/suggest", intake.suggest),
    web.get(r"/cases/{case_id:\d+}", case.show),
    web.get(r"/cases/{case_id:\d+}/print", case.print_view),
    web.post(r"/cases/{case_id:\d+}/phone", case.reveal_phone),
    web.post(r"/cases/{case_id:\d+}/{action:[a-z_]+}", case.act),
    web.get(r"/cases/{case_id:\d+}/photos/{name}", case.photo),
    web.get("/callbacks", office.callbacks),
    web.post(r"/callbacks/{callback_id:\d+}", office.record_callback),
    web.post(r"/callbacks/{callback_id:\d+}/check", office.record_spot_check),
    web.get("/stats", office.statistics),
    web.get("/stats/chart.png", office.chart),
    web.get(r"/stats/export.{fmt:csv|xlsx}", office.export),
    web.get("/notices", office.notices),
    web.post("/notices", office.notice_post),
    web.get("/duty", duty.duty_page),
    web.post("/duty", duty.duty_post),
    web.static("/static", STATIC, append_version=False),
]


def build_console(app: App, *, secure_cookies: bool = True, fetchers: dict[str, Fetch] | None = None) -> Console:
    """The console; `fetchers`: per channel run by this process, how to download a file a user sent."""
    console = Console(app, secure_cookies=secure_cookies, fetchers=fetchers)
    console.web.add_routes(ROUTES)
    return console
