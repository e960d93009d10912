"""Keeping the company report's daily rollups (storage/rollup.py) up to date.

A day is rolled up once it is over in its community's zone; until then (today) the report
reads it live from the raw tables.  Who writes them:

* the scheduler (`bot/scheduler.py`, every `EVERY`) calls `refresh`: it rolls up the days
  that ended since (so each community's yesterday within minutes of its own midnight) and
  recomputes the days that changes since the last refresh touched.  So the days before today
  are at most `EVERY` (and a refresh) behind the cases in chat, where the bot runs it; the
  report itself only reads, and stays fast however busy the desk is (recomputing 150
  community-days after 2,000 changes took seconds on a loaded machine: bench/company_report.py);
* `wuye report --company` calls `catch_up` first (no scheduler need be running beside a
  command): the touched days only, never a backfill;
* `wuye rollup` runs `refresh`; `--rebuild` recomputes every day.  A community's first
  refresh backfills its history from its first case.

Touched days are found from `cases.updated_at` (every transition or remark moves it: a
rework, a late acceptance, a callback answered, skipped or phoned for): each changed case's
opening day, closing day and earlier closing days (a case sent back for rework was counted
closed there), and the days callbacks were answered on.  Rows changed outside the desk
(a database edited by hand, a bench's bulk inserts) need `wuye rollup --rebuild`; so does a
change of a community's time zone (its days are local days).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cases.records import Community
from storage import rollup
from storage.uow import UnitOfWork

EVERY = timedelta(minutes=5)
# Changes are looked for this far before the last check too: a unit of work stamps its
# changes when it starts and commits them a little later.
OVERLAP = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Refreshed:
    communities: int  # whose state was brought up to date
    days: int  # community-days rolled up or recomputed


async def refresh(uow: UnitOfWork, now: datetime, *, rebuild: bool = False) -> Refreshed:
    """Roll up every community's days that ended and recompute those changed (`rebuild`: all)."""
    return await _refresh(uow, await uow.directory.communities(), now, new_days=True, rebuild=rebuild)


async def catch_up(uow: UnitOfWork, communities: Sequence[Community], now: datetime) -> Refreshed:
    """Recompute the rolled-up days of `communities` that changed since the last refresh."""
    return await _refresh(uow, communities, now, new_days=False, rebuild=False)


async def _refresh(uow: UnitOfWork, communities: Sequence[Community], now: datetime, *, new_days: bool,
                   rebuild: bool) -> Refreshed:
    session = uow.session
    await rollup.lock(session)
    states = await rollup.states(session)
    known = [states[c.id] for c in communities if c.id in states and not rebuild]
    touched: dict[int, set[date]] = defaultdict(set)
    if known:
        # The report's catch-up takes the changes since the last look; the scheduler looks
        # `OVERLAP` further back for changes committed after a look that came before them.
        since = min(s.checked_at for s in known) - (OVERLAP if new_days else timedelta(0))
        zones = {c.id: ZoneInfo(c.policy.timezone) for c in communities}
        for cid, at in await rollup.changed(session, since):
            if cid in zones:
                touched[cid].add(at.astimezone(zones[cid]).date())
    # Per zone: the communities to build and the union of their days (a day built again for a
    # community that needed only others is merely recomputed): one query per family and range.
    groups: dict[str, tuple[list[int], set[date]]] = {}
    backfill: dict[str, list[int]] = defaultdict(list)
    throughs: dict[int, date] = {}
    built = 0  # community-days
    for c in communities:
        zone = c.policy.timezone
        yesterday = now.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)
        state = None if rebuild else states.get(c.id)
        if state is None and not new_days:
            continue  # never rolled up: the report reads it live until a refresh backfills it
        ids, days = groups.setdefault(zone, ([], set()))
        if state is None:
            backfill[zone].append(c.id)
            throughs[c.id] = yesterday
            continue
        throughs[c.id] = max(state.through, yesterday) if new_days else state.through
        mine = {d for d in touched[c.id] if d <= state.through}
        mine |= {state.through + timedelta(days=i) for i in range(1, (throughs[c.id] - state.through).days + 1)}
        if mine:
            ids.append(c.id)
            days |= mine
            built += len(mine)
    for zone, ids_ in backfill.items():
        first = await rollup.first_moment(session, ids_)
        yesterday = throughs[ids_[0]]
        start = yesterday + timedelta(days=1) if first is None else first.astimezone(ZoneInfo(zone)).date()
        ids, days = groups[zone]
        ids += ids_
        days |= {start + timedelta(days=i) for i in range((yesterday - start).days + 1)}
        built += len(ids_) * max((yesterday - start).days + 1, 0)
    for zone, (ids, days) in groups.items():
        through = min(throughs[cid] for cid in ids) if ids else None
        for first_day, last_day in rollup.day_ranges(days) if ids else ():
            await rollup.build(session, ids, zone, first_day, last_day, through)
    await rollup.set_states(session, {cid: rollup.State(through, now) for cid, through in throughs.items()})
    return Refreshed(len(throughs), built)
