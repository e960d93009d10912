"""Paid and special services (有偿/特约服务, 手续办理): pick from the published catalogue,
which home, a time slot, and an explicit yes to the price before anything is booked
(procedures.md: "confirm the price before work").  The booking row keeps the price the
owner agreed to, whatever the catalogue says later."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from cases.codes import CATEGORIES, Kind, Urgency
from cases.records import ServiceItem
from cases.when import Span, When, read_when
from handlers.kit import flow as flows
from handlers.kit import homes
from handlers.kit.acting import as_owner
from handlers.staff.casework import open_case, opened
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import code_name, money
from handlers.kit.i18n import DEFAULT_LOCALE, t
from handlers.kit.answers import is_go_ahead, when_label
from handlers.kit.inputs import CONDITION_WORDS, nav_row, said_yes, text_of, time_of
from handlers.kit.messages import Inbound
from handlers.kit.numbers import parse_int
from handlers.owner import ahead
from handlers.owner.submit import tell_opened
from services import casework
from services.errors import PriceChanged

SLOT_DAYS = 3  # half-day slots offered from tomorrow on
HALVES = ("am", "pm")
HALF_HOURS = {"am": (8, 12), "pm": (13, 18)}
MAX_SLOT_AHEAD = 14  # a slot button older than this (or in the past) is stale


class S(StrEnum):
    ITEM = "item"
    OTHER = "other"
    DESCRIBE = "describe"
    ROOM = "room"
    SLOT = "slot"
    CONFIRM = "confirm"


# A service the catalogue does not list (特约服务): booked with the owner's own words, staff
# quote a price, and nothing is done before the owner agrees to it.
OTHER = "other"
DEFAULT_CATEGORY = "home_repair"
MIN_DESCRIPTION = 4  # characters of words before typed text is a request rather than an item name


# ----------------------------------------------------------------- how items and slots read
def item_name(item: ServiceItem, locale: str) -> str:
    return item.name_en if locale == "en" and item.name_en else item.name_zh


def price_label(item: ServiceItem, locale: str) -> str:
    """¥50/盏, or "free" for procedures without a fee."""
    if item.price_cents == 0:
        return t(locale, "booking.free")
    unit = item.unit_en if locale == "en" else item.unit_zh
    return t(locale, "booking.price", money=money(item.price_cents, locale), unit=unit)


def slot_label(day: date, half: str, locale: str) -> str:
    months = t(locale, "booking.months").split()
    weekdays = t(locale, "booking.weekdays").split()
    return t(locale, "booking.slot", month=months[day.month - 1], day=day.day, weekday=weekdays[day.weekday()],
             half=t(locale, f"booking.half_{half}"))


def _today(ctx: Ctx) -> date:
    return ctx.now.astimezone(ZoneInfo(ctx.policy.timezone)).date()


def offered_slots(now: datetime, timezone: str) -> list[tuple[date, str]]:
    """Morning and afternoon of the next days, in the community's local time."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    return [(today + timedelta(days=n), half) for n in range(1, SLOT_DAYS + 1) for half in HALVES]


def slot_window(day: date, half: str, timezone: str) -> When:
    """A half-day slot as the window the team must keep to."""
    start, end = HALF_HOURS[half]
    zone = ZoneInfo(timezone)
    return When(Span.WINDOW, datetime.combine(day, time(start), zone), datetime.combine(day, time(end), zone))


def _parse_slot(value: str) -> tuple[date, str] | None:
    day_text, _, half = value.partition(":")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        return None
    return (day, half) if half in HALVES else None


def _pairs(s: str) -> set[str]:
    s = "".join(ch for ch in s.lower() if ch.isalnum())
    return {s[i:i + 2] for i in range(len(s) - 1)}


# Everyday words for the items of the usual catalogue, by item code ("打扫" is 家庭深度保洁,
# "吸顶灯" 灯具安装): owners describe the job, not the price list's name for it.
ITEM_WORDS: dict[str, tuple[str, ...]] = {
    "lamp_install": ("装灯", "安灯", "装个灯", "装一个灯", "吸顶灯", "吊灯", "灯泡", "灯管", "换灯", "灯具"),
    "tap_replace": ("水龙头", "龙头"),
    "rack_install": ("晾衣架", "晾衣杆", "晒衣架", "升降衣架"),
    "deep_clean": ("打扫", "保洁", "清洁", "搞卫生", "做卫生", "大扫除", "开荒", "钟点工", "家政", "阿姨来"),
    "window_clean": ("擦玻璃", "擦窗", "擦一下窗", "玻璃清洗", "清洗玻璃"),
    "plant_care": ("绿植", "花草", "浇花", "盆栽"),
    "move_permit": ("搬家", "搬走", "搬出", "搬进", "搬入", "放行"),
    "renovation_permit": ("装修申请", "装修手续", "装修许可", "申请装修", "办装修"),
    "parking_month": ("车位", "停车位", "月租车", "停车月卡"),
    "bulky_waste": ("大件垃圾", "旧家具", "旧沙发", "旧床垫", "建筑垃圾", "清运"),
    "access_card": ("门禁卡", "门卡", "补卡", "补办卡"),
    "lock_open": ("开锁", "锁在家", "锁在屋", "锁在里面", "锁门外", "钥匙丢", "钥匙锁"),
}


def named_item(text: str, items: list[ServiceItem], *, most: bool = False) -> ServiceItem | None:
    """"我想约个保洁" (at the list), "想预约一下擦玻璃 周六上午" name one catalogue item: the one
    with most character pairs in the words, or whose everyday words are there (None when no
    item, or two alike, fit). `most`: at least half its name's pairs, and two, must be there
    ("门禁出问题了" names no item)."""
    said = _pairs(text)
    folded = text.lower()

    def score(item: ServiceItem) -> int:
        shared = len(_pairs(item.name_zh) & said)
        if any(w in folded for w in ITEM_WORDS.get(item.code, ())):
            shared += len(_pairs(item.name_zh))
        return shared

    scored = sorted(((score(i), i) for i in items), key=lambda p: p[0], reverse=True)
    if not scored or scored[0][0] == 0 or len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    shared, item = scored[0]
    if most and (shared * 2 < len(_pairs(item.name_zh)) or shared < min(2, len(_pairs(item.name_zh)))):
        return None
    return item


async def prefill(ctx: Ctx, text: str) -> dict[str, object]:
    """What a first message already says of a booking: the item it names, and the time when it
    names one ahead ("这周六上午"): the flow then asks only what is missing."""
    named = named_item(text, await ctx.uow.directory.catalogue(ctx.community.id), most=True)
    filled: dict[str, object] = {"item_id": named.id} if named is not None else {}
    when = read_when(text, ctx.now, ctx.policy.timezone)
    if isinstance(when, When) and when.span == Span.WINDOW and not any(w in text for w in CONDITION_WORDS):
        filled.update(slot=when_label(when, DEFAULT_LOCALE), slot_shown=when_label(when, ctx.locale),
                      window=when.to_json())
    return filled


def skip_to(named: dict[str, object], room_id: int | None) -> dict[str, object]:
    """The flow's start with what the first message named (`prefill`) and one of the owner's
    homes named in it: the first question not answered yet, the ones before it kept for
    "返回" (so a home or a time taken from the words can still be changed).  With neither the
    item nor a home there is nothing to skip, and the time alone is not taken: an unnamed
    item's list comes first and "what time" is asked after it, as always."""
    if room_id is None:
        if "item_id" not in named:
            return {}
        return {**named, "at": S.ROOM, "_history": [S.ITEM]}  # "想预约一下擦玻璃 周六上午"
    filled = {**named, "room_id": room_id}
    if "item_id" not in named:
        return {**filled, "at": S.ITEM}  # the list, then the time unless it was given
    if "slot" not in named:
        return {**filled, "at": S.SLOT, "_history": [S.ITEM, S.ROOM]}
    return {**filled, "at": S.CONFIRM, "_history": [S.ITEM, S.ROOM, S.SLOT]}


async def _item(ctx: Ctx, item_id: object) -> ServiceItem | None:
    """The item if it is still in the active catalogue (buttons can outlive a price change)."""
    return next((i for i in await ctx.uow.directory.catalogue(ctx.community.id) if i.id == item_id), None)


# ----------------------------------------------------------------- steps
async def ask_item(ctx: Ctx) -> None:
    """The catalogue with prices; a category the router recognised narrows it."""
    if "room_id" not in ctx.data and await _several_communities(ctx):
        ctx.state.step = S.ROOM  # whose catalogue depends on the home: asked first
        await ask_room(ctx)
        return
    items = await ctx.uow.directory.catalogue(ctx.community.id)
    if not items:
        flows.end(ctx)
        ctx.say(ctx.t("booking.no_catalogue", hotline=ctx.policy.hotline or "-"))
        return
    said = str(ctx.data.get("description") or "")
    if said and not ctx.data.get("other_offered") and named_item(said, items) is None:
        # "想约师傅来装两根窗帘杆": no item shares words with them; the owner's words are not
        # dropped — a quote by staff, or the list (with some words in common: the list, narrowed).
        ctx.data["other_offered"] = True
        await flows.goto(ctx, FLOW, S.OTHER)
        return
    wanted = ctx.data.get("category")
    narrowed = [i for i in items if i.category == wanted] if wanted and not ctx.data.get("show_all") else []
    shown = narrowed or items
    rows = [(choice(ctx, ctx.t("booking.item_button", name=item_name(i, ctx.locale),
                               price=price_label(i, ctx.locale)), f"item:{i.id}"),) for i in shown]
    if narrowed and len(narrowed) < len(items):
        rows.append((choice(ctx, ctx.t("booking.show_all"), "all"),))
        text = ctx.t("booking.ask_item_in", category=code_name(ctx.locale, "category", wanted or ""))
    else:
        text = ctx.t("booking.ask_item")
    rows.append((choice(ctx, ctx.t("booking.other_button"), OTHER),))
    ctx.say(text, (*rows, nav_row(ctx, back=False)))


async def answer_item(ctx: Ctx, inbound: Inbound) -> None:
    """An item button, "show all", or the item's name typed."""
    if ctx.picked == "all":
        ctx.data["show_all"] = True
        await flows.again(ctx, FLOW)
        return
    if ctx.picked == OTHER:
        await _other(ctx)
        return
    item: ServiceItem | None = None
    if ctx.picked and ctx.picked.startswith("item:") and (item_id := parse_int(ctx.picked[5:])) is not None:
        item = await _item(ctx, item_id)
        if item is None:
            ctx.say(ctx.t("common.expired"))
            return
    else:
        typed = text_of(ctx, inbound, max_len=500)
        if typed is None:
            return
        given = await ahead.read(ctx, "booking", typed)
        if given is not None and not given.account:
            # "明天上午", "我家 周六下午": the home and the time said before the service; kept
            # for their steps (never taken for a service's description), and the list again.
            ctx.data["_ahead"] = {**(ctx.data.get("_ahead") or {}), **given.answers}
            ctx.say(ctx.t("booking.noted_ahead", text=typed[:40]))
            await flows.again(ctx, FLOW)
            return
        items = await ctx.uow.directory.catalogue(ctx.community.id)
        found = [i for i in items if typed.lower() in (i.name_zh.lower(), i.name_en.lower())] or \
                [i for i in items if typed.lower() in i.name_zh.lower() or typed.lower() in i.name_en.lower()]
        if len(found) != 1 and (named := named_item(typed, items, most=True)) is not None:
            found = [named]  # "想找人换个水龙头": the item its words name
            ctx.data.setdefault("description", typed)
        if len(found) != 1 and _describes(ctx, typed):
            # A request in the owner's words that no item fits: kept, and offered as a quoted service.
            ctx.data["description"] = typed
            ctx.data["other_offered"] = True
            await flows.goto(ctx, FLOW, S.OTHER)
            return
        if len(found) != 1:
            ctx.say(ctx.t("booking.no_such_item", text=typed))
            return
        item = found[0]
    ctx.data["item_id"] = item.id
    # The home (and the time) may already be known from the first message.
    await flows.goto(ctx, FLOW, _after_room(ctx) if "room_id" in ctx.data else S.ROOM)


def _describes(ctx: Ctx, typed: str) -> bool:
    """Words that describe a job ("装两根窗帘杆"), not a mistyped name or keyboard noise ("asdfgh")."""
    chinese = sum("\u4e00" <= ch <= "\u9fff" for ch in typed)
    return chinese >= MIN_DESCRIPTION or len(typed.split()) >= 3 and not ctx.classifier.classify(typed).low_confidence


async def _other(ctx: Ctx) -> None:
    """The quoted service chosen: its description next (unless said), then home and time."""
    ctx.data["item_id"] = OTHER
    if not ctx.data.get("description"):
        await flows.goto(ctx, FLOW, S.DESCRIBE)
        return
    await flows.goto(ctx, FLOW, S.SLOT if "room_id" in ctx.data else S.ROOM)


async def ask_other(ctx: Ctx) -> None:
    """No catalogue item surely fits the owner's words: staff quote it, the closest item (if
    any shares words with them), or the list."""
    said = str(ctx.data.get("description") or "")
    items = await ctx.uow.directory.catalogue(ctx.community.id)
    closest = named_item(said, items)
    rows = [(choice(ctx, ctx.t("booking.other_submit"), OTHER),)]
    if closest is not None:
        rows.append((choice(ctx, ctx.t("booking.other_closest", name=item_name(closest, ctx.locale),
                                       price=price_label(closest, ctx.locale)), f"item:{closest.id}"),))
    rows.append((choice(ctx, ctx.t("booking.other_list"), "list"),))
    ctx.say(ctx.t("booking.ask_other", text=said[:60]), (*rows, nav_row(ctx)))


async def answer_other(ctx: Ctx, inbound: Inbound) -> None:
    """"提交" (or a typed yes, or a time: "周六上午" — an answer to the time question means go
    on) books the quoted service; the closest item or "价目表" go back to the catalogue."""
    if ctx.picked and ctx.picked.startswith("item:"):
        await answer_item(ctx, inbound)
        return
    if ctx.picked is None and inbound.text and not is_go_ahead(inbound.text):
        found = await ahead.read(ctx, "booking", inbound.text)
        if found is not None and "slot" in found.answers:
            ctx.data["_ahead"] = {"slot": found.answers["slot"]}
            await _other(ctx)
            return
    if ctx.picked == OTHER or ctx.picked is None and is_go_ahead(inbound.text):
        await _other(ctx)
        return
    if ctx.picked == "list":
        ctx.data["show_all"] = True
        await flows.goto(ctx, FLOW, S.ITEM)
        return
    ctx.say(ctx.t("booking.use_buttons_other"))


async def ask_describe(ctx: Ctx) -> None:
    ctx.say(ctx.t("booking.ask_describe"), (nav_row(ctx),))


async def answer_describe(ctx: Ctx, inbound: Inbound) -> None:
    """What the owner needs done, in their words."""
    text = text_of(ctx, inbound, max_len=500)
    if text is not None:
        ctx.data["description"] = text
        await flows.goto(ctx, FLOW, S.SLOT if "room_id" in ctx.data else S.ROOM)


def _after_room(ctx: Ctx) -> str:
    """The catalogue unless an item is chosen; then the time, unless the first message gave it."""
    if "item_id" not in ctx.data:
        return S.ITEM
    return S.CONFIRM if ctx.data.get("slot") else S.SLOT


async def _several_communities(ctx: Ctx) -> bool:
    return len({h.community.id for h in await ctx.homes()}) > 1


async def ask_room(ctx: Ctx) -> None:
    """Which home: asked only of owners with several. With homes in several communities it
    is asked first (before the catalogue), since each community has its own services."""
    offered = await homes.offered(ctx)
    if len(offered) <= 1:  # one home (or none): nothing to ask
        ctx.state.step = _after_room(ctx)
        ctx.data["room_id"] = offered[0][0].room.id if offered else None
        await flows.ask(ctx, FLOW)
        return
    rows = [(choice(ctx, ctx.t("booking.my_room", room=label), f"room:{home.room.id}"),) for home, label in offered]
    ctx.say(ctx.t("booking.ask_room"), (*rows, nav_row(ctx, back="item_id" in ctx.data)))


async def answer_room(ctx: Ctx, inbound: Inbound) -> None:
    """A room button or a typed room number of the owner's; a home in another community
    moves the booking there (its catalogue, its team)."""
    was_in = ctx.community.id
    if ctx.picked is not None:
        home = await homes.choose(ctx, parse_int(ctx.picked.removeprefix("room:")))
        if home is None:
            ctx.say(ctx.t("common.expired"))
            return
    else:
        typed = text_of(ctx, inbound, max_len=40)
        if typed is None:
            return
        home = homes.typed(await ctx.homes(), typed)
        if home is None:
            ctx.say(ctx.t("booking.not_your_room", room=typed))
            return
        await homes.choose(ctx, home.room.id)
    if ctx.community.id != was_in:
        ctx.data.pop("item_id", None)  # an item of the other community's catalogue
    ctx.data["room_id"] = home.room.id
    await flows.goto(ctx, FLOW, _after_room(ctx))


async def ask_slot(ctx: Ctx) -> None:
    """Half-day slots of the next days as buttons, or a time typed in the owner's words.
    Tomorrow's say so ("明天 12月7日（周一）上午"), as the report's time buttons do; only on the
    button, since the slot kept on the case must not say "tomorrow" the day after."""
    tomorrow = _today(ctx) + timedelta(days=1)
    buttons = [choice(ctx, (ctx.t("booking.tomorrow") + " " if day == tomorrow else "") + slot_label(day, half, ctx.locale),
                      f"{day.isoformat()}:{half}")
               for day, half in offered_slots(ctx.now, ctx.policy.timezone)]
    rows = tuple(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2))
    ctx.say(ctx.t("booking.ask_slot"), (*rows, nav_row(ctx)))


async def answer_slot(ctx: Ctx, inbound: Inbound) -> None:
    """Staff read the slot in Chinese on the card; the owner sees it in their language."""
    if ctx.picked is not None:
        parsed = _parse_slot(ctx.picked)
        today = _today(ctx)
        if parsed is None or not today < parsed[0] <= today + timedelta(days=MAX_SLOT_AHEAD):
            ctx.say(ctx.t("booking.slot_gone"))
            await flows.again(ctx, FLOW)
            return
        day, half = parsed
        ctx.data["slot"] = slot_label(day, half, DEFAULT_LOCALE)
        ctx.data["slot_shown"] = slot_label(day, half, ctx.locale)
        ctx.data["window"] = slot_window(day, half, ctx.policy.timezone).to_json()
    else:
        # The owner's words ("周六上午", "下班后", "随时"), read as a window; re-asked if unreadable.
        typed = time_of(ctx, inbound)
        if typed is None:
            return
        ctx.data["slot"], ctx.data["slot_shown"] = typed.text[:60], typed.shown(ctx.locale)
        ctx.data["window"] = typed.when.to_json() if typed.when else None
    await flows.goto(ctx, FLOW, S.CONFIRM)


async def ask_confirm(ctx: Ctx) -> None:
    """The price, stated plainly, and an explicit yes before booking."""
    if ctx.data.get("item_id") == OTHER:
        ctx.say(ctx.t("booking.other_summary", what=ctx.data.get("description") or "-", where=await _where(ctx),
                      slot=ctx.data["slot_shown"]),
                ((choice(ctx, ctx.t("booking.other_confirm"), "yes"),), nav_row(ctx)))
        return
    item = await _item(ctx, ctx.data.get("item_id"))
    if item is None:  # withdrawn from the catalogue while the owner was choosing
        ctx.say(ctx.t("booking.item_gone"))
        keep = {k: ctx.data[k] for k in ("description", "category") if ctx.data.get(k)}
        await flows.begin(ctx, FLOW, **keep)
        return
    where = "-"
    if ctx.data.get("room_id"):
        room = await ctx.uow.directory.room_by_id(ctx.data["room_id"])
        where = room.code if room else "-"
    price = price_label(item, ctx.locale)
    # What the owner says yes to: a price change before the yes is shown, never slipped in.
    ctx.data["price_cents"] = item.price_cents
    ctx.say(ctx.t("booking.summary", item=item_name(item, ctx.locale), where=where, slot=ctx.data["slot_shown"],
                  price=price),
            ((choice(ctx, ctx.t("booking.confirm", price=price), "yes"),), nav_row(ctx)))


async def _where(ctx: Ctx) -> str:
    room = await ctx.uow.directory.room_by_id(ctx.data["room_id"]) if ctx.data.get("room_id") else None
    return room.code if room else "-"


async def _book_other(ctx: Ctx, inbound: Inbound) -> None:
    """A service case with the owner's words; the price is quoted by staff before any work."""
    if not said_yes(ctx, inbound, "yes", "booking.use_buttons_other_confirm"):
        return
    category = ctx.data.get("category")
    window = ctx.data.get("window")
    case = await open_case(
        ctx, kind=Kind.SERVICE, urgency=Urgency.NORMAL,
        category=category if category in CATEGORIES[Kind.SERVICE] else DEFAULT_CATEGORY,
        description=str(ctx.data.get("description") or ""), room_id=ctx.data.get("room_id"),
        photos=list(ctx.data.get("photos") or []),  # the photos sent at any step of the booking
        details={"item": t(DEFAULT_LOCALE, "booking.other_item"), "slot": ctx.data["slot"],
                 "price": t(DEFAULT_LOCALE, "booking.to_quote"), **({"window": window} if window else {})},
    )
    tell_opened(ctx, case, "booking.other_booked", {"slot": ctx.data["slot_shown"]})


async def answer_confirm(ctx: Ctx, inbound: Inbound) -> None:
    """Book only at the price the owner saw; if it changed meanwhile, show the new one."""
    if ctx.data.get("item_id") == OTHER:
        await _book_other(ctx, inbound)
        return
    item = await _item(ctx, ctx.data.get("item_id"))
    if item is None:
        await ask_confirm(ctx)
        return
    if not said_yes(ctx, inbound, "yes", "booking.use_buttons"):
        return
    # The service books only at the price the owner saw; if it changed meanwhile, they see the new one.
    price_zh = price_label(item, DEFAULT_LOCALE)
    window = When.from_json(ctx.data.get("window"))
    span = (window.start, window.end) if window and window.span == Span.WINDOW and window.start and window.end else None
    try:
        events = await casework.book_service(
            ctx.uow, ctx.community, as_owner(ctx), ctx.now, item=item, price_seen=int(ctx.data.get("price_cents", -1)),
            slot=ctx.data["slot"], description=ctx.data.get("description") or item.name_zh,
            room_id=ctx.data.get("room_id"), window=span, photos=ctx.data.get("photos", []),
            details={"item": item.name_zh, "slot": ctx.data["slot"], "price": price_zh,
                     **({"window": ctx.data["window"]} if ctx.data.get("window") else {})},
        )
    except PriceChanged:
        ctx.say(ctx.t("booking.price_changed"))
        await flows.again(ctx, FLOW)
        return
    told = {"item": item_name(item, ctx.locale), "slot": ctx.data["slot_shown"], "price": price_label(item, ctx.locale)}
    tell_opened(ctx, await opened(ctx, events), "booking.booked", told)


FLOW = Flow("booking", S.ITEM, {
    S.ITEM: Step(ask_item, answer_item),
    S.OTHER: Step(ask_other, answer_other),
    S.DESCRIBE: Step(ask_describe, answer_describe),
    S.ROOM: Step(ask_room, answer_room),
    S.SLOT: Step(ask_slot, answer_slot),
    S.CONFIRM: Step(ask_confirm, answer_confirm),
})
