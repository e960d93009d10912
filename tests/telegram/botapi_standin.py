"""A stand-in for the Telegram Bot API server, on 127.0.0.1, for the channel tests.

Written from the Bot API documentation (https://core.telegram.org/bots/api), not
from either library, so python-telegram-bot and aiogram are both tested against
the same idea of Telegram:

* `http://127.0.0.1:<port>/bot<token>/<method>` answers `{"ok": true, "result": ...}`
  or `{"ok": false, "error_code": ..., "description": ..., "parameters": {...}}`
  with the HTTP status equal to the error code; method names are case-insensitive;
  parameters come as a query string, JSON, form-urlencoded or multipart (with
  uploaded files), as the libraries send them;
* `/file/bot<token>/<file_path>` serves files found through `getFile`;
* updates reach the bot by long polling (`getUpdates` with offset/timeout) or,
  once `setWebhook` was called, by POSTing them to the webhook with the
  `X-Telegram-Bot-Api-Secret-Token` header; a test can redeliver one.

What the tests drive (see the "test controls" section): people who say things,
press buttons on messages the bot sent, send photos and share contacts, in
private chats or groups; failures to inject (429, 5xx, a user who blocked the
bot, a deleted group, messages that can no longer be edited); and what the tests
read: each chat's transcript as the user would see it (edits applied, keyboards),
the answers to button presses, every call made, and when each message-creating
call arrived, checked against the flood limits (private chats as a token bucket:
short bursts of 1 + `Limits.private_burst`, then the chat's pace).

Deliberate simplifications: message ids count per chat; an album
(`sendMediaGroup`) counts as one call against the flood limits, as our limiter
counts it; webhooks over plain http are accepted (Telegram insists on https);
a request_contact keyboard is refused in groups (the documentation says such
buttons are available in private chats only).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.ratelimit import Limits, Rate

BOT_TOKEN = "7654321098:AAFq3x9Lk2mZr8Tn4Yv6Bw1Cd5Eh7Gj0Kp2"
BOT_USERNAME = "wuye_standin_bot"

# Calls that put something in a chat; these are what the flood limits count.
MESSAGE_METHODS = frozenset(
    {"sendmessage", "sendphoto", "sendmediagroup", "editmessagetext", "editmessagereplymarkup"}
)
# Parameters whose values are JSON-serialized objects when sent as form fields.
JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "media",
        "allowed_updates",
        "commands",
        "scope",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
    }
)
TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup"
    " are exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    def __init__(self, code: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass(frozen=True)
class TgUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    def to_api(self) -> dict[str, Any]:
        return _without_none(
            {
                "id": self.id,
                "is_bot": False,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
                "language_code": self.language_code,
            }
        )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass
class BotMessage:
    """A message the bot sent, as the chat shows it now (edits applied)."""

    chat_id: int
    message_id: int
    date: int
    text: str | None = None
    photo: str | None = None  # file id
    caption: str | None = None
    reply_markup: dict[str, Any] | None = None  # as last sent, inline or reply keyboard
    media_group_id: str | None = None
    edits: list[str] = field(default_factory=list)  # earlier texts, oldest first
    uneditable: bool = False
    deleted: bool = False

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        """Inline keyboard rows as (text, callback_data)."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [[(b["text"], b.get("callback_data", "")) for b in row] for row in rows]

    @property
    def contact_request(self) -> str | None:
        """The label of a "share my phone number" reply keyboard shown with this message."""
        for row in (self.reply_markup or {}).get("keyboard", []):
            for button in row:
                if isinstance(button, dict) and button.get("request_contact"):
                    return button["text"]
        return None

    @property
    def removes_keyboard(self) -> bool:
        return bool((self.reply_markup or {}).get("remove_keyboard"))

    @property
    def inline_markup(self) -> dict[str, Any] | None:
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            return self.reply_markup
        return None


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    user: TgUser | None = None
    next_message_id: int = 1
    messages: dict[int, BotMessage] = field(default_factory=dict)  # the bot's, by id
    transcript: list[BotMessage] = field(default_factory=list)  # the bot's, in order
    refusal: ApiError | None = None  # set when the bot may no longer write here

    def to_api(self) -> dict[str, Any]:
        if self.type == "private":
            assert self.user is not None
            return _without_none(
                {
                    "id": self.id,
                    "type": "private",
                    "first_name": self.user.first_name,
                    "last_name": self.user.last_name,
                    "username": self.user.username,
                }
            )
        return {"id": self.id, "type": self.type, "title": self.title}

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    path: str
    data: bytes
    width: int = 0
    height: int = 0

    def photo_size(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
            "file_size": len(self.data),
        }


@dataclass
class Call:
    method: str  # lower case
    params: dict[str, Any]
    at: float
    content_type: str  # how the parameters came: JSON, form-urlencoded, multipart, none
    status: int = 0  # the HTTP status it was answered with (0 while under way)


@dataclass
class _FailureRule:
    remaining: int
    error: ApiError
    methods: frozenset[str]
    chat_id: int | None
    text: str | None = None  # only calls whose text contains this


class BotApiStandIn:
    """Start with `async with BotApiStandIn() as api:`; `api.root` is the TELEGRAM_API_BASE_URL."""

    def __init__(
        self,
        token: str = BOT_TOKEN,
        *,
        limits: Limits | None = None,
        enforce_limits: bool = True,
        rate_slack: float = 0.0,
        port: int = 0,
    ) -> None:
        self.token = token
        # 0: any free port; a fixed one lets a test start the bot before the API answers.
        self.port = port
        self.bot_user = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "物业助手",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.limits = limits or Limits()
        self.enforce_limits = enforce_limits
        # Seconds of arrival-time jitter forgiven when judging the flood limits.
        self.rate_slack = rate_slack

        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.calls: list[Call] = []
        self.answers: dict[str, dict[str, Any]] = {}  # callback query id -> answer params
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_posts: list[tuple[int, int]] = []  # (update_id, HTTP status or 0)
        self.allowed_updates: list[str] = []
        self.sends: list[tuple[float, int]] = []  # (arrival, chat id) of accepted message calls
        self.throttled: list[tuple[float, int, str]] = []  # refusals for going over a limit
        self.injected: list[tuple[str, int]] = []  # (method, status) of failures served

        self._pending_updates: list[dict[str, Any]] = []
        self._updates_by_id: dict[int, dict[str, Any]] = {}
        self._update_ids = itertools.count(500_000_001)
        self._user_ids = itertools.count(100_001)
        self._group_ids = itertools.count(1_000_000_001)
        self._file_numbers = itertools.count(1)
        self._query_ids = itertools.count(4_000_000_000_001)
        self._failures: list[_FailureRule] = []
        self._slow: list[list[Any]] = []  # [remaining, seconds, methods]
        self._recent_overall: deque[float] = deque(maxlen=self.limits.overall.count)
        self._recent_by_chat: dict[int, deque[float]] = {}
        self._private_tat: dict[int, float] = {}  # GCRA state of private chats
        self._poll_generation = 0
        self._new_update = asyncio.Event()
        self._pusher: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.root = ""

        self._methods: dict[str, Callable[[dict[str, Any], dict[str, bytes]], Any]] = {
            "getme": lambda p, f: self.bot_user,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "sendmediagroup": self._send_media_group,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "getfile": self._get_file,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendchataction": self._send_chat_action,
            "getchat": self._get_chat,
            "close": lambda p, f: True,
            "logout": lambda p, f: True,
        }

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> BotApiStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.root = f"http://{host}:{port}"

    async def stop(self) -> None:
        self._closing = True
        self._wake_pollers()
        if self._pusher is not None:
            self._pusher.cancel()
            await asyncio.gather(self._pusher, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------ test controls

    def user(
        self,
        first_name: str = "张",
        last_name: str | None = "三",
        *,
        language_code: str | None = "zh-hans",
        username: str | None = None,
    ) -> TgUser:
        """A person who has started the bot (so it may write to them)."""
        user = TgUser(next(self._user_ids), first_name, last_name, username, language_code)
        self.chats[user.id] = Chat(user.id, "private", user=user)
        return user

    def users(self, count: int) -> list[TgUser]:
        return [self.user(f"住户{i}", None) for i in range(count)]

    def group(self, title: str = "幸福里小区业主群", *, supergroup: bool = True) -> int:
        """A group the bot is a member of; returns its (negative) chat id."""
        number = next(self._group_ids)
        chat_id = -(1_000_000_000_000 + number) if supergroup else -number
        self.chats[chat_id] = Chat(chat_id, "supergroup" if supergroup else "group", title=title)
        return chat_id

    def say(self, user: TgUser, text: str, *, chat: int | None = None) -> dict[str, Any]:
        """The user sends `text` (a "/command ..." gets its bot_command entity)."""
        message = self._user_message(user, chat, text=text)
        if text.startswith("/"):
            length = len(text.split()[0]) if text.split() else 1
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._enqueue("message", message)

    def send_photo(
        self, user: TgUser, *, caption: str | None = None, chat: int | None = None
    ) -> list[StoredFile]:
        """The user sends a photo; Telegram offers it in three sizes, smallest first."""
        number = next(self._file_numbers)
        sizes = [
            self._store_file(
                f"photos/file_{number}_{w}.jpg", _jpeg_bytes(f"{number}:{w}x{h}", w), width=w, height=h
            )
            for w, h in ((90, 68), (320, 240), (1280, 960))
        ]
        message = self._user_message(user, chat, photo=[s.photo_size() for s in sizes])
        if caption is not None:
            message["caption"] = caption
        self._enqueue("message", message)
        return sizes

    def share_contact(
        self,
        user: TgUser,
        phone: str,
        *,
        contact_user_id: int | None = None,
        first_name: str | None = None,
        chat: int | None = None,
        no_user_id: bool = False,
    ) -> dict[str, Any]:
        """The user shares a contact: their own by default (what the keyboard button sends).
        `no_user_id`: a contact card whose number is no Telegram account (Telegram omits user_id)."""
        contact = _without_none(
            {
                "phone_number": phone,
                "first_name": first_name or user.first_name,
                "user_id": None if no_user_id else user.id if contact_user_id is None else contact_user_id,
            }
        )
        return self._enqueue("message", self._user_message(user, chat, contact=contact))

    def press(self, user: TgUser, message: BotMessage, callback_data: str) -> str:
        """The user presses the inline button carrying `callback_data`; returns the query id."""
        live = self.chats[message.chat_id].messages[message.message_id]
        offered = {data for row in live.buttons for _, data in row}
        if callback_data not in offered:
            raise AssertionError(f"no button {callback_data!r} on message {live.message_id}: {offered}")
        query_id = str(next(self._query_ids))
        chat = self.chats[message.chat_id]
        self._enqueue(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_api(),
                "message": self._message_api(chat, live),
                "chat_instance": str(abs(chat.id) * 7919),
                "data": callback_data,
            },
        )
        return query_id

    def redeliver(self, update_id: int) -> None:
        """Deliver an update again (what Telegram does when a webhook answer got lost)."""
        self._pending_updates.append(self._updates_by_id[update_id])
        self._wake_pollers()

    def fail_next(
        self,
        count: int,
        status: int,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        methods: Iterable[str] = MESSAGE_METHODS,
        chat_id: int | None = None,
        text: str | None = None,
    ) -> None:
        """The next `count` matching calls fail with `status` (and do nothing); `text`
        narrows the rule to calls whose text contains it (one message that keeps failing)."""
        if status == 429:
            retry_after = retry_after or 1
            description = description or f"Too Many Requests: retry after {retry_after}"
            error = ApiError(429, description, retry_after=retry_after)
        else:
            default = {500: "Internal Server Error", 502: "Bad Gateway"}.get(status, "Error")
            error = ApiError(status, description or default)
        self._failures.append(
            _FailureRule(count, error, frozenset(m.lower() for m in methods), chat_id, text)
        )

    def slow_next(self, count: int, seconds: float, *, methods: Iterable[str] = MESSAGE_METHODS) -> None:
        """The next `count` matching calls are carried out, then answered `seconds` late
        (a slow server: a client that times out first does not know it went through)."""
        self._slow.append([count, seconds, frozenset(m.lower() for m in methods)])

    def block(self, user: TgUser) -> None:
        """The user blocks the bot."""
        self.chats[user.id].refusal = ApiError(403, "Forbidden: bot was blocked by the user")

    def delete_group(self, chat_id: int) -> None:
        self.chats[chat_id].refusal = ApiError(400, "Bad Request: chat not found")

    def kick(self, chat_id: int) -> None:
        self.chats[chat_id].refusal = ApiError(
            403, f"Forbidden: bot was kicked from the {self.chats[chat_id].type} chat"
        )

    def make_uneditable(self, message: BotMessage) -> None:
        """Telegram refuses to edit old messages."""
        self.chats[message.chat_id].messages[message.message_id].uneditable = True

    def transcript(self, chat_id: int) -> list[BotMessage]:
        """What the bot has put in the chat, in order, as shown now."""
        return list(self.chats[chat_id].transcript)

    def texts(self, chat_id: int) -> list[str]:
        return [m.text if m.text is not None else (m.caption or "") for m in self.transcript(chat_id)]

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method.lower()]

    async def until(self, condition: Callable[[], Any], *, timeout: float = 10.0, what: str = "") -> Any:
        """Wait until `condition()` is truthy and return it (the bot works concurrently)."""
        deadline = time.monotonic() + timeout
        while not (result := condition()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
            await asyncio.sleep(0.005)
        return result

    def rate_violations(self) -> list[str]:
        """Windows in which more messages arrived than the limits allow (with `rate_slack`)."""
        found = []
        found += _violations("overall", [t for t, _ in self.sends], self.limits.overall, self.rate_slack)
        by_chat: dict[int, list[float]] = {}
        for at, chat_id in self.sends:
            by_chat.setdefault(chat_id, []).append(at)
        for chat_id, stamps in by_chat.items():
            if chat_id > 0 and self.limits.private_burst:
                found += _bucket_violations(f"chat {chat_id}", stamps, self.limits.private_chat,
                                            self.limits.private_burst, self.rate_slack)
                continue
            rate = self.limits.group_chat if chat_id < 0 else self.limits.private_chat
            found += _violations(f"chat {chat_id}", stamps, rate, self.rate_slack)
        return found

    # ------------------------------------------------------------------ HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        if request.match_info["token"] != self.token:
            return _reply(ApiError(401, "Unauthorized").body(), 401)
        method = request.match_info["method"].lower()
        handler = self._methods.get(method)
        if handler is None:
            return _reply(ApiError(404, "Not Found").body(), 404)
        call: Call | None = None
        try:
            params, files = await _read_params(request)
            call = Call(method, params, arrived, request.content_type if request.body_exists else "")
            self.calls.append(call)
            self._injected_failure(method, params)
            if method in MESSAGE_METHODS:
                self._check_flood(_int(params, "chat_id"), arrived)
            result = handler(params, files)
            if asyncio.iscoroutine(result):
                result = await result
            if method in MESSAGE_METHODS:
                self._record_send(_int(params, "chat_id"), arrived)
            for rule in self._slow:
                if rule[0] > 0 and method in rule[2]:
                    rule[0] -= 1
                    await asyncio.sleep(rule[1])
                    break
        except ApiError as error:
            if call is not None:
                call.status = error.code
            return _reply(error.body(), error.code)
        call.status = 200
        return _reply({"ok": True, "result": result}, 200)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.path == path:
                return web.Response(body=stored.data, content_type="image/jpeg")
        return web.Response(status=404, text="Not Found")

    def _injected_failure(self, method: str, params: dict[str, Any]) -> None:
        for rule in self._failures:
            if rule.remaining <= 0 or method not in rule.methods:
                continue
            if rule.chat_id is not None and _int(params, "chat_id") != rule.chat_id:
                continue
            if rule.text is not None and rule.text not in str(params.get("text", "")):
                continue
            rule.remaining -= 1
            self.injected.append((method, rule.error.code))
            raise rule.error

    def _check_flood(self, chat_id: int, now: float) -> None:
        if not self.enforce_limits:
            return
        chat_rate = self.limits.group_chat if chat_id < 0 else self.limits.private_chat
        checks = [("overall", self._recent_overall, self.limits.overall)]
        if chat_id > 0 and self.limits.private_burst:
            # Private chats allow short bursts: a token bucket (GCRA) of 1 + private_burst.
            interval = chat_rate.period / chat_rate.count
            tat = self._private_tat.get(chat_id, -math.inf)
            if now < tat - self.limits.private_burst * interval - self.rate_slack:
                self.throttled.append((now, chat_id, f"chat {chat_id}"))
                retry_after = max(1, math.ceil(tat - self.limits.private_burst * interval - now))
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
        else:
            checks.append((f"chat {chat_id}", self._recent_by_chat.get(chat_id, deque()), chat_rate))
        for name, recent, rate in checks:
            if len(recent) >= rate.count and now - recent[-rate.count] < rate.period - self.rate_slack:
                self.throttled.append((now, chat_id, name))
                wait = recent[-rate.count] + rate.period - now
                retry_after = max(1, math.ceil(wait))
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    def _record_send(self, chat_id: int, now: float) -> None:
        self.sends.append((now, chat_id))
        self._recent_overall.append(now)
        rate = self.limits.group_chat if chat_id < 0 else self.limits.private_chat
        self._recent_by_chat.setdefault(chat_id, deque(maxlen=rate.count)).append(now)
        if chat_id > 0:
            interval = rate.period / rate.count
            self._private_tat[chat_id] = max(self._private_tat.get(chat_id, -math.inf), now) + interval

    # ----------------------------------------------------------------- updates

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        self._updates_by_id[update["update_id"]] = update
        self._pending_updates.append(update)
        self._wake_pollers()
        return update

    def _wake_pollers(self) -> None:
        self._new_update.set()
        self._new_update = asyncio.Event()

    def _wanted(self, update: dict[str, Any]) -> bool:
        return not self.allowed_updates or any(k in update for k in self.allowed_updates)

    async def _get_updates(self, p: dict[str, Any], _files: dict[str, bytes]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in p:
            self.allowed_updates = list(p["allowed_updates"] or [])
        offset = _int(p, "offset", 0)
        limit = min(max(_int(p, "limit", 100), 1), 100)
        timeout = float(p.get("timeout") or 0)
        if offset > 0:  # confirms every update before it
            self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_pollers()  # an older long poll still waiting is now superseded
        deadline = time.monotonic() + timeout
        while True:
            ready = [u for u in self._pending_updates if u["update_id"] >= offset and self._wanted(u)]
            if ready or self._closing:
                return ready[:limit]
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request;"
                    " make sure that only one bot instance is running",
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            event = self._new_update
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass

    def _set_webhook(self, p: dict[str, Any], _files: dict[str, bytes]) -> bool:
        url = p.get("url") or ""
        if not url:
            return self._delete_webhook(p, _files)
        secret = p.get("secret_token")
        if secret is not None and not (
            1 <= len(secret) <= 256 and all(c.isalnum() or c in "_-" for c in secret)
        ):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if _bool(p, "drop_pending_updates"):
            self._pending_updates.clear()
        if "allowed_updates" in p:
            self.allowed_updates = list(p["allowed_updates"] or [])
        self.webhook_url, self.webhook_secret = url, secret
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.create_task(self._push_updates())
        self._wake_pollers()
        return True

    def _delete_webhook(self, p: dict[str, Any], _files: dict[str, bytes]) -> bool:
        if _bool(p, "drop_pending_updates"):
            self._pending_updates.clear()
        self.webhook_url = self.webhook_secret = None
        self._wake_pollers()
        return True

    def _get_webhook_info(self, _p: dict[str, Any], _files: dict[str, bytes]) -> dict[str, Any]:
        return {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending_updates),
            "allowed_updates": self.allowed_updates,
        }

    async def _push_updates(self) -> None:
        """POST pending updates to the webhook, one at a time, oldest first, until one is taken."""
        async with aiohttp.ClientSession() as http:
            while self.webhook_url and not self._closing:
                ready = [u for u in self._pending_updates if self._wanted(u)]
                if not ready:
                    event = self._new_update
                    try:
                        await asyncio.wait_for(event.wait(), 1.0)
                    except TimeoutError:
                        pass
                    continue
                update = ready[0]
                status = await self._post_update(http, update)
                self.webhook_posts.append((update["update_id"], status))
                if 200 <= status < 300:
                    self._pending_updates.remove(update)
                else:
                    await asyncio.sleep(0.05)

    async def _post_update(self, http: aiohttp.ClientSession, update: dict[str, Any]) -> int:
        headers = {}
        if self.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
        try:
            async with http.post(
                self.webhook_url or "", json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
            ) as response:
                if response.status == 200 and response.content_type == "application/json":
                    # A webhook may answer with one method call for Telegram to make.
                    answer = await response.json()
                    if isinstance(answer, dict) and answer.get("method"):
                        self._webhook_answer(answer)
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return 0

    def _webhook_answer(self, answer: dict[str, Any]) -> None:
        method = str(answer.pop("method")).lower()
        handler = self._methods.get(method)
        if handler is not None:
            try:
                handler(answer, {})
            except ApiError:
                pass  # Telegram does not report failures of webhook answers either

    # ----------------------------------------------------------------- messages

    def _chat_to_write(self, p: dict[str, Any]) -> Chat:
        chat = self.chats.get(_int(p, "chat_id"))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.refusal is not None:
            raise chat.refusal
        return chat

    def _check_markup(self, markup: Any, chat: Chat) -> dict[str, Any] | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        markup = _without_none(markup)
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
                if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        for row in markup.get("keyboard", []):
            for button in row:
                if isinstance(button, dict) and button.get("request_contact") and chat.type != "private":
                    raise ApiError(400, "Bad Request: request_contact buttons are available in private chats only")
        return markup

    def _check_text(self, text: Any, *, empty: str = "Bad Request: message text is empty") -> str:
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, empty)
        if _utf16_len(text) > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    def _post(self, chat: Chat, **content: Any) -> BotMessage:
        message = BotMessage(chat.id, chat.take_message_id(), int(time.time()), **content)
        chat.messages[message.message_id] = message
        chat.transcript.append(message)
        return message

    def _message_api(self, chat: Chat, message: BotMessage) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.bot_user,
            "chat": chat.to_api(),
            "date": message.date,
        }
        if message.edits:
            body["edit_date"] = message.date + len(message.edits)
        if message.text is not None:
            body["text"] = message.text
        if message.photo is not None:
            body["photo"] = [self.files[message.photo].photo_size()]
            if message.caption:
                body["caption"] = message.caption
        if message.media_group_id:
            body["media_group_id"] = message.media_group_id
        if message.inline_markup:  # reply keyboards are not part of a Message
            body["reply_markup"] = message.inline_markup
        return body

    def _send_message(self, p: dict[str, Any], _files: dict[str, bytes]) -> dict[str, Any]:
        chat = self._chat_to_write(p)
        text = self._check_text(p.get("text"))
        markup = self._check_markup(p.get("reply_markup"), chat)
        return self._message_api(chat, self._post(chat, text=text, reply_markup=markup))

    def _photo_file(self, photo: Any, files: dict[str, bytes]) -> StoredFile:
        if isinstance(photo, str) and photo.startswith("attach://"):
            photo = files.get(photo.removeprefix("attach://"))
            if photo is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if isinstance(photo, bytes):
            number = next(self._file_numbers)
            return self._store_file(f"photos/upload_{number}.jpg", photo, width=800, height=600)
        if isinstance(photo, str) and photo in self.files:
            return self.files[photo]
        if isinstance(photo, str) and photo.startswith(("http://", "https://")):
            number = next(self._file_numbers)
            return self._store_file(f"photos/url_{number}.jpg", photo.encode(), width=800, height=600)
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _send_photo(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat = self._chat_to_write(p)
        photo = files.get("photo", p.get("photo"))
        stored = self._photo_file(photo, files)
        markup = self._check_markup(p.get("reply_markup"), chat)
        message = self._post(chat, photo=stored.file_id, caption=p.get("caption"), reply_markup=markup)
        return self._message_api(chat, message)

    def _send_media_group(self, p: dict[str, Any], files: dict[str, bytes]) -> list[dict[str, Any]]:
        chat = self._chat_to_write(p)
        media = p.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media in the album: 2-10 are allowed")
        stored = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") != "photo":
                raise ApiError(400, "Bad Request: only photo albums are supported by this stand-in")
            stored.append((self._photo_file(item.get("media"), files), item.get("caption")))
        group_id = str(next(self._file_numbers) * 1_000_003)
        return [
            self._message_api(chat, self._post(chat, photo=f.file_id, caption=c, media_group_id=group_id))
            for f, c in stored
        ]

    def _message_to_edit(self, p: dict[str, Any]) -> tuple[Chat, BotMessage]:
        if "inline_message_id" in p:
            raise ApiError(400, "Bad Request: inline messages are not supported by this stand-in")
        chat = self._chat_to_write(p)
        message = chat.messages.get(_int(p, "message_id"))
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message.uneditable:
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat, message

    def _edit_message_text(self, p: dict[str, Any], _files: dict[str, bytes]) -> dict[str, Any]:
        chat, message = self._message_to_edit(p)
        if message.text is None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = self._check_text(p.get("text"))
        markup = self._check_markup(p.get("reply_markup"), chat)
        if markup is not None and "inline_keyboard" not in markup:
            raise ApiError(400, "Bad Request: inline keyboard expected")
        if text == message.text and markup == message.inline_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.edits.append(message.text)
        message.text = text
        message.reply_markup = markup  # no reply_markup given: the inline keyboard goes away
        return self._message_api(chat, message)

    def _edit_message_reply_markup(self, p: dict[str, Any], _files: dict[str, bytes]) -> dict[str, Any]:
        chat, message = self._message_to_edit(p)
        markup = self._check_markup(p.get("reply_markup"), chat)
        if markup is not None and "inline_keyboard" not in markup:
            raise ApiError(400, "Bad Request: inline keyboard expected")
        if markup == message.inline_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.edits.append(message.text or "")
        message.reply_markup = markup
        return self._message_api(chat, message)

    def _answer_callback_query(self, p: dict[str, Any], _files: dict[str, bytes]) -> bool:
        query_id = str(p.get("callback_query_id", ""))
        known = any(
            "callback_query" in u and u["callback_query"]["id"] == query_id
            for u in self._updates_by_id.values()
        )
        if not known or query_id in self.answers:
            raise ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        text = p.get("text")
        if text is not None and len(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.answers[query_id] = {"text": text, "show_alert": _bool(p, "show_alert")}
        return True

    def _get_file(self, p: dict[str, Any], _files: dict[str, bytes]) -> dict[str, Any]:
        stored = self.files.get(str(p.get("file_id", "")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.path,
        }

    def _commands_key(self, p: dict[str, Any]) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        return (scope.get("type", "default"), p.get("language_code") or "")

    def _set_my_commands(self, p: dict[str, Any], _files: dict[str, bytes]) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100 BotCommand")
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not (1 <= len(name) <= 32 and all(c.islower() or c.isdigit() or c == "_" for c in name)):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        language = p.get("language_code") or ""
        if language and not (len(language) == 2 and language.isalpha()):
            raise ApiError(400, "Bad Request: LANG_CODE_INVALID")
        self.commands[self._commands_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, p: dict[str, Any], _files: dict[str, bytes]) -> list[dict[str, str]]:
        return self.commands.get(self._commands_key(p), [])

    def _delete_my_commands(self, p: dict[str, Any], _files: dict[str, bytes]) -> bool:
        self.commands.pop(self._commands_key(p), None)
        return True

    def _get_chat(self, p: dict[str, Any], _files: dict[str, bytes]) -> dict[str, Any]:
        """ChatFullInfo, or the refusal a message to the chat would get (chat not found,
        bot kicked) — what Telegram answers for a group the bot is not in."""
        chat = self._chat_to_write(p)
        gifts = dict.fromkeys(("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription",
                               "gifts_from_channels"), False)
        return {**chat.to_api(), "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}

    def _send_chat_action(self, p: dict[str, Any], _files: dict[str, bytes]) -> bool:
        self._chat_to_write(p)
        return True

    # ------------------------------------------------------------------ helpers

    def _user_message(self, user: TgUser, chat_id: int | None, **content: Any) -> dict[str, Any]:
        chat = self.chats[user.id if chat_id is None else chat_id]
        return {
            "message_id": chat.take_message_id(),
            "from": user.to_api(),
            "chat": chat.to_api(),
            "date": int(time.time()),
            **content,
        }

    def _store_file(self, path: str, data: bytes, *, width: int, height: int) -> StoredFile:
        unique = secrets.token_urlsafe(9)
        stored = StoredFile(f"AgACAgUAAxkBAAI{unique}{secrets.token_urlsafe(24)}", unique, path, data, width, height)
        self.files[stored.file_id] = stored
        return stored


# ---------------------------------------------------------------------- module helpers


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    params: dict[str, Any] = dict(request.query)
    files: dict[str, bytes] = {}
    if request.body_exists:
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: the request body must be a JSON object")
            params.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = value.file.read()
                else:
                    params[key] = value
    for key in JSON_PARAMS & params.keys():
        if isinstance(params[key], str):
            try:
                params[key] = json.loads(params[key])
            except ValueError:
                raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
    return params, files


def _int(p: dict[str, Any], key: str, default: int | None = None) -> int:
    value = p.get(key)
    if value is None or value == "":
        if default is None:
            raise ApiError(400, f"Bad Request: {key} is empty")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: {key} must be a number") from None


def _bool(p: dict[str, Any], key: str) -> bool:
    value = p.get(key)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _jpeg_bytes(seed: str, size: int) -> bytes:
    # Not a real JPEG; a recognisable body whose length grows with the photo size.
    return b"\xff\xd8\xff\xe0" + (seed.encode() + b"|") * size + b"\xff\xd9"


def _reply(body: dict[str, Any], status: int) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _violations(name: str, stamps: list[float], rate: Rate, slack: float) -> list[str]:
    stamps = sorted(stamps)
    found = []
    for i in range(len(stamps) - rate.count):
        span = stamps[i + rate.count] - stamps[i]
        if span < rate.period - slack:
            found.append(f"{name}: {rate.count + 1} messages within {span:.4f}s (limit {rate.count}/{rate.period}s)")
    return found


def _bucket_violations(name: str, stamps: list[float], rate: Rate, burst: int, slack: float) -> list[str]:
    """Sends that came while a token bucket of 1 + `burst` refilled at `rate` was empty."""
    interval = rate.period / rate.count
    tat, found = -math.inf, []
    for at in sorted(stamps):
        if at < tat - burst * interval - slack:
            found.append(f"{name}: a message {tat - burst * interval - at:.4f}s before the bucket allowed"
                         f" (limit {rate.count}/{rate.period}s, bursts of {1 + burst})")
        tat = max(tat, at) + interval
    return found
