"""What the console does to a case, one function per button on the case page.

Each loads nothing itself: it gets the case, the signed-in member of staff and the form,
changes the case through the lifecycle (the same transitions the chat uses), marks the new
timeline entries "via the console" with who did it, and returns the chat messages the
change causes (the team's card edited in place, the owner told) for the outbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from cases.errors import InvalidInput, NotAllowed
from cases.lifecycle import Actor, Case, Status
from cases.permissions import StaffMember
from cases.records import Community
from handlers.cards import card_replies, moved_card_replies
from handlers.casework import after_close, owner_replies
from handlers.formatting import code_name, duration, local_time, money
from handlers.i18n import t
from handlers.messages import Button, Reply
from handlers.payloads import CaseAction, encode
from handlers.staff import accepted_key
from services.office import via
from storage.uow import UnitOfWork
from web.roles import may_act


@dataclass(frozen=True, slots=True)
class Doing:
    uow: UnitOfWork
    community: Community
    case: Case
    staff: StaffMember
    form: dict[str, str]
    now: datetime

    @property
    def actor(self) -> Actor:
        return Actor("staff", self.staff.id)

    def text(self, name: str, *, required: bool = True, limit: int = 500) -> str:
        value = (self.form.get(name) or "").strip()[:limit]
        if required and not value:
            raise InvalidInput(f"{name} is required", field=name)
        return value


Action = Callable[[Doing], Awaitable[list[Reply]]]


async def _worker(d: Doing) -> StaffMember:
    """The named member of the case's team the console acts for (accept on behalf, assign)."""
    raw = d.form.get("staff_id", "").strip()
    if not raw.isdigit():
        raise InvalidInput("choose a member of staff", field="staff_id")
    member = await d.uow.directory.staff(int(raw))
    if member is None or not member.active or member.team != d.case.team_code:
        raise InvalidInput("that member of staff is not in the case's team", field="staff_id")
    return member


async def _save(d: Doing, note_by: bool = True) -> None:
    via(d.case, "console")
    if note_by:
        for event in d.case.events:
            event.data.setdefault("by", d.staff.id)
    await d.uow.cases.save(d.case)


async def _card(d: Doing) -> list[Reply]:
    return await card_replies(d.uow, d.community, d.case, d.now)


async def _told_accepted(d: Doing, worker: StaffMember) -> list[Reply]:
    case, policy = d.case, d.community.policy
    phone = await d.uow.directory.staff_phone(worker.id)
    assert case.accepted_at is not None
    by = case.accepted_at + policy.response[case.urgency]
    return await owner_replies(
        d.uow, case, accepted_key(case, d.now), name=worker.name, phone=phone or "-",
        team=lambda loc: code_name(loc, "team", case.team_code), by=lambda loc: local_time(by, policy, loc),
        window=lambda loc: "-")


async def accept(d: Doing) -> list[Reply]:
    """Accept on behalf of a named member of the team (who phoned the desk to say they take it)."""
    worker = await _worker(d)
    d.case.accept(worker.id, d.now)
    await _save(d)
    return await _card(d) + await _told_accepted(d, worker)


async def assign(d: Doing) -> list[Reply]:
    """Give the case to a named member of its team, taking it from whoever had it."""
    worker = await _worker(d)
    if d.case.status in (Status.ACCEPTED, Status.IN_PROGRESS):
        if d.case.assignee_id == worker.id:
            raise InvalidInput("already with that member of staff")
        d.case.hand_back(d.now, d.actor, t("zh-CN", "console.reassigned"))
    d.case.accept(worker.id, d.now)
    await _save(d)
    return await _card(d) + await _told_accepted(d, worker)


async def transfer(d: Doing) -> list[Reply]:
    team, reason = d.text("team", limit=32), d.text("reason")
    if team not in {info.code for info in await d.uow.directory.teams(d.community.id)}:
        raise InvalidInput("unknown team", field="team")
    from_team = d.case.team_code
    d.case.transfer(team, d.now, d.community.policy, d.actor, reason)
    await _save(d)
    replies = await card_replies(d.uow, d.community, d.case, d.now, with_photos=True)
    return replies + await moved_card_replies(d.uow, d.community, d.case, from_team, d.now)


async def note(d: Doing) -> list[Reply]:
    d.case.remark("note", d.now, d.actor, note=d.text("note"))
    await _save(d)
    return []


async def plan_changed(d: Doing) -> list[Reply]:
    """The plan changed (a part on order, another day) and the owner agreed on the phone."""
    d.case.remark("plan_changed", d.now, d.actor, note=d.text("note"), agreed_by="phone")
    await _save(d)
    return await _card(d)


def _fee_cents(raw: str) -> int:
    raw = raw.strip().lstrip("¥") or "0"
    try:
        value = round(float(raw) * 100)
    except ValueError:
        raise InvalidInput("the fee is a number of yuan", field="fee") from None
    if value < 0 or value > 10_000_000:
        raise InvalidInput("the fee is out of range", field="fee")
    return value


async def done(d: Doing) -> list[Reply]:
    """The work is done (the worker phoned it in): with what was done and the fee."""
    case, policy = d.case, d.community.policy
    text, fee = d.text("note"), _fee_cents(d.form.get("fee", ""))
    worker = case.assignee_id or d.staff.id
    case.finish(worker, d.now, note=text, fee_cents=fee)
    await _save(d)
    auto = policy.auto_confirm_after.total_seconds() / 60

    def buttons(loc: str) -> tuple[tuple[Button, ...], ...]:
        return ((Button(t(loc, "progress.btn_confirm"), encode(CaseAction("confirm", case.id or 0))),
                 Button(t(loc, "progress.btn_reject"), encode(CaseAction("reject", case.id or 0)))),)

    told = await owner_replies(
        d.uow, case, "progress.done", buttons=buttons, note=text,
        fee=lambda loc: t(loc, "progress.fee", fee=money(fee, loc)) if fee else t(loc, "progress.fee_none"),
        auto=lambda loc: duration(auto, loc))
    return await _card(d) + told


async def confirm_by_phone(d: Doing) -> list[Reply]:
    """The owner said on the phone that the work is fine (验收 by phone, recorded by staff)."""
    d.case.confirm(d.now, d.actor)
    for event in d.case.events:
        event.data["method"] = "phone"
    await _save(d)
    return await after_close(d.uow, d.community, d.case, d.now)


async def cancel(d: Doing) -> list[Reply]:
    reason = d.text("reason")
    d.case.cancel(d.now, d.actor, reason)
    await _save(d)
    told = await owner_replies(d.uow, d.case, "office.cancelled", reason=reason)
    return await _card(d) + told


async def reopen(d: Doing) -> list[Reply]:
    """Work reported done that is not (the owner phoned): back to the team for rework."""
    d.case.reject(d.now, d.actor, d.text("reason"), d.community.policy)
    await _save(d)
    return await card_replies(d.uow, d.community, d.case, d.now, with_photos=True)


ACTIONS: dict[str, Action] = {
    "accept": accept, "assign": assign, "transfer": transfer, "note": note, "plan_changed": plan_changed,
    "done": done, "confirm_phone": confirm_by_phone, "cancel": cancel, "reopen": reopen,
}

# Which actions the case page offers in each status.
OFFERED: dict[str, tuple[str, ...]] = {
    Status.OPEN: ("note", "cancel"),
    Status.DISPATCHED: ("accept", "assign", "transfer", "note", "cancel"),
    Status.ACCEPTED: ("assign", "transfer", "plan_changed", "done", "note"),
    Status.IN_PROGRESS: ("assign", "transfer", "plan_changed", "done", "note"),
    Status.DONE: ("confirm_phone", "reopen", "note"),
    Status.CLOSED: ("note",),
    Status.SURVEYED: ("note",),
    Status.CANCELLED: ("note",),
}


async def run(name: str, d: Doing) -> list[Reply]:
    if not may_act(d.staff, d.case.team_code):
        raise NotAllowed("not this person's team")
    action = ACTIONS.get(name)
    if action is None:
        raise InvalidInput(f"unknown action {name!r}")
    return await action(d)

