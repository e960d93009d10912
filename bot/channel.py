"""The two seams a channel adapter plugs into.

Inbound side: the adapter calls `Core.handle` for every update and gets an
`Outcome` back (the toast for a button press is answered directly; replies are
already written to the outbox by then).  Outbound side: the outbox worker calls
`ChannelSender.send` for each pending reply, within the channel's rate limits,
and decides from the exception raised whether to retry, wait or give up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from handlers.kit.messages import Inbound, Outcome, Reply


class Core(Protocol):
    async def handle(self, inbound: Inbound) -> Outcome: ...


class DeliveryError(Exception):
    """Base for failures a sender reports to the outbox worker."""


class RetryAfter(DeliveryError):
    """The channel asked us to slow down (Telegram's 429 with retry_after)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class TransientError(DeliveryError):
    """A 5xx or network failure: try again with backoff."""


class Undeliverable(DeliveryError):
    """Will never succeed (bot blocked, chat deleted): record and move on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ChannelSender(Protocol):
    channel: str

    async def send(self, reply: Reply, edit_message_id: str | None = None) -> str:
        """Deliver one reply (editing `edit_message_id` in place when given); return the message id."""
        ...


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A reply waiting in the outbox; `id` orders items of one chat within a priority.

    `not_before` and `failing_since` come along when a worker takes over another's
    claimed rows (a retry already scheduled, a failure streak already running)."""

    id: int
    reply: Reply
    attempts: int = 0
    priority: int = 0
    not_before: datetime | None = None
    failing_since: datetime | None = None


class OutboxStore(Protocol):
    """Durable queue of replies (the database in production, memory in unit tests)."""

    async def pending(self, channel: str, now: datetime, limit: int = 500) -> list[OutboxItem]:
        """Items due for delivery (not sent, not given up, not_before <= now), oldest first."""
        ...

    async def claim(self, channel: str, now: datetime, limit: int = 500, *,
                    hold: timedelta | None = None, min_priority: int | None = None) -> list[OutboxItem]:
        """Like `pending`, but the items become this worker's (no other worker, and no later
        claim of this one, returns them) until delivered, released or the lease lapses."""
        ...

    async def renew(self, now: datetime) -> None:
        """Keep the claims of this worker alive (called regularly while it holds items)."""
        ...

    async def release(self, item_ids: list[int] | None = None) -> None:
        """Give back claimed items still pending (all of them when `item_ids` is None)."""
        ...

    async def mark_sent(self, item_id: int, message_id: str) -> None: ...

    async def mark_failed(self, item_id: int, reason: str) -> None:
        """Give up on an item for good (blocked, chat deleted)."""
        ...

    async def retry_later(self, item_id: int, not_before: datetime, attempts: int, *,
                          failing_since: datetime | None = None) -> None: ...

    async def message_id_for(self, channel: str, chat_id: str, replace_key: str) -> str | None:
        """The message id last delivered under `replace_key` in that chat, for editing in place."""
        ...
