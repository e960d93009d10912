"""The overall sending pace shared by every process that sends as one bot.

Telegram's ~30 messages a second is per bot, not per process: two `wuye run`
processes (or extra delivery workers) each pacing themselves at 30/s send 60/s
together and earn 429s.  With `REDIS_URL` set, every process takes its starts from
one schedule kept in Redis: a Lua script (atomic on the server, on the server's
clock) hands out the next free slot, one every `period / count` seconds, and the
caller sleeps until its slot.  No slot is ever handed out twice, so the starts of
all processes together are spaced like those of one.

Without Redis the pace is per process (`bot.ratelimit._Pace`): correct for the one
sending process the default deployment runs; with several, set `REDIS_URL`.

If Redis stops answering mid-run, sending is not stopped: the process falls back
to its own pace (a warning, at most once a minute) and goes back to the shared
schedule when Redis answers again.  A start with `REDIS_URL` set and Redis
unreachable is refused with one line (`SharedPaceUnavailable`).
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("wuye.pace")

# KEYS[1]: the schedule's key (the next free slot, in server seconds).
# ARGV[1]: seconds between starts.  Returns the seconds to wait for the slot taken,
# as a string (Lua numbers come back as integers otherwise).
_TAKE_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local step = tonumber(ARGV[1])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
redis.call('SET', KEYS[1], string.format('%.6f', slot + step), 'PX', math.ceil(step * 1000) + 60000)
return string.format('%.6f', slot - now)
"""


class SharedPaceUnavailable(Exception):
    """REDIS_URL is set but Redis cannot be reached at start: one line for the operator."""


class SharedPace(Protocol):
    async def take_slot(self, interval: float) -> float | None:
        """Take the next start slot; the seconds to wait for it, or None when the shared
        schedule cannot be reached (the caller paces itself instead)."""


class RedisPace:
    """The shared schedule in Redis under `key` (one per bot: the limit is the bot's)."""

    def __init__(self, redis: Redis, key: str, *, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self._redis = redis
        self._key = key
        self._script = redis.register_script(_TAKE_SLOT)
        self._clock = clock
        self._last_warning = -float("inf")

    @classmethod
    async def connect(cls, url: str, key: str) -> RedisPace:
        """Connect and check Redis answers; SharedPaceUnavailable (one line) if not."""
        redis = Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        try:
            await redis.ping()
        except (RedisError, OSError, ValueError) as exc:
            await redis.aclose()
            raise SharedPaceUnavailable(
                f"wuye: REDIS_URL is set but Redis does not answer ({_where(url)}): {type(exc).__name__}; "
                "start Redis or unset REDIS_URL to pace this process alone") from None
        return cls(redis, key)

    async def take_slot(self, interval: float) -> float | None:
        try:
            wait = await self._script(keys=[self._key], args=[f"{interval:.6f}"])
        except (RedisError, OSError) as exc:
            now = self._clock()
            if now - self._last_warning >= 60:
                self._last_warning = now
                log.warning("shared pace in Redis unreachable (%s); pacing this process alone until it answers",
                            type(exc).__name__)
            return None
        return float(wait)

    async def close(self) -> None:
        await self._redis.aclose()


def pace_key(channel: str, bot_id: str) -> str:
    return f"wuye:pace:{channel}:{bot_id}"


def _where(url: str) -> str:
    """The URL without its password, for the operator's message."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"
