"""The callback endpoint WeChat and WeCom POST their messages to (aiohttp).

For every request, in this order — and a refused request leaves nothing behind (no
row, no reply, no desk call), answers 403/400 and logs one line without its content:

1. the `timestamp` must be within `max_skew` of our clock (a captured request replayed
   later is refused as stale);
2. the signature must match (`Opener.open`: plain sha1 signature, or AES safe mode with
   `msg_signature`, through wechatpy's crypto — WeChat and WeCom differ here only);
3. the body must be the platform's XML (no DOCTYPE, no entities, one <xml> root);
4. the message is recorded in the inbox (storage.inbox), in its own short transaction,
   before anything is answered.  One recorded before (the platform retries when it got
   no answer; a replay within the skew) is answered "success" and not handed on: the
   inbox's unique key (`key`: MsgId, or sender + CreateTime + event for events — the
   update key the desk records in processed_updates) holds across processes.  When the
   message cannot be recorded (the database is unavailable) the answer is 503: not
   acknowledged, so the platform sends it again.  (When the connection died after the
   commit, the message is recorded although we answered 503: its retry finds the row
   this process holds in no lane and hands it on then, not when its lease lapses.)

Then the message is handed to the desk, one at a time per sender, in arrival order.  We
answer "success" as soon as the desk has taken it (its replies are then in the outbox) or
`answer_within` seconds after the request came, whichever is first: WeChat gives up
after 5 s and retries, and a retry of a message recorded is a duplicate.  The real replies
go through the platform's API from the outbox, never in this HTTP answer.

Nothing acknowledged is lost: the message is marked done in the inbox once handled; a
process that dies holding messages leaves them pending, and their lease (`LEASE`, renewed
while held) lapses; every `KEEP_EVERY` seconds each process takes the pending messages
whose lease lapsed, oldest first (at start too — on SQLite, the one process, every pending
message at once).  One whose handling the desk committed before its holder died is only
marked done (the desk's processed_updates has its key).  A message whose handling fails
is tried again in its lane (`RETRY_DELAYS`); one that still fails, or that was taken
`MAX_TAKES` times, is marked failed, logged without its content, and its sender gets the
desk's apology — never a silent drop.

What remains: a message whose translation wrote something before the desk (a "photo
failed" or "unsupported message" note, a WeChat QR prompt) and whose process died right
after, before marking it done, writes it again when taken again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

import xmltodict
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channel import Core
from bot.outbox import worker_name
from handlers.kit.messages import Inbound
from storage.conversations import update_key
from storage.inbox import DONE, FAILED, Inbox, Taken

log = logging.getLogger("wuye.wxbase.callback")

MAX_BODY = 256 * 1024
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)

# A process holds the messages it recorded or took for this long, renewed every KEEP_EVERY
# seconds; a dead process's messages are taken by another within LEASE + KEEP_EVERY.
LEASE = timedelta(seconds=30)
KEEP_EVERY = 10.0
CLAIM_BATCH = 500
# A failing message is tried again after these pauses (in its sender's lane, so their
# later messages wait behind it), then given up with an apology.
RETRY_DELAYS = (1.0, 5.0, 15.0)
# Taken this many times by processes that died or lost it: given up with an apology.
MAX_TAKES = 3


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
# the desk's apology to the sender of a message given up
Apologise = Callable[[Inbound], Awaitable[object]]


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


Lane = deque[tuple[Taken, "asyncio.Future[None]"]]
# What the inbox writer is handed: a message to record (key, sender, fields), or the id of one handled.
Write = tuple[str, str, dict[str, str]] | int
_T = TypeVar("_T")
_R = TypeVar("_R")


class GroupCommit(Generic[_T, _R]):
    """Writes what is handed in while a write is under way together, in the next write: alone,
    a message is written at once; under a burst one transaction records many messages and
    marks many done (SQLite has one writer, and every commit is a flush to disk)."""

    def __init__(self, write: Callable[[list[_T]], Awaitable[list[_R]]]) -> None:
        self._write = write
        self._waiting: list[tuple[_T, asyncio.Future[_R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def put(self, item: _T) -> _R:
        """The item's result once its write committed (or that write's exception)."""
        future: asyncio.Future[_R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        return await future

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                results = await self._write([item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results):
                if not future.done():
                    future.set_result(result)


class CallbackEndpoint:
    """Serves one platform's callback URL; see the module docstring.

    `account` is the app (WeChat app id, WeCom corp id) the messages are for; `key` gives
    a message's update key exactly as `translate` puts it in `Inbound.update_id`."""

    def __init__(self, name: str, opener: Opener, translate: Translate, core: Core, *,
                 sessions: async_sessionmaker[AsyncSession], account: str, now: Callable[[], datetime],
                 key: Callable[[Mapping[str, str]], str | None] = message_key, path: str = "/",
                 max_skew: float = 300.0, answer_within: float = 3.0, after: After | None = None,
                 apologise: Apologise | None = None, retry_delays: tuple[float, ...] = RETRY_DELAYS,
                 keep_every: float = KEEP_EVERY) -> None:
        self.name, self.opener, self.translate, self.core = name, opener, translate, core
        self.sessions, self.account, self.key = sessions, account, key
        self.after, self.apologise = after, apologise
        self.path, self._now, self.max_skew, self.answer_within = path, now, max_skew, answer_within
        self.retry_delays, self.keep_every = retry_delays, keep_every
        self.worker = worker_name()
        self._lanes: dict[str, Lane] = {}
        self._held: set[int] = set()  # inbox rows this process holds (their leases are renewed)
        self._tasks: set[asyncio.Task[None]] = set()
        self._keeper: asyncio.Task[None] | None = None
        self._writes = GroupCommit(self._write)
        self._runner: web.AppRunner | None = None
        self.refused = 0  # requests refused (signature, stale, malformed)
        self.duplicates = 0
        self.failed = 0  # messages given up (their senders got the apology)

    # ------------------------------------------------------------------ HTTP
    def routes(self) -> list[web.RouteDef]:
        return [web.get(self.path, self._get), web.post(self.path, self._post)]

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.add_routes(self.routes())
        return app

    async def start(self, host: str, port: int) -> int:
        """Take the messages left pending (a stopped or dead process's), then listen on
        host:port (0: any free port) and keep leases; returns the port."""
        bind = self.sessions.kw.get("bind")
        # SQLite has one process: every pending message is a previous run's, whatever its lease says.
        await self.replay(lapsed_only=bind is not None and bind.dialect.name != "sqlite")
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._keeper = asyncio.create_task(self._keep(), name=f"{self.name} inbox")
        server = site._server  # aiohttp keeps the listening socket here; the port is what we need
        return int(server.sockets[0].getsockname()[1]) if server and server.sockets else port  # type: ignore[union-attr]

    async def stop(self, timeout: float = 10.0) -> None:
        """Take no more requests, finish the messages taken in; give back what is left."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
            self._keeper = None
        await self.drain(timeout)
        if self._held:
            try:
                async with self.sessions.begin() as session:
                    await Inbox(session).release(self.worker, sorted(self._held))
                log.info("%s: %d messages not handled at the stop are left for the next start", self.name,
                         len(self._held))
            except Exception as exc:
                log.warning("%s: could not give back %d messages at the stop (%s); they are taken again once "
                            "their lease lapses", self.name, len(self._held), exc.__class__.__name__)
            self._held.clear()

    async def drain(self, timeout: float = 10.0) -> None:
        if self._tasks:
            _, unfinished = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in unfinished:
                task.cancel()
            if unfinished:
                await asyncio.wait(unfinished)

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
        came = asyncio.get_running_loop().time()
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
        key = self.key(fields)
        if message_key(fields) is None or key is None or not fields.get("FromUserName"):
            return self._refuse(400, "message without sender or time")
        key = update_key(key)
        try:
            taken = await self._writes.put((key, fields["FromUserName"][:64], fields))
        except Exception as exc:
            # Not recorded, so not acknowledged: the platform sends it again.
            log.warning("%s message %s could not be recorded (%s); answered 503 for the platform to retry",
                        self.name, key[:40], exc.__class__.__name__)
            return web.Response(status=503, text="busy")
        if taken is None:
            taken = await self._recorded_unseen(key)
            if taken is None:
                self.duplicates += 1
                log.info("%s message %s arrived again; already recorded", self.name, key[:40])
                return web.Response(text="success")
            log.info("%s message %s arrived again, recorded by a write whose answer was lost; handed on now",
                     self.name, key[:40])
        handled = self.submit(taken)
        left = self.answer_within - (asyncio.get_running_loop().time() - came)
        if left > 0:
            await asyncio.wait({handled}, timeout=left)
        return web.Response(text="success")

    async def _recorded_unseen(self, key: str) -> Taken | None:
        """A message this process recorded without knowing it: the connection died after the
        commit reached the server and before its answer came back, so the platform was told
        503 and sent it again.  The row is ours and pending but in no lane — handed on now,
        not once its lease lapses (replayed: its handling is checked first, to be sure)."""
        try:
            async with self.sessions() as session:
                taken = await Inbox(session).held_by(self.name, self.account, key, self.worker)
        except Exception as exc:  # its lease lapses and a keep takes it
            log.warning("%s message %s: could not look for its record (%s)", self.name, key[:40],
                        exc.__class__.__name__)
            return None
        return None if taken is None or taken.id in self._held else taken

    async def _write(self, items: list[Write]) -> list[Taken | None]:
        """Record the new messages and mark the handled ones done, in one transaction."""
        messages = [item for item in items if isinstance(item, tuple)]
        handled = [item for item in items if isinstance(item, int)]
        now = self._now()
        async with self.sessions.begin() as session:
            inbox = Inbox(session)
            ids = await inbox.record(self.name, self.account, messages, now, self.worker, now + LEASE) \
                if messages else {}
            await inbox.finish(handled, DONE)
        self._held.difference_update(handled)
        # None for a message recorded before (a key twice in one write: the second is the platform's retry).
        return [None if isinstance(item, int) or (row_id := ids.pop(item[0], None)) is None
                else Taken(row_id, *item, attempts=1) for item in items]

    # ------------------------------------------------------------------ the inbox
    async def replay(self, *, lapsed_only: bool = True) -> int:
        """Renew the leases held; take the pending messages whose lease lapsed (all pending
        ones with `lapsed_only=False`) into their senders' lanes, oldest first; how many."""
        now = self._now()
        async with self.sessions.begin() as session:
            inbox = Inbox(session)
            if self._held:
                await inbox.renew(self.worker, sorted(self._held), now + LEASE)
            taken = await inbox.claim(self.name, self.account, self.worker, now, now + LEASE, CLAIM_BATCH,
                                      lapsed_only=lapsed_only)
        for message in taken:
            self.submit(message)
        if taken:
            log.info("%s: took %d messages recorded and not yet handled", self.name, len(taken))
        return len(taken)

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.keep_every)
            try:
                while await self.replay() == CLAIM_BATCH:
                    pass
            except Exception as exc:
                log.warning("%s: could not renew or take inbox messages (%s); trying again in %.0f s",
                            self.name, exc.__class__.__name__, self.keep_every)

    # ------------------------------------------------------------------ hand-off
    def submit(self, taken: Taken) -> asyncio.Future[None]:
        """Queue one message for its sender's lane; the future is done when it was handled (or given up)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._held.add(taken.id)
        lane = self._lanes.get(taken.sender)
        if lane is None:
            lane = self._lanes[taken.sender] = deque()
            task = asyncio.create_task(self._run_lane(taken.sender, lane))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        lane.append((taken, done))
        return done

    async def _run_lane(self, sender: str, lane: Lane) -> None:
        try:
            while lane:
                taken, done = lane.popleft()
                try:
                    await self._take(taken, done)
                finally:
                    if not done.done():
                        done.set_result(None)
        finally:
            if self._lanes.get(sender) is lane:
                del self._lanes[sender]

    async def _take(self, taken: Taken, answered: asyncio.Future[None]) -> None:
        """Handle one message and mark it done; retried, then given up with an apology.
        `answered` is done once it is handled: the platform need not wait for the mark."""
        # Only a message taken again may have been handled already (its holder died after the desk's commit).
        check = taken.replayed
        for delay in (*self.retry_delays, None):
            try:
                if check and await self._handled(taken.key):
                    pass
                elif taken.attempts > MAX_TAKES:
                    await self._give_up(taken, f"taken {taken.attempts} times")
                    return
                else:
                    await self._handle(taken.fields)
                if not answered.done():
                    answered.set_result(None)
                await self._writes.put(taken.id)
                return
            except Exception as exc:
                if delay is None:
                    await self._give_up(taken, exc.__class__.__name__)
                    return
                check = True
                log.warning("%s: handling message %s failed (%s); trying again in %.3g s", self.name,
                            taken.key[:40], exc.__class__.__name__, delay)
                await asyncio.sleep(delay)

    async def _handle(self, fields: dict[str, str]) -> None:
        inbound = await self.translate(fields)
        if inbound is not None:
            await self.core.handle(inbound)
            if self.after is not None:
                await self.after(fields, inbound)

    async def _handled(self, key: str) -> bool:
        async with self.sessions() as session:
            return await Inbox(session).handled(self.name, key)

    async def _give_up(self, taken: Taken, reason: str) -> None:
        """Marked failed, logged without its content, and its sender told (the desk's apology)."""
        self.failed += 1
        log.error("%s message %s given up (%s); its sender gets the apology", self.name, taken.key[:40], reason)
        try:
            async with self.sessions.begin() as session:
                await Inbox(session).finish([taken.id], FAILED)
        except Exception as exc:
            log.error("%s message %s could not be marked failed (%s)", self.name, taken.key[:40],
                      exc.__class__.__name__)
        self._held.discard(taken.id)  # (if it could not be marked, taken again once its lease lapses)
        if self.apologise is not None:
            await self.apologise(Inbound(self.name, taken.sender, taken.sender))
