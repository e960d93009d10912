"""The owner's callback survey (回访): solved or not, stars for speed and for attitude,
then a comment (asked for explicitly when the owner is unsatisfied).

The questions arrive as buttons; each press stores one answer in the callback row at
once, so a restart, a second chat of the same owner or a second bot process carries
on where the owner was.  A question answered once stays answered (pressing again
changes nothing), and the survey is final once submitted.  Only the comment needs a
conversation step, and only while the owner is writing it.
"""

from __future__ import annotations

from enum import StrEnum

from cases.callbacks import FINAL_STATES, OPEN_STATES, unsatisfied
from cases.errors import DeskError, NotAllowed
from cases.lifecycle import Case, Status
from cases.privacy import scrub
from cases.records import CallbackRecord, next_question
from handlers.kit import flow as flows
from handlers.kit.answers import is_skip, read_solved, read_stars
from handlers.kit.acting import as_owner
from handlers.kit.announcers import announce
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step
from handlers.kit.formatting import code_name
from handlers.kit.i18n import t
from handlers.kit.inputs import text_of
from handlers.kit.messages import Button, Inbound, Reply
from handlers.kit.payloads import SurveyAnswer, encode
from handlers.kit.stars import STARS
from services import access, aftercare
from services.errors import AlreadyAnswered, SurveyClosed
from services.events import CallbackAnswered, Event, SurveyAnswerRecorded
from storage.uow import UnitOfWork

Keyboard = tuple[tuple[Button, ...], ...]

QUESTIONS = aftercare.QUESTIONS
SCORED = aftercare.SCORED
MAX_COMMENT = aftercare.MAX_COMMENT


class S(StrEnum):
    COMMENT = "comment"


# ----------------------------------------------------------------- what to ask next
def is_unsatisfied(record: CallbackRecord) -> bool:
    return unsatisfied(record.solved, record.speed_score, record.attitude_score)


def _button(locale: str, callback_id: int, question: str, value: str, label_key: str, **fields: object) -> Button:
    return Button(t(locale, label_key, **fields), encode(SurveyAnswer(callback_id, question, value)))


def question(locale: str, record: CallbackRecord) -> tuple[str, Keyboard]:
    """The text and buttons of the next question, in the owner's language."""
    step = next_question(record)
    number = QUESTIONS.index(step) + 1
    if step == "solved":
        buttons: Keyboard = ((_button(locale, record.id, "solved", "1", "survey.solved_yes"),
                              _button(locale, record.id, "solved", "0", "survey.solved_no")),)
    elif step in ("speed", "attitude"):
        buttons = (tuple(_button(locale, record.id, step, n, "survey.stars", n=n) for n in STARS),)
    else:
        skip = "survey.submit_no_reason" if is_unsatisfied(record) else "survey.skip_submit"
        buttons = ((_button(locale, record.id, "comment", "write", "survey.write"),
                    _button(locale, record.id, "comment", "skip", skip)),)
    key = "survey.q_reason" if step == "comment" and is_unsatisfied(record) else f"survey.q_{step}"
    text = t(locale, "survey.progress", n=number, total=len(QUESTIONS), question=t(locale, key))
    return text, buttons


def what(case: Case, limit: int = 40) -> str:
    text = scrub(case.description)
    return text if len(text) <= limit else text[:limit] + "…"


async def owner_chats(uow: UnitOfWork, case: Case) -> list[tuple[str, str, str]]:
    """(channel, chat id, locale) of every chat the case's owner (or unbound reporter) uses."""
    targets = await uow.directory.chats_of(owner_id=case.owner_id) if case.owner_id is not None else []
    if not targets and case.reporter_chat_id:
        reporter = await uow.directory.identity_of_chat(case.reporter_channel, case.reporter_chat_id)
        targets = [reporter] if reporter else []
    return [(i.channel, i.chat_id, i.locale) for i in targets]


async def survey_replies(uow: UnitOfWork, case: Case, record: CallbackRecord, head_key: str) -> list[Reply]:
    """The survey (or its reminder) for each of the owner's chats: a heading, then the next question."""
    replies = []
    for channel, chat_id, locale in await owner_chats(uow, case):
        head = t(locale, head_key, id=case.id, what=what(case), kind=code_name(locale, "kind", case.kind),
                 category=code_name(locale, "category", case.category), round=record.round)
        text, buttons = question(locale, record)
        replies.append(Reply(channel, chat_id, f"{head}\n\n{text}", buttons, kind=head_key))
    return replies


# ----------------------------------------------------------------- button presses
def _refuse(ctx: Ctx, key: str) -> None:
    ctx.answer = ctx.t(key)
    ctx.say(ctx.answer)


def _refusal(error: DeskError) -> str:
    """The words for a survey answer the service refused."""
    if isinstance(error, NotAllowed):
        return "common.not_yours"
    if isinstance(error, SurveyClosed):
        return "survey.closed" if error.state in FINAL_STATES else "common.expired"
    if isinstance(error, AlreadyAnswered):
        return "survey.already_answered"
    return "common.expired"  # NotFound, a question not asked yet, a forged value


async def pressed(ctx: Ctx, answer: SurveyAnswer) -> None:
    """Any survey button: the comment's buttons here, every answer through the service
    (which re-authorises, checks it is the question due and stores it)."""
    if answer.question not in QUESTIONS:
        _refuse(ctx, "common.expired")
        return
    if answer.question == "comment":
        await _comment_pressed(ctx, answer)
        return
    try:
        events = await aftercare.answer_survey(ctx.uow, ctx.community, answer.callback_id, as_owner(ctx), ctx.now,
                                               question=answer.question, value=_value(answer))
    except DeskError as error:
        _refuse(ctx, _refusal(error))
        return
    ctx.answer = ""
    await _next(ctx, events)


async def _comment_pressed(ctx: Ctx, answer: SurveyAnswer) -> None:
    """"Write a comment" or "submit": only once every question is answered, by the owner."""
    record = await ctx.uow.callbacks.get(answer.callback_id)
    case = await ctx.uow.cases.get(record.case_id) if record else None
    if record is None or case is None or case.community_id != ctx.community.id:
        _refuse(ctx, "common.expired")
        return
    if not access.owns(case, as_owner(ctx)):
        _refuse(ctx, "common.not_yours")
        return
    if record.state not in OPEN_STATES:
        _refuse(ctx, "survey.closed" if record.state in FINAL_STATES else "common.expired")
        return
    if next_question(record) != "comment":
        _refuse(ctx, "common.expired")  # the comment is asked last
        return
    ctx.answer = ""
    await _comment_button(ctx, record, answer.value)


async def _next(ctx: Ctx, events: list[Event], heading: str = "") -> None:
    """After an answer is kept: announce it, then ask the next question (the comment can simply be typed)."""
    for reply in await announce(ctx.uow, ctx.community, events, ctx.now):
        ctx.send(reply)
    recorded = events[0]
    assert isinstance(recorded, SurveyAnswerRecorded)
    fresh = await ctx.uow.callbacks.get(recorded.callback_id)
    assert fresh is not None
    if next_question(fresh) == "comment" and not ctx.state.flow:
        # Nothing else in progress: the owner can simply type the comment.
        if heading:
            ctx.say(heading)
        await flows.begin(ctx, FLOW, callback_id=fresh.id)
        return
    text, buttons = question(ctx.locale, fresh)
    ctx.say(f"{heading}\n\n{text}" if heading else text, buttons)


# ----------------------------------------------------------------- answers typed instead of pressed
MAX_TYPED = 30  # longer messages are something else the owner wants to say


async def open_survey(ctx: Ctx) -> CallbackRecord | None:
    """The newest survey this owner (or unbound reporter) can still answer in chat."""
    owner = await ctx.owner()
    cases = (await ctx.uow.cases.for_owner(owner.id) if owner else
             await ctx.uow.cases.for_reporter(ctx.inbound.channel, ctx.identity.chat_id))
    found: list[CallbackRecord] = []
    for case in cases:
        if case.status != Status.CLOSED:
            continue  # a survey is only open on a closed case
        found += [r for r in await ctx.uow.callbacks.for_case(case.id or 0) if r.state in OPEN_STATES and r.sent_at]
    return max(found, key=lambda r: r.sent_at or r.due_at, default=None)


async def typed_answer(ctx: Ctx, text: str) -> bool:
    """"两星吧", "还行", "非常满意", "解决了", "还没好" typed while a survey question waits:
    stored like the button, and the next question follows.  False: not an answer to it."""
    starry = any(w in text.lower() for w in ("星", "⭐", "★", "分", "star"))
    if len(text) > MAX_TYPED or (read_solved(text) is None and read_stars(text) is None and not starry):
        return False  # no answer to any survey question: no need to look for an open survey
    record = await open_survey(ctx)
    if record is None:
        return False
    due = next_question(record)
    if due == "comment":
        return False
    value: bool | int | None = read_solved(text) if due == "solved" else read_stars(text)
    if value is None:
        if due != "solved" and starry:
            # Meant as a score, but not one of 1–5 ("七星", "0分"): say what counts, ask again.
            question_text, buttons = question(ctx.locale, record)
            ctx.say(f"{ctx.t('survey.stars_hint')}\n\n{question_text}", buttons)
            return True
        return False
    shown = ctx.t("survey.solved_word" if value is True else "survey.unsolved_word") if due == "solved" \
        else ctx.t("survey.stars", n=value)
    try:
        events = await aftercare.answer_survey(ctx.uow, ctx.community, record.id, as_owner(ctx), ctx.now,
                                               question=due, value=value)
    except DeskError:
        return False  # answered a moment ago elsewhere: not an answer to anything open
    await _next(ctx, events, heading=ctx.t("survey.noted", answer=shown))
    return True


def _value(answer: SurveyAnswer) -> bool | int | None:
    if answer.question == "solved":
        return {"1": True, "0": False}.get(answer.value)
    return int(answer.value) if answer.value in STARS else None


async def _comment_button(ctx: Ctx, record: CallbackRecord, value: str) -> None:
    if value == "write":
        await flows.begin(ctx, FLOW, callback_id=record.id)
    elif value == "skip":
        await submit(ctx, record, "")
    else:
        _refuse(ctx, "common.expired")


# ----------------------------------------------------------------- the comment step
async def ask_comment(ctx: Ctx) -> None:
    """A comment, or — when unsatisfied — what is still wrong; a button submits without one."""
    record = await ctx.uow.callbacks.get(int(ctx.data["callback_id"]))
    if record is None or record.state not in OPEN_STATES:
        flows.end(ctx)
        ctx.say(ctx.t("survey.closed"))
        return
    text, buttons = question(ctx.locale, record)
    ctx.say(text, buttons)


async def answer_comment(ctx: Ctx, inbound: Inbound) -> None:
    """The typed comment submits the survey ("没有了", "不用了" submit it without one)."""
    comment = text_of(ctx, inbound, max_len=MAX_COMMENT)
    if comment is None:
        return
    if is_skip(comment):
        comment = ""
    record = await ctx.uow.callbacks.get(int(ctx.data["callback_id"]))
    case = await ctx.uow.cases.get(record.case_id) if record else None
    if record is None or case is None or not access.owns(case, as_owner(ctx)):
        flows.end(ctx)
        ctx.say(ctx.t("common.expired"))
        return
    await submit(ctx, record, comment)


async def submit(ctx: Ctx, record: CallbackRecord, comment: str) -> None:
    """Make the answers final: satisfied archives the case, unsatisfied sends it back for rework."""
    if ctx.state.flow == FLOW.name:
        flows.end(ctx)
    try:
        events = await aftercare.submit_survey(ctx.uow, ctx.community, record.id, as_owner(ctx), ctx.now,
                                               comment=comment)
    except SurveyClosed:
        ctx.say(ctx.t("survey.closed"))
        return
    for reply in await announce(ctx.uow, ctx.community, events, ctx.now):
        ctx.send(reply)
    answered = events[0]
    assert isinstance(answered, CallbackAnswered)
    if answered.satisfied:
        ctx.say(ctx.t("survey.thanks", id=answered.case.id))
    else:
        ctx.say(ctx.t("survey.rework", id=answered.case.id, team=code_name(ctx.locale, "team", answered.case.team_code)))


# ----------------------------------------------------------------- resuming after an interruption
async def resume(ctx: Ctx) -> bool:
    """Show the survey's next question again (an emergency or a question came in between)."""
    record = await open_survey(ctx)
    if record is None:
        return False
    case = await ctx.uow.cases.get(record.case_id)
    if case is None:
        return False
    text, buttons = question(ctx.locale, record)
    head = ctx.t("survey.resumed", id=case.id, what=what(case))
    ctx.say(f"{head}\n\n{text}", buttons)
    return True


FLOW = Flow("survey", S.COMMENT, {S.COMMENT: Step(ask_comment, answer_comment)}, needs_owner=False)
