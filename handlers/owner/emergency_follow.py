"""An emergency, wherever the owner is in the conversation, and the minutes after it.

The case opens at once (or, when the owner's own emergency is still fresh, the new words
join it), the duty team is alerted, and the flow the owner was in is set aside to resume.
For the next minutes what the owner sends — the place, more words, photos, "没事了" —
belongs to that emergency: it is added to the case and its alerts, never the start of a
new flow.  If the place is unknown it is asked once, with one tap for the owner's home or
building.  "Yes or no" is asked instead when the classifier is unsure about danger.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum

from cases.codes import CATEGORIES, Area, Kind, Urgency
from cases.lifecycle import Case
from cases.records import Community
from handlers.aftercare import survey
from handlers.kit import flow as flows
from handlers.kit import homes
from handlers.kit.acting import as_owner
from handlers.kit.announcers import announce
from handlers.kit.cards import STAFF_LOCALE
from handlers.kit.context import Classification, Ctx, Home
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.i18n import t
from handlers.kit.messages import Button, Inbound
from handlers.kit.numbers import parse_int
from handlers.kit.payloads import CaseAction, Menu
from handlers.kit.photos import MAX_PHOTOS
from handlers.owner import additions, communities, pause, talk
from handlers.owner.emergency import emergency_guidance
from handlers.owner.faq import resemblance
from handlers.owner.owned import owned_case
from handlers.staff.casework import open_case
from services import casework
from services.events import CaseMoved

FOLLOW_MINUTES = 10  # what the owner sends this long after the alarm belongs to it
SAME_STORY = 0.2  # share of character pairs two messages about one danger have in common
JOIN_MINUTES = 30  # the same kind of alarm from the same owner this soon joins the first
# A place named in the message itself: 3号楼, 2单元, 5楼/5层, B2车库, building 3, 5th floor.
_NUM = r"(?:\d+|[一二三四五六七八九十两]+|[A-Za-z]\d*)"
PLACE_IN_TEXT = re.compile(
    rf"{_NUM}\s*(?:号楼|栋|幢|座|单元|楼|层|号)(?:\s*{_NUM}\s*(?:单元|楼|层|室|号))*"
    r"(?:[的里]?(?:电梯(?:口|间|里)?|楼道|楼梯间?|大堂|门口|走廊|车库|地下室|天台|楼顶|过道))?"
    r"|(?:地下车库|地库|车库|地下室|大门口|南门|北门|东门|西门|小区门口|花园|广场|游乐场|泳池|会所|天台|楼顶)"
    r"|(?:building|block|floor|unit)\s*\d+|\d+(?:st|nd|rd|th)\s+floor",
    re.IGNORECASE,
)
# A typed answer that names a place (rather than adds to what happened).
PLACE_WORDS = re.compile(r"楼|栋|幢|单元|层|室|号|车库|地库|电梯|门口|大门|区|大堂|地下|楼道|楼梯|走廊|小区|花园|广场|停车|"
                         r"天台|楼顶|家|room|floor|building|lift|elevator|garage|gate|corridor|stair", re.IGNORECASE)


HOME_WORDS = ("我家", "家里", "家", "我家里", "在家", "home", "my home", "at home")


class S(StrEnum):
    PLACE = "place"
    MORE = "more"


class D(StrEnum):
    ASK = "ask"


# ----------------------------------------------------------------- opening or joining
async def raise_alarm(ctx: Ctx, text: str, result: Classification, photo: str | None = None) -> None:
    """Open the emergency case (or join the owner's fresh one), alert, guide, follow up.
    Photos the interrupted flow got minutes ago ("这是楼道里的电线", then "线头在冒火星") go with it."""
    photos = [*held_photos(ctx), *([photo] if photo else [])][:MAX_PHOTOS]
    pause.pause(ctx)
    # A stranger naming the community ("东苑小区3号楼电梯困人"): its duty team, at once.
    named = next((c for c in await communities.undecided(ctx) if c.name in text), None)
    if named is not None:
        await ctx.enter(named)
    fresh = await _fresh_emergency(ctx)
    if fresh is not None and fresh.category == result.category and _same_story(text, fresh.description):
        # The same danger told again (the lift, still stuck): one case, not two.
        await additions.add_to_case(ctx, fresh, text=text, photo=photos[0] if photos else None)
        for more in photos[1:]:
            await additions.add_to_case(ctx, fresh, photo=more)
        await _follow(ctx, fresh)
        ctx.say(ctx.t("followup.joined", id=fresh.id), await _buttons(ctx, fresh))
        return
    kind = result.kind if result.kind in (Kind.REPORT, Kind.COMPLAINT) else Kind.REPORT
    fallback = "security" if kind == Kind.REPORT else "common"
    category = result.category if result.category in CATEGORIES[Kind(kind)] else fallback
    area = (result.area or Area.PUBLIC) if kind == Kind.REPORT else ""
    # "At home" is the owner's home only when they have one (in any community); else it is asked.
    mine = await ctx.homes()
    one = mine[0] if len(mine) == 1 and mine[0].community.id == ctx.community.id else None
    room_id = one.room.id if one is not None and area == Area.HOME else None
    named = PLACE_IN_TEXT.search(text)
    place = named.group(0).strip() if named and room_id is None else ""
    case = await open_case(ctx, kind=kind, urgency=Urgency.EMERGENCY, category=category, area=area,
                           description=text, room_id=room_id, place=place, photos=photos)
    ctx.say(emergency_guidance(ctx, case), await _buttons(ctx, case))
    await _follow(ctx, case)


def held_photos(ctx: Ctx) -> list[str]:
    """The photos the flow in progress (a report, complaint or booking) holds, when the last
    came within the follow-up minutes: a danger told just after them is what they show."""
    if ctx.state.flow not in ("report", "complaint", "booking") or not ctx.data.get("photos"):
        return []
    try:
        at = datetime.fromisoformat(str(ctx.data.get("photos_at")))
    except ValueError:
        return []
    if ctx.now - at > timedelta(minutes=FOLLOW_MINUTES):
        return []
    return [p for p in ctx.data["photos"] if isinstance(p, str)]


def _same_story(new: str, old: str) -> bool:
    """Told again in other words ("电梯还没人来 我还被关着") rather than a second danger."""
    return max(resemblance(new, old), resemblance(old, new)) >= SAME_STORY


async def _fresh_emergency(ctx: Ctx) -> Case | None:
    case = await additions.latest_open(ctx, emergency_only=True)
    if case is None or case.created_at is None or ctx.now - case.created_at > timedelta(minutes=JOIN_MINUTES):
        return None
    return case


async def _buttons(ctx: Ctx, case: Case) -> tuple[tuple[Button, ...], ...]:
    """Under the guidance: "it was a false alarm", and back to what the owner was doing."""
    rows: list[tuple[Button, ...]] = [(ctx.button(ctx.t("followup.false_alarm_button"), CaseAction("false_alarm", case.id or 0)),)]
    back = await resume_button(ctx)
    if back is not None:
        rows.append((back,))
    return tuple(rows)


async def resume_button(ctx: Ctx) -> Button | None:
    """Back to the paused flow, or to a callback survey still waiting for its answers."""
    back = pause.resume_button(ctx)
    if back is None and await survey.open_survey(ctx) is not None:
        back = ctx.button(ctx.t("talk.resume", what=ctx.t("talk.flow_survey")), Menu("resume"))
    return back


async def _follow(ctx: Ctx, case: Case) -> None:
    """Enter the follow-up: ask the place if nobody knows it, then take what comes."""
    await flows.begin(ctx, FLOW, case_id=case.id, since=ctx.now.isoformat())


def following(ctx: Ctx) -> bool:
    """The owner is in an emergency's follow-up minutes (expired ones end here)."""
    if ctx.state.flow != FLOW.name:
        return False
    try:
        since = datetime.fromisoformat(ctx.data["since"])
    except (KeyError, TypeError, ValueError):
        since = None
    if since is None or ctx.now - since > timedelta(minutes=FOLLOW_MINUTES):
        flows.end(ctx)
        return False
    return True


async def _case(ctx: Ctx) -> Case | None:
    case = await ctx.uow.cases.get(int(ctx.data.get("case_id") or 0))
    if case is None or case.status not in additions.WORKING:
        flows.end(ctx)
        return None
    return case


# ----------------------------------------------------------------- the follow-up steps
async def ask_place(ctx: Ctx) -> None:
    """Where is it? Asked once, and only when neither the room nor a place is known."""
    case = await _case(ctx)
    if case is None:
        return
    unknown = await communities.undecided(ctx)
    if unknown:
        # A stranger with no hint: the alarm went out at once; now which community it is in.
        rows_of = [(choice(ctx, c.name, f"community:{c.code}"),) for c in unknown]
        ctx.say(ctx.t("followup.ask_community", id=case.id), tuple(rows_of))
        return
    if case.room_id or case.place:
        ctx.state.step = S.MORE
        return
    owner = await ctx.owner()
    # Every home of the owner, in every community (labelled with it when there are several);
    # their buildings in the case's community (a shared area elsewhere is typed).
    rows: list[tuple[Button, ...]] = [(choice(ctx, ctx.t("followup.my_home", room=label), f"room:{home.room.id}"),)
                                      for home, label in await homes.offered(ctx)]
    if owner is not None:
        buildings = dict.fromkeys(r.building for r in owner.rooms if r.building)
        rows += [(choice(ctx, ctx.t("followup.my_building", building=b), f"building:{b}"),) for b in buildings]
    ctx.say(ctx.t("followup.ask_place", id=case.id), tuple(rows))


async def answer_place(ctx: Ctx, inbound: Inbound) -> None:
    """A tap for home or building, or the place typed; anything else joins the case."""
    case = await _case(ctx)
    if case is None:
        return
    owner = await ctx.owner()
    picked = ctx.picked or ""
    unknown = await communities.undecided(ctx)
    if unknown:
        named = next((c for c in unknown if f"community:{c.code}" == picked), None) if picked else \
            communities.find(unknown, (inbound.text or "")[:200])
        if named is None and picked:
            ctx.say(ctx.t("common.expired"))
            return
        if named is not None:
            await _community_named(ctx, case, named)
            return
    if picked.startswith("room:"):
        room_id = parse_int(picked.removeprefix("room:"))
        home = next((h for h in await ctx.homes() if h.room.id == room_id), None)
        if home is None:
            ctx.say(ctx.t("common.expired"))
            return
        if home.community.id != case.community_id:
            await _elsewhere(ctx, case, home)
            return
        await additions.set_place(ctx, case, room_id=home.room.id)
    elif picked.startswith("building:"):
        building = picked.split(":", 1)[1]
        if owner is None or building not in {r.building for r in owner.rooms}:
            ctx.say(ctx.t("common.expired"))
            return
        await additions.set_place(ctx, case, place=ctx.t("followup.building_place", building=building))
    else:
        text = (inbound.text or "").strip()
        mine = await ctx.homes()
        home = mine[0] if len(mine) == 1 and text.strip("在。.!！ ") in HOME_WORDS else None
        if home is not None and home.community.id == case.community_id:
            await additions.set_place(ctx, case, room_id=home.room.id)
        elif text and not inbound.photo and len(text) <= 80 and PLACE_WORDS.search(text) and not talk.false_alarm(text):
            await additions.set_place(ctx, case, place=text)
        else:
            await answer_more(ctx, inbound)
            return
    ctx.state.step = S.MORE
    ctx.say(ctx.t("followup.place_noted", id=case.id), await _buttons(ctx, case))


async def _elsewhere(ctx: Ctx, case: Case, home: Home) -> None:
    """The emergency is at the owner's home in another community: the case moves there
    (`services.casework.move_to_community`) — that community's duty team is alerted at once
    and the first case leaves its community's board — and the follow-up goes on with it."""
    room = ctx.t("communities.home", community=home.community.name, room=home.room.code)
    await _move(ctx, case, home.community, room_id=home.room.id,
                reason=t(STAFF_LOCALE, "movecase.reason_home", room=room))


async def _community_named(ctx: Ctx, case: Case, community: Community) -> None:
    """A stranger's answer to "which community?": the case stays (its own community) or moves
    to that community, whose duty team gets it at once; then the place is asked there."""
    if community.id != case.community_id:
        await _move(ctx, case, community, place=case.place,
                    reason=t(STAFF_LOCALE, "movecase.reason_named", community=community.name))
        return
    await ctx.enter(community)
    await ask_place(ctx)


async def _move(ctx: Ctx, case: Case, community: Community, *, reason: str, room_id: int | None = None,
                place: str | None = None) -> None:
    """Move the case, go on in that community with the new case, and tell the owner once."""
    events = await casework.move_to_community(ctx.uow, ctx.community, case.id or 0, as_owner(ctx), ctx.now,
                                              to=community.code, room_id=room_id, place=place, reason=reason)
    for reply in await announce(ctx.uow, ctx.community, events, ctx.now):
        ctx.send(reply)
    moved = next(e for e in events if isinstance(e, CaseMoved)).to_case
    await ctx.enter(community)
    await _follow(ctx, moved)
    ctx.state.step = S.MORE
    ctx.say(ctx.t("followup.moved", id=moved.id, community=community.name), await _buttons(ctx, moved))


async def ask_more(ctx: Ctx) -> None:
    """Nothing to ask: the guidance is on screen; what comes next joins the case."""


async def answer_more(ctx: Ctx, inbound: Inbound) -> None:
    """More words or photos for the emergency, or "没事了"."""
    case = await _case(ctx)
    if case is None:
        return
    text = (inbound.text or "").strip()
    if talk.false_alarm(text) and not inbound.photo:
        await _false_alarm(ctx, case)
        return
    if not text and not inbound.photo:
        return
    if (talk.small_talk(text) or talk.yes_no(text)) and not inbound.photo:
        ctx.say(ctx.t("followup.stay_safe", id=case.id), await _buttons(ctx, case))
        return
    if text and not case.room_id and not case.place and len(text) <= 80 and PLACE_WORDS.search(text):
        await additions.set_place(ctx, case, place=text)
        ctx.state.step = S.MORE
        ctx.say(ctx.t("followup.place_noted", id=case.id), await _buttons(ctx, case))
        return
    await additions.add_to_case(ctx, case, text=text[:1000], photo=inbound.photo)
    ctx.state.step = S.MORE
    ctx.say(ctx.t("followup.added", id=case.id), await _buttons(ctx, case))


async def _false_alarm(ctx: Ctx, case: Case) -> None:
    await additions.false_alarm(ctx, case)
    if ctx.state.flow == FLOW.name:
        flows.end(ctx)
    back = await resume_button(ctx)
    ctx.say(ctx.t("followup.false_alarm_noted", id=case.id), ((back,),) if back else ctx.routes.menu(ctx))


async def false_alarm_pressed(ctx: Ctx, pressed: CaseAction) -> None:
    """The "误报/已没事" button under the guidance: re-authorised like every case button."""
    ctx.answer = ""
    case = await owned_case(ctx, pressed.case_id)
    if case.status not in additions.WORKING:
        ctx.say(ctx.t("followup.already_over", id=case.id))
        return
    await _false_alarm(ctx, case)


async def false_alarm_typed(ctx: Ctx) -> bool:
    """"没事了/误报" typed after the follow-up minutes, while the owner's emergency is still open."""
    case = await additions.latest_open(ctx, emergency_only=True)
    if case is None or case.created_at is None or ctx.now - case.created_at > timedelta(hours=2):
        return False
    await _false_alarm(ctx, case)
    return True


FLOW = Flow("emergency", S.PLACE, {
    S.PLACE: Step(ask_place, answer_place),
    S.MORE: Step(ask_more, answer_more),
}, needs_owner=False)


# ----------------------------------------------------------------- "is anyone in danger now?"
async def ask_danger(ctx: Ctx, text: str) -> None:
    """The classifier cannot tell: one yes/no question instead of a guess (a photo the words
    came with is kept for whatever the answer leads to)."""
    pause.pause(ctx)
    await flows.begin(ctx, DANGER, text=text, photo=ctx.inbound.photo)


async def ask_danger_step(ctx: Ctx) -> None:
    ctx.say(ctx.t("followup.danger_question"),
            ((choice(ctx, ctx.t("followup.danger_yes"), "yes"), choice(ctx, ctx.t("followup.danger_no"), "no")),))


async def answer_danger(ctx: Ctx, inbound: Inbound) -> None:
    """Yes: the emergency opens with the owner's words.  No: carry on as if never asked."""
    answer = ctx.picked or talk.yes_no(inbound.text)
    text = str(ctx.data.get("text") or "")
    photo = ctx.data.get("photo") or None
    if answer == "yes":
        result = ctx.classifier.classify(text)
        flows.end(ctx)
        await raise_alarm(ctx, text, result, photo=photo)
        return
    flows.end(ctx)
    if answer == "no":
        ctx.inbound = replace(ctx.inbound, photo=photo)  # the photo goes where its words go
        await ctx.routes.carry_on(ctx, text)
        return
    # Something else entirely: the owner let the question go by, so what they said before is
    # not dangerous to them — it goes where it was going (as after "no"; at a step, it is that
    # step's answer and must not be lost), and then the new message is read afresh.
    new = ctx.inbound
    ctx.inbound = replace(new, photo=photo)
    await ctx.routes.carry_on(ctx, text)
    ctx.inbound, ctx.picked = new, None
    await ctx.routes.carry_on(ctx, None)


DANGER = Flow("danger", D.ASK, {D.ASK: Step(ask_danger_step, answer_danger)}, needs_owner=False)
