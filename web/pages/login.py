"""Signing in: a one-time code sent to the staff member's own chat with the bot, or a
password the operator set with `wuye console-password` for staff without a chat.

Twenty wrong codes or passwords in a row lock the account for a while; a code works once
and for ten minutes; whether a staff number exists is not told apart from a wrong code.
"""

from __future__ import annotations

from aiohttp import web

from handlers.kit.i18n import t
from handlers.kit.messages import Reply
from storage.console import ConsoleStore
from web.app import FORM, LOGIN_COOKIE, SESSION_COOKIE, SIGNED, console_of
from web.auth import (
    CODE_TTL, LOCK_FOR, MAX_FAILURES, SESSION_TTL, check_password, code_digest, digest, new_code, new_token,
)


async def login_page(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    if request.get(SIGNED) is not None:
        raise web.HTTPSeeOther("/board")
    return console.render(request, "login.html", step="start", staff_code="")


async def send_code(request: web.Request) -> web.StreamResponse:
    """Send a code to every chat the staff member has with the bot (through the outbox)."""
    console = console_of(request)
    staff_code = request[FORM].get("staff", "").strip()[:32]
    now = console.app.now()
    async with console.uow() as uow:
        store = ConsoleStore(uow.session)
        staff_id = await store.staff_by_code(staff_code) if staff_code else None
        chats = await uow.directory.chats_of(staff_id=staff_id) if staff_id else []
        if staff_id and chats and await store.locked_until(staff_id, now) is None:
            code = new_code()
            await store.add_code(staff_id, code_digest(staff_id, code), now, CODE_TTL)
            minutes = int(CODE_TTL.total_seconds() // 60)
            await console.post(uow, [Reply(i.channel, i.chat_id, t(i.locale, "office.code", code=code, minutes=minutes))
                                     for i in chats])
            await store.audit(now, staff_id, "code_sent", remote=request.remote or "")
        await uow.commit()
    console.wake_delivery()
    # The same answer whether or not the number exists or has a chat.
    return console.render(request, "login.html", step="code", staff_code=staff_code)


async def _refuse(request: web.Request, staff_id: int | None, why: str, staff_code: str, step: str) -> web.StreamResponse:
    console = console_of(request)
    now = console.app.now()
    locked = False
    async with console.uow() as uow:
        store = ConsoleStore(uow.session)
        if staff_id is not None:
            locked = await store.failed(staff_id, now, MAX_FAILURES, LOCK_FOR)
        await store.audit(now, staff_id, "login_refused", remote=request.remote or "", why=why,
                          locked=locked)
        await uow.commit()
    key = "console.login_locked" if locked or why == "locked" else (
        "console.login_used" if why == "used" else "console.login_wrong")
    return console.render(request, "login.html", status=403 if why != "locked" else 429, step=step,
                          staff_code=staff_code, error=key,
                          minutes=int(LOCK_FOR.total_seconds() // 60))


async def _open_session(request: web.Request, staff_id: int, how: str) -> web.StreamResponse:
    console = console_of(request)
    now = console.app.now()
    token, csrf = new_token(), new_token()
    async with console.uow() as uow:
        store = ConsoleStore(uow.session)
        await store.drop_expired(now)
        await store.succeeded(staff_id, now)
        await store.open_session(digest(token), staff_id, csrf, now, SESSION_TTL)
        await store.audit(now, staff_id, "signed_in", remote=request.remote or "", how=how)
        await uow.commit()
    response = web.HTTPSeeOther("/board")
    console.set_session_cookie(response, token, int(SESSION_TTL.total_seconds()))
    response.del_cookie(LOGIN_COOKIE, path="/")
    raise response


async def verify_code(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = request[FORM]
    staff_code, code = form.get("staff", "").strip()[:32], form.get("code", "").strip()[:12]
    now = console.app.now()
    async with console.uow() as uow:
        store = ConsoleStore(uow.session)
        staff_id = await store.staff_by_code(staff_code) if staff_code else None
        if staff_id is not None and await store.locked_until(staff_id, now) is not None:
            result = "locked"
        elif staff_id is None or not code.isdigit():
            result = "wrong"
        else:
            result = await store.use_code(staff_id, code_digest(staff_id, code), now)
        await uow.commit()
    if result != "ok":
        return await _refuse(request, staff_id, result, staff_code, "code")
    assert staff_id is not None
    return await _open_session(request, staff_id, "code")


async def verify_password(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = request[FORM]
    staff_code, password = form.get("staff", "").strip()[:32], form.get("password", "")[:200]
    now = console.app.now()
    async with console.uow() as uow:
        store = ConsoleStore(uow.session)
        staff_id = await store.staff_by_code(staff_code) if staff_code else None
        locked = staff_id is not None and await store.locked_until(staff_id, now) is not None
        stored = await store.password_hash(staff_id) if staff_id is not None else None
    if locked:
        return await _refuse(request, staff_id, "locked", staff_code, "password")
    if not check_password(password, stored):
        return await _refuse(request, staff_id, "wrong", staff_code, "password")
    assert staff_id is not None
    return await _open_session(request, staff_id, "password")


async def logout(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    signed = request[SIGNED]
    async with console.uow() as uow:
        store = ConsoleStore(uow.session)
        await store.close_session(signed.token_hash)
        await store.audit(console.app.now(), signed.staff.id, "signed_out", remote=request.remote or "")
        await uow.commit()
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response
