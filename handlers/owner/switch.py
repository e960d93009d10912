"""The owner changes their mind about the kind mid-flow: "改成投诉吧" in a report, "哦不对 不是
投诉 是我卧室顶上的灯一直闪" in a complaint, "其实是想咨询一下" in a booking.  The flow they meant
starts, keeping what they already gave that it can use (the account, the home, the photos),
and words told with the switch are its account — never the correction words themselves."""

from __future__ import annotations

import re

from cases.codes import Kind
from handlers.kit import flow as flows
from handlers.kit.context import Ctx
from handlers.owner import router, talk

# The kind each owner flow serves (the router's, while it proposes one).
KIND_OF_FLOW = {flow: kind for kind, flow in router.FLOW_OF.items()}
# Words naming a kind, longest first ("报事报修" before "报修").
_KIND_WORDS = sorted([*((w, k) for k in (Kind.REPORT, Kind.COMPLAINT, Kind.SERVICE, Kind.INQUIRY)
                        for w in talk.INTENTS[k] if not w.isascii() and w not in ("上门", "问问", "请问", "有问题")),
                      *((w, Kind.INQUIRY) for w in ("请教", "打听"))], key=lambda wk: -len(wk[0]))
_KW = "|".join(re.escape(w) for w, _ in _KIND_WORDS)
_LEAD = r"^[\s，,。.!！~～]*(?:(?:哦|噢|喔|啊|呃|额|嗯|唉|哎|哎呀|不好意思|抱歉|sorry)[\s，,。.!！~～]*)*" \
        r"(?:(?:不对|错了|搞错了|说错了|按错了|点错了|弄错了|选错了)[\s，,。.!！~～]*)?(?:我)?"
_TAIL = r"(?:的|吧|了|啦|啊|呀|一下|哈)*[\s，,。.!！~～]*"
# "改成投诉吧", "换成报修", "其实是想咨询一下", "还是预约服务吧"
_CHANGE = re.compile(_LEAD + r"(?:还是)?(?:改成|换成|改为|换为|转成|转为|改|换|其实是|应该是|是要|是想|还是)(?:要|想)?"
                     rf"(?P<kw>{_KW}){_TAIL}(?P<rest>.*)$", re.S)
# "不是投诉 是我卧室顶上的灯一直闪", "不是报修，我要投诉"
_NOT = re.compile(_LEAD + rf"(?:这|这个)?(?:不是|并不是|不是要|不是想)(?P<neg>{_KW}){_TAIL}"
                  r"(?:(?:而是|是|我是想|我是要|我想|我要|是想|是要)[\s，,。]*)?(?P<rest>.*)$", re.S)
# "我方才误触了投诉按钮，实际上只是想请教一下…": the button was a slip, what follows is the request.
_SLIP = re.compile(rf"^.{{0,12}}?(?:误触|误点|误按|点错|按错|选错|点成)了?(?:(?P<neg>{_KW})(?:的)?)?(?:按钮|选项|按键)?"
                   r"[\s，,。.!！]*(?:实际上|其实|本来|我)?(?:只是|就是|是)?(?:想|要)?[\s，,。]*(?P<rest>.*)$", re.S)
_WANT = re.compile(rf"^(?:要|想|想要)?(?P<kw>{_KW}){_TAIL}(?P<rest>.*)$", re.S)


def _kind(word: str) -> str:
    return next(k for w, k in _KIND_WORDS if w == word)


def read_switch(text: str | None) -> tuple[str | None, str, str | None] | None:
    """(the kind switched to or None when only the wrong one is named, the words told with the
    switch, the kind said to be wrong) when the message changes the kind; else None."""
    if not text:
        return None
    m = _CHANGE.match(text.strip())
    if m:
        return _kind(m["kw"]), m["rest"].strip(), None
    m = _NOT.match(text.strip())
    if m:
        return _wanted(m["rest"].strip(), _kind(m["neg"]))
    m = _SLIP.match(text.strip())
    if m and m["rest"].strip():
        return _wanted(m["rest"].strip(), _kind(m["neg"]) if m["neg"] else None)
    return None


def _wanted(rest: str, wrong: str | None) -> tuple[str | None, str, str | None]:
    """After "not X" or a slip: the kind the words name next ("我要投诉 …") with the words after
    it, or no kind and all the words."""
    want = _WANT.match(rest)
    if want:
        return _kind(want["kw"]), want["rest"].strip(), wrong
    return None, rest, wrong


def current_kind(ctx: Ctx) -> str | None:
    if ctx.state.flow == "router":
        return str(ctx.data.get("kind") or "") or None
    return KIND_OF_FLOW.get(ctx.state.flow)


async def switch(ctx: Ctx, text: str) -> bool:
    """Start the flow the owner says they meant; False when the words are no such switch."""
    read = read_switch(text)
    now = current_kind(ctx)
    if read is None or now is None and ctx.state.flow != "router":
        return False
    target, rest, wrong = read
    if wrong is not None and wrong != now:
        return False  # "不是投诉" said in a report: not about this flow (an account, kept as one)
    told = rest if sum(ch.isalnum() for ch in rest) >= 2 else ""
    if target is None and told and sum(ch.isalnum() for ch in told) < 4:
        return False  # "不是投诉你们…": too little after it to read as what they meant instead
    if target is None and told and talk.looks_like_question(told) and now != Kind.INQUIRY:
        target = Kind.INQUIRY
    if target is None and told:
        result = ctx.classifier.classify(told)
        if not result.low_confidence and result.kind == now:
            return False  # "不是投诉你们保安 是他们太凶" in a complaint: still one, the words its account
        target = result.kind if not result.low_confidence and result.kind in router.FLOW_OF else None
    if target == now:
        return False
    if target is not None and router.FLOW_OF[target] not in ctx.routes.flows:
        return False
    d = ctx.data
    had = str(d.get("description") or d.get("text") or d.get("question") or "")
    kept = {"photos": list(d.get("photos") or []), "room_id": d.get("room_id")}
    words = told or had
    flows.end(ctx)
    if target is None:
        # "不是投诉" and nothing that says what instead: which one, with the words kept.
        await flows.begin(ctx, router.FLOW, at=router.S.CHOOSE, text=words, kind="", urgency="", category="",
                          room_id=kept["room_id"], photos=kept["photos"])
        return True
    ctx.data.update(text=words, kind=target, category="", urgency="", room_id=kept["room_id"], photos=kept["photos"])
    await router.start(ctx, target)
    return True
