"""A year of a company's case history, written fast: for benches that need a big database.

`CompanyHistory(engine, cases, end=…, days=…).run()` spreads `cases` over every community
already loaded (their owners, rooms, staff and policies), with the case lives of
`bench/reports.py`'s `Seeder` (kinds, urgencies, accept and finish times, reworks,
confirmations, callbacks with scores), reporters' chats taken from the owners' bound
Telegram identities, and about `open_share` of all cases still open (opened in the last
two weeks and stopped at dispatched, accepted, in progress or done).  On PostgreSQL the
rows go in with COPY (700,000 cases with ~3.5 M timeline rows in minutes); on SQLite with
multi-row inserts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.reports import BATCH, Seeder
from cases.policy import DeskPolicy
from storage import models as m

OPEN_WINDOW = timedelta(days=14)
STALE_SURVEY = timedelta(days=3)
# Where an open case stops: its status and how many of its first timeline entries it keeps
# (opened, dispatched, accepted, done).
OPEN_STAGES = [("dispatched", 2), ("accepted", 3), ("in_progress", 3), ("done", 4)]


@dataclass
class _Community:
    id: int
    policy: DeskPolicy
    by_team: dict[str, list[int]]
    owners: list[int]


class CompanyHistory(Seeder):
    """Seeder's case lives, over many communities, with COPY on PostgreSQL."""

    def __init__(self, engine: AsyncEngine, n: int, *, end: datetime, days: int = 365,
                 open_share: float = 0.02) -> None:
        super().__init__(None, n, days=days, end=end)  # type: ignore[arg-type]  (no App: rows only)
        self.engine = engine
        # Opened in the last two weeks and kept open: the share of those that makes open_share overall.
        self.keep_open = min(1.0, open_share * days / OPEN_WINDOW.days)
        self.counts["open"] = 0

    async def run(self) -> dict[str, int]:
        async with self.engine.connect() as conn:
            policies = {cid: DeskPolicy.from_json(policy) for cid, policy in
                        (await conn.execute(select(m.Community.id, m.Community.policy))).all()}
            teams = (await conn.execute(select(m.Staff.community_id, m.Team.code, m.Staff.id)
                                        .join(m.Team, m.Team.id == m.Staff.team_id)
                                        .where(m.Staff.active.is_(True)))).all()
            homes = (await conn.execute(select(m.Owner.community_id, m.OwnerRoom.owner_id, m.OwnerRoom.room_id)
                                        .join(m.Owner, m.Owner.id == m.OwnerRoom.owner_id))).all()
            chats = dict((await conn.execute(select(m.Identity.owner_id, m.Identity.chat_id)
                                             .where(m.Identity.channel == "telegram",
                                                    m.Identity.owner_id.is_not(None)))).all())
            # Rows go after those already there (Seeder numbers them from `base`).
            self.base = {key: int(await conn.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}")) or 0)
                         for key, table in (("cases", "cases"), ("timeline", "case_timeline"), ("callbacks", "callbacks"))}
        self.communities = {cid: _Community(cid, policy, {}, []) for cid, policy in policies.items()}
        for cid, team, staff_id in teams:
            self.communities[cid].by_team.setdefault(team, []).append(staff_id)
        self.home: dict[int, int] = {}
        for cid, owner_id, room_id in homes:
            if owner_id not in self.home:
                self.home[owner_id] = room_id
                self.communities[cid].owners.append(owner_id)
        self.chat = chats
        self.pool = [c for c in self.communities.values() if c.owners and c.by_team]
        start = self.end - timedelta(days=self.days)
        opened = sorted(self.rng.uniform(0, self.days * 86400) for _ in range(self.n))
        for case_id, offset in enumerate(opened, start=self.base["cases"] + 1):
            self._case(case_id, start + timedelta(seconds=offset))
            if len(self.timeline) >= BATCH * 6:
                await self._flush()
        await self._flush()
        if self.engine.dialect.name == "postgresql":
            async with self.engine.begin() as conn:
                for table in ("cases", "case_timeline", "callbacks"):
                    await conn.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
        return self.counts

    def _case(self, case_id: int, created: datetime) -> None:
        community = self.rng.choice(self.pool)
        self.community_id, self.policy = community.id, community.policy
        self.by_team, self.owners = community.by_team, community.owners
        events, callbacks = len(self.timeline), len(self.callbacks)
        super()._case(case_id, created)
        row = self.cases[-1]
        chat = self.chat.get(row["owner_id"])
        row.update(room_id=self.home[row["owner_id"]], source="chat",
                   reporter_channel="telegram" if chat else "", reporter_chat_id=chat or "")
        for cb in self.callbacks[callbacks:]:
            if cb["state"] == "sent" and cb["due_at"] < self.end - STALE_SURVEY:
                cb["state"] = "skipped"  # long past its reminder and phone call: given up, as a desk would have
        if (created >= self.end - OPEN_WINDOW and row["status"] in ("closed", "surveyed")
                and self.rng.random() < self.keep_open):
            self._keep_open(row, events, callbacks)
        if row["status"] not in ("closed", "surveyed", "cancelled"):
            self.counts["open"] += 1
            row["escalation_level"] = self._level_reached(row)

    def _level_reached(self, row: dict[str, Any]) -> int:
        """The escalation level a running desk would have given an open case by now."""
        if row["status"] in ("open", "dispatched"):
            due, period = row["response_due_at"], self.policy.response[row["urgency"]]
        elif row["status"] in ("accepted", "in_progress"):
            due, period = row["completion_due_at"], self.policy.completion[row["urgency"]]
        else:
            return 0
        return 0 if self.end < due else 2 if self.end >= due + period else 1

    def _keep_open(self, row: dict[str, Any], events: int, callbacks: int) -> None:
        """Cut a finished case back to a stage of work still under way (an emergency is
        always accepted by now: an unaccepted one is re-announced every few minutes)."""
        status, keep = self.rng.choice(OPEN_STAGES[1:] if row["urgency"] == "emergency" else OPEN_STAGES)
        del self.timeline[events + keep:]
        del self.callbacks[callbacks:]
        last = self.timeline[-1]["at"]
        row.update(status=status, closed_at=None, confirmed_by="", updated_at=last, rework_round=0)
        if status == "dispatched":
            row.update(assignee_id=None, first_responder_id=None, accepted_at=None, first_accepted_at=None)
        if status in ("dispatched", "accepted", "in_progress"):
            row.update(done_at=None)
        if status == "in_progress":
            row.update(started_at=last + timedelta(minutes=5))

    async def _flush(self) -> None:
        tables = ((m.Case, self.cases), (m.TimelineEntry, self.timeline), (m.Callback, self.callbacks))
        if self.engine.dialect.name != "postgresql":
            async with self.engine.begin() as conn:
                for model, rows in tables:
                    for i in range(0, len(rows), BATCH):
                        await conn.execute(insert(model), rows[i:i + BATCH])
        else:
            await self._copy(tables)
        self.counts["cases"] += len(self.cases)
        self.counts["timeline"] += len(self.timeline)
        self.counts["callbacks"] += len(self.callbacks)
        self.cases, self.timeline, self.callbacks = [], [], []

    async def _copy(self, tables: tuple[tuple[type, list[dict[str, Any]]], ...]) -> None:
        async with self.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            for model, rows in tables:
                if not rows:
                    continue
                columns = list(rows[0])
                json_columns = {c.name for c in model.__table__.columns if isinstance(c.type, m.JSON)}
                records = [tuple(json.dumps(row[c]) if c in json_columns else row[c] for c in columns) for row in rows]
                await raw.copy_records_to_table(model.__tablename__, records=records, columns=columns)
            await conn.commit()


async def bulk_identities(engine: AsyncEngine, rows: list[dict[str, Any]]) -> None:
    """Bound chat identities (channel, user_id, chat_id, owner_id, community_id, locale, verified_at) in bulk."""
    async with engine.begin() as conn:
        for i in range(0, len(rows), BATCH):
            await conn.execute(insert(m.Identity), rows[i:i + BATCH])
