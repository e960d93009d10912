"""An account told in pieces: "刚下班", "发现厨房", "水槽下面", "一直在渗水 柜子底板都泡了" — or
"那个车库入口的道闸", "杆子抬不起来了", "车都堵在外面了".  Each piece alone is a place, a thing or
half a fault; the bot could not act on it (it asked which kind, or had no answer to it as a
question), so it is kept for a few minutes, and when the owner's words finally make a request
the case is described with the whole account, not only its last piece."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from cases.codes import Kind
from handlers.kit.context import Ctx
from handlers.owner import talk
from handlers.owner.report import FAULT

KEY = "_pieces"
# Pieces older than this are another conversation.
PIECE_MINUTES = 5
MAX_PIECES = 4
MAX_PIECE_LETTERS = 24  # a longer message is an account of its own, not a piece of one
MAX_FREE_LETTERS = 2000  # the last message, which makes the request, may be as long as any
REQUESTS = (Kind.REPORT, Kind.COMPLAINT, Kind.SERVICE)
# Where a message that did not make a request leaves the owner: asked which kind (or asked to
# confirm one), or told the bot has no answer to it as a question.
UNTAKEN = frozenset({("router", "propose"), ("router", "choose"), ("inquiry", "unknown")})


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


# "不对", "不是": an answer (a no), never a piece of an account.
_NOT_AN_ACCOUNT = re.compile(r"不对|不是|错了|说错了|搞错了|没有|不用|不要")


def could_be_one(ctx: Ctx, text: str | None, *, longest: int = MAX_PIECE_LETTERS) -> bool:
    """A short message that may be part of an account: not small talk, an intent word, a yes
    or no, a question, calling off, or a sure question for the FAQ."""
    if not text or _letters(text) > longest or talk.small_talk(text) or talk.bare_intent(text):
        return False
    if talk.yes_no(text) or _letters(_NOT_AN_ACCOUNT.sub("", text)) < 2:
        return False
    if talk.looks_like_question(text) or talk.cancel_lead(text)[0] or talk.question_part(text):
        return False
    result = ctx.classifier.classify(text)
    return not (result.kind == Kind.INQUIRY and not result.low_confidence)


def recent(ctx: Ctx) -> list[str]:
    """The pieces of the last few minutes, oldest first."""
    kept = []
    for item in ctx.data.get(KEY) or []:
        try:
            at, text = datetime.fromisoformat(item[0]), str(item[1])
        except (TypeError, ValueError, IndexError):
            continue
        if ctx.now - at <= timedelta(minutes=PIECE_MINUTES):
            kept.append(text)
    return kept


def after_message(ctx: Ctx, text: str | None, photo: str | None) -> None:
    """After a message was handled: a piece nothing was made of is kept; once a flow that makes
    a case has started (or anything else was done with the words), the pieces are used up."""
    at = (ctx.state.flow, ctx.state.step)
    if at in UNTAKEN and not photo and could_be_one(ctx, text):
        kept = [i for i in ctx.data.get(KEY) or [] if isinstance(i, list) and len(i) == 2 and str(i[1]) in recent(ctx)]
        ctx.data[KEY] = [*kept, [ctx.now.isoformat(), str(text)[:200]]][-MAX_PIECES:]
    elif ctx.state.flow and at not in UNTAKEN and ctx.state.flow != "inquiry" or text and talk.cancel_lead(text)[0]:
        ctx.data.pop(KEY, None)  # a flow that makes a case took them, or "取消/算了" dropped them


def _complete(ctx: Ctx, text: str) -> bool:
    """A request on its own: a sure report, complaint or booking that says what is wrong."""
    result = ctx.classifier.classify(text)
    return not result.low_confidence and result.kind in REQUESTS and bool(FAULT.search(text))


def whole_account(ctx: Ctx, text: str) -> str:
    """`text` with the pieces told just before it; a piece that is a complete request of its own,
    before a message that is one too, is another problem and stops the account there."""
    told = recent(ctx)
    if not told or not could_be_one(ctx, text, longest=MAX_FREE_LETTERS):
        return text
    complete = _complete(ctx, text)
    taken: list[str] = []
    for piece in reversed(told):
        if piece in text or piece in taken:
            continue
        if complete and _complete(ctx, piece):
            break
        taken.insert(0, piece)
    return " ".join([*taken, text]) if taken else text
