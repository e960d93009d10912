"""The console's aiohttp application: the gate every request passes (session, CSRF, headers,
errors), page rendering, and starting/stopping beside the bot on the same event loop.

No page is served without a live session, except the sign-in pages and static files.  A
POST is accepted only with the session's form token (or, before sign-in, the token of the
sign-in cookie); anything else is refused and written to the audit log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from bot.bootstrap import App
from cases.errors import DeskError, NotAllowed, NotFound
from cases.permissions import StaffMember
from cases.records import Community
from handlers.kit.formatting import code_name, local_time, money
from handlers.kit.i18n import LOCALES, catalogue, t
from handlers.kit.messages import Reply, reply_to_dict
from services.directory import Post, posts_of
from storage.console import ConsoleStore
from storage.failures import log_failure
from storage.uow import UnitOfWork
from web.auth import RENEW_EVERY, client_address, digest, new_token, same, session_ended
from web.photos import Fetch, PhotoStore

log = logging.getLogger("wuye.web")

SESSION_COOKIE = "wuye_session"
LOGIN_COOKIE = "wuye_login"
LANG_COOKIE = "wuye_lang"
OPEN_PATHS = frozenset({"/login", "/login/code", "/login/verify", "/login/password", "/healthz"})
STATIC = Path(__file__).parent / "static"
CONSOLE_KEY = web.AppKey("console", object)

_env = Environment(loader=PackageLoader("web", "templates"), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True, slots=True)
class Signed:
    """Who is signed in on this request, with the session's form token."""

    staff: StaffMember  # the person's staff row in the community they work in now
    csrf: str
    token_hash: str
    posts: tuple[Post, ...] = ()  # every community they may work in, this one included

    @property
    def post(self) -> Post:
        return next(p for p in self.posts if p.staff_id == self.staff.id)


# What the gate finds out about each request, for the pages (aiohttp ≥ 3.14's typed keys).
SIGNED = web.RequestKey("signed", object)  # Signed | None
# The community the signed-in person works in now (their session's staff row's); every page
# and action reads and writes only its cases.  None before sign-in.
COMMUNITY = web.RequestKey("community", object)  # cases.records.Community | None
FORM = web.RequestKey("form", dict)
LOGIN_CSRF = web.RequestKey("login_csrf", str)


class Console:
    def __init__(self, app: App, *, secure_cookies: bool = True, fetchers: dict[str, Fetch] | None = None) -> None:
        self.app = app
        self.secure = secure_cookies
        self.photos = PhotoStore(app.settings.media_dir, fetchers)
        self.web = web.Application(middlewares=[self._errors, self._headers, self._gate],
                                   client_max_size=2 * 1024 * 1024)
        self.web[CONSOLE_KEY] = self
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    # ----------------------------------------------------------------- lifecycle
    async def start(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(self.web, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server  # the bound socket's port (0 asks the system for a free one)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        log.info("console listening on %s:%s", host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ----------------------------------------------------------------- helpers for pages
    def uow(self) -> UnitOfWork:
        return self.app.uow()

    def locale(self, request: web.Request) -> str:
        wanted = request.query.get("lang") or request.cookies.get(LANG_COOKIE)
        return wanted if wanted in LOCALES else self.app.settings.default_locale

    def render(self, request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
        locale = self.locale(request)
        signed: Signed | None = request.get(SIGNED)
        community = request.get(COMMUNITY)
        policy = community.policy if community is not None else None

        def _(key: str, **fields: object) -> str:
            return t(locale, key, **fields)

        body = _env.get_template(template).render(
            _=_, locale=locale, signed=signed, staff=signed.staff if signed else None, community=community,
            csrf=signed.csrf if signed else request.get(LOGIN_CSRF, ""),
            code=lambda group, value: code_name(locale, group, value),
            when=lambda value: local_time(value, policy, locale) if policy and value else "-",
            money=lambda cents: money(cents, locale), has=lambda key: key in catalogue(locale), path=request.path,
            msg=request.query.get("msg", ""), **context)
        response = web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
        if request.query.get("lang") in LOCALES:
            response.set_cookie(LANG_COOKIE, request.query["lang"], max_age=365 * 86400, httponly=True,
                                samesite="Strict", secure=self.secure)
        return response

    def set_session_cookie(self, response: web.StreamResponse, token: str, max_age: int) -> None:
        response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="Strict",
                            secure=self.secure, path="/")

    async def post(self, uow: UnitOfWork, replies: list[Reply]) -> None:
        """Queue chat messages in the same transaction as the change they report."""
        now = self.app.now()
        for reply in replies:
            await uow.outbox.add(reply.channel, reply.chat_id, reply_to_dict(reply), reply.replace_key, now)

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.app.settings.web_idle_minutes)

    @property
    def lifetime(self) -> timedelta:
        return timedelta(hours=self.app.settings.web_session_hours)

    def remote(self, request: web.Request) -> str:
        """The client's address: the connection's, or behind a trusted reverse proxy the one
        it passed in the configured header (WEB_CLIENT_IP_HEADER); never a header by default."""
        settings = self.app.settings
        header = request.headers.get(settings.web_client_ip_header) if settings.web_client_ip_header else None
        proxies = frozenset(p.strip() for p in settings.web_trusted_proxies.split(",") if p.strip())
        return client_address(request.remote or "", header, proxies)

    def wake_delivery(self) -> None:
        if self.app.desk.on_outbox:
            self.app.desk.on_outbox()

    async def audit(self, request: web.Request, action: str, /, *, case_id: int | None = None,
                    staff_id: int | None = None, **data: Any) -> None:
        """An audit row in its own transaction (a refusal is recorded though nothing else is)."""
        signed: Signed | None = request.get(SIGNED)
        async with self.uow() as uow:
            await ConsoleStore(uow.session).audit(
                self.app.now(), staff_id if staff_id is not None else (signed.staff.id if signed else None),
                action, case_id=case_id, remote=self.remote(request), **data)
            await uow.commit()

    # ----------------------------------------------------------------- middlewares
    @web.middleware
    async def _errors(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except NotFound:
            # Another community's case reads exactly as a number that does not exist.
            return self.render(request, "refused.html", status=404, reason="console.refused_not_found")
        except NotAllowed:
            await self.audit(request, "refused", path=request.path)
            return self.render(request, "refused.html", status=403, reason="console.refused_team")
        except DeskError:
            return self.render(request, "refused.html", status=400, reason="console.refused_state")
        except Exception as exc:
            # Never the form or the request body: they may hold owners' names and numbers.
            log_failure(log, exc, "console request failed (%s %s)", request.method, request.path,
                        then="the page asks to try again")
            return self.render(request, "refused.html", status=500, reason="console.failed")

    @web.middleware
    async def _headers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        # Everything the pages use is served from here: no CDN, no inline script.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @web.middleware
    async def _gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/static/"):
            return await handler(request)
        now = self.app.now()
        async with self.uow() as uow:
            signed, community, ended = await self._signed(uow, request, now)
            await uow.commit()
        request[SIGNED], request[COMMUNITY] = signed, community
        if request.path in OPEN_PATHS:
            return await self._open_page(request, handler)
        if signed is None:
            if request.method == "POST":
                await self.audit(request, "no_session", path=request.path)
            # The sign-in page says why the session ended (idle, or its lifetime over).
            gone = web.HTTPSeeOther(f"/login?ended={ended}" if ended else "/login")
            if ended:
                gone.del_cookie(SESSION_COOKIE, path="/")
            raise gone
        if request.method == "POST":
            form = await request.post()
            request[FORM] = {k: str(v) for k, v in form.items() if isinstance(v, str)}
            if not same(request[FORM].get("csrf", ""), signed.csrf):
                await self.audit(request, "csrf_refused", path=request.path)
                return self.render(request, "refused.html", status=403, reason="console.refused_csrf")
        return await handler(request)

    async def _open_page(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Sign-in pages: their forms carry the token of a sign-in cookie (double submit)."""
        token = request.cookies.get(LOGIN_COOKIE, "")
        fresh = not token
        if fresh:
            token = new_token()
        request[LOGIN_CSRF] = token
        if request.method == "POST":
            form = await request.post()
            request[FORM] = {k: str(v) for k, v in form.items() if isinstance(v, str)}
            if fresh or not same(request[FORM].get("csrf", ""), token):
                await self.audit(request, "csrf_refused", path=request.path)
                return self.render(request, "refused.html", status=403, reason="console.refused_csrf")
        response = await handler(request)
        if fresh:
            response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="Strict", secure=self.secure,
                                max_age=3600, path="/")
        return response

    async def _signed(self, uow: UnitOfWork, request: web.Request,
                      now: Any) -> tuple[Signed | None, Community | None, str | None]:
        """Who is signed in, in which community; or why their session just ended.  Each
        request renews the session's idle time (written at most once a minute)."""
        token = request.cookies.get(SESSION_COOKIE, "")
        if not token or len(token) > 100:
            return None, None, None
        hashed = digest(token)
        store = ConsoleStore(uow.session)
        row = await store.session_of(hashed)
        if row is None:
            return None, None, None
        ended = session_ended(now, row.last_seen_at, row.expires_at, self.idle)
        if ended is not None:
            await store.close_session(hashed)
            await store.audit(now, row.staff_id, "session_ended", remote=self.remote(request), why=ended)
            return None, None, ended
        staff = await uow.directory.staff(row.staff_id)
        posts = await posts_of(uow, row.staff_id)
        if staff is None or not staff.active or not posts:
            return None, None, None
        if now - row.last_seen_at >= RENEW_EVERY:
            await store.touch(hashed, now)
        signed = Signed(staff, row.csrf, hashed, posts)
        return signed, await uow.directory.community_by_id(signed.post.community_id), None


def console_of(request: web.Request) -> Console:
    return request.app[CONSOLE_KEY]  # type: ignore[return-value]
