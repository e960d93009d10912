"""The butler's phone callback: when an owner ignored the chat survey and its reminder,
the butlers are asked (privately, with the owner's number) to phone, and whoever calls
records the answers here — solved, two scores, a note — as a callback by phone.

Private chats only carry the owner's full name and number: a butler needs them to call.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from cases.callbacks import unsatisfied
from cases.codes import Role, Team
from cases.errors import NotFound
from cases.lifecycle import Case
from cases.privacy import mask_phone
from cases.records import CallbackRecord, Community
from handlers.kit import flow as flows
from handlers.kit.answers import is_go_ahead, is_skip, read_solved, read_stars
from handlers.kit.acting import actor_of
from handlers.aftercare.survey import what
from handlers.kit.announcers import announce, verdict
from handlers.kit.cards import alert_replies
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import code_name, duration
from handlers.kit.i18n import t
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Button, Inbound, Reply
from handlers.kit.payloads import PhoneCall, encode
from services import aftercare
from services.errors import SurveyClosed
from services.events import CallbackAnswered
from storage.callbacks import OPEN_STATES
from storage.uow import UnitOfWork

RECORDERS = aftercare.RECORDERS
STARS = ("1", "2", "3", "4", "5")
MAX_NOTE = 500
LIST_LIMIT = 10


class S(StrEnum):
    SOLVED = "solved"
    SPEED = "speed"
    ATTITUDE = "attitude"
    NOTE = "note"
    CONFIRM = "confirm"


may_record = aftercare.may_record


def record_button(locale: str, callback_id: int) -> Button:
    return Button(t(locale, "phone_callback.record"), encode(PhoneCall(callback_id)))


async def _where(uow: UnitOfWork, case: Case) -> str:
    if case.room_id:
        room = await uow.directory.room_by_id(case.room_id)
        return room.code if room else "-"
    return case.place or "-"


async def _request_text(uow: UnitOfWork, locale: str, case: Case, record: CallbackRecord, now: datetime) -> str:
    # How long the owner has left the chat survey unanswered.
    waited = duration((now - record.sent_at).total_seconds() / 60, locale) if record.sent_at else "-"
    owner = await uow.directory.owner(case.owner_id) if case.owner_id else None
    return t(locale, "phone_callback.request", id=case.id, kind=code_name(locale, "kind", case.kind),
             category=code_name(locale, "category", case.category), name=owner.name if owner else "-",
             phone=owner.phone if owner else "-", where=await _where(uow, case), what=what(case, 80),
             waited=waited, round=record.round)


async def request_replies(uow: UnitOfWork, community: Community, case: Case, record: CallbackRecord,
                          now: datetime) -> list[Reply]:
    """Ask every butler who has a private chat with the bot to phone; if none has, the
    customer-service group is told (masked) to have a butler open /callbacks privately."""
    replies = []
    for butler in await uow.directory.staff_list(community.id, role=Role.BUTLER):
        for chat in await uow.directory.chats_of(staff_id=butler.id):
            text = await _request_text(uow, chat.locale, case, record, now)
            replies.append(Reply(chat.channel, chat.chat_id, text, ((record_button(chat.locale, record.id),),)))
    if replies:
        return replies
    owner = await uow.directory.owner(case.owner_id) if case.owner_id else None
    return await alert_replies(uow, community, Team.CUSTOMER_SERVICE, "phone_callback.group_request",
                               id=case.id, phone=mask_phone(owner.phone) if owner else "-")


# ----------------------------------------------------------------- entry points
def _refuse(ctx: Ctx, key: str, **fields: object) -> None:
    ctx.answer = ctx.t(key, **fields)
    ctx.say(ctx.answer)


async def start(ctx: Ctx, answer: PhoneCall) -> None:
    """The "record the phone callback" button."""
    if not may_record(await ctx.staff()):
        _refuse(ctx, "phone_callback.not_allowed")
        return
    record = await ctx.uow.callbacks.get(answer.callback_id)
    case = await ctx.uow.cases.get(record.case_id) if record else None
    if record is None or case is None:
        _refuse(ctx, "common.expired")
        return
    if record.state == "answered":
        _refuse(ctx, "phone_callback.already", id=case.id, how=ctx.t(f"survey.method_{record.method}"))
        return
    if record.state not in OPEN_STATES:
        _refuse(ctx, "common.expired")
        return
    ctx.answer = ""
    await flows.begin(ctx, FLOW, callback_id=record.id, case_id=case.id)


async def pending_calls(ctx: Ctx, _: str) -> None:
    """Phone callbacks waiting for a butler, each with its record button."""
    if not may_record(await ctx.staff()):
        ctx.say(ctx.t("phone_callback.not_allowed"))
        return
    waiting = await ctx.uow.callbacks.in_state("phone", limit=LIST_LIMIT)
    if not waiting:
        ctx.say(ctx.t("phone_callback.none_waiting"))
        return
    for record in waiting:
        case = await ctx.uow.cases.get(record.case_id)
        if case is None:
            continue
        text = await _request_text(ctx.uow, ctx.locale, case, record, ctx.now)
        ctx.say(text, ((record_button(ctx.locale, record.id),),))


# ----------------------------------------------------------------- the recording flow
def _stars(ctx: Ctx) -> tuple[tuple[Button, ...], ...]:
    return (tuple(choice(ctx, ctx.t("survey.stars", n=n), n) for n in STARS), nav_row(ctx))


def _picked_star(ctx: Ctx, inbound: Inbound) -> int | None:
    """A star button, or what the owner said as the butler types it: "3", "两星", "还行", "非常满意"."""
    if ctx.picked is not None:
        return int(ctx.picked) if ctx.picked in STARS else None
    return read_stars(inbound.text)


async def ask_solved(ctx: Ctx) -> None:
    """Did the owner say the problem is solved?"""
    ctx.say(ctx.t("phone_callback.ask_solved", id=ctx.data["case_id"]),
            ((choice(ctx, ctx.t("survey.solved_yes"), "1"), choice(ctx, ctx.t("survey.solved_no"), "0")),
             nav_row(ctx, back=False)))


async def answer_solved(ctx: Ctx, inbound: Inbound) -> None:
    """A button, or the owner's words typed: "解决了", "没解决", "还没好"."""
    solved = {"1": True, "0": False}.get(ctx.picked or "") if ctx.picked is not None else read_solved(inbound.text)
    if solved is None:
        ctx.say(ctx.t("phone_callback.use_solved"))
        return
    ctx.data["solved"] = solved
    await flows.goto(ctx, FLOW, S.SPEED)


async def ask_speed(ctx: Ctx) -> None:
    """The owner's stars for speed."""
    ctx.say(ctx.t("phone_callback.ask_speed"), _stars(ctx))


async def answer_speed(ctx: Ctx, inbound: Inbound) -> None:
    """A star button, or a score in words."""
    score = _picked_star(ctx, inbound)
    if score is None:
        ctx.say(ctx.t("phone_callback.use_stars"))
        return
    ctx.data["speed"] = score
    await flows.goto(ctx, FLOW, S.ATTITUDE)


async def ask_attitude(ctx: Ctx) -> None:
    """The owner's stars for attitude."""
    ctx.say(ctx.t("phone_callback.ask_attitude"), _stars(ctx))


async def answer_attitude(ctx: Ctx, inbound: Inbound) -> None:
    """A star button, or a score in words."""
    score = _picked_star(ctx, inbound)
    if score is None:
        ctx.say(ctx.t("phone_callback.use_stars"))
        return
    ctx.data["attitude"] = score
    await flows.goto(ctx, FLOW, S.NOTE)


def _unsatisfied(ctx: Ctx) -> bool:
    return unsatisfied(ctx.data.get("solved"), ctx.data.get("speed"), ctx.data.get("attitude"))


async def ask_note(ctx: Ctx) -> None:
    """What the owner said; required when they are unsatisfied (it goes to the team)."""
    if _unsatisfied(ctx):
        ctx.say(ctx.t("phone_callback.ask_reason"), (nav_row(ctx),))
    else:
        ctx.say(ctx.t("phone_callback.ask_note"), ((choice(ctx, ctx.t("phone_callback.no_note"), "none"),), nav_row(ctx)))


async def answer_note(ctx: Ctx, inbound: Inbound) -> None:
    """Free text, or "nothing" when the owner was satisfied."""
    if (ctx.picked == "none" or ctx.picked is None and is_skip(inbound.text)) and not _unsatisfied(ctx):
        ctx.data["note"] = ""
    else:
        note = text_of(ctx, inbound, max_len=MAX_NOTE)
        if note is None:
            return
        ctx.data["note"] = note
    await flows.goto(ctx, FLOW, S.CONFIRM)


async def ask_confirm(ctx: Ctx) -> None:
    """The record to submit."""
    d = ctx.data
    ctx.say(ctx.t("phone_callback.summary", id=d["case_id"], verdict=verdict(d["solved"], d["speed"], d["attitude"], ctx.locale),
                  note=d["note"] or "-"),
            ((choice(ctx, ctx.t("phone_callback.submit"), "submit"),), nav_row(ctx)))


async def answer_confirm(ctx: Ctx, inbound: Inbound) -> None:
    """Submit: recorded as a phone callback by this staff member."""
    if ctx.picked != "submit" and not is_go_ahead(inbound.text):
        ctx.say(ctx.t("phone_callback.use_buttons"))
        return
    staff = await ctx.staff()
    if not may_record(staff):
        flows.end(ctx)
        ctx.say(ctx.t("phone_callback.not_allowed"))
        return
    assert staff is not None
    d = ctx.data
    flows.end(ctx)
    try:
        events = await aftercare.record_phone_callback(
            ctx.uow, ctx.community, int(d["callback_id"]), actor_of(ctx), ctx.now,
            solved=d["solved"], speed=d["speed"], attitude=d["attitude"], comment=d["note"])
    except (SurveyClosed, NotFound):
        ctx.say(ctx.t("phone_callback.too_late", id=d["case_id"]))
        return
    for reply in await announce(ctx.uow, ctx.community, events, ctx.now):
        ctx.send(reply)
    answered = events[0]
    assert isinstance(answered, CallbackAnswered)
    if answered.satisfied:
        ctx.say(ctx.t("phone_callback.recorded", id=answered.case.id))
        return
    team = code_name(ctx.locale, "team", answered.case.team_code)
    ctx.say(ctx.t("phone_callback.recorded_rework", id=answered.case.id, team=team))


FLOW = Flow("phone_callback", S.SOLVED, {
    S.SOLVED: Step(ask_solved, answer_solved),
    S.SPEED: Step(ask_speed, answer_speed),
    S.ATTITUDE: Step(ask_attitude, answer_attitude),
    S.NOTE: Step(ask_note, answer_note),
    S.CONFIRM: Step(ask_confirm, answer_confirm),
}, needs_owner=False)
