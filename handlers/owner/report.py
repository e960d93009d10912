"""Repair and incident reports (报事报修): room or public place, what is wrong, photos,
urgency (suggested by the classifier), preferred time, a summary to confirm, a case number."""

from __future__ import annotations

import re
from enum import StrEnum
from itertools import chain

from cases.codes import CATEGORIES, Area, Kind, Urgency
from handlers.kit import flow as flows
from handlers.kit import homes
from handlers.kit.answers import is_skip, plain, read_category, read_urgency
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import code_name
from handlers.kit.inputs import TypedTime, nav_row, preset_time, said_yes, text_of, time_of
from handlers.kit.messages import Inbound
from handlers.kit.numbers import parse_int
from handlers.kit.photos import PhotoTexts, photo_step
from handlers.owner import talk
from handlers.owner.submit import submit_case
from nlp import Classification

ROOM_LIKE = re.compile(r"^[0-9A-Za-z]{1,8}(-[0-9A-Za-z]{1,8}){0,3}$")
PUBLIC_WORDS = ("公共区域", "公区", "public")
HOME_WORDS = frozenset({"我家", "家里", "家", "自己家", "在家", "我家里", "户内", "室内", "屋里", "home", "myhome", "myflat"})
TIMES = ("asap", "today", "tomorrow", "weekend")
UNSURE = "unsure"  # the category button "不清楚": customer service decides
_DONT_KNOW = re.compile(r"不(知道|清楚|确定|懂|晓得)|说不(好|清|准)|搞不清|not sure|don'?t know|no idea")
# What each time button means, in the words cases.when reads.
TIME_WORDS = {"asap": "越快越好", "today": "今天", "tomorrow": "明天", "weekend": "这周末"}


class S(StrEnum):
    ROOM = "room"
    PLACE = "place"
    WHAT = "what"
    CATEGORY = "category"
    PHOTOS = "photos"
    URGENCY = "urgency"
    TIME = "time"
    CONFIRM = "confirm"


async def ask_room(ctx: Ctx) -> None:
    """Which of the owner's homes, or a shared area."""
    rows = [(choice(ctx, ctx.t("report.my_room", room=label), f"room:{home.room.id}"),)
            for home, label in await homes.offered(ctx)]
    rows.append((choice(ctx, ctx.t("report.public_area"), "public"),))
    ctx.say(ctx.t("report.ask_room"), (*rows, nav_row(ctx, back=False)))


async def answer_room(ctx: Ctx, inbound: Inbound) -> None:
    """A room button, a typed room number of theirs, or the shared area."""
    owner = await ctx.owner()
    assert owner is not None
    picked = ctx.picked
    if picked is None:
        typed = text_of(ctx, inbound, max_len=500)
        if typed is None:
            return
        if plain(typed) in HOME_WORDS and len(owner.rooms) == 1:
            typed = owner.rooms[0].code  # "我家", "家里": the one home of theirs
        typed = homes.code_of(typed) or typed  # "1栋1单元101" is 1-1-101
        if not ROOM_LIKE.match(typed) and typed not in PUBLIC_WORDS and not ctx.data.get("description"):
            # Owners often describe the problem first ("我家厨房漏水了"): keep it, ask again where.
            ctx.data["description"] = typed
            ctx.say(ctx.t("report.description_noted"))
            await flows.again(ctx, FLOW)
            return
        if ctx.data.get("description") and not any(ch.isdigit() for ch in typed) and typed not in PUBLIC_WORDS \
                and sum(ch.isalnum() for ch in typed) >= 4 and not talk.small_talk(typed):
            # A photo's caption said what is wrong, then "是外面那一层 有一条好长的缝…": more of the
            # account, not a room number: kept with the description, and the question again.
            if typed not in ctx.data["description"]:
                ctx.data["description"] = f"{ctx.data['description']}；{typed}"[:500]
            ctx.say(ctx.t("talk.description_added"))
            await flows.again(ctx, FLOW)
            return
        mine = homes.typed(await ctx.homes(), typed)
        if mine is not None:
            picked = f"room:{mine.room.id}"
        elif typed in PUBLIC_WORDS:
            picked = "public"
        elif await ctx.uow.directory.room(ctx.community.id, typed):
            ctx.say(ctx.t("report.not_your_room", room=typed))
            return
        else:
            ctx.say(ctx.t("report.no_such_room", room=typed))
            return
    if picked == "public":
        ctx.data.update(room_id=None, area=Area.PUBLIC)
        await flows.goto(ctx, FLOW, S.PLACE)
        return
    room_id = parse_int(picked.removeprefix("room:")) if picked.startswith("room:") else None
    if await homes.choose(ctx, room_id) is None:  # a forged or stale button
        ctx.say(ctx.t("common.expired"))
        return
    ctx.data.update(room_id=room_id, area=Area.HOME, place="")
    await _after_place(ctx)


async def ask_place(ctx: Ctx) -> None:
    """Where in the shared area."""
    ctx.say(ctx.t("report.ask_place"), (nav_row(ctx),))


# Words that say something is wrong, so a place answer with one also says what
# ("2号楼1单元3楼楼道的窗户玻璃碎了"); a bare place ("3号楼电梯", "地下车库B区") has none.
FAULT = re.compile(r"坏|碎|裂|漏|渗|滴|堵|塞|不亮|不通|不动|不转|不出|不了|打不|关不|开不|没电|没水|没信号|断|掉|塌|脱落|松了|松动|锈"
                   r"|破|臭|积水|卡住|异响|冒|灭|闪|歪|倒了|脏|吵|broken|leak|not working|smash|crack|block|out of order"
                   r"|flicker|stuck|dirty|noisy", re.IGNORECASE)


async def answer_place(ctx: Ctx, inbound: Inbound) -> None:
    """Free text: building, floor, spot — and what is wrong there, when the owner says it too."""
    place = text_of(ctx, inbound, max_len=100)
    if place is not None:
        ctx.data["place"] = place
        if not ctx.data.get("description") and FAULT.search(place):
            ctx.data["description"] = place
        await _after_place(ctx)


async def _after_place(ctx: Ctx) -> None:
    # The router may already have the description from the owner's first message.
    await flows.goto(ctx, FLOW, S.PHOTOS if ctx.data.get("description") else S.WHAT)


async def ask_what(ctx: Ctx) -> None:
    """What is wrong."""
    ctx.say(ctx.t("report.ask_what"), (nav_row(ctx),))


async def answer_what(ctx: Ctx, inbound: Inbound) -> None:
    """The description, classified to suggest category and urgency."""
    text = text_of(ctx, inbound, max_len=500)
    if text is not None:
        ctx.data["description"] = text
        ctx.data.pop("category", None)
        ctx.data.pop("urgency", None)
        await flows.goto(ctx, FLOW, S.PHOTOS)


# Photos are optional; several are welcome (the kit's photo step).
PHOTOS = PhotoTexts(ask="report.ask_photos", received="report.photos_received", skip="report.photos_skip",
                    done="report.photos_done", full="report.photos_full", hint="report.photos_hint")


async def after_photos(ctx: Ctx) -> None:
    await flows.goto(ctx, FLOW, _category_or_urgency(ctx))


def _sure(result: Classification) -> bool:
    return result.kind == Kind.REPORT and result.category in CATEGORIES[Kind.REPORT] and not result.low_confidence


def _category_or_urgency(ctx: Ctx) -> str:
    """Classify once; ask the owner for the category only when the classifier is unsure."""
    if "category" not in ctx.data:
        place = ctx.data.get("place", "")
        whole = ctx.classifier.classify(ctx.data["description"] + " " + place)
        # Words put together from several messages ("这是另一边 谢谢你们" under a second photo)
        # must not hide what one of them made plain: the first that does names the category.
        parts = [p for p in str(ctx.data["description"]).split("；") if p.strip()]
        pieces = (ctx.classifier.classify(p + " " + place) for p in parts) if len(parts) > 1 else ()
        found = next((r for r in chain((whole,), pieces) if _sure(r)), None)
        result = found or whole
        ctx.data["category"] = result.category if found else ""
        ctx.data.setdefault("urgency", result.urgency if result.urgency in set(Urgency) else Urgency.NORMAL)
    return S.URGENCY if ctx.data["category"] else S.CATEGORY


async def ask_category(ctx: Ctx) -> None:
    """The classifier was unsure: let the owner say what kind of problem it is."""
    cats = CATEGORIES[Kind.REPORT]
    buttons = [choice(ctx, code_name(ctx.locale, "category", c), c) for c in cats]
    rows = tuple(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2))
    # Owners rarely know the office's categories: "not sure" sends the case to customer
    # service, who read it and pass it to the right team (cases.routing: no category).
    unsure = (choice(ctx, ctx.t("report.category_unsure"), UNSURE),)
    ctx.say(ctx.t("report.ask_category"), (*rows, unsure, nav_row(ctx)))


async def answer_category(ctx: Ctx, inbound: Inbound) -> None:
    """A button, or the category typed: its name or everyday words ("漏水的", "电梯")."""
    cats = CATEGORIES[Kind.REPORT]
    picked = ctx.picked
    if picked is None and inbound.text:
        picked = read_category(inbound.text, cats, {c: code_name(ctx.locale, "category", c) for c in cats})
        if picked is None and (is_skip(inbound.text) or _DONT_KNOW.search(plain(inbound.text))):
            picked = UNSURE
    if picked == UNSURE:
        ctx.data.update(category="", category_unsure=True)
        await flows.goto(ctx, FLOW, S.URGENCY)
        return
    if picked not in cats:
        ctx.say(ctx.t("report.category_hint" if ctx.picked is None else "report.use_buttons"))
        return
    ctx.data["category"] = picked
    await flows.goto(ctx, FLOW, S.URGENCY)


async def ask_urgency(ctx: Ctx) -> None:
    """Urgency, with the classifier's suggestion marked."""
    suggested = ctx.data.get("urgency", Urgency.NORMAL)
    buttons = tuple(
        choice(ctx, ("✅ " if u == suggested else "") + ctx.t(f"report.urgency_{u}"), u) for u in Urgency
    )
    ctx.say(ctx.t("report.ask_urgency", suggested=code_name(ctx.locale, "urgency", suggested)),
            tuple((b,) for b in buttons) + (nav_row(ctx),))


async def answer_urgency(ctx: Ctx, inbound: Inbound) -> None:
    """A button, or the owner's own word for it."""
    value = ctx.picked if ctx.picked is not None else read_urgency(inbound.text)
    if value == "suggested":  # "直接提交" said ahead: the suggestion stands
        value = ctx.data.get("urgency", Urgency.NORMAL)
    if value not in set(Urgency):
        ctx.say(ctx.t("report.urgency_hint"))
        return
    ctx.data["urgency"] = value
    await flows.goto(ctx, FLOW, S.TIME)


async def ask_time(ctx: Ctx) -> None:
    """When a visit suits the owner."""
    buttons = tuple(choice(ctx, ctx.t(f"report.time_{k}"), k) for k in TIMES)
    ctx.say(ctx.t("report.ask_time"), (buttons[:2], buttons[2:], nav_row(ctx)))


async def answer_time(ctx: Ctx, inbound: Inbound) -> None:
    """A button or the owner's words ("周六上午", "下班后"), read as a window in the community's
    zone: the case keeps it, staff see it, and the deadlines never fall after it."""
    if ctx.picked in TIMES:
        typed: TypedTime | None = TypedTime(preset_time(ctx, TIME_WORDS[ctx.picked]), ctx.t(f"report.time_{ctx.picked}"))
    else:
        typed = time_of(ctx, inbound)
    if typed is None:
        return
    ctx.data.update(preferred_time=typed.text, time_shown=typed.shown(ctx.locale), window=typed.stored())
    await flows.goto(ctx, FLOW, S.CONFIRM)


async def ask_confirm(ctx: Ctx) -> None:
    """The summary, to submit or change."""
    d = ctx.data
    where = d.get("place") or ""
    if d.get("room_id"):
        room = await ctx.uow.directory.room_by_id(d["room_id"])
        where = room.code if room else "?"
    summary = ctx.t(
        "report.summary", where=where, area=code_name(ctx.locale, "area", d["area"]), what=d["description"],
        category=code_name(ctx.locale, "category", d["category"]) if d["category"] or not d.get("category_unsure")
        else ctx.t("report.category_staff_decide"), urgency=code_name(ctx.locale, "urgency", d["urgency"]),
        photos=len(d.get("photos", [])), time=d.get("time_shown") or d["preferred_time"],
    )
    ctx.say(summary, ((choice(ctx, ctx.t("report.submit"), "submit"),), nav_row(ctx)))


async def answer_confirm(ctx: Ctx, inbound: Inbound) -> None:
    """Submit: the case is opened and dispatched."""
    if not said_yes(ctx, inbound, "submit", "report.use_buttons"):
        return
    d = ctx.data
    await submit_case(
        ctx, "report.submitted", kind=Kind.REPORT, urgency=d["urgency"], category=d["category"], area=d["area"],
        description=d["description"], room_id=d.get("room_id"), place=d.get("place", ""),
        photos=d.get("photos", []), details={"preferred_time": d["preferred_time"], **(d.get("window") or {})},
    )


async def start_with_photo(ctx: Ctx, caption: str | None) -> None:
    """A photo sent at idle starts a report with the photo in it (its caption, if it says
    what is wrong, is the description)."""
    prefill: dict[str, object] = {"photos": [ctx.inbound.photo], "photo_first": True}
    if caption and not talk.small_talk(caption) and not talk.bare_intent(caption) and len(caption) <= 500:
        prefill["description"] = caption
    ctx.say(ctx.t("report.photo_first"))
    await ctx.routes.start_entry(ctx, FLOW.name, **prefill)


FLOW = Flow("report", S.ROOM, {
    S.ROOM: Step(ask_room, answer_room),
    S.PLACE: Step(ask_place, answer_place),
    S.WHAT: Step(ask_what, answer_what),
    S.CATEGORY: Step(ask_category, answer_category),
    S.PHOTOS: photo_step(PHOTOS, after_photos),
    S.URGENCY: Step(ask_urgency, answer_urgency),
    S.TIME: Step(ask_time, answer_time),
    S.CONFIRM: Step(ask_confirm, answer_confirm),
})
