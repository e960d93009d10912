"""What the console does to a case, one entry per button on the case page.

Each parses its form, calls the service the chat calls too (or, for what only the office
does on an owner's behalf, `services.office`), and has the events announced by the same
table as the chat (`handlers.announcers`): the team's card edited in place, the owner
told, the worker given the contact.  The actor is the signed-in member of staff, through
the console, so every timeline entry says "via the console" and by whom.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from cases.errors import InvalidInput
from cases.lifecycle import Case, Status
from cases.permissions import StaffMember, may_work_on
from cases.records import Community
from handlers.kit.announcers import announce
from handlers.kit.messages import Reply
from services import access, casework, dispatch, office
from services.actors import CONSOLE, Actor
from services.events import Event
from storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Doing:
    uow: UnitOfWork
    community: Community
    case_id: int
    staff: StaffMember
    form: dict[str, str]
    now: datetime

    @property
    def actor(self) -> Actor:
        return Actor.staff(self.staff.id, via=CONSOLE)

    def text(self, name: str, *, limit: int = 500) -> str:
        value = (self.form.get(name) or "").strip()
        if not value or len(value) > limit:
            raise InvalidInput(f"{name} is required", field=name)
        return value

    def staff_id(self) -> int:
        raw = self.form.get("staff_id", "").strip()
        if not raw.isdigit():
            raise InvalidInput("choose a member of staff", field="staff_id")
        return int(raw)


def fee_cents(raw: str) -> int:
    """Yuan as typed ("35", "35.5", "¥35") to cents; anything else is refused."""
    raw = raw.strip().lstrip("¥￥") or "0"
    try:
        value = round(float(raw) * 100)
    except ValueError:
        raise InvalidInput("the fee is a number of yuan", field="fee") from None
    if not 0 <= value <= casework.MAX_FEE_CENTS:
        raise InvalidInput("the fee is out of range", field="fee")
    return value


Step = Callable[[Doing], Awaitable[list[Event]]]


async def _accept(d: Doing) -> list[Event]:
    return await dispatch.accept_on_behalf(d.uow, d.community, d.case_id, d.actor, d.now, of=d.staff_id())


async def _assign(d: Doing) -> list[Event]:
    return await dispatch.assign(d.uow, d.community, d.case_id, d.actor, d.now, to=d.staff_id())


async def _transfer(d: Doing) -> list[Event]:
    return await casework.transfer(d.uow, d.community, d.case_id, d.actor, d.now, to_team=d.text("team", limit=32),
                                   reason=d.text("reason", limit=casework.MAX_REASON))


async def _move(d: Doing) -> list[Event]:
    """To another community of the company, optionally to a room there (the owner's home)."""
    to = d.text("community", limit=64)
    room_id = None
    if code := (d.form.get("room") or "").strip()[:32]:
        target = await d.uow.directory.community(to)
        room = await d.uow.directory.room(target.id, code) if target is not None else None
        if room is None:
            raise InvalidInput(f"no room {code!r} in {to!r}", field="room")
        room_id = room.id
    return await casework.move_to_community(d.uow, d.community, d.case_id, d.actor, d.now, to=to, room_id=room_id,
                                            reason=d.text("reason", limit=casework.MAX_REASON))


async def _note(d: Doing) -> list[Event]:
    return await office.note(d.uow, d.community, d.case_id, d.actor, d.now, note=d.text("note"))


async def _plan_changed(d: Doing) -> list[Event]:
    return await office.note(d.uow, d.community, d.case_id, d.actor, d.now, note=d.text("note"), plan_changed=True)


async def _done(d: Doing) -> list[Event]:
    return await casework.finish(d.uow, d.community, d.case_id, d.actor, d.now,
                                 note=d.text("note", limit=casework.MAX_NOTE), fee_cents=fee_cents(d.form.get("fee", "")))


async def _confirm_phone(d: Doing) -> list[Event]:
    return await office.confirm_by_phone(d.uow, d.community, d.case_id, d.actor, d.now)


async def _cancel(d: Doing) -> list[Event]:
    return await office.cancel_for_owner(d.uow, d.community, d.case_id, d.actor, d.now, reason=d.text("reason"))


async def _reopen(d: Doing) -> list[Event]:
    return await office.reopen_by_phone(d.uow, d.community, d.case_id, d.actor, d.now, reason=d.text("reason"))


STEPS: dict[str, Step] = {
    "accept": _accept, "assign": _assign, "transfer": _transfer, "move": _move, "note": _note, "plan_changed": _plan_changed,
    "done": _done, "confirm_phone": _confirm_phone, "cancel": _cancel, "reopen": _reopen,
}

# Which actions the case page offers in each status (the services decide in the end).
BY_STATUS: dict[str, tuple[str, ...]] = {
    Status.OPEN: ("note", "cancel", "move"),
    Status.DISPATCHED: ("accept", "assign", "transfer", "note", "cancel", "move"),
    Status.ACCEPTED: ("assign", "transfer", "plan_changed", "done", "note", "move"),
    Status.IN_PROGRESS: ("assign", "transfer", "plan_changed", "done", "note", "move"),
    Status.DONE: ("confirm_phone", "reopen", "note"),
    Status.CLOSED: ("note",),
    Status.SURVEYED: ("note",),
    Status.CANCELLED: ("note",),
    Status.MOVED: ("note",),
}


def offered(staff: StaffMember, case: Case, *, elsewhere: bool = False) -> tuple[str, ...]:
    """The buttons this person gets on this case: the services' own rules, asked in advance
    (`elsewhere`: they are staff in another community too, where the case could move)."""
    team = case.team_code
    boss = access.oversees(staff, team)
    worker = may_work_on(staff, team) and (case.assignee_id in (None, staff.id) or boss)
    allowed = {
        "accept": boss, "assign": boss, "transfer": worker, "done": worker, "move": worker and elsewhere,
        "note": office.at_the_desk(staff) or may_work_on(staff, team),
        "plan_changed": office.at_the_desk(staff) or may_work_on(staff, team),
        "confirm_phone": office.at_the_desk(staff) or may_work_on(staff, team),
        "reopen": office.at_the_desk(staff) or may_work_on(staff, team),
        "cancel": office.at_the_desk(staff) or may_work_on(staff, team),
    }
    return tuple(a for a in BY_STATUS.get(case.status, ()) if allowed[a])


async def run(name: str, d: Doing) -> list[Reply]:
    """Do it, and the chat messages it causes (queued by the caller in the same transaction)."""
    step = STEPS.get(name)
    if step is None:
        raise InvalidInput(f"unknown action {name!r}")
    return await announce(d.uow, d.community, await step(d), d.now)
