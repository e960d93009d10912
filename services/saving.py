"""Saving a changed case, with the front end it was changed through on its timeline.

The lifecycle records who acted; the services add how: an entry made from the console or
by phone carries `via` in its data, so the owner's and the office's timelines can say
"via the console".  Chat is the default and is not written (as before the services).
"""

from __future__ import annotations

from dataclasses import replace

from cases.lifecycle import Case
from services.actors import CHAT, SYSTEM_VIA, Actor
from storage.uow import UnitOfWork


def stamp(case: Case, actor: Actor, **extra: object) -> None:
    """Mark the case's unsaved timeline entries with the front end (and any `extra` data)."""
    data: dict[str, object] = dict(extra)
    if actor.via not in (CHAT, SYSTEM_VIA):
        data["via"] = actor.via
    if data:
        case.events = [replace(e, data={**e.data, **data}) for e in case.events]


async def save(uow: UnitOfWork, case: Case, actor: Actor, **extra: object) -> None:
    stamp(case, actor, **extra)
    await uow.cases.save(case)


async def add(uow: UnitOfWork, case: Case, actor: Actor, **extra: object) -> int:
    stamp(case, actor, **extra)
    return await uow.cases.add(case)
