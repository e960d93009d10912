"""Long polling that confirms an update to Telegram only once the desk has handled it.

Telegram keeps an update until a `getUpdates` call asks for an offset above its id; the
libraries' own pollers ask for the next offset as soon as they have *fetched* a batch, so
a process that dies with updates fetched but not yet handled loses them.  Here the offset
asked for is the lowest update still being handled (`UpdateGate.first_open`): an update is
confirmed only after the desk committed it (or apologised for it), and a process killed
mid-burst gets every unhandled update again at its next start, where the desk's durable
record of handled updates (`processed_updates`) keeps the ones already committed from being
answered twice.

Asking again from an update still being handled brings it (and those after it) back: the
ones already taken in are skipped here, silently, by their key.  Telegram hands out at most
100 updates from the offset, so no more than that are ever taken in at once — a burst waits
at Telegram, not in memory.  To keep from asking for the same batch over and over, the
next call waits until the oldest update taken in is done and, after a full batch, until
half of them are (or `REPOLL` seconds: new updates behind a slow one are not left waiting).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.telegram.inbound import UpdateGate, update_key

log = logging.getLogger(__name__)

# Telegram's most per call (and its default).
BATCH = 100
# While updates are being handled, ask again at least this often for new ones behind them.
REPOLL = 0.5
# Pauses after a failed call (network, 5xx, a conflict with another poller), growing to the last.
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)

# offset, long-poll timeout in seconds, limit -> the library's Update objects
GetUpdates = Callable[[int | None, float, int], Awaitable[Sequence[Any]]]


class ConfirmingPoller:
    """Feeds `gate` from `get_updates`, never confirming an update the gate has not finished."""

    def __init__(self, get_updates: GetUpdates, gate: UpdateGate, *, timeout: float = 30.0,
                 describe: Callable[[BaseException], str] = str) -> None:
        self._get_updates = get_updates
        self._gate = gate
        self._timeout = timeout
        self._describe = describe
        self._task: asyncio.Task[None] | None = None
        # Keys of the updates taken in and not yet confirmed, so a batch asked for again
        # is not taken in twice.
        self._taken: dict[int, str] = {}
        self._next: int | None = None  # one above the highest update id taken in
        self.polls = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="telegram polling")

    async def stop(self) -> None:
        """Stop asking for updates (a long poll in progress is abandoned: what it would have
        brought is not confirmed, so it comes again at the next start)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def confirm(self) -> None:
        """Tell Telegram that every update handled so far is done (the last call, at shutdown,
        after the gate drained); a failure only means they are offered again and refused as
        duplicates at the next start."""
        offset = self._offset()
        if offset is None:
            return
        try:
            await self._get_updates(offset, 0, 1)
        except Exception as exc:  # noqa: BLE001 - best effort, see above
            log.warning("could not confirm the handled updates to Telegram (%s); they come again and are "
                        "refused as duplicates", self._describe(exc))

    def _offset(self) -> int | None:
        first = self._gate.first_open()
        return first if first is not None else self._next

    async def _run(self) -> None:
        failures = 0
        while True:
            offset = self._offset()
            # Nothing being handled: wait at Telegram for the next update; otherwise the call
            # returns at once with what is still open.
            timeout = self._timeout if self._gate.first_open() is None else 0
            try:
                updates = await self._get_updates(offset, timeout, BATCH)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the network, Telegram, a conflict: wait and ask again
                delay = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                log.warning("getUpdates failed (%s); asking again in %.0f s", self._describe(exc), delay)
                await asyncio.sleep(delay)
                continue
            self.polls += 1
            if offset is not None:  # everything below it is confirmed now
                for update_id in [i for i in self._taken if i < offset]:
                    del self._taken[update_id]
            new = 0
            for update in updates:
                key = update_key(update)
                if self._taken.get(update.update_id) == key:
                    continue  # asked for again while it is being handled
                self._taken[update.update_id] = key
                self._next = max(self._next or 0, update.update_id + 1)
                new += 1
                self._gate.submit(update)
            await self._settle(full=len(updates) >= BATCH and new > 0, head=offset)

    async def _settle(self, *, full: bool, head: int | None) -> None:
        """Wait before asking again: until the oldest open update is done (so the offset moves)
        and, after a full batch, half of the batch is; or REPOLL seconds."""
        deadline = time.monotonic() + REPOLL
        while self._gate.first_open() is not None:
            moved = self._gate.first_open() != head
            if moved and (not full or self._gate.open_count() <= BATCH // 2):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await self._gate.wait_progress(remaining)
