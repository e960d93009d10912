"""The callback endpoint WeChat and WeCom POST their messages to (aiohttp).

For every request, in this order — and a refused request leaves nothing behind (no
row, no reply, no desk call), answers 403/400 and logs one line without its content:

1. the `timestamp` must be within `max_skew` of our clock (a captured request replayed
   later is refused as stale);
2. the signature must match (`Opener.open`: plain sha1 signature, or AES safe mode with
   `msg_signature`, through wechatpy's crypto — WeChat and WeCom differ here only);
3. the body must be the platform's XML (no DOCTYPE, no entities, one <xml> root);
4. a message seen before (the platform retries when we are slow; a replay within the
   skew) is answered "success" and not handed on: first in memory, then durably by the
   desk (`Inbound.update_id` = MsgId, or sender + CreateTime + event for events, in
   processed_updates) — so a retry reaching another process is refused as well.

Then the message is handed to the desk, one at a time per sender, in arrival order.  We
answer "success" as soon as the desk has taken it (its replies are then in the outbox) or
after `answer_within` seconds, whichever is first: WeChat gives up after 5 s and retries,
and a retry of a message still being handled is refused as a duplicate.  The real replies
go through the platform's API from the outbox, never in this HTTP answer.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Protocol

import xmltodict
from aiohttp import web

from bot.channel import Core
from handlers.kit.messages import Inbound

log = logging.getLogger("wuye.wxbase.callback")

MAX_BODY = 256 * 1024
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)


class Refused(Exception):
    """The request is not the platform's (bad signature, undecryptable)."""


class Opener(Protocol):
    def verify(self, query: Mapping[str, str]) -> str:
        """The body answering the URL verification GET (the echo), or Refused."""
        ...

    def open(self, query: Mapping[str, str], body: bytes) -> str:
        """The plaintext XML of a signed (and maybe encrypted) POST, or Refused."""
        ...


# fields of the message -> the Inbound for the desk, or None (an event that needs no answer)
Translate = Callable[[dict[str, str]], Awaitable[Inbound | None]]
# called after the desk handled the Inbound (a platform's own follow-up message)
After = Callable[[dict[str, str], Inbound], Awaitable[None]]


def parse_xml(xml: str | bytes) -> dict[str, str]:
    """The flat fields of a platform message; ValueError when it is not one."""
    raw = xml.encode("utf-8") if isinstance(xml, str) else xml
    if _DOCTYPE.search(raw):
        raise ValueError("a DOCTYPE or ENTITY in the message")
    try:
        data = xmltodict.parse(raw, disable_entities=True)
    except Exception as exc:  # expat's errors have no common base worth naming
        raise ValueError(f"not XML ({exc.__class__.__name__})") from None
    root = data.get("xml") if isinstance(data, dict) else None
    if not isinstance(root, dict):
        raise ValueError("no <xml> root")
    fields: dict[str, str] = {}
    for key, value in root.items():
        if isinstance(value, str):
            fields[key] = value
        elif value is None:
            fields[key] = ""
        elif isinstance(value, dict):  # nested event data (ScanCodeInfo, SendPicsInfo ...): flattened one level
            for sub, inner in value.items():
                if isinstance(inner, str):
                    fields[f"{key}.{sub}"] = inner
    return fields


def message_key(fields: Mapping[str, str]) -> str | None:
    """The identity of a message for de-duplication: MsgId, or sender + time + event."""
    if fields.get("MsgId"):
        return f"m{fields['MsgId']}"
    sender, created = fields.get("FromUserName"), fields.get("CreateTime")
    if sender and created:
        return f"e{sender}:{created}:{fields.get('Event', '')}:{fields.get('EventKey', '')}"[:200]
    return None


class Recent:
    def __init__(self, size: int) -> None:
        self._size, self._keys = size, OrderedDict[str, None]()

    def first_time(self, key: str) -> bool:
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return True


class CallbackEndpoint:
    """Serves one platform's callback URL; see the module docstring."""

    def __init__(self, name: str, opener: Opener, translate: Translate, core: Core, *,
                 now: Callable[[], datetime], path: str = "/", max_skew: float = 300.0,
                 answer_within: float = 3.0, remember: int = 10_000, after: After | None = None) -> None:
        self.name, self.opener, self.translate, self.core = name, opener, translate, core
        self.after = after
        self.path, self._now, self.max_skew, self.answer_within = path, now, max_skew, answer_within
        self._recent = Recent(remember)
        self._lanes: dict[str, deque[tuple[dict[str, str], asyncio.Future[None]]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self.refused = 0  # requests refused (signature, stale, malformed)
        self.duplicates = 0

    # ------------------------------------------------------------------ HTTP
    def routes(self) -> list[web.RouteDef]:
        return [web.get(self.path, self._get), web.post(self.path, self._post)]

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (0: any free port); returns the port."""
        app = web.Application(client_max_size=MAX_BODY)
        app.add_routes(self.routes())
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server  # aiohttp keeps the listening socket here; the port is what we need
        return int(server.sockets[0].getsockname()[1]) if server and server.sockets else port  # type: ignore[union-attr]

    async def stop(self, timeout: float = 10.0) -> None:
        """Take no more requests, finish the messages taken in."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.drain(timeout)

    async def drain(self, timeout: float = 10.0) -> None:
        if self._tasks:
            _, unfinished = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in unfinished:
                task.cancel()

    def _refuse(self, status: int, why: str) -> web.Response:
        self.refused += 1
        log.warning("%s callback refused (%d): %s", self.name, status, why)
        return web.Response(status=status, text="refused")

    def _fresh(self, query: Mapping[str, str]) -> bool:
        try:
            stamp = int(query.get("timestamp", ""))
        except ValueError:
            return False
        return abs(self._now().timestamp() - stamp) <= self.max_skew

    async def _get(self, request: web.Request) -> web.Response:
        if not self._fresh(request.query):
            return self._refuse(403, "stale or missing timestamp on the URL check")
        try:
            echo = self.opener.verify(request.query)
        except Refused as exc:
            return self._refuse(403, f"URL check: {exc}")
        return web.Response(text=echo)

    async def _post(self, request: web.Request) -> web.Response:
        if not self._fresh(request.query):
            return self._refuse(403, "stale or missing timestamp")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(413, "body too large")
        try:
            xml = self.opener.open(request.query, body)
        except Refused as exc:
            return self._refuse(403, str(exc))
        except ValueError as exc:
            return self._refuse(400, f"malformed: {exc}")
        try:
            fields = parse_xml(xml)
        except ValueError as exc:
            return self._refuse(400, f"malformed message: {exc}")
        key = message_key(fields)
        if key is None or not fields.get("FromUserName"):
            return self._refuse(400, "message without sender or time")
        if not self._recent.first_time(key):
            self.duplicates += 1
            log.info("%s message %s arrived again; already taken in", self.name, key[:40])
            return web.Response(text="success")
        taken = self.submit(fields)
        await asyncio.wait({taken}, timeout=self.answer_within)
        return web.Response(text="success")

    # ------------------------------------------------------------------ hand-off
    def submit(self, fields: dict[str, str]) -> asyncio.Future[None]:
        """Queue one message for its sender's lane; the future is done when the desk took it."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        sender = fields["FromUserName"]
        lane = self._lanes.get(sender)
        if lane is None:
            lane = self._lanes[sender] = deque()
            task = asyncio.create_task(self._run_lane(sender, lane))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        lane.append((fields, done))
        return done

    async def _run_lane(self, sender: str, lane: deque[tuple[dict[str, str], asyncio.Future[None]]]) -> None:
        try:
            while lane:
                fields, done = lane.popleft()
                try:
                    inbound = await self.translate(fields)
                    if inbound is not None:
                        await self.core.handle(inbound)
                        if self.after is not None:
                            await self.after(fields, inbound)
                except Exception:
                    log.exception("%s: handling message %s failed", self.name, (message_key(fields) or "?")[:40])
                finally:
                    if not done.done():
                        done.set_result(None)
        finally:
            if self._lanes.get(sender) is lane:
                del self._lanes[sender]


