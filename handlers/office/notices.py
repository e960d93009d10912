"""Notices in chat (信息发布), for the office staff entitled to send them (`may_send_notices`).

/notice: scope by buttons (the whole community, a building, or a range of a building's
units), the text, an optional photo, urgent or not, then a preview exactly as owners
will receive it and the number of owners it reaches; "send" enqueues it in the same
unit of work as the confirmation.  /notices lists the latest notices with how many
were delivered, failed (the owner blocked the bot) or are still on their way.

Everything runs in the sender's private chat; a refusal changes nothing and says why.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from cases.errors import InvalidInput, NotAllowed, NotFound
from cases.permissions import StaffMember, may_send_notices
from handlers.kit import flow as flows
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import local_time
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Button, Inbound
from handlers.kit.numbers import parse_int
from handlers.kit.payloads import NoticeStatus as NoticeStatusButton
from handlers.office import notice_service as service
from handlers.office.notice_service import NoticeDraft, NoticeScope, NoticeStatus
from handlers.staff.common import refuse
from storage.notices import BuildingUnits, NoticeRow

log = logging.getLogger("wuye.notices")

MAX_TEXT = 1000
RECENT = 5
EXCERPT = 40
SEND_WORDS = frozenset({"发送", "确认", "确认发送", "send", "yes"})
NO_PHOTO_WORDS = frozenset({"不配图", "跳过", "下一步", "没有", "不用", "skip", "next", "no", "done"})


class S(StrEnum):
    SCOPE = "scope"
    UNITS = "units"
    LAST_UNIT = "last_unit"
    TEXT = "text"
    PHOTO = "photo"
    URGENCY = "urgency"
    PREVIEW = "preview"


async def _sender(ctx: Ctx, *, say: bool = False) -> StaffMember | None:
    """The staff member when entitled to send notices, else None after a polite refusal
    (a toast for a button press, unless `say`: inside the flow the answer is a message)."""
    staff = await ctx.staff()
    if staff is None:
        refuse(ctx, "notices.inactive" if ctx.identity.staff_id is not None else "notices.only_office", say=say)
        return None
    if not may_send_notices(staff):
        refuse(ctx, "notices.not_your_role", say=say)
        return None
    return staff


async def notice_command(ctx: Ctx, _: str) -> None:
    """Start composing a notice."""
    if await _sender(ctx) is not None:
        await flows.begin(ctx, FLOW)


# ----------------------------------------------------------------- scope
async def _buildings(ctx: Ctx) -> list[BuildingUnits]:
    return await ctx.uow.notices.buildings(ctx.community.id)


async def _building(ctx: Ctx, code: str | None) -> BuildingUnits | None:
    return next((b for b in await _buildings(ctx) if b.code == code), None)


def scope_text(ctx: Ctx, scope: NoticeScope, buildings: list[BuildingUnits]) -> str:
    """How a scope reads: 全小区 / 1号楼 / 1号楼 2单元 / 1号楼 1–2单元."""
    if scope.kind == "community":
        return ctx.t("notices.scope_all")
    name = next((b.name for b in buildings if b.code == scope.building), scope.building or "?")
    if scope.kind == "building" or not scope.units:
        return name
    if len(scope.units) == 1:
        return ctx.t("notices.scope_unit", building=name, unit=scope.units[0])
    return ctx.t("notices.scope_units", building=name, first=scope.units[0], last=scope.units[-1])


def _scope(ctx: Ctx) -> NoticeScope:
    return NoticeScope.from_target(ctx.data["scope"], ctx.data.get("target") or {})


async def _chose(ctx: Ctx, scope: NoticeScope) -> None:
    ctx.data.update(scope=scope.kind, target=scope.target())
    await flows.goto(ctx, FLOW, S.TEXT)


def _grid(buttons: list[Button], per_row: int = 3) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i:i + per_row]) for i in range(0, len(buttons), per_row))


async def ask_scope(ctx: Ctx) -> None:
    """Who the notice is for: the whole community or one building."""
    buttons = [choice(ctx, ctx.t("notices.btn_all"), "all")]
    buttons += [choice(ctx, b.name, f"b:{b.code}") for b in await _buildings(ctx)]
    ctx.say(ctx.t("notices.ask_scope"), (*_grid(buttons), nav_row(ctx, back=False)))


async def answer_scope(ctx: Ctx, inbound: Inbound) -> None:
    """Only the buttons answer; a building with several units asks which of them."""
    if ctx.picked == "all":
        await _chose(ctx, NoticeScope.community())
        return
    picked = ctx.picked or ""
    building = await _building(ctx, picked.removeprefix("b:")) if picked.startswith("b:") else None
    if building is None:
        ctx.say(ctx.t("notices.use_buttons"))
        return
    ctx.data["building"] = building.code
    if len(building.units) < 2:
        await _chose(ctx, NoticeScope.of_building(building.code))
        return
    await flows.goto(ctx, FLOW, S.UNITS)


async def _scope_gone(ctx: Ctx) -> None:
    """The chosen building left the register mid-way (a community file reloaded): choose again."""
    ctx.say(ctx.t("notices.scope_gone"))
    ctx.state.step = S.SCOPE
    ctx.data["_history"] = []
    await ask_scope(ctx)


async def ask_units(ctx: Ctx) -> None:
    """The whole building, or the unit a range starts at."""
    building = await _building(ctx, ctx.data.get("building"))
    if building is None:
        await _scope_gone(ctx)
        return
    buttons = [choice(ctx, ctx.t("notices.btn_unit", unit=u), f"u:{i}") for i, u in enumerate(building.units)]
    ctx.say(ctx.t("notices.ask_units", building=building.name),
            ((choice(ctx, ctx.t("notices.btn_whole", building=building.name), "whole"),), *_grid(buttons, 4),
             nav_row(ctx)))


def _unit_index(ctx: Ctx, building: BuildingUnits, lowest: int = 0) -> int | None:
    picked = ctx.picked or ""
    number = picked.removeprefix("u:")
    if not picked.startswith("u:"):
        return None
    return parse_int(number, lo=lowest, hi=len(building.units) - 1)


async def answer_units(ctx: Ctx, inbound: Inbound) -> None:
    """The whole building, or a first unit (then: up to which unit)."""
    building = await _building(ctx, ctx.data.get("building"))
    if building is None:
        await _scope_gone(ctx)
        return
    if ctx.picked == "whole":
        await _chose(ctx, NoticeScope.of_building(building.code))
        return
    first = _unit_index(ctx, building)
    if first is None:
        ctx.say(ctx.t("notices.use_buttons"))
        return
    if first == len(building.units) - 1:
        await _chose(ctx, NoticeScope.of_units(building.code, building.units[first]))
        return
    ctx.data["first_unit"] = first
    await flows.goto(ctx, FLOW, S.LAST_UNIT)


async def ask_last_unit(ctx: Ctx) -> None:
    """Up to which unit the range goes (the first one alone is a choice too)."""
    building = await _building(ctx, ctx.data.get("building"))
    first = parse_int(ctx.data.get("first_unit", 0))
    if building is None or first is None or first >= len(building.units):
        await _scope_gone(ctx)
        return
    buttons = [choice(ctx, ctx.t("notices.btn_only_unit" if i == first else "notices.btn_to_unit", unit=u), f"u:{i}")
               for i, u in enumerate(building.units) if i >= first]
    ctx.say(ctx.t("notices.ask_last_unit", building=building.name, unit=building.units[first]),
            (*_grid(buttons, 3), nav_row(ctx)))


async def answer_last_unit(ctx: Ctx, inbound: Inbound) -> None:
    """Units first..last of the building."""
    building = await _building(ctx, ctx.data.get("building"))
    if building is None:
        await _scope_gone(ctx)
        return
    first = parse_int(ctx.data.get("first_unit", 0))
    if first is None:
        await _scope_gone(ctx)
        return
    last = _unit_index(ctx, building, lowest=first)
    if last is None:
        ctx.say(ctx.t("notices.use_buttons"))
        return
    await _chose(ctx, NoticeScope.of_units(building.code, *building.units[first:last + 1]))


# ----------------------------------------------------------------- content
async def ask_text(ctx: Ctx) -> None:
    """What the notice says."""
    ctx.say(ctx.t("notices.ask_text", scope=scope_text(ctx, _scope(ctx), await _buildings(ctx)), limit=MAX_TEXT),
            (nav_row(ctx),))


async def answer_text(ctx: Ctx, inbound: Inbound) -> None:
    """The text; a photo sent with a caption brings its photo along."""
    text = text_of(ctx, inbound, max_len=MAX_TEXT)
    if text is None:
        return
    ctx.data["text"] = text
    if inbound.photo:
        ctx.data["photo"] = inbound.photo
    await flows.goto(ctx, FLOW, S.PHOTO)


async def ask_photo(ctx: Ctx) -> None:
    """An optional photo (a map of the works, the water company's notice)."""
    if ctx.data.get("photo"):
        ctx.say(ctx.t("notices.photo_received"),
                ((choice(ctx, ctx.t("notices.btn_next"), "done"), choice(ctx, ctx.t("notices.btn_drop_photo"), "drop")),
                 nav_row(ctx)))
        return
    ctx.say(ctx.t("notices.ask_photo"), ((choice(ctx, ctx.t("notices.btn_no_photo"), "done"),), nav_row(ctx)))


async def answer_photo(ctx: Ctx, inbound: Inbound) -> None:
    """A photo (a second one replaces the first), or go on without."""
    if inbound.photo:
        ctx.data["photo"] = inbound.photo
        await flows.again(ctx, FLOW)
        return
    if ctx.picked == "drop":
        ctx.data.pop("photo", None)
        await flows.again(ctx, FLOW)
        return
    if ctx.picked == "done" or (inbound.text or "").strip().lower() in NO_PHOTO_WORDS:
        await flows.goto(ctx, FLOW, S.URGENCY)
        return
    ctx.say(ctx.t("notices.photo_hint"))


async def ask_urgency(ctx: Ctx) -> None:
    """Urgent notices reach owners who muted the ordinary ones too."""
    ctx.say(ctx.t("notices.ask_urgency"),
            ((choice(ctx, ctx.t("notices.btn_normal"), "normal"),), (choice(ctx, ctx.t("notices.btn_urgent"), "urgent"),),
             nav_row(ctx)))


async def answer_urgency(ctx: Ctx, inbound: Inbound) -> None:
    """Only the buttons answer."""
    if ctx.picked not in ("normal", "urgent"):
        ctx.say(ctx.t("notices.use_buttons"))
        return
    ctx.data["urgent"] = ctx.picked == "urgent"
    await flows.goto(ctx, FLOW, S.PREVIEW)


# ----------------------------------------------------------------- preview and send
async def _draft(ctx: Ctx) -> NoticeDraft | None:
    """The notice as collected, its sender checked again, counted; None (and the flow ended)
    after saying what went wrong."""
    staff = await _sender(ctx, say=True)
    if staff is None:
        flows.end(ctx)
        return None
    d = ctx.data
    try:
        return await service.compose(ctx.uow, author_id=staff.id, text=d["text"], scope=_scope(ctx),
                                     photo=d.get("photo"), urgent=bool(d.get("urgent")))
    except NotAllowed:
        refuse(ctx, "notices.not_your_role", say=True)
    except (NotFound, InvalidInput):
        # The building or unit left the register while the notice was being written.
        ctx.say(ctx.t("notices.scope_gone"))
    flows.end(ctx)
    return None


async def ask_preview(ctx: Ctx) -> None:
    """The notice exactly as owners will receive it, then who it reaches and the send button."""
    draft = await _draft(ctx)
    if draft is None:
        return
    ctx.send(service.notice_reply(ctx.inbound.channel, ctx.identity.chat_id, ctx.locale, community=draft.community_name,
                                  text=draft.text, photo=draft.photo, urgent=draft.urgent))
    scope = scope_text(ctx, draft.scope, await _buildings(ctx))
    if draft.owners == 0:
        ctx.say(ctx.t("notices.nobody", scope=scope), (nav_row(ctx),))
        return
    muted = ctx.t("notices.muted_left_out", n=draft.muted_skipped) if draft.muted_skipped else ""
    ctx.say(ctx.t("notices.summary", scope=scope, owners=draft.owners, chats=draft.messages, muted=muted,
                  kind=ctx.t("notices.kind_urgent" if draft.urgent else "notices.kind_normal")),
            ((choice(ctx, ctx.t("notices.btn_send", owners=draft.owners), "send"),), nav_row(ctx)))


async def answer_preview(ctx: Ctx, inbound: Inbound) -> None:
    """Send: checked again (role, scope) and enqueued with the confirmation."""
    if ctx.picked != "send" and (inbound.text or "").strip().lower() not in SEND_WORDS:
        ctx.say(ctx.t("notices.use_buttons"))
        return
    draft = await _draft(ctx)
    if draft is None:
        return
    if draft.owners == 0:
        ctx.say(ctx.t("notices.nobody", scope=scope_text(ctx, draft.scope, await _buildings(ctx))), (nav_row(ctx),))
        return
    sent = await service.send(ctx.uow, draft, ctx.now)
    flows.end(ctx)
    log.info("notice %s sent by staff %s: %s owners, %s chats", sent.notice_id, draft.author_id, sent.owners, sent.messages)
    ctx.say(ctx.t("notices.sent", id=sent.notice_id, owners=sent.owners, chats=sent.messages),
            ((_status_button(ctx, sent.notice_id),),))


FLOW = Flow("notice", S.SCOPE, {
    S.SCOPE: Step(ask_scope, answer_scope),
    S.UNITS: Step(ask_units, answer_units),
    S.LAST_UNIT: Step(ask_last_unit, answer_last_unit),
    S.TEXT: Step(ask_text, answer_text),
    S.PHOTO: Step(ask_photo, answer_photo),
    S.URGENCY: Step(ask_urgency, answer_urgency),
    S.PREVIEW: Step(ask_preview, answer_preview),
}, needs_owner=False)


# ----------------------------------------------------------------- delivery status
def _status_button(ctx: Ctx, notice_id: int) -> Button:
    return ctx.button(ctx.t("notices.btn_status", id=notice_id), NoticeStatusButton(notice_id))


def _status_lines(ctx: Ctx, status: NoticeStatus) -> str:
    return ctx.t("notices.status_counts", total=status.recipients, delivered=status.delivered, failed=status.failed,
                 pending=status.pending)


async def _heading(ctx: Ctx, notice: NoticeRow, buildings: list[BuildingUnits]) -> str:
    author = await ctx.uow.directory.staff(notice.author_id)
    text = notice.text.replace("\n", " ")
    return ctx.t("notices.list_item", id=notice.id, at=local_time(notice.sent_at or notice.created_at, ctx.policy, ctx.locale),
                 scope=scope_text(ctx, NoticeScope.from_target(notice.scope, notice.target), buildings),
                 kind=ctx.t("notices.kind_urgent" if notice.urgent else "notices.kind_normal"),
                 author=author.name if author else "?",
                 text=text if len(text) <= EXCERPT else text[:EXCERPT] + "…")


async def list_notices(ctx: Ctx, _: str) -> None:
    """The community's latest notices with their delivery status."""
    if await _sender(ctx) is None:
        return
    notices = await ctx.uow.notices.recent(ctx.community.id, RECENT)
    if not notices:
        ctx.say(ctx.t("notices.list_none"))
        return
    buildings = await _buildings(ctx)
    blocks = [ctx.t("notices.list_title", n=len(notices))]
    for notice in notices:
        status = await service.status(ctx.uow, notice.id)
        blocks.append(await _heading(ctx, notice, buildings) + "\n" + _status_lines(ctx, status))
    buttons = [_status_button(ctx, n.id) for n in notices]
    ctx.say("\n\n".join(blocks), _grid(buttons, 3))


async def status_pressed(ctx: Ctx, pressed: NoticeStatusButton) -> None:
    """How far one notice's delivery has got (pressed again later, the figures move on)."""
    if await _sender(ctx) is None:
        return
    notice = await ctx.uow.notices.get(pressed.notice_id)
    if notice is None or notice.community_id != ctx.community.id:
        refuse(ctx, "notices.no_notice", id=pressed.notice_id)
        return
    ctx.answer = ""
    status = await service.status(ctx.uow, notice.id)
    heading = await _heading(ctx, notice, await _buildings(ctx))
    ctx.say(heading + "\n" + _status_lines(ctx, status), ((_status_button(ctx, notice.id),),))
