"""Questions (咨询): answered at once from the community's FAQ when it knows; otherwise,
or when the answer did not help, handed to customer service as an inquiry case.
Anyone may ask — an unbound person's case keeps their chat so the answer reaches them."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from cases.codes import Kind, Team, Urgency
from cases.privacy import scrub
from cases.records import Faq
from handlers.kit import flow as flows
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import local_time
from handlers.kit.i18n import LOCALES, t
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Inbound
from handlers.owner import communities, pause, talk
from handlers.owner.faq import Match, answer_in, best_match
from handlers.staff.casework import open_case

MAX_QUESTION = 500
# Typed answers to "did that help?" — so "谢谢" is not taken for a new question.
SOLVED_WORDS = {"解决了", "好的", "好", "谢谢", "明白了", "知道了", "ok", "thanks", "thank you", "solved"}
# Courtesy after an answer ("谢谢 你们服务真好", "好的 祝工作顺利") says it helped.
THANKED = ("thanks", "ack", "praise", "wishes", "sorry", "bye", "self_help")
HUMAN_WORDS = {"转人工", "人工", "没解决", "human", "agent"}
NOT_HELPED = ("没解决", "没有解决", "没用", "没有用", "不对", "不是这个", "答非所问", "没帮助", "没看懂", "还是不明白",
              "不明白", "not helpful", "didn't help", "did not help", "wrong answer")
# Answers the desk always knows from the community file itself (no FAQ entry needed).
HOTLINE_WORDS = ("电话", "热线", "联系方式", "号码", "客服电话", "物业电话", "服务电话", "报修电话", "值班电话", "手机号",
                 "管家电话", "联系物业", "联系你们", "打电话", "hotline", "phone number", "phone", "contact number",
                 "call you", "telephone")
EMERGENCY_WORDS = ("报警电话", "火警", "急救", "紧急电话", "紧急联系", "救护车", "急救电话", "消防电话", "消防", "报警",
                   "119", "110", "120",
                   "emergency number", "police number", "ambulance", "fire brigade")


class S(StrEnum):
    QUESTION = "question"
    ANSWERED = "answered"
    UNKNOWN = "unknown"
    COMMUNITY = "community"


def builtin_faqs(ctx: Ctx) -> list[Faq]:
    """The hotline and the emergency numbers, answered from the community file."""
    numbers = ctx.policy.emergency_numbers
    fields = dict(hotline=ctx.policy.hotline or "-", fire=numbers.get("fire", "119"),
                  medical=numbers.get("medical", "120"), police=numbers.get("police", "110"))
    zh, en = LOCALES
    return [
        Faq("_hotline", HOTLINE_WORDS, t(zh, "inquiry.hotline_q"), t(zh, "inquiry.hotline_a", **fields),
            t(en, "inquiry.hotline_q"), t(en, "inquiry.hotline_a", **fields)),
        Faq("_emergency", EMERGENCY_WORDS, t(zh, "inquiry.emergency_q"), t(zh, "inquiry.emergency_a", **fields),
            t(en, "inquiry.emergency_q"), t(en, "inquiry.emergency_a", **fields)),
    ]


async def all_faqs(ctx: Ctx) -> list[Faq]:
    return await ctx.uow.directory.faqs(ctx.community.id) + builtin_faqs(ctx)


def _tokens(ctx: Ctx):  # type: ignore[no-untyped-def]
    """jieba's tokens when the desk's classifier has a segmenter (the real one does)."""
    segmenter = getattr(ctx.classifier, "segmenter", None)
    if segmenter is None:
        return None
    return lambda text: [tok.text if hasattr(tok, "text") else tok[0] for tok in segmenter.tokens(text)]


def _hotline(ctx: Ctx) -> Match:
    """"半夜有东西坏了找谁修" asks by meaning, with no number word, whom to call
    (`talk.asks_who_to_call`): the hotline answers it, whatever else the question names."""
    return Match(next(f for f in builtin_faqs(ctx) if f.code == "_hotline"), 0.0)


def _problem_told(ctx: Ctx, question: str) -> bool:
    """"卫生间水管漏水了 晚上有人修吗", asking whom to call about a problem told as happening
    now, is a report (the desk takes it at any hour), not a question for the FAQ ("晚上" must
    not answer it with the gate's night hours)."""
    if talk.in_general(question):
        return False
    told = ctx.classifier.classify(question)
    return told.kind == Kind.REPORT and bool(told.category) and not told.low_confidence


async def find_answer(ctx: Ctx, question: str) -> Match | None:
    """The FAQ answering `question`, or None."""
    if talk.asks_who_to_call(question):
        return None if _problem_told(ctx, question) else _hotline(ctx)
    return best_match(question, await all_faqs(ctx), _tokens(ctx))


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
    if not await _community_settled(ctx, question):
        return
    match = await find_answer(ctx, question)
    if match is None:
        # "物业费", then "一年要交多少啊": the second has no topic of its own, the first gives it.
        joined = await _with_previous(ctx, question)
        if joined is not None:
            question, match = joined
    if match is None and ctx.data.get("_wants_person"):
        # "人工", then a question with no answer on file: the person asked for takes it.
        ctx.data["faq"] = ""
        await _hand_over(ctx, ctx.t("inquiry.person_case", said=question)[:MAX_QUESTION * 2], found=False)
        return
    if match is None:
        # No case yet: the owner decides whether a person should take it.
        ctx.data.update(asked=question, faq="")
        await _show(ctx, S.UNKNOWN)
        return
    ctx.data.update(asked=question, faq=match.faq.code)
    await _show(ctx, S.ANSWERED)


# A question split over two messages: the second this soon after the first, and this short.
SPLIT_WITHIN = timedelta(minutes=2)
SPLIT_SHORT = 12  # characters of words the second has at most (more would have a topic of its own)
BARE_TOPIC = 8  # characters of words a bare topic ("物业费", "停车") has at most


async def _with_previous(ctx: Ctx, question: str) -> tuple[str, Match] | None:
    """The owner's previous message and this one read together, when this one (short, a
    question, no answer of its own) came within minutes of a bare topic or of a question
    left unanswered, and the two together have an answer."""
    if sum(ch.isalnum() for ch in question) > SPLIT_SHORT or not talk.looks_like_question(question):
        return None
    said = [s for s in ctx.data.get("_said") or [] if isinstance(s, list) and len(s) == 2]
    current = scrub(question)[:200]
    earlier = [s for s in said if s[1] != current]
    if not earlier:
        return None
    at, previous = earlier[-1]
    try:
        if ctx.now - datetime.fromisoformat(at) > SPLIT_WITHIN:
            return None
    except (TypeError, ValueError):
        return None
    asked = talk.looks_like_question(previous)
    bare = not asked and sum(ch.isalnum() for ch in previous) <= BARE_TOPIC
    if not bare and not (asked and await find_answer(ctx, previous) is None):
        return None
    joined = f"{previous} {question}"
    match = await find_answer(ctx, joined)
    return (joined, match) if match is not None else None


async def _community_settled(ctx: Ctx, question: str) -> bool:
    """A stranger with no hint, several communities: fees, hours and rules differ from one
    community to the next, so an answer from the wrong one would mislead.  A community named
    in the question is taken; the hotline and emergency numbers are answered for every
    community at once (nobody should wait to learn a number); anything else asks which first."""
    unknown = await communities.undecided(ctx)
    if not unknown:
        return True
    named = next((c for c in unknown if c.name in question or c.code == question.strip().lower()), None)
    if named is not None:
        await ctx.enter(named)
        return True
    if talk.asks_who_to_call(question) or best_match(question, builtin_faqs(ctx), _tokens(ctx)):
        lines = "\n".join(ctx.t("inquiry.hotline_of", community=c.name, hotline=c.policy.hotline or "-") for c in unknown)
        emergency = ctx.policy.emergency_numbers
        flows.end(ctx)
        ctx.say(ctx.t("inquiry.hotlines", lines=lines, fire=emergency.get("fire", "119"),
                      medical=emergency.get("medical", "120"), police=emergency.get("police", "110")),
                ctx.routes.menu(ctx))
        return False
    ctx.data["asked"] = question
    await _show(ctx, S.COMMUNITY)
    return False


async def ask_community(ctx: Ctx) -> None:
    """Which community the question is about: a button each, or the name typed."""
    rows = [(choice(ctx, c.name, c.code),) for c in await communities.undecided(ctx)]
    ctx.say(ctx.t("inquiry.which_community"), (*rows, nav_row(ctx, back=False)))


async def answer_community(ctx: Ctx, inbound: Inbound) -> None:
    listed = await communities.undecided(ctx) or await ctx.uow.directory.communities()
    if ctx.picked is not None:
        chosen = next((c for c in listed if c.code == ctx.picked), None)
    else:
        chosen = communities.find(listed, (inbound.text or "")[:200])
    if chosen is None:
        ctx.say(ctx.t("common.expired" if ctx.picked is not None else "inquiry.which_community_hint"))
        return
    await ctx.enter(chosen)
    await _look_up(ctx, str(ctx.data.get("asked") or ""), first=True)


async def _show(ctx: Ctx, step: str) -> None:
    if ctx.state.step == step:
        await flows.again(ctx, FLOW)
    else:
        await flows.goto(ctx, FLOW, step)


async def answer_faq(ctx: Ctx, question: str) -> None:
    """Start a question at once (from the router or in the middle of another flow)."""
    await flows.begin(ctx, FLOW, question=question)


async def ask_answered(ctx: Ctx) -> None:
    """The FAQ's answer, and whether it helped."""
    faq = next((f for f in await all_faqs(ctx) if f.code == ctx.data.get("faq")), None)
    if faq is None:  # the office withdrew that answer meanwhile
        await flows.goto(ctx, FLOW, S.UNKNOWN)
        return
    question, answer = answer_in(faq, ctx.locale)
    ctx.say(ctx.t("inquiry.answer", question=question, answer=answer),
            ((choice(ctx, ctx.t("inquiry.solved"), "solved"), choice(ctx, ctx.t("inquiry.human"), "human")),
             *_back_to_paused(ctx), nav_row(ctx)))


def _back_to_paused(ctx: Ctx) -> tuple:  # type: ignore[type-arg]
    """A question asked in the middle of a report (or a booking…): the way back to it."""
    back = pause.resume_button(ctx)
    return ((back,),) if back is not None else ()


async def _resumed(ctx: Ctx, typed: str) -> bool:
    """"继续" after a question asked in passing: back to what it interrupted."""
    if ctx.picked is not None or not talk.wants_to_resume(typed) or pause.paused(ctx) is None:
        return False
    flows.end(ctx)
    return await pause.resume(ctx)


async def answer_answered(ctx: Ctx, inbound: Inbound) -> None:
    """Solved ends here; "转人工" hands over; another typed question is looked up."""
    typed = (inbound.text or "").strip().lower().rstrip("!！。.")
    if await _resumed(ctx, typed):
        return
    if ctx.picked == "solved" or ctx.picked is None and (typed in SOLVED_WORDS or talk.small_talk(typed) in THANKED):
        flows.end(ctx)
        ctx.say(ctx.t("inquiry.glad"), ctx.routes.menu(ctx))
        return
    if ctx.picked == "human" or ctx.picked is None and (typed in HUMAN_WORDS or not_helped(typed)):
        await _hand_over(ctx, ctx.data.get("asked", ""), found=True)
        return
    question = text_of(ctx, inbound, max_len=MAX_QUESTION)
    if question is not None:
        await _look_up(ctx, question, first=False)


def not_helped(typed: str) -> bool:
    return talk.bare_intent(typed) == "human" or any(w in typed for w in NOT_HELPED)


async def ask_unknown(ctx: Ctx) -> None:
    """No answer on file: say so, and let the owner hand it to a person (no case until then)."""
    ctx.say(ctx.t("inquiry.no_answer", hotline=ctx.policy.hotline or "-"),
            ((choice(ctx, ctx.t("inquiry.to_person"), "human"), choice(ctx, ctx.t("inquiry.never_mind"), "no")),
             *_back_to_paused(ctx)))


async def answer_unknown(ctx: Ctx, inbound: Inbound) -> None:
    """A person takes it, the owner lets it go, or asks something else."""
    typed = (inbound.text or "").strip().lower().rstrip("!！。.")
    if await _resumed(ctx, typed):
        return
    if ctx.picked == "human" or ctx.picked is None and (typed in HUMAN_WORDS or talk.yes_no(typed) == "yes"
                                                        or talk.bare_intent(typed) == "human"):
        await _hand_over(ctx, ctx.data.get("asked", ""), found=False)
        return
    if ctx.picked == "no" or ctx.picked is None and (talk.yes_no(typed) == "no" or talk.small_talk(typed)):
        flows.end(ctx)
        ctx.say(ctx.t("inquiry.let_go"), ctx.routes.menu(ctx))
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
    key = "inquiry.handed_over"
    ctx.say(ctx.t(key, id=case.id, due=local_time(case.response_due_at, ctx.policy, ctx.locale),
                  hotline=ctx.policy.hotline or "-"))


FLOW = Flow("inquiry", S.QUESTION, {
    S.QUESTION: Step(ask_question, answer_question),
    S.ANSWERED: Step(ask_answered, answer_answered),
    S.UNKNOWN: Step(ask_unknown, answer_unknown),
    S.COMMUNITY: Step(ask_community, answer_community),
}, needs_owner=False, keeps_pieces=True)


async def hand_to_person(ctx: Ctx, said: list[str], *, again: bool = False) -> None:
    """"人工 / 转人工 / 客服": customer service takes over with what the owner said so far.
    With nothing said yet about what it is (and not asked `again`), no case: the hotline and
    the office hours, a request to say what it is about, and one button to be called back."""
    if ctx.state.flow == FLOW.name and ctx.data.get("asked"):
        said = [*said, ctx.data["asked"]]
    said = list(dict.fromkeys(s for s in said if s))[-5:]
    if not said and not again:
        await flows.begin(ctx, PERSON)
        return
    text = ctx.t("inquiry.person_case", said="；".join(said)) if said else ctx.t("inquiry.person_case_blank")
    ctx.data["faq"] = ""
    await _hand_over(ctx, text[:MAX_QUESTION * 2], found=False)


# ----------------------------------------------------------------- "人工" with nothing said yet
class P(StrEnum):
    WHAT = "what"


async def ask_person(ctx: Ctx) -> None:
    """The hotline and office hours (from the community file), what is it about, and a button
    for a call back.  The owner's next words are read as any message is (`front`)."""
    hours = ctx.policy.office_hours
    ctx.say(ctx.t("inquiry.person_ask", hotline=ctx.policy.hotline or "-",
                  hours=ctx.t("inquiry.person_hours", open=hours[0], close=hours[1]) if hours else ""),
            ((choice(ctx, ctx.t("inquiry.person_call_me"), "call_me"),),))


async def answer_person(ctx: Ctx, inbound: Inbound) -> None:
    """The button: customer service takes it as an inquiry saying the owner asked for a person."""
    if ctx.picked == "call_me":
        await hand_to_person(ctx, [], again=True)
        return
    flows.end(ctx)  # typed words are read by the front desk before they get here
    ctx.say(ctx.t("common.expired"))


PERSON = Flow("person", P.WHAT, {P.WHAT: Step(ask_person, answer_person)}, needs_owner=False)
