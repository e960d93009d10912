"""Signing in: a one-time code sent to the staff member's own chat with the bot, or a
password the operator set with `wuye console-password` for staff without a chat.

Twenty wrong codes or passwords in a row lock the account for a while; fifteen from one
address within a quarter of an hour, whatever staff numbers they name, refuse that address
for a while (so one address alone never locks anyone out); a code works once and for ten
minutes; whether a staff number exists is not told apart from a wrong code.  A session ends
after WEB_IDLE_MINUTES without a request and WEB_SESSION_HOURS after signing in.

A person serving several communities has one staff row in each (same code and phone): they
sign in once, as the person, and work in one community at a time — its cases, with the role
of their row there — switching in the header (`services.directory.posts_of`).
"""

from __future__ import annotations

import logging

from aiohttp import web

from cases.errors import NotAllowed
from handlers.kit.i18n import t
from handlers.kit.messages import Reply
from services.directory import Post, people_by_code
from storage.console import ConsoleStore
from web.app import FORM, LOGIN_COOKIE, SESSION_COOKIE, SIGNED, Signed, console_of
from web.auth import (
    ADDRESS_MAX_FAILURES, ADDRESS_WINDOW, CODE_TTL, LOCK_FOR, MAX_FAILURES, check_password, code_digest, digest,
    new_code, new_token,
)

log = logging.getLogger("wuye.web.login")
ENDED = ("idle", "expired")  # why a session ended, as the sign-in page is told (?ended=)


async def login_page(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    if request.get(SIGNED) is not None:
        raise web.HTTPSeeOther("/board")
    ended = request.query.get("ended", "")
    return console.render(request, "login.html", step="start", staff_code="",
                          ended=f"console.session_ended_{ended}" if ended in ENDED else "",
                          minutes=console.app.settings.web_idle_minutes, hours=console.app.settings.web_session_hours)


async def _throttled(request: web.Request, step: str, staff_code: str) -> web.StreamResponse | None:
    """Too many wrong attempts from this address (across staff numbers): refused for a while,
    before any code is sent or checked; recorded, without what was typed."""
    console = console_of(request)
    now = console.app.now()
    remote = console.remote(request)
    async with console.uow() as uow:
        store = ConsoleStore(uow.session)
        if await store.refused_from(remote, now - ADDRESS_WINDOW) < ADDRESS_MAX_FAILURES:
            return None
        await store.audit(now, None, "login_throttled", remote=remote, step=step)
        await uow.commit()
    log.warning("console sign-in refused from %s: %s or more wrong attempts in %s minutes", remote,
                ADDRESS_MAX_FAILURES, int(ADDRESS_WINDOW.total_seconds() // 60))
    return console.render(request, "login.html", status=429, step="start", staff_code=staff_code,
                          error="console.login_throttled", minutes=int(ADDRESS_WINDOW.total_seconds() // 60))


async def send_code(request: web.Request) -> web.StreamResponse:
    """Send a code to every chat the staff member has with the bot (through the outbox)."""
    console = console_of(request)
    staff_code = request[FORM].get("staff", "").strip()[:32]
    if (refused := await _throttled(request, "code", staff_code)) is not None:
        return refused
    now = console.app.now()
    async with console.uow() as uow:
        store = ConsoleStore(uow.session)
        for person in await people_by_code(uow, staff_code) if staff_code else []:
            key = person[0].staff_id  # codes and the wrong-attempt guard are the person's, not a post's
            chats = {(i.channel, i.chat_id): i for p in person for i in await uow.directory.chats_of(staff_id=p.staff_id)}
            if chats and await store.locked_until(key, now) is None:
                code = new_code()
                await store.add_code(key, code_digest(key, code), now, CODE_TTL)
                minutes = int(CODE_TTL.total_seconds() // 60)
                await console.post(uow, [Reply(i.channel, i.chat_id, t(i.locale, "office.code", code=code, minutes=minutes))
                                         for i in chats.values()])
                await store.audit(now, key, "code_sent", remote=console.remote(request))
        await uow.commit()
    console.wake_delivery()
    # The same answer whether or not the number exists or has a chat.
    return console.render(request, "login.html", step="code", staff_code=staff_code)


async def _refuse(request: web.Request, keys: list[int], why: str, staff_code: str, step: str) -> web.StreamResponse:
    console = console_of(request)
    now = console.app.now()
    locked = False
    async with console.uow() as uow:
        store = ConsoleStore(uow.session)
        for key in keys if why != "locked" else []:
            locked = await store.failed(key, now, MAX_FAILURES, LOCK_FOR) or locked
        await store.audit(now, keys[0] if len(keys) == 1 else None, "login_refused", remote=console.remote(request),
                          why=why, locked=locked)
        await uow.commit()
    key = "console.login_locked" if locked or why == "locked" else (
        "console.login_used" if why == "used" else "console.login_wrong")
    return console.render(request, "login.html", status=403 if why != "locked" else 429, step=step,
                          staff_code=staff_code, error=key,
                          minutes=int(LOCK_FOR.total_seconds() // 60))


async def _open_session(request: web.Request, person: tuple[Post, ...], how: str) -> web.StreamResponse:
    """Signed in as the person; the community they last worked in comes first, and someone
    serving several is asked which one to work in now."""
    console = console_of(request)
    now = console.app.now()
    token, csrf = new_token(), new_token()
    async with console.uow() as uow:
        store = ConsoleStore(uow.session)
        last = await store.last_used([p.staff_id for p in person])
        post = next((p for p in person if p.staff_id == last), person[0])
        await store.drop_expired(now, console.idle)
        await store.succeeded(person[0].staff_id, now)
        await store.open_session(digest(token), post.staff_id, csrf, now, console.lifetime)
        await store.audit(now, post.staff_id, "signed_in", remote=console.remote(request), how=how,
                          community=post.community_code)
        await uow.commit()
    response = web.HTTPSeeOther("/community" if len(person) > 1 else "/board")
    console.set_session_cookie(response, token, int(console.lifetime.total_seconds()))
    response.del_cookie(LOGIN_COOKIE, path="/")
    raise response


async def verify_code(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = request[FORM]
    staff_code, code = form.get("staff", "").strip()[:32], form.get("code", "").strip()[:12]
    if (refused := await _throttled(request, "verify", staff_code)) is not None:
        return refused
    now = console.app.now()
    outcomes: list[tuple[tuple[Post, ...], str]] = []
    async with console.uow() as uow:
        store = ConsoleStore(uow.session)
        for person in await people_by_code(uow, staff_code) if staff_code else []:
            key = person[0].staff_id
            if await store.locked_until(key, now) is not None:
                outcomes.append((person, "locked"))
            else:
                outcomes.append((person, await store.use_code(key, code_digest(key, code), now)
                                 if code.isdigit() else "wrong"))
        await uow.commit()
    for person, result in outcomes:
        if result == "ok":
            return await _open_session(request, person, "code")
    results = {result for _, result in outcomes}
    why = "used" if "used" in results else ("locked" if results == {"locked"} else "wrong")
    keys = [person[0].staff_id for person, result in outcomes if result != "locked"]
    return await _refuse(request, keys or [p[0].staff_id for p, _ in outcomes], why, staff_code, "code")


async def verify_password(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = request[FORM]
    staff_code, password = form.get("staff", "").strip()[:32], form.get("password", "")[:200]
    if (refused := await _throttled(request, "password", staff_code)) is not None:
        return refused
    now = console.app.now()
    candidates: list[tuple[tuple[Post, ...], bool, list[str]]] = []
    async with console.uow() as uow:
        store = ConsoleStore(uow.session)
        for person in await people_by_code(uow, staff_code) if staff_code else []:
            locked = await store.locked_until(person[0].staff_id, now) is not None
            hashes = [h for p in person if (h := await store.password_hash(p.staff_id))]
            candidates.append((person, locked, hashes))
    for person, locked, hashes in candidates:
        if not locked and any(check_password(password, h) for h in hashes):
            return await _open_session(request, person, "password")
    unlocked = [person[0].staff_id for person, locked, _ in candidates if not locked]
    if candidates and not unlocked:
        return await _refuse(request, [candidates[0][0][0].staff_id], "locked", staff_code, "password")
    return await _refuse(request, unlocked, "wrong", staff_code, "password")


async def choose_community(request: web.Request) -> web.StreamResponse:
    """The communities this person works in, the current one marked (after signing in, and
    from the header's switch)."""
    console = console_of(request)
    return console.render(request, "community.html")


async def switch_community(request: web.Request) -> web.StreamResponse:
    """Go on working as the person's row in another community: its cases, role and permissions.
    Only a community of their own: another number is refused and recorded."""
    console = console_of(request)
    signed: Signed = request[SIGNED]
    raw = request[FORM].get("staff_id", "")
    post = next((p for p in signed.posts if raw.isdigit() and p.staff_id == int(raw)), None)
    if post is None:
        raise NotAllowed("not one of this person's communities")
    before = signed.post
    now = console.app.now()
    async with console.uow() as uow:
        store = ConsoleStore(uow.session)
        await store.switch_session(signed.token_hash, post.staff_id)
        await store.audit(now, post.staff_id, "community_switched", remote=console.remote(request),
                          **{"from": before.community_code, "to": post.community_code, "from_staff": before.staff_id})
        await uow.commit()
    raise web.HTTPSeeOther("/board")


async def logout(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    signed = request[SIGNED]
    async with console.uow() as uow:
        store = ConsoleStore(uow.session)
        await store.close_session(signed.token_hash)
        await store.audit(console.app.now(), signed.staff.id, "signed_out", remote=console.remote(request))
        await uow.commit()
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response
