"""Free text outside a flow: classify it, then offer the matching flow with what we
understood already filled in.  An emergency skips every question."""

from __future__ import annotations

from enum import StrEnum

from cases.codes import CATEGORIES, Area, Kind, Urgency
from cases.privacy import scrub
from handlers.kit import flow as flows
from handlers.kit import homes
from handlers.kit.answers import is_go_ahead
from handlers.kit.context import Classification, Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import code_name
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Inbound
from handlers.owner import booking, pieces, report
from handlers.owner.emergency_follow import raise_alarm
from handlers.staff.casework import open_case

MAX_FREE_TEXT = 2000
MIN_SUGGESTION = 8  # characters of real words before a message is filed as a suggestion
# Which flow serves each kind, and what it can take from the first message.
FLOW_OF = {Kind.REPORT: "report", Kind.COMPLAINT: "complaint", Kind.SERVICE: "booking", Kind.INQUIRY: "inquiry"}
# The main menu's entry for each kind (its label is the one owners know).
MENU_ITEM = {Kind.REPORT: "report", Kind.COMPLAINT: "complaint", Kind.SERVICE: "service", Kind.INQUIRY: "inquiry"}


class S(StrEnum):
    PROPOSE = "propose"
    CHOOSE = "choose"


async def free_input(ctx: Ctx) -> None:
    """Anything typed outside a flow."""
    inbound = ctx.inbound
    if inbound.photo and not inbound.text:
        ctx.say(ctx.t("router.photo_outside_flow"), ctx.routes.menu(ctx))
        return
    text = text_of(ctx, inbound, max_len=MAX_FREE_TEXT)
    if text is None:
        return
    result = ctx.classifier.classify(text)
    if result.urgency == Urgency.EMERGENCY:
        await _emergency(ctx, text, result)
        return
    urgency = result.urgency
    whole = pieces.whole_account(ctx, text)
    if whole != text:
        # "水槽下面" then "一直在渗水": the request is the whole account, when together they make one
        # (how urgent it is stays what the message itself says: danger is read on each message).
        together = ctx.classifier.classify(whole)
        if not together.low_confidence and together.kind in pieces.REQUESTS:
            text, result = whole, together
    kind = result.kind if not result.low_confidence else ""
    if not kind:
        text = whole  # which kind is asked: the one pressed starts with the whole account
    if kind == Kind.SUGGESTION and sum(ch.isalnum() for ch in text) < MIN_SUGGESTION:
        # "谢谢你们" is not feedback to file: a few words of praise get a thank-you, not a case.
        ctx.say(ctx.t("talk.thanks"))
        return
    if kind == Kind.SUGGESTION:
        case = await open_case(ctx, kind=Kind.SUGGESTION, urgency=Urgency.NORMAL, description=text)
        ctx.say(ctx.t("router.suggestion_thanks", id=case.id))
        return
    if kind == Kind.INQUIRY and "inquiry" in ctx.routes.flows:
        await flows.begin(ctx, ctx.routes.flows["inquiry"], question=text)
        return
    category = result.category if kind and result.category in CATEGORIES[Kind(kind)] else ""
    home = homes.named(await ctx.homes(), text)
    await flows.begin(ctx, FLOW, text=text, kind=kind, urgency=urgency, category=category,
                      room_id=home.room.id if home else None)


async def _emergency(ctx: Ctx, text: str, result: Classification) -> None:
    """Open the case at once, alert the duty team, tell the owner what to do now."""
    await raise_alarm(ctx, text, result)


def _prefill(ctx: Ctx) -> dict[str, object]:
    d = ctx.data
    kind = d.get("kind") or ""
    if kind == Kind.INQUIRY:
        return {"question": d["text"]}
    prefill: dict[str, object] = {"description": d["text"], "urgency": d.get("urgency") or Urgency.NORMAL}
    if d.get("category"):
        prefill["category"] = d["category"]
    if d.get("photos") and kind != Kind.INQUIRY:
        prefill["photos"] = list(d["photos"])  # a photo given before the kind was settled is kept
    return prefill


async def ask_propose(ctx: Ctx) -> None:
    """"It looks like you want to report: … — go ahead?" (or, when unsure, a choice)."""
    kind = ctx.data.get("kind")
    if not kind or FLOW_OF.get(kind) not in ctx.routes.flows:
        await flows.goto(ctx, FLOW, S.CHOOSE)
        return
    # Quoted back as a reminder only: numbers and names masked, since an unbound sender may
    # have typed someone else's (the case itself keeps the words as given).
    snippet = scrub(ctx.data["text"][:60])
    # The kinds under it, as the main menu labels them: an owner who meant a complaint, not
    # a report, presses that and keeps their words (the one proposed, pressed, is a yes).
    kinds = [choice(ctx, ctx.t(f"menu.{MENU_ITEM[k]}"), k) for k, f in FLOW_OF.items() if f in ctx.routes.flows]
    ctx.say(ctx.t("router.propose", kind=code_name(ctx.locale, "kind", kind), text=snippet),
            ((choice(ctx, ctx.t("router.proceed"), "yes"), choice(ctx, ctx.t("router.decline"), "no")),
             tuple(kinds[:2]), tuple(kinds[2:])))


async def answer_propose(ctx: Ctx, inbound: Inbound) -> None:
    """Yes starts the flow with the fields filled; no offers the other kinds; a kind pressed
    starts that one with the owner's words."""
    if ctx.picked in FLOW_OF:  # another kind pressed: that flow, with the owner's words
        await answer_choose(ctx, inbound)
        return
    answer = ctx.picked or ("yes" if is_go_ahead(inbound.text) or (inbound.text or "").strip() in ("嗯", "嗯嗯") else None)
    if answer == "yes":
        await _start(ctx, ctx.data["kind"])
    elif answer == "no" or ctx.picked is None and inbound.text:
        await flows.goto(ctx, FLOW, S.CHOOSE)
    else:
        ctx.say(ctx.t("report.use_buttons"))


async def ask_choose(ctx: Ctx) -> None:
    """Not sure what the owner wants: ask instead of guessing."""
    buttons = [choice(ctx, ctx.t(f"menu.{MENU_ITEM[k]}"), k) for k, f in FLOW_OF.items() if f in ctx.routes.flows]
    ctx.say(ctx.t("router.choose"), (tuple(buttons[:2]), tuple(buttons[2:]), nav_row(ctx, back=False)))


async def answer_choose(ctx: Ctx, inbound: Inbound) -> None:
    """The owner's choice of kind."""
    if ctx.picked not in FLOW_OF or FLOW_OF[ctx.picked] not in ctx.routes.flows:
        ctx.say(ctx.t("report.use_buttons"))
        return
    if ctx.picked != ctx.data.get("kind"):
        ctx.data["kind"], ctx.data["category"] = ctx.picked, ""
    await _start(ctx, ctx.picked)


async def start(ctx: Ctx, kind: str) -> None:
    """Start the flow of `kind` with what the conversation holds (`text`, `room_id`, `photos`):
    the owner's words as its account, their home and photos kept where the flow can use them."""
    await _start(ctx, kind)


def keep_account(ctx: Ctx, account: list[str]) -> None:
    """Words said with an answer ahead that answer no step ("挺急的 家里老人等着洗澡"): the
    owner's account, kept with the description."""
    key = "text" if ctx.state.flow == "router" else "description"
    said = str(ctx.data.get(key) or "")
    more = [w for w in account if w not in said]
    if more:
        ctx.data[key] = "；".join([said, " ".join(more)] if said else [" ".join(more)])[:500]


async def go_ahead(ctx: Ctx, answers: dict[str, dict[str, str]], account: list[str]) -> None:
    """Yes to the proposal, with the answers the owner gave ahead of their steps."""
    keep_account(ctx, account)
    await _start(ctx, ctx.data["kind"], ahead=answers)


async def _start(ctx: Ctx, kind: str, *, ahead: dict[str, dict[str, str]] | None = None) -> None:
    prefill = _prefill(ctx)
    room_id = ctx.data.get("room_id")
    if kind == Kind.REPORT and room_id and await homes.choose(ctx, room_id) is not None:
        # The owner named one of their homes ("2-1-101那套…"): the report does not ask which
        # again, and "返回" from the next step still reaches the question.
        prefill.update(room_id=room_id, area=Area.HOME, place="",
                       at=report.S.PHOTOS if prefill.get("description") else report.S.WHAT, _history=[report.S.ROOM])
    if kind == Kind.SERVICE:
        # "帮我约一下 1-1-601 明天上午的保洁": one of the owner's homes named is taken (chosen
        # first: its community's catalogue is the one read), and so are the item and the time;
        # the flow asks only what is missing.  A home that is not theirs is not named here.
        home = await homes.choose(ctx, room_id) if room_id else None
        named = await booking.prefill(ctx, ctx.data["text"])
        prefill.update(booking.skip_to(named, home.room.id if home is not None else None))
    if ahead:
        prefill["_ahead"] = dict(ahead)
    await ctx.routes.start_entry(ctx, FLOW_OF[kind], **prefill)


FLOW = Flow("router", S.PROPOSE, {
    S.PROPOSE: Step(ask_propose, answer_propose),
    S.CHOOSE: Step(ask_choose, answer_choose),
}, needs_owner=False, keeps_pieces=True)
