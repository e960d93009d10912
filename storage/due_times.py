"""The earliest moments the scheduler must wake for, read from our own tables.

Due times are data (callbacks.due_at / sent_at / reminded_at, cases.done_at and the
deadlines), not scheduler jobs: a restart or a second process reads the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.callbacks import CallbackState
from cases.lifecycle import TOP_ESCALATION, WORKING, Status
from cases.policy import DeskPolicy
from storage import models as m


@dataclass(slots=True)
class CommunityDue:
    """What one community has waiting, from the cross-community scan (`by_community`):
    the earliest moments of the owner-facing work and deadlines, and whether the
    escalation checks have anything to look at.  A community absent from the scan has nothing."""

    survey_due: datetime | None = None
    sent: datetime | None = None
    reminded: datetime | None = None
    done: datetime | None = None
    deadline: datetime | None = None  # the next response/completion deadline still ahead
    # Cases below the top escalation level whose deadline passed: the earliest deadline per
    # (deadline kind, urgency, level reached).  Whether one is due to go up a level is the
    # community's policy's to say (`escalation_due`).
    passed: dict[tuple[str, str, int], datetime] = field(default_factory=dict)
    emergencies: bool = False  # an emergency nobody accepted yet
    offer_until: datetime | None = None  # the first offer to lapse (a dispatched case's details.offer.until)
    pause_until: datetime | None = None  # the first pause to end (a working case's details.pause.until)


    def escalation_due(self, policy: DeskPolicy, now: datetime) -> bool:
        """A case reaches a new level at `now` (`Case.escalation_due`): one not escalated yet
        is late, or one at level 1 has been late a whole period more.  Cases already
        escalated and not yet due for the next level are no work for the tick."""
        return any(level == 0 or _next_level_at(policy, kind, urgency, due) <= now
                   for (kind, urgency, level), due in self.passed.items())

    def next_escalation(self, policy: DeskPolicy, now: datetime) -> datetime | None:
        """When the next escalated case reaches the top level, if that is still ahead."""
        ahead = [at for (kind, urgency, level), due in self.passed.items()
                 if level > 0 and (at := _next_level_at(policy, kind, urgency, due)) > now]
        return min(ahead) if ahead else None


def _next_level_at(policy: DeskPolicy, kind: str, urgency: str, due: datetime) -> datetime:
    period = (policy.response if kind == "response" else policy.completion).get(urgency)
    # An urgency the policy does not know counts as due: the community's own check meets it
    # (and fails alone, logged) instead of the whole scan.
    return due + period if period is not None else due


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


async def by_community(session: AsyncSession, now: datetime) -> dict[int, CommunityDue]:
    """Every kind of due work across all communities, one grouped query per kind, so a
    tick costs the same few statements however many communities there are; the tick then
    applies each community's own policy (quiet hours, zone, waiting times) in Python."""
    c, k = m.Callback, m.Case
    due: dict[int, CommunityDue] = {}

    def of(cid: int) -> CommunityDue:
        return due.setdefault(int(cid), CommunityDue())

    # Open surveys: scheduled / sent / reminded, each state's earliest moment per community.
    states = (CallbackState.SCHEDULED, CallbackState.SENT, CallbackState.REMINDED)
    rows = await session.execute(
        select(k.community_id, c.state, func.min(c.due_at), func.min(c.sent_at), func.min(c.reminded_at))
        .join(k, k.id == c.case_id).where(c.state.in_(states)).group_by(k.community_id, c.state))
    for cid, state, due_at, sent_at, reminded_at in rows.all():
        entry = of(cid)
        if state == CallbackState.SCHEDULED:
            entry.survey_due = due_at
        elif state == CallbackState.SENT:
            entry.sent = sent_at
        else:
            entry.reminded = reminded_at
    rows = await session.execute(
        select(k.community_id, func.min(k.done_at)).where(k.status == Status.DONE).group_by(k.community_id))
    for cid, done_at in rows.all():
        of(cid).done = done_at
    # Deadlines: the next one ahead (to wake for), and the earliest passed one per urgency
    # and level below the top (what `CaseRepository.past_deadline` escalates).
    for kind, column, statuses in (("response", k.response_due_at, [Status.OPEN, Status.DISPATCHED]),
                                   ("completion", k.completion_due_at, list(WORKING))):
        rows = await session.execute(
            select(k.community_id, k.urgency, k.escalation_level, func.min(case((column > now, column))),
                   func.min(case((and_(column <= now, k.escalation_level < TOP_ESCALATION), column))))
            .where(k.status.in_(statuses), column.is_not(None))
            .group_by(k.community_id, k.urgency, k.escalation_level))
        for cid, urgency, level, ahead, passed in rows.all():
            entry = of(cid)
            entry.deadline = _earlier(entry.deadline, ahead)
            if passed is not None:
                entry.passed[(kind, urgency, level)] = passed
    emergency = and_(k.urgency == "emergency", k.status.in_([Status.OPEN, Status.DISPATCHED]))
    for cid in await session.scalars(select(k.community_id).where(emergency).distinct()):
        of(cid).emergencies = True
    # Offers to lapse and pauses to end: their dates live in the case's details (JSON), read
    # here as text and compared in Python (only dispatched and paused cases: a few thousand
    # at company size).  A date that cannot be read counts as due, so that community's own
    # check meets it (and fails alone, logged) instead of the whole scan.
    paused = and_(k.status.in_(list(WORKING)), k.completion_due_at.is_(None))
    rows = await session.execute(
        select(k.community_id, k.status, k.details[("offer", "until")].as_string(),
               k.details[("pause", "until")].as_string())
        .where(k.status.in_([Status.DISPATCHED, *WORKING]), or_(k.status == Status.DISPATCHED, paused)))
    for cid, status, offer, pause in rows.all():
        if status == Status.DISPATCHED and offer:
            entry = of(cid)
            entry.offer_until = _earlier(entry.offer_until, _moment(offer, now))
        elif status != Status.DISPATCHED and pause:
            entry = of(cid)
            entry.pause_until = _earlier(entry.pause_until, _moment(pause, now))
    return due


def _moment(text: str, now: datetime) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return now
