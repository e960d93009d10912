"""The shared access token: one refresh at a time across stores (processes), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.wxbase.tokens import Fetched, TokenStore


class Platform:
    """Stands for the token endpoint: counts calls, a forced refresh invalidates the old token."""

    def __init__(self) -> None:
        self.issued = 0
        self.current: str | None = None

    async def fetch(self, force: bool) -> Fetched:
        await asyncio.sleep(0.05)  # a refresh takes a while: others must wait, not refresh too
        if force or self.current is None:
            self.issued += 1
            self.current = f"token-{self.issued}"
        return Fetched(self.current, 7200)


async def test_many_stores_share_one_refresh(app) -> None:
    platform = Platform()
    stores = [TokenStore(app.sessions, "wechat", "wxapp", platform.fetch, now=app.clock.now, worker=f"w{i}", poll=0.01)
              for i in range(5)]
    tokens = await asyncio.gather(*(s.token() for s in stores))
    assert set(tokens) == {"token-1"}
    assert platform.issued == 1
    assert sum(s.fetches for s in stores) == 1


async def test_refused_token_forces_one_refresh_for_everyone(app) -> None:
    platform = Platform()
    first, second = (TokenStore(app.sessions, "wechat", "wxapp", platform.fetch, now=app.clock.now,
                                worker=f"w{i}", poll=0.01) for i in range(2))
    old = await first.token()
    assert await second.token() == old
    # Both see the platform refuse the old token at once: one forced refresh, both get the new one.
    new = await asyncio.gather(first.invalidate(old), second.invalidate(old))
    assert new == ["token-2", "token-2"]
    assert platform.issued == 2


async def test_expired_token_is_renewed_and_a_dead_lease_lapses(app) -> None:
    platform = Platform()
    store = TokenStore(app.sessions, "wechat", "wxapp", platform.fetch, now=app.clock.now, worker="a", poll=0.01)
    assert await store.token() == "token-1"

    async def dies(force: bool) -> Fetched:
        raise asyncio.CancelledError

    # A refresher that dies mid-call gives its lease back (or it lapses); the next one refreshes.
    app.clock.advance(timedelta(hours=2))
    dying = TokenStore(app.sessions, "wechat", "wxapp", dies, now=app.clock.now, worker="b", poll=0.01)
    try:
        await dying.token()
    except asyncio.CancelledError:
        pass
    platform.current = None  # the old one expired at the platform too
    assert await store.token() == "token-2"
