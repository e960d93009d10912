"""Answers given ahead of their question (issue #13, a fifth author's owners).

Owners who never saw a step answer the question they expect next: "跳过", "没有照片",
"特别急", "不太急 这两天来就行", "不用 直接提交吧", "明天上午", "我家" — at the router's
"是否继续办理？" or at the photo step.  Such a reply is an answer to a later step of the same
flow: it means "yes, go on", and each part of it is kept for the step it answers
(`data["_ahead"]`, which `handlers.kit.flow.ask` gives to that step instead of asking).

`read` is pure apart from the classifier: it splits the reply into clauses and names, for
each, the step it answers; words that answer no step are the owner's account (kept with the
description, nothing said is lost) unless they are a new request, and then the reply is not
an answer ahead at all (it is read as new input, as before).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cases.codes import Kind
from cases.when import Problem, Span, When, read_when
from handlers.kit import homes
from handlers.kit.answers import is_done, is_skip, plain, read_urgency
from handlers.kit.context import Ctx
from handlers.owner import talk
from handlers.owner.report import HOME_WORDS, PUBLIC_WORDS

_CLAUSES = re.compile(r"[\s,，。.!！;；、~～…]+")
# "直接提交", "提交吧", "就这样报上去": no more questions, file it.
_SUBMIT = re.compile(r"^(直接|就这样|就这么|帮我|先|赶紧|马上)?(提交|交上去|报上去|上报|提交上去|提交给物业|报给物业|报修)"
                     r"(就行|就好|即可|就可以|好了|算了)?$|^直接(报|交|派单|处理)(就行|就好|即可|就可以)?$|^submit( it)?( now)?$")
# Clause words that say "no (photos)" only next to another answer ("不用 直接提交吧"); alone,
# at "是否继续办理？", they are a no.
_BARE_NO = frozenset({"不用", "不需要", "没有", "没", "不要", "no", "none", "nope", "不必"})
_PHOTO_WORDS = ("照片", "图片", "相片", "拍照", "照相", "拍", "图", "photo", "picture", "skip", "跳过", "略过")
# "没法拍照", "不方便拍", "拍不了图", "照片就不发了": no photos, in words is_skip does not list.
_NO_PHOTO = re.compile(r"(没|不|无|别|免|拍不|发不|传不)[^，,。\s]{0,4}(照片|图片|相片|拍照|照相|拍|图)"
                       r"|(照片|图片|相片)[^，,。\s]{0,3}(不|没|免)|跳过|略过|skip|no photo")
# "随时都行", "什么时候都可以": any time — not just any words with "随便" in them.
_ANY_TIME = ("随时", "都行", "都可以", "什么时候", "啥时候", "任何时间", "不限", "时间")
# The later steps each flow can take ahead, in the flow's order.
STEPS = {"report": ("room", "photos", "urgency", "time", "confirm"), "booking": ("room", "slot"),
         "complaint": ()}


@dataclass
class Ahead:
    """What one reply answers ahead: step → {"picked": …} / {"text": …}, and the owner's
    other words (kept with the description)."""

    answers: dict[str, dict[str, str]] = field(default_factory=dict)
    account: list[str] = field(default_factory=list)

    def after(self, step: str, flow: str) -> bool:
        """Whether anything answers a step after `step` ("" : any)."""
        order = STEPS.get(flow, ())
        later = order[order.index(step) + 1:] if step in order else order
        return any(s in self.answers for s in later)


def says_submit(text: str | None) -> bool:
    """"直接提交吧", "交上去吧": file it now (after "不用了 …" this is no calling off)."""
    return bool(_SUBMIT.match(plain(text)))


def _time(ctx: Ctx, clause: str, *, urgency_step: bool) -> bool:
    """A time the owner can be visited ("明天上午", "这两天", "随时"); where an urgency step
    follows, "特别急" / "不太急" answer that, not this."""
    got = read_when(clause, ctx.now, ctx.policy.timezone)
    if got in (Problem.PAST, Problem.TOO_FAR):
        return True  # a time all the same ("这周末" late on Sunday): its step says why not, and asks
    if not isinstance(got, When):
        return False
    if urgency_step and read_urgency(clause) is not None:
        return got.span == Span.WINDOW
    if got.span == Span.ANYTIME:
        return any(w in plain(clause) for w in _ANY_TIME)
    return True


async def read(ctx: Ctx, flow: str, text: str | None, *, at: str = "") -> Ahead | None:
    """The later-step answers in `text` for `flow` ("report", "booking"), read at step `at`
    ("" : before the flow starts); None when it holds none, or holds a new request."""
    if not text or flow not in STEPS or talk.bare_intent(text) or talk.small_talk(text):
        return None
    clauses = [c for c in _CLAUSES.split(text.strip()) if c]
    if not clauses or len(clauses) > 6:
        return None
    found = Ahead()
    order = STEPS[flow]
    bare_no = False
    for clause in clauses:
        p = plain(clause)
        if flow == "report" and _SUBMIT.match(p):
            found.answers.update(photos={"picked": "done"}, confirm={"picked": "submit"})
            continue
        if flow == "report" and p not in _BARE_NO and (_NO_PHOTO.search(p) or (is_skip(clause) or is_done(clause))
                                                       and (any(w in p for w in _PHOTO_WORDS) or at == "photos")):
            found.answers["photos"] = {"picked": "done"}
            continue
        if p in _BARE_NO:
            bare_no = True
            continue
        urgency = "urgency" in order and read_urgency(clause) is not None
        when = ("time" in order or "slot" in order) and _time(ctx, clause, urgency_step="urgency" in order)
        if urgency:
            found.answers["urgency"] = {"text": clause}
        if when:
            found.answers["time" if "time" in order else "slot"] = {"text": clause}
        if urgency or when:
            continue
        place = re.sub(r"^(就在|是在|在|就是|是)|里$", "", p)  # "就在我家", "在家里"
        if "room" in order and at in ("", "propose") and (p in homes_words() or place in homes_words()
                                                          or await _room_typed(ctx, clause)):
            found.answers["room"] = {"text": place if place in homes_words() else clause}
            continue
        found.account.append(clause)
    if not found.answers:
        return None
    if bare_no and not found.answers.keys() - {"room"}:
        return None  # "不用 我家": unclear; "不用" alone is a no
    if bare_no and flow == "report":
        found.answers.setdefault("photos", {"picked": "done"})
    if found.account:
        rest = " ".join(found.account)
        result = ctx.classifier.classify(rest)
        if not result.low_confidence and result.kind in (Kind.REPORT, Kind.COMPLAINT, Kind.SERVICE) \
                and len(rest) >= 6 and result.category:
            return None  # "明天上午 另外门口路灯也坏了": a new request, read as one
    if "confirm" in found.answers:
        # "直接提交": the questions left take their suggested answers.
        found.answers.setdefault("urgency", {"picked": "suggested"})
        found.answers.setdefault("time", {"picked": "asap"})
    return found


def homes_words() -> frozenset[str]:
    return HOME_WORDS | frozenset(PUBLIC_WORDS)


async def _room_typed(ctx: Ctx, clause: str) -> bool:
    code = homes.code_of(clause)
    return code is not None and homes.typed(await ctx.homes(), code) is not None


# "希望物业出面协调一下", "不用回电话 短信告诉我结果就行", "要求给个说法": what the owner wants
# done about a complaint (its "您希望我们怎么处理？"), said before that question.
_WANT = re.compile(r"^(我|我们)?(希望|要求|请求|请你们|请物业|麻烦物业|麻烦你们|让物业|必须|务必|想让)"
                   r"|回电话|回个电话|电话联系|短信|告诉我结果|回复我|给我答复|给个说法|给我个说法|道歉|赔偿|赔礼"
                   r"|出面|协调|调解|处理一下|管一管|管管")


def complaint_want(text: str | None) -> bool:
    """Words that say what the owner wants done, not when, where or who."""
    s = plain(text)
    return bool(s) and bool(_WANT.search(s)) and not talk.looks_like_question(text or "")
