"""The platform access token, shared by every bot process through the database.

WeChat and WeCom hand out a token valid for about two hours, and a forced refresh makes
the previous one invalid at once: processes refreshing on their own would keep knocking
each other's token out.  So the token lives in `platform_tokens`, one row per
(platform, app), and a refresh is done by one process at a time:

* it takes the row's *lease* with one conditional UPDATE (free, or lapsed) — portable
  across SQLite (single writer) and PostgreSQL (the UPDATE's row lock decides who wins);
* it calls the platform outside any transaction, then writes the token and frees the lease;
* the others wait for the row to carry a usable token, or for the lease to lapse (the
  refresher died), and take it from there.

A token the platform refused (40001/42001) is passed back to `invalidate`: a forced
refresh happens only if the row still holds that token — if another process already
replaced it, the new one is used without asking the platform again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import models as m
from storage.conversations import insert_for

log = logging.getLogger("wuye.wxbase.tokens")

# A token is renewed this long before the platform says it expires.
MARGIN = timedelta(minutes=5)
LEASE = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class Fetched:
    token: str
    expires_in: int  # seconds


# fetch(force) -> the platform's answer; force=True asks for a new token even if the old one is valid.
Fetch = Callable[[bool], Awaitable[Fetched]]


class TokenStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], platform: str, app_id: str, fetch: Fetch,
                 *, now: Callable[[], datetime], worker: str, poll: float = 0.1, lease: timedelta = LEASE) -> None:
        self.sessions, self.platform, self.app_id = sessions, platform, app_id
        self._fetch, self._now, self._worker, self._poll, self._lease = fetch, now, worker, poll, lease
        self._cached: tuple[str, datetime] | None = None
        self._local = asyncio.Lock()  # one refresh attempt per process at a time
        self.fetches = 0  # calls this process made to the platform (benches and tests)

    def _where(self):  # type: ignore[no-untyped-def]
        return and_(m.PlatformToken.platform == self.platform, m.PlatformToken.app_id == self.app_id)

    async def token(self) -> str:
        """A usable token: from memory, from the database, or refreshed by this process."""
        now = self._now()
        if self._cached and self._cached[1] - MARGIN > now:
            return self._cached[0]
        return await self._obtain(refused=None)

    async def invalidate(self, refused: str) -> str:
        """The platform refused `refused`: return a newer token (forcing a refresh only if
        nobody replaced it yet)."""
        if self._cached and self._cached[0] == refused:
            self._cached = None
        return await self._obtain(refused=refused)

    async def _read(self) -> m.PlatformToken | None:
        async with self.sessions() as session:
            return await session.scalar(select(m.PlatformToken).where(self._where()))

    async def _obtain(self, refused: str | None) -> str:
        async with self._local:
            while True:
                row = await self._read()
                now = self._now()
                if row is not None and row.token and row.token != refused and row.expires_at \
                        and row.expires_at - MARGIN > now:
                    self._cached = (row.token, row.expires_at)
                    return row.token
                if await self._take_lease(now, refused):
                    return await self._refresh(force=row is not None and row.token == refused and refused is not None)
                await asyncio.sleep(self._poll)

    async def _take_lease(self, now: datetime, refused: str | None) -> bool:
        """Take the refresh lease — only while it is free and the row still needs a refresh
        (another process may have refreshed between our read and this statement)."""
        row = m.PlatformToken
        needs = or_(row.token.is_(None), row.expires_at.is_(None), row.expires_at <= now + MARGIN)
        if refused is not None:
            needs = or_(needs, row.token == refused)
        async with self.sessions.begin() as session:
            insert = insert_for(session)
            await session.execute(insert(m.PlatformToken).values(platform=self.platform, app_id=self.app_id)
                                  .on_conflict_do_nothing(index_elements=["platform", "app_id"]))
            result = await session.execute(
                update(row).where(self._where(), needs, or_(row.lease_until.is_(None), row.lease_until < now))
                .values(lease_by=self._worker, lease_until=now + self._lease))
            return result.rowcount == 1

    async def _refresh(self, *, force: bool) -> str:
        try:
            self.fetches += 1
            fetched = await self._fetch(force)
        except BaseException:
            await self._give_back()
            raise
        now = self._now()
        expires = now + timedelta(seconds=fetched.expires_in)
        async with self.sessions.begin() as session:
            await session.execute(update(m.PlatformToken).where(self._where(), m.PlatformToken.lease_by == self._worker)
                                  .values(token=fetched.token, expires_at=expires, refreshed_at=now,
                                          lease_by=None, lease_until=None))
        log.info("%s access token refreshed%s (valid %d s)", self.platform, " (forced)" if force else "",
                 fetched.expires_in)
        self._cached = (fetched.token, expires)
        return fetched.token

    async def _give_back(self) -> None:
        try:
            async with self.sessions.begin() as session:
                await session.execute(update(m.PlatformToken).where(self._where(), m.PlatformToken.lease_by == self._worker)
                                      .values(lease_by=None, lease_until=None))
        except Exception:  # the lease lapses by itself
            log.warning("could not give back the %s token lease; it lapses in %s", self.platform, self._lease)
