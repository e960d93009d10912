"""The front desk in front of every step: what an owner's message means before the step,
chooser, survey or menu it arrives at takes it.

In this order, because a later reading must never swallow an earlier one:
1. danger — an emergency opens at once wherever the owner is (the flow is kept to
   resume); when the classifier is unsure, one yes/no question;
2. the minutes after an emergency — what comes belongs to that emergency;
3. calling off — "取消/算了/不用了" always work, and "算了 我想问…" goes on to the question;
4. inside a flow — a bare intent word switches flows, "改成投诉吧" / "不是投诉 是…" switches the
   kind keeping what was given (`switch`), a photo is kept for the case the flow files,
   "我想问一下…" is answered, and a
   step that cannot read the message (a button question given words) does not trap the
   owner: small talk is answered, a new request is taken as one, otherwise "I didn't
   understand" with the question again;
5. at idle — a photo starts a report (or, minutes after a case was filed, joins it),
   "补充…" joins an open case, "修好了" confirms
   finished work, small talk is answered briefly, an intent word starts its flow, a
   question is looked up, and only then is the message classified into a new case.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

from cases.codes import CATEGORIES, Kind, Urgency
from cases.lifecycle import Case
from cases.privacy import scrub
from cases.when import When, read_when
from handlers.aftercare import survey
from handlers.kit import flow as flows
from handlers.kit import answers
from handlers.kit.context import Classification, Ctx
from handlers.kit.formatting import code_name
from handlers.kit.inputs import BACK_WORDS, CANCEL_WORDS, is_word
from handlers.kit.messages import Reply
from handlers.kit.payloads import CaseAction
from handlers.kit.photos import MAX_PHOTOS
from handlers.owner import (additions, ahead, booking, chasing, correction, emergency_follow, inquiry, pause, pieces,
                            router, switch, talk)
from handlers.owner.inquiry import EMERGENCY_WORDS
from handlers.owner.my_cases import enter_add
from handlers.owner.report import HOME_WORDS, PUBLIC_WORDS, ROOM_LIKE, start_with_photo

# Words at the photo step that answer it (no photo, skip, done) rather than describe more.
PHOTO_STEP_WORDS = ("照片", "图片", "拍", "跳过", "完成", "好了", "没有", "不用", "没了", "done", "skip", "photo", "picture")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SAID_KEPT = 6
SAID_MINUTES = 30
# A photo without words this soon after a case was filed is that case's photo.
JUST_FILED = timedelta(minutes=15)
# Replies with which a step says "that is not an answer here" (the prefix before any field).
REFUSALS = ("report.use_buttons", "complaint.use_buttons", "booking.use_buttons", "report.photos_hint",
            "my_cases.yes_or_no", "binding.format", "booking.no_such_item", "report.no_such_room",
            "report.urgency_hint", "report.category_hint", "complaint.category_hint",
            "common.when_unknown", "common.when_past", "common.when_too_far", "common.past_unknown",
            "common.past_future", "phone_callback.use_solved")
# Refusals that only say "press a button": replaced; the others say something specific and stay.
GENERIC_REFUSALS = frozenset({"report.use_buttons", "complaint.use_buttons", "booking.use_buttons",
                              "my_cases.yes_or_no"})
# Refusals that say which words would do ("没听明白紧急程度…", "这个时间已经过去了…"): kept, and
# the question asked again under them, so the choices (the time buttons) are on screen again.
HINT_REFUSALS = frozenset({"report.urgency_hint", "report.category_hint", "complaint.category_hint",
                           "booking.no_such_item", "common.when_unknown", "common.when_past", "common.when_too_far",
                           "common.past_unknown", "common.past_future"})
# Intent word → the flow that serves it.
INTENT_FLOWS = {"report": "report", "complaint": "complaint", "service": "booking", "inquiry": "inquiry",
                "mycases": "my_cases"}


async def owner_input(ctx: Ctx) -> None:
    """Everything an owner (or a stranger) sends in private that is not a command or a button."""
    if ctx.inbound.text and _CONTROL.search(ctx.inbound.text):
        # NUL and other control characters mean nothing to a person, and PostgreSQL refuses NUL.
        ctx.inbound = replace(ctx.inbound, text=_CONTROL.sub("", ctx.inbound.text))
    text = (ctx.inbound.text or "").strip() or None
    _remember(ctx, text)
    ctx.data.pop("_wants_person", None)  # only for the message right after "人工" (below)
    if emergency_follow.following(ctx):
        if text and not ctx.inbound.photo:
            off, rest = talk.cancel_lead(text)
            intent = talk.bare_intent(text)
            if off or is_word(ctx.inbound, CANCEL_WORDS) or intent is not None:
                # Leaving the follow-up does not call off the emergency (that is "误报").
                case_id = ctx.data.get("case_id")
                flows.end(ctx)
                if intent:
                    await start_intent(ctx, intent)
                elif rest:
                    ctx.inbound = replace(ctx.inbound, text=rest)
                    await read(ctx, rest, guard=False)
                else:
                    ctx.say(ctx.t("followup.left", id=case_id), _menu(ctx))
                return
            if talk.looks_like_question(text) and await inquiry_answers(ctx, text) \
                    and ctx.classifier.classify(text).urgency != Urgency.EMERGENCY:
                # A plain question the FAQ answers ("停车费多少"): answered, not filed as a detail.
                await _faq(ctx, text)
                return
        await ctx.routes.flows["emergency"].steps[ctx.state.step].answer(ctx, ctx.inbound)
        return
    if ctx.state.flow == "danger":
        await ctx.routes.flows["danger"].steps[ctx.state.step].answer(ctx, ctx.inbound)
        return
    if ctx.state.flow == inquiry.PERSON.name:
        # "人工" was answered with the hotline and "what is it about?": asked for again, a
        # person takes it; anything else is read as any message is (a repair, a question…).
        if text and not ctx.inbound.photo and talk.bare_intent(text) == "human":
            await inquiry.hand_to_person(ctx, said_so_far(ctx), again=True)
            return
        if not (text and (talk.cancel_lead(text) == (True, "") or is_word(ctx.inbound, CANCEL_WORDS))):
            flows.end(ctx)  # ("算了" is read in it, and calls it off)
            # A question the FAQ cannot answer goes to the person asked for (inquiry._look_up).
            ctx.data["_wants_person"] = True
    if not ctx.state.flow and await chasing.chase_from_text(ctx, text):  # "催一下" (issue 20)
        return
    photo = ctx.inbound.photo
    await read(ctx, text)
    pieces.after_message(ctx, text, photo)
    if photo and ctx.state.flow in PHOTO_KEEPING and ctx.data.get("photos"):
        # When the flow's photos came: an emergency told minutes later takes them (raise_alarm).
        ctx.data["photos_at"] = ctx.now.isoformat()


def _remember(ctx: Ctx, text: str | None) -> None:
    """What the owner said lately, for a hand-over to a person ("人工")."""
    said = [s for s in ctx.data.get("_said", []) if isinstance(s, list) and len(s) == 2 and _recent(ctx, s[0])]
    if text and not talk.small_talk(text) and not talk.bare_intent(text) and not talk.cancel_lead(text) == (True, ""):
        # Kept in the conversation row for a hand-over to a person: phone and ID numbers
        # masked, as anywhere staff read free text (the owner's own number is on their record).
        said.append([ctx.now.isoformat(), scrub(text)[:200]])
    ctx.data["_said"] = said[-SAID_KEPT:]


def _recent(ctx: Ctx, at: str) -> bool:
    try:
        return ctx.now - datetime.fromisoformat(at) <= timedelta(minutes=SAID_MINUTES)
    except (TypeError, ValueError):
        return False


def said_so_far(ctx: Ctx) -> list[str]:
    return [s[1] for s in ctx.data.get("_said", []) if isinstance(s, list) and len(s) == 2]


def _menu(ctx: Ctx):  # type: ignore[no-untyped-def]
    return ctx.routes.menu(ctx)


async def read(ctx: Ctx, text: str | None, *, guard: bool = True) -> None:
    """Read one message: danger first, then calling off, then the step or idle."""
    inbound = ctx.inbound
    if guard and text:
        result = ctx.classifier.classify(text)
        if result.urgency == Urgency.EMERGENCY and not _asks_for_a_number(ctx, text):
            await emergency_follow.raise_alarm(ctx, text, result, photo=inbound.photo)
            return
        # A stranger proving who they are types a room, a name and four digits: a name the
        # n-grams half-suspect ("A-1-101 顾晨 2001") is no reason to ask about danger there.
        if getattr(result, "danger_unsure", False) and not talk.small_talk(text) and ctx.state.flow != "binding":
            await emergency_follow.ask_danger(ctx, text)
            return
    active = ctx.routes.flows.get(ctx.state.flow)
    if text and not inbound.photo and not (active is not None and _nothing_is_an_answer(ctx, text)):
        off, rest = talk.cancel_lead(text)
        if off and rest and ctx.state.flow in ("router", "report") and ahead.says_submit(rest):
            off = False  # "不用了 直接提交吧": no (photos) needed, file it — not calling it off
        if off or is_word(inbound, CANCEL_WORDS):
            await _call_off(ctx, rest)
            return
        if is_word(inbound, BACK_WORDS):
            if active is None:
                ctx.say(ctx.t("common.nothing_to_cancel"), _menu(ctx))  # nothing to go back from
            elif not await flows.back(ctx, active):
                ctx.say(ctx.t("common.at_first_step"))
            return
    if active is not None:
        await _in_flow(ctx, text)
        return
    await idle(ctx, text)


# Steps that keep any words as the owner's account (what happened, where, who): small talk
# there is not one.
ACCOUNT_STEPS = frozenset({("report", "what"), ("report", "place"), ("complaint", "what"), ("complaint", "where"),
                           ("complaint", "who")})
# Steps where "不用了/没有" answers the question (no photos, nobody involved), not calls the flow off.
NOTHING_ANSWERS = frozenset({("report", "photos"), ("staff_finish", "photos"), ("complaint", "where"),
                             ("complaint", "who"), ("survey", "comment"), ("phone_callback", "note")})


def _nothing_is_an_answer(ctx: Ctx, text: str) -> bool:
    return (ctx.state.flow, ctx.state.step) in NOTHING_ANSWERS and answers.is_skip(text)


_NUMBER_ASKED = ("电话", "号码", "多少", "几号", "number", "phone")


def _asks_for_a_number(ctx: Ctx, text: str) -> bool:
    """"火警电话是多少": the danger words only name the number asked for.  Without the
    words of the emergency-numbers answer, is anything dangerous left?"""
    if not any(w in text.lower() for w in _NUMBER_ASKED):
        return False
    rest = text
    for word in sorted((*EMERGENCY_WORDS, "电话", "号码", "多少"), key=len, reverse=True):
        rest = rest.replace(word, " ")
    return ctx.classifier.classify(rest).urgency != Urgency.EMERGENCY


async def _call_off(ctx: Ctx, rest: str) -> None:
    """"取消": end what is going on; "算了 我想问…": and go on to the new request.  Courtesy
    with it ("不用了 谢谢你们啊 我儿子说他来弄") gets a warm answer."""
    kindly = talk.courtesy_of(ctx.inbound.text) if not rest else None
    if ctx.state.flow:
        flows.end(ctx)
        if not rest:
            ctx.say(ctx.t("talk.cancelled_kindly" if kindly else "common.cancelled"), _menu(ctx))
            return
    elif not rest:
        if kindly:
            ctx.say(ctx.t(f"talk.{kindly}"))  # "算了 谢谢" with nothing going on: nothing to cancel, just thanks
        else:
            ctx.say(ctx.t("common.nothing_to_cancel"), _menu(ctx))
        return
    ctx.inbound = replace(ctx.inbound, text=rest)
    await read(ctx, rest, guard=False)


async def carry_on(ctx: Ctx, text: str | None) -> None:
    """After "no danger": back to the set-aside flow, and read the message there
    (`text`, without asking about danger again; None: the message in hand, afresh)."""
    await pause.resume_quietly(ctx)
    if text is None:
        await read(ctx, (ctx.inbound.text or "").strip() or None)
        return
    ctx.inbound = replace(ctx.inbound, text=text, payload=None)
    ctx.picked = None
    await read(ctx, text, guard=False)


# ----------------------------------------------------------------- inside a flow
async def _in_flow(ctx: Ctx, text: str | None) -> None:
    flow = ctx.routes.flows[ctx.state.flow]
    inbound = ctx.inbound
    intent = talk.bare_intent(text) if text and not inbound.photo else None
    if intent == "human" and "人" not in (text or "") and "human" not in (text or "").lower():
        intent = None  # "客服" alone may be the answer (who was involved?); "人工" never is
    if intent == "human" and flow.name == "inquiry":
        intent = None  # the question flow hands over itself, with the question and the answer shown
    matter = talk.person_lead(text) if text and not inbound.photo and intent is None else None
    if matter is not None:
        # "转人工 我要投诉保安": a person takes it, with the matter (kept by _remember) and what
        # was given here.
        pause.pause(ctx)
        await start_intent(ctx, "human")
        return
    if intent is not None:
        if INTENT_FLOWS.get(intent) == flow.name:
            await flows.again(ctx, flow)  # "报修" inside the report: the question again
        else:
            pause.pause(ctx)
            await start_intent(ctx, intent)
        return
    if text and not inbound.photo and await switch.switch(ctx, text):
        return  # "改成投诉吧", "不是投诉 是灯一直闪": the flow the owner meant, with what they gave
    if text and not inbound.photo and await correction.correct(ctx, text):
        return  # "不对 是主卧": kept with the account, the same question again
    if text and not inbound.photo and await _photos_for_another_kind(ctx, text):
        return
    if flow.name == "router" and inbound.photo:
        # "窗户关不上了" then a photo of it: the report starts with both.
        said = str(ctx.data.get("text") or "")
        flows.end(ctx)
        await _photo_report(ctx, "；".join(s for s in (said, text or "") if s))
        return
    if flow.name == "router":
        await _router_step(ctx, text)
        return
    if inbound.photo and flow.name in PHOTO_KEEPING and (flow.name, ctx.state.step) != ("report", "photos"):
        await _photo_in_flow(ctx, text)
        return
    if inbound.photo and (flow.name, ctx.state.step) in (("inquiry", "answered"), ("inquiry", "unknown"),
                                                         ("my_cases", "list")):
        flows.end(ctx)  # a photo is not a question: it starts a report (even just after filing one)
        await idle(ctx, text, recent_case_photo=False)
        return
    told = talk.unhedge(text)[1] if text and not inbound.photo else ""
    if flow.name == "inquiry" and ctx.state.step in ("answered", "unknown") and told \
            and not inquiry.not_helped(told) and _new_request(ctx, pieces.whole_account(ctx, told)):
        # "对了 我家门口的声控灯坏了" after an answer: not another question, a request of its own.
        flows.end(ctx)
        await idle(ctx, told)
        return
    question = talk.aside(text) if text else None
    if question is None and text and _asked_where_words_are_kept(ctx, text):
        question = text
    # "等一下 我先问问…" says plainly that a question comes first: asked even when the FAQ has no answer.
    plainly = question is not None and talk.unhedge(text or "")[0] and talk.question_part(text or "") is not None
    if question and flow.name != "inquiry" and await _answer_question(ctx, question, plainly=plainly):
        return
    if text and (flow.name, ctx.state.step) in ACCOUNT_STEPS and talk.small_talk(text) not in (None, "emoji"):
        # "好的", "等一下" where the owner's own words are kept: no account, the question again
        # (emoji alone the step refuses itself, saying so).
        await _not_understood(ctx, text, len(ctx.replies), generic=True)
        return
    if text and (flow.name, ctx.state.step) == ("report", "room") and not ctx.data.get("description") \
            and _says_nothing(ctx, text) and answers.plain(text) not in HOME_WORDS:
        # The room question keeps a typed account as the description: not "好的" or "啊啊啊".
        await _not_understood(ctx, text, len(ctx.replies), generic=True)
        return
    if text and flow.name == "report" and ctx.state.step in ("photos", "urgency") and not inbound.photo \
            and await _answered_ahead(ctx, text):
        return
    if text and flow.name == "complaint" and ctx.state.step in ("when", "where", "who") and not inbound.photo \
            and ahead.complaint_want(text) and not _is_time(ctx, text):
        # "希望物业出面协调一下" at "when did it happen?": the owner's wish, kept for its question.
        wants = ctx.data.setdefault("_ahead", {})
        said = str((wants.get("want") or {}).get("text") or "")
        wants["want"] = {"text": f"{said}；{text}"[:300] if said else text[:300]}
        ctx.say(ctx.t("complaint.want_noted", text=text[:60]))
        await flows.again(ctx, flow)
        return
    if text and (flow.name, ctx.state.step) == ("report", "photos") and not inbound.photo \
            and not talk.small_talk(text) and len(text) >= 4 and await _more_description(ctx, text):
        return
    before = len(ctx.replies)
    await flow.steps[ctx.state.step].answer(ctx, inbound)
    refusal = _refusal(ctx, before) if text else None
    if refusal == "booking.no_such_item" and text and await _item_in_words(ctx, text, before):
        return
    if refusal is not None:
        await _not_understood(ctx, text or "", before, generic=refusal in GENERIC_REFUSALS,
                              hint=refusal in HINT_REFUSALS)


async def _item_in_words(ctx: Ctx, text: str, before: int) -> bool:
    """"我想约个保洁" names 家庭深度保洁: the one catalogue item most of whose words are there."""
    item = booking.named_item(text, await ctx.uow.directory.catalogue(ctx.community.id))
    if item is None:
        return False
    del ctx.replies[before:]
    ctx.inbound = replace(ctx.inbound, text=item.name_zh)
    await ctx.routes.flows["booking"].steps[ctx.state.step].answer(ctx, ctx.inbound)
    return True


def _asked_where_words_are_kept(ctx: Ctx, text: str) -> bool:
    """"where do I pick up my parcels?" at the room question: a plain question, not the
    account the step would keep (the FAQ must also answer it before it is taken as one)."""
    at = (ctx.state.flow, ctx.state.step)
    if at not in ACCOUNT_STEPS and not (at == ("report", "room") and not ctx.data.get("description")):
        return False
    if not talk.looks_like_question(text):
        return False
    # Read as a question even when the classifier is unsure ("捡到一个手机交给谁"): the FAQ must
    # still answer it before it is taken as one, and anything the classifier reads as a request
    # stays the account.
    return ctx.classifier.classify(text).kind == Kind.INQUIRY


def _request(ctx: Ctx, text: str) -> Classification | None:
    """How the classifier reads words it is sure are a report, complaint or booking."""
    result = ctx.classifier.classify(text)
    return result if not result.low_confidence and result.kind in (Kind.REPORT, Kind.COMPLAINT, Kind.SERVICE) else None


def _new_request(ctx: Ctx, text: str) -> bool:
    """A report, complaint or booking told plainly, not asked as a question."""
    return len(text) >= 6 and not talk.looks_like_question(text) and _request(ctx, text) is not None


def _says_nothing(ctx: Ctx, text: str) -> bool:
    if talk.small_talk(text) or talk.yes_no(text):
        return True
    result = ctx.classifier.classify(text)
    return result.low_confidence and sum(ch.isalnum() for ch in text) < 5


async def _more_description(ctx: Ctx, text: str) -> bool:
    """Words at the photo step add to the description (nothing the owner says is lost)."""
    # Only words that describe: "没有照片", "跳过", "不用拍了" are the step's own answers.
    if talk.cancel_lead(text)[0] or talk.yes_no(text) or any(w in text for w in PHOTO_STEP_WORDS):
        return False
    if ctx.classifier.classify(text).low_confidence:
        return False  # not recognisably about the problem: the step's own hint answers it
    description = str(ctx.data.get("description") or "")
    if text in description:
        return False
    ctx.data["description"] = f"{description}；{text}"[:500] if description else text[:500]
    ctx.data.pop("category", None)
    ctx.say(ctx.t("talk.description_added"))
    await flows.again(ctx, ctx.routes.flows["report"])
    return True


def _refusal(ctx: Ctx, before: int) -> str | None:
    """The catalogue key of a step's "that is no answer here", if that is what it said."""
    for key in REFUSALS:
        prefix = ctx.t(key).split("{", 1)[0]
        if len(prefix) >= 4 and any(r.text.startswith(prefix) for r in ctx.replies[before:]):
            return key
    return None


async def _not_understood(ctx: Ctx, text: str, before: int, *, generic: bool, hint: bool = False) -> None:
    """A step that could not read the words: never just "press the buttons"."""
    flow = ctx.routes.flows[ctx.state.flow]
    kind = talk.small_talk(text)
    if kind:
        del ctx.replies[before:]
        ctx.say(ctx.t(f"talk.{kind}_short"))
        await flows.again(ctx, flow)
        return
    if talk.looks_like_question(text) and await inquiry_answers(ctx, text):
        del ctx.replies[before:]
        pause.pause(ctx)
        await _faq(ctx, text)
        return
    if len(text) >= 6 and _request(ctx, text) is not None:
        # A new request: take it as one, keeping this flow to come back to.
        del ctx.replies[before:]
        pause.pause(ctx)
        flows.end(ctx)
        await idle(ctx, text)
        return
    if generic:
        # "Press the buttons" alone traps people on channels without buttons: say what we
        # did not understand, how to get out, and ask the same question again.
        del ctx.replies[before:]
        ctx.say(ctx.t("talk.not_understood"))
        await flows.again(ctx, flow)
    elif hint:
        await flows.again(ctx, flow)


async def inquiry_answers(ctx: Ctx, question: str) -> bool:
    return await inquiry.find_answer(ctx, question) is not None


async def _faq(ctx: Ctx, question: str) -> None:
    await inquiry.answer_faq(ctx, question)


async def _answer_question(ctx: Ctx, question: str, *, plainly: bool = False) -> bool:
    """A question the FAQ answers, asked in the middle of something else (any question, when
    asked plainly)."""
    if not plainly and await inquiry.find_answer(ctx, question) is None:
        return False
    pause.pause(ctx)
    await inquiry.answer_faq(ctx, question)
    return True


async def _router_step(ctx: Ctx, text: str | None) -> None:
    """"是/不是" answers the router's proposal; anything else is a new message."""
    answer = talk.yes_no(text) or ("yes" if talk.small_talk(text) == "ack" or talk.bare_intent(text) == "report"
                                    and ctx.data.get("kind") == Kind.REPORT else None)
    if ctx.state.step == "propose" and answer is not None:
        ctx.picked = answer  # "好的" and "对" say yes to the proposal as the button would
        await ctx.routes.flows["router"].steps["propose"].answer(ctx, ctx.inbound)
        return
    if ctx.state.step == "propose" and text and await _yes_ahead(ctx, text):
        return
    flows.end(ctx)
    before = len(ctx.replies)
    await idle(ctx, text)
    if ctx.state.flow == "router" and ctx.state.step == "choose":
        # Still no idea: say so, above the same choice.
        ctx.replies.insert(before, Reply(ctx.inbound.channel, ctx.identity.chat_id, ctx.t("talk.not_understood_choose")))


async def _yes_ahead(ctx: Ctx, text: str) -> bool:
    """At "看起来您要报事报修…是否继续办理？": "跳过", "特别急", "明天上午", "我家", "不用 直接提交吧"
    answer a later step of that flow, so they mean yes, and each is kept for its step; "行 就按
    这个价来" opens with a yes.  A new problem stays new input."""
    kind = ctx.data.get("kind")
    flow = router.FLOW_OF.get(kind or "")
    if flow is None or flow not in ctx.routes.flows:
        return False
    clauses = [c for c in re.split(r"[\s,，。.!！;；、~～…]+", text.strip()) if c]
    led_by_yes = len(clauses) > 1 and (talk.yes_no(clauses[0]) == "yes" or talk.small_talk(clauses[0]) == "ack"
                                       or answers.is_go_ahead(clauses[0]))
    rest = " ".join(clauses[1:]) if led_by_yes else text
    found = await ahead.read(ctx, flow, rest)
    if found is None and not led_by_yes:
        return False
    if led_by_yes and found is None and _request(ctx, rest) is not None and len(rest) >= 6:
        return False  # "好 另外门口路灯也坏了": a new request after all
    await router.go_ahead(ctx, found.answers if found else {}, [] if led_by_yes or found is None else found.account)
    return True


def _is_time(ctx: Ctx, text: str) -> bool:
    return isinstance(read_when(text, ctx.now, ctx.policy.timezone, past=True), When)


async def _answered_ahead(ctx: Ctx, text: str) -> bool:
    """At the report's photo or urgency step, words that also answer the steps after it
    ("不太急 这两天来就行", "不用 直接提交吧", "挺急的 明天上午"): this step takes its part ("no
    photos", the urgency) and each later step its own; the rest is the owner's account."""
    at = ctx.state.step
    found = await ahead.read(ctx, "report", text, at=at)
    if found is None or not found.after(at, "report"):
        return False
    own = found.answers.pop(at, None) or ({"picked": "done"} if at == "photos" else None)
    if own is None:
        return False
    router.keep_account(ctx, found.account)
    ctx.data["_ahead"] = {**found.answers, at: own}
    await flows.ask(ctx, ctx.routes.flows["report"])
    return True


async def _photo_report(ctx: Ctx, description: str) -> None:
    await start_with_photo(ctx, description or None)


# Steps whose question a photo's caption can answer: the owner's own account of what, where
# or who (any other step is a button question, and a caption there only says what the photo shows).
CAPTION_ANSWERS = frozenset({("report", "what"), ("report", "place"), ("complaint", "what"), ("complaint", "where"),
                             ("complaint", "who")})
# The flows a photo is kept in at any step, for the case each files (the report's own photo
# step takes its photos itself).
PHOTO_KEEPING = {"report": Kind.REPORT, "complaint": Kind.COMPLAINT, "booking": Kind.SERVICE}


async def _photo_in_flow(ctx: Ctx, caption: str | None) -> None:
    """A photo at any step of a report, complaint or booking is kept for the case it files,
    never refused; its caption answers the step only where the step keeps the owner's words
    (or names their room), and otherwise is kept with the description when it tells more."""
    flow = ctx.routes.flows[ctx.state.flow]
    photos = ctx.data.setdefault("photos", [])
    if len(photos) < MAX_PHOTOS:
        photos.append(ctx.inbound.photo)
    if caption and _caption_answers(ctx, caption):
        ctx.inbound = replace(ctx.inbound, photo=None)
        await flow.steps[ctx.state.step].answer(ctx, ctx.inbound)
        return
    if caption and flow.name in ("report", "complaint") and ctx.data.get("description") \
            and caption not in str(ctx.data["description"]) and not ctx.classifier.classify(caption).low_confidence:
        ctx.data["description"] = f"{ctx.data['description']}；{caption}"[:500]
    if flow.name == "report":
        ctx.say(ctx.t("talk.photo_kept", n=len(photos)))
    else:
        ctx.say(ctx.t("talk.photo_kept_for", n=len(photos), kind=code_name(ctx.locale, "kind", PHOTO_KEEPING[flow.name])))
    await flows.again(ctx, flow)


async def _photos_for_another_kind(ctx: Ctx, text: str) -> bool:
    """Photos sent first start a report; when the first words after them tell a complaint ("对门
    把鞋柜和纸箱堆了半条通道…") or a booking, that flow takes the words and every photo."""
    if ctx.state.flow != "report" or ctx.state.step not in ("room", "what") or not ctx.data.get("photo_first") \
            or ctx.data.get("description") or len(text) < 6:
        return False
    result = _request(ctx, text)
    if result is None or result.kind not in (Kind.COMPLAINT, Kind.SERVICE) or talk.looks_like_question(text):
        return False
    kept = {"photos": list(ctx.data.get("photos") or []), "room_id": ctx.data.get("room_id")}
    flows.end(ctx)
    ctx.data.update(text=text, kind=result.kind, urgency=result.urgency, **kept,
                    category=result.category if result.category in CATEGORIES[Kind(result.kind)] else "")
    ctx.say(ctx.t("talk.photos_go_with", kind=code_name(ctx.locale, "kind", result.kind)))
    await router.start(ctx, result.kind)
    return True


def _caption_answers(ctx: Ctx, caption: str) -> bool:
    """Does a photo's caption answer the step it arrives at ("另一个角度" is no room number)?"""
    at = (ctx.state.flow, ctx.state.step)
    if at in CAPTION_ANSWERS:
        return True
    if at == ("report", "room"):
        # The room question keeps a first account as the description; after that only a room
        # (or "我家", "公共区域") answers it.
        return not ctx.data.get("description") or bool(ROOM_LIKE.match(caption)) \
            or answers.plain(caption) in HOME_WORDS or caption in PUBLIC_WORDS
    return False


# ----------------------------------------------------------------- intents
async def start_intent(ctx: Ctx, intent: str) -> None:
    """Start the flow (or view) a bare intent word names."""
    if intent == "menu":
        flows.end(ctx)
        await ctx.routes.commands["/help"](ctx, "")
        return
    if intent == "human":
        # What the owner said lately and what the flow in hand holds: with none of it, the
        # owner is asked what it is about first (issue #13 item 3: the hand-over carries it).
        told = said_so_far(ctx)
        collected = flows.collected(ctx)
        if collected.get("description"):
            told = [*told, str(collected["description"])]
        await inquiry.hand_to_person(ctx, told)
        return
    await ctx.routes.start_entry(ctx, INTENT_FLOWS[intent])


# ----------------------------------------------------------------- at idle
async def idle(ctx: Ctx, text: str | None, *, recent_case_photo: bool = True) -> None:
    """Nothing in progress: read the message for what it is (`recent_case_photo`: a photo
    without words minutes after a case was filed is that case's)."""
    inbound = ctx.inbound
    if inbound.photo:
        # "补充一张照片", "补一张现场照片" under a photo: it is for the case already open, not a new
        # report; so is a photo with no words minutes after a case was filed.
        adding, more = talk.addition(text)
        if not adding:
            adding, more = talk.photo_addition(text)
        if not adding and text and recent_case_photo and await _just_filed(ctx):
            # "就是这个锁" under a photo minutes after "门锁坏了" was filed: that case's photo,
            # with its caption; a caption telling another problem starts its own report.
            case = await additions.latest_open(ctx)
            adding, more = case is not None and not _another_problem(ctx, case, text), text
        if adding or not text and recent_case_photo and await _just_filed(ctx):
            if await _add_to_open_case(ctx, more, photo=inbound.photo):
                return
        await start_with_photo(ctx, text)
        return
    if text is None:
        await router.free_input(ctx)
        return
    if await survey.typed_answer(ctx, text):
        return  # a survey question waiting: "两星吧", "解决了" answer it before any other reading
    if (stars := talk.rating(text)) is not None:
        # "挺满意的 给四星吧" with no survey open: thanked (a low score told where to say more), no case.
        ctx.say(ctx.t("talk.rating_thanks" if stars >= 3 else "talk.rating_low"), _menu(ctx) if stars < 3 else ())
        return
    if talk.wants_to_resume(text) and (await pause.resume(ctx) or await survey.resume(ctx)):
        return
    adding, more = talk.addition(text)
    if adding and await _add_to_open_case(ctx, more, loose=talk.loose_addition(text)):
        return
    if adding and talk.loose_addition(text) and more:
        # "另外客厅插座没电了" is a new problem: read (and kept) without the lead.
        text, ctx.inbound = more, replace(inbound, text=more)
    if talk.says_done(text):
        case = await additions.waiting_confirmation(ctx)
        if case is not None:
            ctx.say(ctx.t("talk.confirm_done", id=case.id, what=case.description[:40]),
                    ((ctx.button(ctx.t("my_cases.btn_confirm"), CaseAction("confirm", case.id or 0)),
                      ctx.button(ctx.t("my_cases.btn_reject"), CaseAction("reject", case.id or 0))),))
            return
    if talk.false_alarm(text) and await emergency_follow.false_alarm_typed(ctx):
        return
    kind = talk.small_talk(text)
    if kind is None and talk.says_done(text):
        kind = "thanks"  # "修好了谢谢" with nothing waiting for a confirmation
    if kind is not None:
        ctx.say(ctx.t(f"talk.{kind}"), _menu(ctx) if kind in ("greeting", "presence") else ())
        return
    intent = talk.bare_intent(text) or ("mycases" if talk.asks_progress(text) else None)
    if intent is not None:
        await start_intent(ctx, intent)
        return
    matter = talk.person_lead(text)
    if matter is not None:
        await start_intent(ctx, "human")  # "转人工 我要投诉保安": kept in what was said (_remember)
        return
    question = talk.question_part(text)
    if await inquiry.find_answer(ctx, question or text) is not None:
        result = ctx.classifier.classify(text)
        if question or talk.looks_like_question(text) or result.kind == Kind.INQUIRY or result.low_confidence:
            await inquiry.answer_faq(ctx, text)  # the owner's own words are what staff see, if it comes to that
            return
    if question:
        await inquiry.answer_faq(ctx, text)
        return
    await router.free_input(ctx)


async def _add_to_open_case(ctx: Ctx, more: str, *, photo: str | None = None, loose: bool = False) -> bool:
    """"补充一下：…" — the words (and the photo they came with) join the owner's newest open case
    ("另外…" only when it is about that case's problem, not another one)."""
    case = await additions.latest_open(ctx)
    if case is None or loose and _another_problem(ctx, case, more):
        return False
    if not more and not photo:
        await enter_add(ctx, case)
        return True
    await additions.add_to_case(ctx, case, text=more[:1000], photo=photo)
    ctx.say(ctx.t("talk.added", id=case.id))
    return True


async def _just_filed(ctx: Ctx) -> bool:
    """The owner's newest open case was filed minutes ago."""
    case = await additions.latest_open(ctx)
    return case is not None and case.created_at is not None and ctx.now - case.created_at <= JUST_FILED


def _another_problem(ctx: Ctx, case: Case, more: str) -> bool:
    """A request of its own that is not the open case's kind and category ("吊顶掉了" open,
    "另外客厅有个插座没电了" sent): a new case, not an addition to that one."""
    result = _request(ctx, more)
    return result is not None and (result.kind, result.category) != (case.kind, case.category)
