"""What a callback's answers do to the case, whether the owner answered in chat or a
butler recorded a phone call: satisfied archives it; unsatisfied (not solved, or a
score of 2 or less) reopens it for rework with the owner's words, back to its team."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cases.callbacks import unsatisfied
from cases.lifecycle import SYSTEM, Actor, Case
from cases.records import CallbackRecord, Community
from handlers.kit.cards import STAFF_LOCALE, alert_replies, card_buttons, card_replies, group_safe_for
from handlers.kit.i18n import t
from handlers.kit.messages import Reply
from storage.uow import UnitOfWork


@dataclass
class Outcome:
    case: Case
    satisfied: bool
    replies: list[Reply] = field(default_factory=list)


def verdict(solved: bool | None, speed: int | None, attitude: int | None, locale: str = STAFF_LOCALE) -> str:
    """One line staff read: 未解决 · 速度 2⭐ · 态度 4⭐."""
    return t(locale, "survey.verdict", solved=t(locale, "survey.solved_word" if solved else "survey.unsolved_word"),
             speed=speed if speed is not None else "-", attitude=attitude if attitude is not None else "-")


async def conclude(
    uow: UnitOfWork, community: Community, record: CallbackRecord, *,
    solved: bool | None, speed: int | None, attitude: int | None, comment: str, method: str,
    recorded_by: int | None, by_owner: int | None, now: datetime,
) -> Outcome | None:
    """Record the final answers and apply the verdict; None if the survey was already
    closed (the owner and a butler raced, or a second press): then nothing changed."""
    closed = await uow.callbacks.conclude(
        record.id, solved=solved, speed_score=speed, attitude_score=attitude, comment=comment,
        method=method, recorded_by_id=recorded_by, answered_at=now,
    )
    if not closed:
        return None
    case = await uow.cases.get(record.case_id)
    assert case is not None
    bad = unsatisfied(solved, speed, attitude)
    actor = Actor("staff", recorded_by) if recorded_by else Actor("owner", by_owner) if by_owner else SYSTEM
    case.remark("callback_answered", now, actor, note=comment, callback_id=record.id, round=record.round,
                method=method, solved=solved, speed=speed, attitude=attitude, satisfied=not bad)
    summary = verdict(solved, speed, attitude)
    # The rework reason is the owner's own words when they gave them, else the verdict.
    case.surveyed(now, satisfied=not bad, policy=community.policy, reason=comment or summary)
    await uow.cases.save(case)
    outcome = Outcome(case, satisfied=not bad)
    if bad:
        # The card is edited in place (it may be far up the group's history); the alert is a
        # new message with the owner's words — masked for the group — and the card's buttons.
        words = (await group_safe_for(uow, case, comment))[:300] if comment else t(STAFF_LOCALE, "survey.no_words")
        outcome.replies += await card_replies(uow, community, case, now)
        outcome.replies += await alert_replies(
            uow, community, case.team_code, "survey.rework_alert", buttons=card_buttons(case), id=case.id,
            round=case.rework_round, verdict=summary, words=words, method=t(STAFF_LOCALE, f"survey.method_{method}"),
        )
    return outcome
