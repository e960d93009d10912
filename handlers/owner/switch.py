"""The owner changes their mind about the kind mid-flow: "改成投诉吧" in a report, "哦不对 不是
投诉 是我卧室顶上的灯一直闪" in a complaint, "其实是想咨询一下" in a booking, "更正：我要提交的是
投诉而非报修。…", "不是坏了 是想约个保洁…" after 报事报修, "啊不对 是卫生间地漏堵了…" after 预约服务 —
or, with no correction word at all, tells at the flow's first question an account of another
kind ("楼上天天半夜拖椅子" after 报事报修).  The flow they meant starts, keeping what they
already gave that it can use (the account, the home, the photos), and words told with the
switch are its account — never the correction words themselves.  An account that fits the
pressed flow stays in it (a complaint about a broken lift is a complaint)."""

from __future__ import annotations

import re

from cases.codes import Area, Kind
from handlers.kit import flow as flows
from handlers.kit.context import Ctx
from handlers.kit.formatting import code_name
from handlers.owner import router, talk

# The kind each owner flow serves (the router's, while it proposes one).
KIND_OF_FLOW = {flow: kind for kind, flow in router.FLOW_OF.items()}
# Words naming a kind, longest first ("报事报修" before "报修").
_KIND_WORDS = sorted([*((w, k) for k in (Kind.REPORT, Kind.COMPLAINT, Kind.SERVICE, Kind.INQUIRY)
                        for w in talk.INTENTS[k] if not w.isascii() and w not in ("上门", "问问", "请问", "有问题")),
                      *((w, Kind.INQUIRY) for w in ("请教", "打听"))], key=lambda wk: -len(wk[0]))
# Everyday words for what a flow is about, said only to deny it ("不是坏了", "不是要修", "不是约人"):
# never read as the kind wanted ("还是坏了" is an account, not "change to a report").
_LOOSE_WORDS = sorted([*((w, Kind.REPORT) for w in ("东西坏了", "坏掉了", "坏了", "要修", "修东西", "找人修", "修理")),
                       *((w, Kind.SERVICE) for w in ("约师傅", "约人", "约服务", "要约", "买服务", "约")),
                       *((w, Kind.INQUIRY) for w in ("问事", "问事情", "问东西"))], key=lambda wk: -len(wk[0]))
_KW = "|".join(re.escape(w) for w, _ in _KIND_WORDS)
_NEG = "|".join(re.escape(w) for w, _ in sorted([*_KIND_WORDS, *_LOOSE_WORDS], key=lambda wk: -len(wk[0])))
_PAUSE = r"[\s，,。.!！~～:：;；、…]"
# Words that say "what I said (or pressed) was wrong".
_CORRECTION = r"(?:不对不对|不对|错了|搞错了|说错了|按错了|点错了|弄错了|选错了|写错了|更正一下|更正|纠正一下|纠正|订正|改一下)"
_INTERJECTION = rf"(?:(?:哦|噢|喔|啊|呃|额|嗯|唉|哎|哎呀|诶|欸|不好意思|抱歉|sorry){_PAUSE}*)*"
_LEAD = rf"^{_PAUSE}*{_INTERJECTION}(?:{_CORRECTION}(?:的|了|啦|吧)*{_PAUSE}*)?(?:我)?"
_TAIL = r"(?:的|吧|了|啦|啊|呀|一下|哈)*[\s，,。.!！~～:：;；]*"
# "…是投诉而非报修", "…投诉，不是报修": the wrong kind said after the right one.
_NOT_THAT = rf"(?:{_PAUSE}*(?:而非|而不是|并非|不是)(?:{_KW}))?"
# "改成投诉吧", "换成报修", "其实是想咨询一下", "还是预约服务吧", "我要提交的是投诉而非报修。…"
_CHANGE = re.compile(_LEAD + r"(?:还是)?(?:改成|换成|改为|换为|转成|转为|改|换|其实是|应该是|是要|是想|还是"
                     r"|(?:要|想)?(?:提交|办理|办|报|反映|登记|申请|说|找你们)?的(?:其实|应该)?是)(?:要|想)?"
                     rf"(?P<kw>{_KW}){_NOT_THAT}{_TAIL}(?P<rest>.*)$", re.S)
# "不是投诉 是我卧室顶上的灯一直闪", "不是报修，我要投诉", "不是坏了 是想约个保洁…"
_NOT = re.compile(_LEAD + rf"(?:这|这个)?(?:不是|并不是|不是要|不是想)(?P<neg>{_NEG}){_TAIL}"
                  r"(?:(?:而是|是|我是想|我是要|我想|我要|是想|是要)[\s，,。]*)?(?P<rest>.*)$", re.S)
# "我方才误触了投诉按钮，实际上只是想请教一下…": the button was a slip, what follows is the request.
_SLIP = re.compile(rf"^.{{0,12}}?(?:误触|误点|误按|点错|按错|选错|点成)了?(?:(?P<neg>{_KW})(?:的)?)?(?:按钮|选项|按键)?"
                   r"[\s，,。.!！]*(?:实际上|其实|本来|我)?(?:只是|就是|是)?(?:想|要)?[\s，,。]*(?P<rest>.*)$", re.S)
# "啊不对 是卫生间地漏堵了…", "说错了，楼上邻居…": a correction word and an account, no kind named.
_CORRECTED = re.compile(rf"^{_PAUSE}*{_INTERJECTION}{_CORRECTION}(?:的|了|啦|吧)*(?:{_PAUSE}+|(?=是|其实|应该))"
                        rf"{_PAUSE}*(?:(?:其实|应该|我)?是(?:想|要)?)?{_PAUSE}*(?P<rest>.*)$", re.S)
_WANT = re.compile(rf"^(?:要|想|想要)?(?P<kw>{_KW}){_TAIL}(?P<rest>.*)$", re.S)

# The first question of a flow that takes the owner's own account, before any was given.
_FIRST_ACCOUNT = {("report", "room"), ("report", "what"), ("complaint", "what"), ("booking", "item")}
# An account told there with no correction word, read surely as another kind: the kinds it is
# taken as.  A report told a protest or a booking; a booking told a protest; a complaint told a
# booking.  A complaint told a fault stays one (a protest about a broken thing is a complaint).
_DRIFTS = {Kind.REPORT: (Kind.COMPLAINT, Kind.SERVICE), Kind.SERVICE: (Kind.COMPLAINT,),
           Kind.COMPLAINT: (Kind.SERVICE,)}
MIN_ACCOUNT = 6  # characters of words before an account alone says it is of another kind


def _kind(word: str) -> str:
    return next(k for w, k in [*_KIND_WORDS, *_LOOSE_WORDS] if w == word)


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


def corrected(text: str | None) -> str | None:
    """"啊不对 是卫生间地漏堵了…" → "卫生间地漏堵了…": the account after a correction word that
    names no kind (None without one, or with nothing after it)."""
    m = _CORRECTED.match((text or "").strip())
    if not m or sum(ch.isalnum() for ch in m["rest"]) < 2:
        return None
    return m["rest"].strip()


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
    """Start the flow the owner says (or plainly means) they wanted; False when the words are
    no such switch."""
    now = current_kind(ctx)
    if now is None and ctx.state.flow != "router":
        return False
    read = read_switch(text)
    if read is None:
        return await _account_of_another_kind(ctx, text, now)
    target, rest, wrong = read
    if wrong is not None and wrong != now:
        return False  # "不是投诉" said in a report: not about this flow (an account, kept as one)
    told = rest if sum(ch.isalnum() for ch in rest) >= 2 else ""
    if target is None and told and sum(ch.isalnum() for ch in told) < 4:
        return False  # "不是投诉你们…": too little after it to read as what they meant instead
    if target is None and told and talk.looks_like_question(told) and now != Kind.INQUIRY:
        target = Kind.INQUIRY
    named = target is not None
    if target is None and told:
        result = ctx.classifier.classify(told)
        if not result.low_confidence and result.kind == now:
            return False  # "不是投诉你们保安 是他们太凶" in a complaint: still one, the words its account
        target = result.kind if not result.low_confidence and result.kind in router.FLOW_OF else None
    if target == now:
        return False
    if target is not None and router.FLOW_OF[target] not in ctx.routes.flows:
        return False
    await _start(ctx, target, told, said_kind=named)
    return True


async def _account_of_another_kind(ctx: Ctx, text: str, now: str | None) -> bool:
    """"啊不对 是卫生间地漏堵了…" (a correction naming no kind, at any step), or an account told
    plainly at the flow's first question ("楼上天天半夜拖椅子" after 报事报修): the kind the
    classifier is sure of, when it is another one the pressed flow does not serve."""
    if now is None or ctx.state.flow == "router":
        return False
    account = corrected(text)
    if account is None:
        if (ctx.state.flow, ctx.state.step) not in _FIRST_ACCOUNT or ctx.data.get("description") \
                or sum(ch.isalnum() for ch in text) < MIN_ACCOUNT or talk.looks_like_question(text):
            return False
        account = text.strip()
    elif sum(ch.isalnum() for ch in account) < 4 or talk.looks_like_question(account):
        return False  # "不对 是主卧", "不对 几号楼来着": the step (or the question reading) takes it
    result = ctx.classifier.classify(account)
    if result.low_confidence or result.kind == now or result.kind not in router.FLOW_OF \
            or result.kind == Kind.INQUIRY or router.FLOW_OF[result.kind] not in ctx.routes.flows:
        return False
    plainly = account == text.strip()
    if plainly and result.kind not in _DRIFTS.get(now, ()) \
            and not (now == Kind.SERVICE and result.kind == Kind.REPORT and result.area == Area.PUBLIC):
        return False  # a booking told a fault in the home may be a paid repair: it stays a booking
    await _start(ctx, result.kind, account, said_kind=False)
    return True


async def _start(ctx: Ctx, target: str | None, told: str, *, said_kind: bool) -> None:
    """Leave the flow and start `target`'s (None: ask which) with the account and what it can use;
    `said_kind`: the owner named it (otherwise they are told which one it is)."""
    d = ctx.data
    had = str(d.get("description") or d.get("text") or d.get("question") or "")
    kept = {"photos": list(d.get("photos") or []), "room_id": d.get("room_id")}
    words = told or had
    flows.end(ctx)
    if target is None:
        # "不是投诉" and nothing that says what instead: which one, with the words kept.
        await flows.begin(ctx, router.FLOW, at=router.S.CHOOSE, text=words, kind="", urgency="", category="",
                          room_id=kept["room_id"], photos=kept["photos"])
        return
    if not said_kind:
        ctx.say(ctx.t("talk.switched", kind=code_name(ctx.locale, "kind", target)))
    ctx.data.update(text=words, kind=target, category="", urgency="", room_id=kept["room_id"], photos=kept["photos"])
    await router.start(ctx, target)
