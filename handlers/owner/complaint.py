"""Complaints (投诉): what happened, when, where, who was involved and what the owner wants,
the category (suggested by the classifier, confirmed by the owner), a summary to confirm,
then a case number and the time by which the desk promises an answer.

The team is chosen by `cases.routing.team_for`: complaints about staff attitude
(`general`) never go to the team complained about, government referrals go to a
department head."""

from __future__ import annotations

from enum import StrEnum

from cases.codes import CATEGORIES, Kind, Urgency
from handlers.kit import flow as flows
from handlers.kit import homes
from handlers.kit.answers import is_skip, read_category
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import code_name
from handlers.kit.inputs import TypedTime, nav_row, preset_time, said_yes, text_of, time_of
from handlers.kit.messages import Inbound
from handlers.kit.numbers import parse_int
from handlers.owner.submit import submit_case

COMPLAINT_CATEGORIES = CATEGORIES[Kind.COMPLAINT]
WHEN = ("now", "days", "long")
# What each "when" button means, in the words cases.when reads.
WHEN_WORDS = {"now": "刚才", "days": "这几天", "long": "一直"}
WANTS = ("fix", "reply", "apology")


class S(StrEnum):
    WHAT = "what"
    WHEN = "when"
    WHERE = "where"
    WHO = "who"
    WANT = "want"
    CATEGORY = "category"
    CONFIRM = "confirm"


async def ask_what(ctx: Ctx) -> None:
    """What happened; the router skips this when the owner's first message said it."""
    if ctx.data.get("description") and not ctx.data.get("what_skipped"):
        # The router already has the account from the owner's first message.
        ctx.data["what_skipped"] = True
        await flows.goto(ctx, FLOW, S.WHEN)
        return
    if ctx.data.get("description"):
        # Back from the next step: show the account so the owner can keep it or retype it.
        ctx.say(ctx.t("complaint.ask_what_again", text=ctx.data["description"]),
                ((choice(ctx, ctx.t("complaint.keep"), "keep"),), nav_row(ctx, back=False)))
        return
    ctx.say(ctx.t("complaint.ask_what"), (nav_row(ctx, back=False),))


async def answer_what(ctx: Ctx, inbound: Inbound) -> None:
    """The owner's account; a new account is classified afresh."""
    if ctx.picked == "keep" and ctx.data.get("description"):
        await flows.goto(ctx, FLOW, S.WHEN)
        return
    text = text_of(ctx, inbound, max_len=1000)
    if text is None:
        return
    if text != ctx.data.get("description"):
        ctx.data["description"] = text
        ctx.data.pop("category", None)
        ctx.data.pop("suggested", None)
        ctx.data.pop("urgency", None)
    await flows.goto(ctx, FLOW, S.WHEN)


async def ask_when(ctx: Ctx) -> None:
    """When it happened (or since when it has been going on)."""
    buttons = tuple(choice(ctx, ctx.t(f"complaint.when_{k}"), k) for k in WHEN)
    ctx.say(ctx.t("complaint.ask_when"), (buttons[:2], buttons[2:], nav_row(ctx)))


async def answer_when(ctx: Ctx, inbound: Inbound) -> None:
    """A button or the owner's own words ("昨晚11点", "前天下午", "这几天"), read as the time it
    happened; words that are no time (or a time still to come) are asked again, with examples."""
    if ctx.picked in WHEN:
        typed: TypedTime | None = TypedTime(preset_time(ctx, WHEN_WORDS[ctx.picked], past=True),
                                            ctx.t(f"complaint.when_{ctx.picked}"))
    else:
        typed = time_of(ctx, inbound, past=True)
    if typed is None:
        return
    ctx.data["when"] = typed.text
    ctx.data["happened"] = typed.when.to_json() if typed.when else None
    ctx.data["when_shown"] = typed.shown(ctx.locale)
    await flows.goto(ctx, FLOW, S.WHERE)


async def ask_where(ctx: Ctx) -> None:
    """Where: one of the owner's homes (in any community), nowhere in particular, or typed."""
    rows = [(choice(ctx, ctx.t("complaint.my_room", room=label), f"room:{home.room.id}"),)
            for home, label in await homes.offered(ctx)]
    rows.append((choice(ctx, ctx.t("complaint.no_place"), "none"),))
    ctx.say(ctx.t("complaint.ask_where"), (*rows, nav_row(ctx)))


async def answer_where(ctx: Ctx, inbound: Inbound) -> None:
    """Remember the room (the card shows it) or the typed place; a home in another community
    moves the complaint there (that community's desk answers it)."""
    if ctx.picked == "none" or ctx.picked is None and is_skip(inbound.text):  # "没有", "不涉及"
        ctx.data.update(where="", room_id=None)
    elif ctx.picked and ctx.picked.startswith("room:"):
        home = await homes.choose(ctx, parse_int(ctx.picked.removeprefix("room:")))
        if home is None:  # a forged button, or a room the owner no longer has
            ctx.say(ctx.t("common.expired"))
            return
        ctx.data.update(where=home.room.code, room_id=home.room.id)
    else:
        text = text_of(ctx, inbound, max_len=100)
        if text is None:
            return
        mine = homes.typed(await ctx.homes(), text)
        if mine is not None:
            await homes.choose(ctx, mine.room.id)
        ctx.data.update(where=text, room_id=mine.room.id if mine else None)
    await flows.goto(ctx, FLOW, S.WHO)


async def ask_who(ctx: Ctx) -> None:
    """Who was involved: a staff member, a neighbour, a company… or nobody in particular."""
    ctx.say(ctx.t("complaint.ask_who"), ((choice(ctx, ctx.t("complaint.nobody"), "none"),), nav_row(ctx)))


async def answer_who(ctx: Ctx, inbound: Inbound) -> None:
    """Typed text, or the "nobody in particular" button (or "没有", "不涉及" typed)."""
    if ctx.picked == "none" or ctx.picked is None and is_skip(inbound.text):
        ctx.data["who"] = ""
    else:
        text = text_of(ctx, inbound, max_len=200)
        if text is None:
            return
        ctx.data["who"] = text
    await flows.goto(ctx, FLOW, S.WANT)


async def ask_want(ctx: Ctx) -> None:
    """What the owner wants done about it."""
    buttons = tuple((choice(ctx, ctx.t(f"complaint.want_{k}"), k),) for k in WANTS)
    ctx.say(ctx.t("complaint.ask_want"), (*buttons, nav_row(ctx)))


async def answer_want(ctx: Ctx, inbound: Inbound) -> None:
    """A button or the owner's own words."""
    if ctx.picked in WANTS:
        ctx.data["want"] = ctx.t(f"complaint.want_{ctx.picked}")
    else:
        text = text_of(ctx, inbound, max_len=300)
        if text is None:
            return
        ctx.data["want"] = text
    _classify(ctx)
    await flows.goto(ctx, FLOW, S.CATEGORY)


def _classify(ctx: Ctx) -> None:
    """Suggest a category once per account: the router's, else the classifier's if it is sure."""
    if "suggested" in ctx.data:
        return
    result = ctx.classifier.classify(ctx.data["description"])
    sure = result.kind == Kind.COMPLAINT and result.category in COMPLAINT_CATEGORIES and not result.low_confidence
    prefilled = ctx.data.get("category")
    ctx.data["suggested"] = prefilled if prefilled in COMPLAINT_CATEGORIES else (result.category if sure else "")
    if ctx.data.get("urgency") not in set(Urgency):
        ctx.data["urgency"] = result.urgency if result.urgency in set(Urgency) else Urgency.NORMAL


async def ask_category(ctx: Ctx) -> None:
    """The suggested category to confirm, or the ten categories to pick from."""
    suggested = ctx.data.get("suggested") or ""
    buttons = [choice(ctx, code_name(ctx.locale, "category", c), c) for c in COMPLAINT_CATEGORIES if c != suggested]
    rows = [tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2)]
    if suggested:
        name = code_name(ctx.locale, "category", suggested)
        rows.insert(0, (choice(ctx, ctx.t("complaint.category_ok", category=name), suggested),))
        text = ctx.t("complaint.ask_category_suggested", category=name)
    else:
        text = ctx.t("complaint.ask_category")
    # Owners rarely know the office's categories: "not sure" leaves it to customer service.
    rows.append((choice(ctx, ctx.t("complaint.category_unsure"), "other"),))
    ctx.say(text, (*rows, nav_row(ctx)))


async def answer_category(ctx: Ctx, inbound: Inbound) -> None:
    """A button, or a category's exact name typed: it decides which desk handles the complaint."""
    picked = ctx.picked
    if picked is None and inbound.text:
        # Typed: the name, a yes to the suggestion, or everyday words ("邻里纠纷", "保安的问题").
        names = {c: code_name(ctx.locale, "category", c) for c in COMPLAINT_CATEGORIES}
        picked = read_category(inbound.text, COMPLAINT_CATEGORIES, names, ctx.data.get("suggested") or "")
    if picked not in COMPLAINT_CATEGORIES:
        ctx.say(ctx.t("complaint.category_hint" if ctx.picked is None else "complaint.use_buttons"))
        return
    ctx.data["category"] = picked
    await flows.goto(ctx, FLOW, S.CONFIRM)


async def ask_confirm(ctx: Ctx) -> None:
    """The summary, to submit or change."""
    d, dash = ctx.data, "-"
    summary = ctx.t(
        "complaint.summary", what=d["description"], when=d.get("when_shown") or d["when"], where=d.get("where") or dash,
        who=d.get("who") or dash, want=d["want"], category=code_name(ctx.locale, "category", d["category"]),
    )
    if d.get("urgency") == Urgency.EMERGENCY:
        summary += "\n" + ctx.t("complaint.summary_emergency")
    ctx.say(summary, ((choice(ctx, ctx.t("complaint.submit"), "submit"),), nav_row(ctx)))


async def answer_confirm(ctx: Ctx, inbound: Inbound) -> None:
    """Submit: the case is opened and dispatched, and the owner gets a promised time."""
    if not said_yes(ctx, inbound, "submit", "complaint.use_buttons"):
        return
    d = ctx.data
    await submit_case(
        ctx, "complaint.submitted", kind=Kind.COMPLAINT, urgency=d.get("urgency") or Urgency.NORMAL, category=d["category"],
        description=d["description"], room_id=d.get("room_id"), place=(d.get("where") or "")[:200],
        photos=d.get("photos", []),
        details={"when": d["when"], "where": d.get("where") or "", "who": d.get("who") or "", "want": d["want"],
                 **({"happened": d["happened"]} if d.get("happened") else {})},
    )


FLOW = Flow("complaint", S.WHAT, {
    S.WHAT: Step(ask_what, answer_what),
    S.WHEN: Step(ask_when, answer_when),
    S.WHERE: Step(ask_where, answer_where),
    S.WHO: Step(ask_who, answer_who),
    S.WANT: Step(ask_want, answer_want),
    S.CATEGORY: Step(ask_category, answer_category),
    S.CONFIRM: Step(ask_confirm, answer_confirm),
})
