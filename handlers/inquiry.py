"""Questions (咨询): answered at once from the community's FAQ when it knows; otherwise,
or when the answer did not help, handed to customer service as an inquiry case.
Anyone may ask — an unbound person's case keeps their chat so the answer reaches them."""

from __future__ import annotations

from enum import StrEnum

from cases.codes import Kind, Team, Urgency
from handlers import flow as flows
from handlers.casework import open_case
from handlers.context import Ctx
from handlers.faq import answer_in, best_match
from handlers.flow import Flow, Step, choice
from handlers.formatting import local_time
from handlers.inputs import nav_row, text_of
from handlers.messages import Inbound
from handlers.registry import register_flow

MAX_QUESTION = 500
# Typed answers to "did that help?" — so "谢谢" is not taken for a new question.
SOLVED_WORDS = {"解决了", "好的", "好", "谢谢", "明白了", "知道了", "ok", "thanks", "thank you", "solved"}
HUMAN_WORDS = {"转人工", "人工", "没解决", "human", "agent"}


class S(StrEnum):
    QUESTION = "question"
    ANSWERED = "answered"


async def ask_question(ctx: Ctx) -> None:
    """What the person wants to know; a question from the router is answered at once."""
    question = ctx.data.pop("question", None)
    if question:
        await _look_up(ctx, question, first=True)
        return
    ctx.say(ctx.t("inquiry.ask"), (nav_row(ctx, back=False),))


async def answer_question(ctx: Ctx, inbound: Inbound) -> None:
    """The typed question."""
    question = text_of(ctx, inbound, max_len=MAX_QUESTION)
    if question is not None:
        await _look_up(ctx, question, first=True)


async def _look_up(ctx: Ctx, question: str, *, first: bool) -> None:
    match = best_match(question, await ctx.uow.directory.faqs(ctx.community.id))
    if match is None:
        await _hand_over(ctx, question, found=False)
        return
    ctx.data.update(asked=question, faq=match.faq.code)
    if first:
        await flows.goto(ctx, FLOW, S.ANSWERED)
    else:
        await flows.again(ctx, FLOW)


async def ask_answered(ctx: Ctx) -> None:
    """The FAQ's answer, and whether it helped."""
    faq = next((f for f in await ctx.uow.directory.faqs(ctx.community.id) if f.code == ctx.data.get("faq")), None)
    if faq is None:  # the office withdrew that answer meanwhile
        await _hand_over(ctx, ctx.data.get("asked", ""), found=False)
        return
    question, answer = answer_in(faq, ctx.locale)
    ctx.say(ctx.t("inquiry.answer", question=question, answer=answer),
            ((choice(ctx, ctx.t("inquiry.solved"), "solved"), choice(ctx, ctx.t("inquiry.human"), "human")),
             nav_row(ctx)))


async def answer_answered(ctx: Ctx, inbound: Inbound) -> None:
    """Solved ends here; "转人工" hands over; another typed question is looked up."""
    from handlers.menu import main_menu

    typed = (inbound.text or "").strip().lower().rstrip("!！。.")
    if ctx.picked == "solved" or ctx.picked is None and typed in SOLVED_WORDS:
        flows.end(ctx)
        ctx.say(ctx.t("inquiry.glad"), main_menu(ctx))
        return
    if ctx.picked == "human" or ctx.picked is None and typed in HUMAN_WORDS:
        await _hand_over(ctx, ctx.data.get("asked", ""), found=True)
        return
    question = text_of(ctx, inbound, max_len=MAX_QUESTION)
    if question is not None:
        await _look_up(ctx, question, first=False)


async def _hand_over(ctx: Ctx, question: str, *, found: bool) -> None:
    """Customer service takes the question as an inquiry case and answers in person."""
    details = {"faq": ctx.data["faq"]} if found and ctx.data.get("faq") else {}
    case = await open_case(ctx, kind=Kind.INQUIRY, urgency=Urgency.NORMAL, description=question,
                           details=details, team=Team.CUSTOMER_SERVICE)
    flows.end(ctx)
    key = "inquiry.handed_over" if found else "inquiry.not_found"
    ctx.say(ctx.t(key, id=case.id, due=local_time(case.response_due_at, ctx.policy, ctx.locale),
                  hotline=ctx.policy.hotline or "-"))


FLOW = register_flow(Flow("inquiry", S.QUESTION, {
    S.QUESTION: Step(ask_question, answer_question),
    S.ANSWERED: Step(ask_answered, answer_answered),
}, needs_owner=False))
