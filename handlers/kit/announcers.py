"""What people see when something happens to a case: the one table from each event the
services report to the replies it causes (card edits, the owner's message, the first
responder's notice, group alerts), in the manner of cosmicpython's message bus.

Every front end that changes a case — a chat step, the scheduler, the shell, the web
console — hands the events to `announce` and sends what it returns; so each event's
replies are produced here and nowhere else.  What the acting person is told about their
own action (a toast, "done, the owner will confirm") stays with the step that asked.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from cases.callbacks import auto_confirm_due
from cases.codes import Area, Kind, Role, Team, Urgency
from cases.lifecycle import Case
from cases.privacy import scrub
from cases.records import Community, ServiceItem
from cases.routing import supervisor_role_for
from cases.when import Span, When
from handlers.kit.answers import when_label
from handlers.kit.cards import (
    STAFF_LOCALE, alert_replies, card_buttons, card_replies, card_text, group_safe, group_safe_for,
    moved_card_replies, staff_name, team_chats, where_of,
)
from handlers.kit.duty import change_line
from handlers.kit.formatting import code_name, duration, local_time, money
from handlers.kit.i18n import t
from handlers.kit.messages import MEDIA_PREFIX, URGENT, Button, Reply
from handlers.kit.payloads import CaseAction, NotMe, encode
from services.events import (
    CancelledForOwner, CaseAccepted, CaseAssigned, CaseCancelled, CaseChased, CaseConfirmed, CaseDispatched, CaseDone,
    CaseEscalated, CaseEvent, CaseHandedBack, CaseMoved, CaseOffered, CaseOpened, CasePaused, CaseRejected,
    CaseReopened, CaseResumed, CaseStarted, CaseTakenForOwner, CaseTransferred, ChangeAnswered, ChangeProposed, ChatBound,
    DutyChanged, EmergencyRepeated, Event, FalseAlarm, HelpRequested, NoteAdded, OfferLapsed, PlaceAdded,
)
from storage.binding_attempts import BoundChats
from storage.households import Households
from storage.uow import UnitOfWork

household_log = logging.getLogger("wuye.household")

E = TypeVar("E", bound=Event)
Announcer = Callable[[UnitOfWork, Community, Any, datetime], Awaitable[list[Reply]]]
Keyboard = tuple[tuple[Button, ...], ...]
Field = object  # a value, or a function of the reader's locale


# ----------------------------------------------------------------- addressing people
async def owner_replies(uow: UnitOfWork, case: Case, key: str, buttons: Callable[[str], Keyboard] | None = None,
                        **fields: Field) -> list[Reply]:
    """A message to whoever reported the case, in each of their chats and in their language.
    A field may be a function of the locale (a team's name, a time) so each chat gets its own."""
    targets = await uow.directory.chats_of(owner_id=case.owner_id) if case.owner_id is not None else []
    if not targets and case.reporter_chat_id:
        reporter = await uow.directory.identity_of_chat(case.reporter_channel, case.reporter_chat_id)
        targets = [reporter] if reporter else []
    return [Reply(i.channel, i.chat_id, t(i.locale, key, id=case.id, **_local(fields, i.locale)),
                  buttons(i.locale) if buttons else (), kind=key) for i in targets]


async def to_staff(uow: UnitOfWork, staff_id: int, key: str, buttons: Keyboard = (), /, **fields: Field) -> list[Reply]:
    """A private message to a staff member, in each chat they use and in their language."""
    return [Reply(i.channel, i.chat_id, t(i.locale, key, **_local(fields, i.locale)), buttons)
            for i in await uow.directory.chats_of(staff_id=staff_id)]


def _local(fields: dict[str, Field], locale: str) -> dict[str, object]:
    return {k: v(locale) if callable(v) else v for k, v in fields.items()}


def team_name(code: str) -> Callable[[str], str]:
    """A team's display name in whichever language the reader uses."""
    return lambda locale: code_name(locale, "team", code)


def at(when: datetime | None, community: Community) -> Callable[[str], str]:
    return lambda locale: local_time(when, community.policy, locale)


async def first_responder(uow: UnitOfWork, event: CaseEvent, key: str, **fields: Field) -> list[Reply]:
    """首问责任制: whoever took the case first follows it to the end, even in another team's
    hands — unless they are the one who acted."""
    case = event.case
    if case.first_responder_id is None or (event.actor.kind == "staff" and event.actor.id == case.first_responder_id):
        return []
    return await to_staff(uow, case.first_responder_id, key, id=case.id, **fields)


def view_button(case_id: int) -> Keyboard:
    return ((Button(t(STAFF_LOCALE, "staff.btn_show", id=case_id), encode(CaseAction("show", case_id))),),)


async def supervisors_of(uow: UnitOfWork, community: Community, team: str):  # type: ignore[no-untyped-def]
    """Who a team's late or stuck case goes to first (`cases.routing.supervisor_role_for`)."""
    return await uow.directory.staff_list(community.id, role=supervisor_role_for(team))


def on_channel(replies: list[Reply], channel: str, photos: Sequence[str], *, media_anywhere: bool = False) -> list[Reply]:
    """Photo ids belong to the channel they were sent on: attach them only there.
    `media_anywhere`: files the bot keeps (media:…, e.g. fetched from WeCom) go to any channel."""
    shown = [tuple(p for p in photos if r.channel == channel or (media_anywhere and p.startswith(MEDIA_PREFIX)))
             for r in replies]
    return [replace(r, photos=mine) if mine else r for r, mine in zip(replies, shown)]


# ----------------------------------------------------------------- what the owner hears, per kind of case
def accepted_key(case: Case, now: datetime) -> str:
    """The owner's "accepted" message fits the case: immediate dispatch for an emergency, a
    visit for a home repair or a service (at the owner's window when they gave one), someone on
    site for a shared area, a call back for a complaint, a question or a suggestion."""
    if case.urgency == Urgency.EMERGENCY:
        return "progress.accepted_emergency"
    if case.kind in (Kind.COMPLAINT, Kind.INQUIRY, Kind.SUGGESTION):
        return f"progress.accepted_{case.kind}"
    window = When.from_json(case.details.get("window"))
    if window is not None and window.span == Span.WINDOW and window.end and window.end > now:
        return "progress.accepted_window"
    if case.kind == Kind.SERVICE:
        return "progress.accepted_service"
    if case.kind == Kind.REPORT and case.area == Area.PUBLIC:
        return "progress.accepted_public"
    return "progress.accepted"


def started_key(case: Case) -> str:
    """"Arrived" for work on site; "working on it" for a complaint, a question or a suggestion."""
    return "progress.started_handling" if case.kind in (Kind.COMPLAINT, Kind.INQUIRY, Kind.SUGGESTION) \
        else "progress.started"


def fee_line(locale: str, fee: int, item: ServiceItem | None) -> str:
    """The fee, shown against the published price list when the work was a catalogue service."""
    if not fee:
        return t(locale, "progress.fee_none")
    if item is not None:
        name, unit = (item.name_en, item.unit_en) if locale == "en" else (item.name_zh, item.unit_zh)
        return t(locale, "progress.fee_listed", fee=money(fee, locale), item=name,
                 price=money(item.price_cents, locale), unit=unit)
    return t(locale, "progress.fee", fee=money(fee, locale))


def verdict(solved: bool | None, speed: int | None, attitude: int | None, locale: str = STAFF_LOCALE) -> str:
    """One line staff read: 未解决 · 速度 2⭐ · 态度 4⭐."""
    return t(locale, "survey.verdict", solved=t(locale, "survey.solved_word" if solved else "survey.unsolved_word"),
             speed=speed if speed is not None else "-", attitude=attitude if attitude is not None else "-")


# ----------------------------------------------------------------- the announcers
async def team_card(uow: UnitOfWork, community: Community, event: CaseEvent, now: datetime) -> list[Reply]:
    """The team's card, edited in place."""
    return await card_replies(uow, community, event.case, now)


async def new_card(uow: UnitOfWork, community: Community, event: CaseEvent, now: datetime) -> list[Reply]:
    """The card as a new team first sees it, with the owner's photos."""
    return await card_replies(uow, community, event.case, now, with_photos=True)


async def emergency_alarm(uow: UnitOfWork, community: Community, event: CaseOpened, now: datetime) -> list[Reply]:
    """The duty/management group hears of an emergency at once (and again until accepted)."""
    case = event.case
    if case.urgency != Urgency.EMERGENCY:
        return []
    where = await where_of(uow, case)
    owner = await uow.directory.owner(case.owner_id) if case.owner_id else None
    return await alert_replies(
        uow, community, Team.MANAGEMENT, "card.emergency_alert", id=case.id, priority=URGENT,
        text=group_safe(case.description, owner)[:200],
        where=where or "-", team_name=code_name(STAFF_LOCALE, "team", case.team_code),
    )


async def owner_told_who_comes(uow: UnitOfWork, community: Community, event: CaseAccepted | CaseAssigned,
                               now: datetime) -> list[Reply]:
    case = event.case
    member = await uow.directory.staff(event.staff_id)
    phone = await uow.directory.staff_phone(event.staff_id)
    assert case.accepted_at is not None
    contact_by = case.accepted_at + community.policy.response[case.urgency]
    window = When.from_json(case.details.get("window"))
    return await owner_replies(uow, case, accepted_key(case, now), name=member.name if member else "?",
                               phone=phone or "-", team=team_name(case.team_code), by=at(contact_by, community),
                               window=lambda locale: when_label(window, locale) if window else "-")


async def responder_told_accepted(uow: UnitOfWork, community: Community, event: CaseAccepted,
                                  now: datetime) -> list[Reply]:
    if event.staff_id == event.case.first_responder_id:
        return []  # they took it themselves (or were given it): nothing to follow
    return await first_responder(uow, event, "staff.fr_accepted", name=await staff_name(uow, event.staff_id),
                                 team=team_name(event.case.team_code))


async def contact_to_the_assignee(uow: UnitOfWork, community: Community, event: CaseAccepted | CaseAssigned,
                                  now: datetime) -> list[Reply]:
    """Someone accepted for them (a supervisor at the console): the owner's full contact,
    privately.  Who accepted themselves is told by the step they pressed."""
    if isinstance(event, CaseAccepted) and not event.on_behalf:
        return []
    contact = await card_text(uow, event.case, community.policy, now, private=True)
    return await to_staff(uow, event.staff_id, "staff.accepted_private", card_buttons(event.case),
                          id=event.case_id, card=contact)


async def worker_told_reassigned(uow: UnitOfWork, community: Community, event: CaseAssigned,
                                 now: datetime) -> list[Reply]:
    if event.previous_assignee is None or event.actor.id == event.previous_assignee:
        return []
    return await to_staff(uow, event.previous_assignee, "staff.handed_back_by_supervisor", id=event.case_id,
                          name=await staff_name(uow, event.actor.id))


async def owner_told_started(uow: UnitOfWork, community: Community, event: CaseStarted, now: datetime) -> list[Reply]:
    case = event.case
    return await owner_replies(uow, case, started_key(case), name=await staff_name(uow, case.assignee_id),
                               kind=lambda locale: code_name(locale, "kind", case.kind))


async def owner_asked_to_confirm(uow: UnitOfWork, community: Community, event: CaseDone, now: datetime) -> list[Reply]:
    """验收: the owner reads what was done and the fee, with "confirm" / "not solved"."""
    case = event.case
    booked = await uow.cases.booked_item(event.case_id)
    item = booked[0] if booked else None

    def buttons(locale: str) -> Keyboard:
        return ((Button(t(locale, "progress.btn_confirm"), encode(CaseAction("confirm", event.case_id))),
                 Button(t(locale, "progress.btn_reject"), encode(CaseAction("reject", event.case_id)))),)

    # The owner's wait before the desk confirms for them (longer when it would end in quiet hours).
    done_at = case.done_at or event.at
    auto_minutes = (auto_confirm_due(done_at, community.policy) - done_at).total_seconds() / 60
    replies = await owner_replies(uow, case, "progress.done", buttons=buttons, note=event.note,
                                  fee=lambda locale: fee_line(locale, case.fee_cents, item),
                                  auto=lambda locale: duration(auto_minutes, locale))
    return on_channel(replies, event.actor.channel, event.photos, media_anywhere=True)


async def responder_told_done(uow: UnitOfWork, community: Community, event: CaseDone, now: datetime) -> list[Reply]:
    return await first_responder(uow, event, "staff.fr_done", name=await staff_name(uow, event.staff_id))


async def group_told_handed_back(uow: UnitOfWork, community: Community, event: CaseHandedBack,
                                 now: datetime) -> list[Reply]:
    """An edited card makes no sound: say it in the group too, so someone picks it up."""
    case = event.case
    key = "staff.handback_group_reason" if event.reason else "staff.handback_group"
    return await alert_replies(uow, community, case.team_code, key, id=case.id, name=await staff_name(uow, event.actor.id),
                               reason=await group_safe_for(uow, case, event.reason))


async def worker_told_handed_back(uow: UnitOfWork, community: Community, event: CaseHandedBack,
                                  now: datetime) -> list[Reply]:
    if event.previous_assignee in (None, event.actor.id):
        return []
    assert event.previous_assignee is not None
    return await to_staff(uow, event.previous_assignee, "staff.handed_back_by_supervisor", id=event.case_id,
                          name=await staff_name(uow, event.actor.id))


async def old_team_card(uow: UnitOfWork, community: Community, event: CaseTransferred, now: datetime) -> list[Reply]:
    """The old team's card, edited to say where the case went, and a word in their group."""
    replies = await moved_card_replies(uow, community, event.case, event.from_team, now)
    replies += await alert_replies(uow, community, event.from_team, "staff.transfer_group", id=event.case_id,
                                   name=await staff_name(uow, event.actor.id),
                                   team=code_name(STAFF_LOCALE, "team", event.to_team))
    return replies


async def owner_told_transferred(uow: UnitOfWork, community: Community, event: CaseTransferred,
                                 now: datetime) -> list[Reply]:
    case = event.case
    first = await staff_name(uow, case.first_responder_id) if case.first_responder_id else ""
    key = "progress.transferred_fr" if first else "progress.transferred"
    return await owner_replies(uow, case, key, team=team_name(case.team_code), name=first)


async def responder_told_transferred(uow: UnitOfWork, community: Community, event: CaseTransferred,
                                     now: datetime) -> list[Reply]:
    return await first_responder(uow, event, "staff.fr_transferred", name=await staff_name(uow, event.actor.id),
                                 team=team_name(event.to_team), reason=event.reason)


async def worker_told_transferred(uow: UnitOfWork, community: Community, event: CaseTransferred,
                                  now: datetime) -> list[Reply]:
    previous = event.previous_assignee
    if previous in (None, event.actor.id, event.case.first_responder_id):
        return []
    assert previous is not None
    return await to_staff(uow, previous, "staff.unassigned_by_transfer", id=event.case_id,
                          name=await staff_name(uow, event.actor.id), team=team_name(event.to_team))


async def groups_told_moved(uow: UnitOfWork, community: Community, event: CaseMoved, now: datetime) -> list[Reply]:
    """The card edited in place says where the case went (no buttons left), and a word in the
    team's group — and the duty group, which had the alarm of an emergency."""
    case = event.case
    replies = await card_replies(uow, community, case, now)
    teams = [case.team_code]
    if case.urgency == Urgency.EMERGENCY and Team.MANAGEMENT not in teams:
        teams.append(Team.MANAGEMENT)
    for team in teams:
        replies += await alert_replies(uow, community, team, "movecase.group", id=case.id, to_id=event.to_case.id,
                                       community=event.to.name, name=await mover_name(uow, event),
                                       reason=await group_safe_for(uow, case, event.reason))
    return replies


async def mover_name(uow: UnitOfWork, event: CaseEvent) -> str:
    if event.actor.kind == "staff":
        return await staff_name(uow, event.actor.id)
    return t(STAFF_LOCALE, "movecase.by_owner")


async def owner_told_moved(uow: UnitOfWork, community: Community, event: CaseMoved, now: datetime) -> list[Reply]:
    """Staff moved it: the owner hears the new number once.  An owner who moved it (a home
    picked in the other community) is told by the step they are in."""
    if event.actor.kind == "owner":
        return []
    return await owner_replies(uow, event.case, "movecase.owner_told", to_id=event.to_case.id, community=event.to.name)


async def staff_told_moved(uow: UnitOfWork, community: Community, event: CaseMoved, now: datetime) -> list[Reply]:
    """Whoever was working on it, and the first responder, no longer follow it here."""
    people = dict.fromkeys(p for p in (event.previous_assignee, event.case.first_responder_id)
                           if p is not None and not (event.actor.kind == "staff" and p == event.actor.id))
    replies: list[Reply] = []
    for staff_id in people:
        replies += await to_staff(uow, staff_id, "movecase.private", id=event.case_id, to_id=event.to_case.id,
                                  community=event.to.name, name=await mover_name(uow, event))
    return replies


async def owner_told_auto_confirmed(uow: UnitOfWork, community: Community, event: CaseConfirmed,
                                    now: datetime) -> list[Reply]:
    if not event.auto:
        return []
    return await owner_replies(uow, event.case, "survey.auto_confirmed", hotline=community.policy.hotline or "-")


async def group_told_rework(uow: UnitOfWork, community: Community, event: CaseRejected, now: datetime) -> list[Reply]:
    """The edited card may be far up the chat: a new message makes sure the team sees it."""
    case = event.case
    return await alert_replies(uow, community, case.team_code, "my_cases.rework_alert", id=case.id,
                               round=case.rework_round, reason=scrub(event.reason)[:200])


async def escalation_notices(uow: UnitOfWork, community: Community, event: CaseEscalated,
                             now: datetime) -> list[Reply]:
    """Each level newly reached: level 1 the team's group and supervisors, level 2 the
    management group and the manager."""
    case = event.case
    due = case.response_due_at if event.late == "response" else case.completion_due_at
    assert due is not None
    fields = dict(
        id=case.id, team=code_name(STAFF_LOCALE, "team", case.team_code),
        category=code_name(STAFF_LOCALE, "category", case.category) if case.category
        else code_name(STAFF_LOCALE, "kind", case.kind),
        where=await where_of(uow, case) or "-", late=t(STAFF_LOCALE, f"escalation.late_{event.late}"),
        span=duration((now - due).total_seconds() / 60, STAFF_LOCALE),
        worker=await staff_name(uow, case.assignee_id) if case.assignee_id else t(STAFF_LOCALE, "escalation.nobody"),
    )
    replies: list[Reply] = []
    for level in event.levels:
        if level == 1:
            replies += await alert_replies(uow, community, case.team_code, "escalation.team_overdue", **fields)
            for boss in await supervisors_of(uow, community, case.team_code):
                replies += await to_staff(uow, boss.id, "escalation.supervisor", view_button(event.case_id), **fields)
        else:
            replies += await alert_replies(uow, community, Team.MANAGEMENT, "escalation.management", **fields)
            for boss in await uow.directory.staff_list(community.id, role=Role.MANAGER):
                replies += await to_staff(uow, boss.id, "escalation.manager", view_button(event.case_id), **fields)
    return replies


async def emergency_again(uow: UnitOfWork, community: Community, event: EmergencyRepeated,
                          now: datetime) -> list[Reply]:
    case = event.case
    assert case.created_at is not None
    owner = await uow.directory.owner(case.owner_id) if case.owner_id else None
    fields = dict(id=case.id, count=event.count,
                  waiting=duration((now - case.created_at).total_seconds() / 60, STAFF_LOCALE),
                  where=await where_of(uow, case) or "-", text=group_safe(case.description, owner)[:200],
                  team=code_name(STAFF_LOCALE, "team", case.team_code))
    replies = await alert_replies(uow, community, Team.MANAGEMENT, "escalation.emergency_repeat", priority=URGENT,
                                  **fields)
    if case.team_code != Team.MANAGEMENT:
        # Fresh buttons at the bottom of the duty group's chat: no scrolling up in an emergency.
        replies += await alert_replies(uow, community, case.team_code, "escalation.emergency_repeat",
                                       buttons=card_buttons(case), priority=URGENT, **fields)
    return replies


async def help_called(uow: UnitOfWork, community: Community, event: HelpRequested, now: datetime) -> list[Reply]:
    """The worker's call for help, in the team's group and to the team's supervisors."""
    case = event.case
    name = await staff_name(uow, event.staff_id)
    fields = dict(id=case.id, name=name, category=code_name(STAFF_LOCALE, "category", case.category),
                  where=await where_of(uow, case) or "-")
    replies = await alert_replies(uow, community, case.team_code, "staff.help_group", **fields)
    for boss in await supervisors_of(uow, community, case.team_code):
        if boss.id != event.staff_id:
            replies += await to_staff(uow, boss.id, "staff.help_supervisor", view_button(event.case_id),
                                      team=code_name(STAFF_LOCALE, "team", case.team_code), **fields)
    return replies


async def _tell_staff(uow: UnitOfWork, community: Community, event: CaseEvent, key: str, photo: str | None = None,
                      **fields: object) -> list[Reply]:
    """What the owner added reaches the case's team group (and the duty group for an
    emergency), and the assignee privately; photos only on the channel they came from."""
    case = event.case
    owner = await uow.directory.owner(case.owner_id) if case.owner_id else None
    fields = {k: group_safe(v, owner) if isinstance(v, str) else v for k, v in fields.items()}
    text = t(STAFF_LOCALE, key, id=case.id, **fields)
    photos = (photo,) if photo else ()
    teams = [case.team_code]
    if case.urgency == Urgency.EMERGENCY and Team.MANAGEMENT not in teams:
        teams.append(Team.MANAGEMENT)
    told = [pair for team in teams for pair in await team_chats(uow, community, team)]
    replies = [Reply(channel, chat_id, text) for channel, chat_id in told]
    if case.assignee_id is not None:
        replies += [Reply(i.channel, i.chat_id, text) for i in await uow.directory.chats_of(staff_id=case.assignee_id)
                    if (i.channel, i.chat_id) not in told]  # a WeCom member has it already
    return on_channel(replies, event.actor.channel, photos)


async def staff_told_added(uow: UnitOfWork, community: Community, event: NoteAdded, now: datetime) -> list[Reply]:
    key = "card.owner_added_photo" if event.photo and not event.text else "card.owner_added"
    return await _tell_staff(uow, community, event, key, photo=event.photo, text=event.text[:200])


async def staff_told_place(uow: UnitOfWork, community: Community, event: PlaceAdded, now: datetime) -> list[Reply]:
    return await _tell_staff(uow, community, event, "card.place_added", where=event.where)


async def staff_told_false_alarm(uow: UnitOfWork, community: Community, event: FalseAlarm,
                                 now: datetime) -> list[Reply]:
    return await _tell_staff(uow, community, event, "card.false_alarm_alert")


async def group_told_unsatisfied(uow: UnitOfWork, community: Community, event: CaseReopened,
                                 now: datetime) -> list[Reply]:
    """An unsatisfied callback: a new message in the team's group with the owner's words —
    masked for the group — the verdict, and the card's buttons."""
    case = event.case
    words = (await group_safe_for(uow, case, event.comment))[:300] if event.comment else t(STAFF_LOCALE, "survey.no_words")
    return await alert_replies(
        uow, community, case.team_code, "survey.rework_alert", buttons=card_buttons(case), id=case.id,
        round=case.rework_round, verdict=verdict(event.solved, event.speed, event.attitude), words=words,
        method=t(STAFF_LOCALE, f"survey.method_{event.method}"),
    )


async def owner_told_rework_after_call(uow: UnitOfWork, community: Community, event: CaseReopened,
                                       now: datetime) -> list[Reply]:
    """The owner hears that what they said on the phone was acted on."""
    if event.method != "phone":
        return []
    return await owner_replies(uow, event.case, "survey.rework_after_call")


async def owner_told_case_number(uow: UnitOfWork, community: Community, event: CaseTakenForOwner,
                                 now: datetime) -> list[Reply]:
    """A case the office took for the owner: they follow it in their chat from now on."""
    case = event.case
    return await owner_replies(uow, case, "office.opened", source=lambda loc: t(loc, f"office.source.{event.source}"),
                               kind=lambda loc: code_name(loc, "kind", case.kind))


async def owner_told_cancelled(uow: UnitOfWork, community: Community, event: CancelledForOwner,
                               now: datetime) -> list[Reply]:
    return await owner_replies(uow, event.case, "office.cancelled", reason=event.reason)


# ----------------------------------------------------------------- dispatch modes, consent, chasing (issue 20)
def mode_name(mode: str) -> Callable[[str], str]:
    return lambda locale: t(locale, f"dispatch.mode_{mode}")


async def group_told_offered(uow: UnitOfWork, community: Community, event: CaseOffered, now: datetime) -> list[Reply]:
    """The team's group sees whom the case waits for, and until when."""
    return await alert_replies(uow, community, event.case.team_code, "dispatch.offered_group", id=event.case_id,
                               name=await staff_name(uow, event.staff_id), mode=t(STAFF_LOCALE, f"dispatch.mode_{event.mode}"),
                               until=local_time(event.until, community.policy, STAFF_LOCALE))


async def card_to_the_offered(uow: UnitOfWork, community: Community, event: CaseOffered, now: datetime) -> list[Reply]:
    """The card, with the owner's contact and the accept button, on every chat the person has."""
    contact = await card_text(uow, event.case, community.policy, now, private=True)
    return await to_staff(uow, event.staff_id, "dispatch.offered_private", card_buttons(event.case),
                          id=event.case_id, mode=mode_name(event.mode), until=at(event.until, community), card=contact)


async def group_told_lapsed(uow: UnitOfWork, community: Community, event: OfferLapsed, now: datetime) -> list[Reply]:
    case = event.case
    replies = await alert_replies(uow, community, case.team_code, "dispatch.lapsed_group", buttons=card_buttons(case),
                                  id=case.id, name=await staff_name(uow, event.staff_id),
                                  mode=t(STAFF_LOCALE, f"dispatch.mode_{event.mode}"))
    if event.mode == "duty":  # an emergency nobody on duty took: the supervisors hear at once
        for boss in await supervisors_of(uow, community, case.team_code):
            replies += await to_staff(uow, boss.id, "dispatch.lapsed_supervisor", view_button(case.id), id=case.id,
                                      name=await staff_name(uow, event.staff_id), team=team_name(case.team_code))
    return replies


def change_label(proposal: dict[str, object]) -> Callable[[str], str]:
    return lambda locale: t(locale, f"dispatch.change_{proposal['change']}")


async def owner_asked_to_agree(uow: UnitOfWork, community: Community, event: ChangeProposed,
                               now: datetime) -> list[Reply]:
    """The owner sees the change (the fee against the catalogue for a paid service) with
    agree / decline buttons; the press is re-authorised as the case's owner."""
    p, case = event.proposal, event.case

    def extra(locale: str) -> str:
        minutes = int(p.get("extra_minutes") or 0)
        return t(locale, "dispatch.change_extra_line", span=duration(minutes, locale)) if minutes else ""

    def fee(locale: str) -> str:
        cents, listed = int(p.get("fee_cents") or 0), p.get("catalogue_cents")
        if not cents:
            return ""
        if listed is not None:
            return t(locale, "dispatch.change_fee_listed_line", fee=money(cents, locale), price=money(int(str(listed)), locale))
        return t(locale, "dispatch.change_fee_line", fee=money(cents, locale))

    def buttons(locale: str) -> Keyboard:
        return ((Button(t(locale, "dispatch.btn_agree"), encode(CaseAction("change_yes", case.id or 0))),
                 Button(t(locale, "dispatch.btn_decline"), encode(CaseAction("change_no", case.id or 0)))),)

    return await owner_replies(uow, case, "dispatch.change_owner", buttons, name=await staff_name(uow, event.staff_id),
                               change=change_label(p), note=scrub(str(p.get("note", ""))), extra=extra, fee=fee)


async def worker_told_answer(uow: UnitOfWork, community: Community, event: ChangeAnswered, now: datetime) -> list[Reply]:
    if event.how != "chat" or event.case.assignee_id is None:
        return []
    key = "dispatch.change_agreed_worker" if event.agreed else "dispatch.change_declined_worker"
    return await to_staff(uow, event.case.assignee_id, key, view_button(event.case_id), id=event.case_id,
                          change=change_label(event.proposal))


async def owner_told_phone_answer(uow: UnitOfWork, community: Community, event: ChangeAnswered,
                                  now: datetime) -> list[Reply]:
    """What the staff recorded from a phone call, so the owner can object if it is wrong."""
    if event.how != "phone":
        return []
    key = "dispatch.change_agreed_phone_owner" if event.agreed else "dispatch.change_declined_phone_owner"
    return await owner_replies(uow, event.case, key, change=change_label(event.proposal))


async def chase_notices(uow: UnitOfWork, community: Community, event: CaseChased, now: datetime) -> list[Reply]:
    """The assignee and the team's supervisors; with nobody on it yet, the team's group."""
    if not event.told:
        return []
    case = event.case
    if case.assignee_id is None:
        replies = await alert_replies(uow, community, case.team_code, "dispatch.chased_group", buttons=card_buttons(case),
                                      id=case.id, count=event.count)
        if (offered := (case.details.get("offer") or {}).get("staff")) is not None:  # waiting for them
            replies += await to_staff(uow, int(offered), "dispatch.chased_worker", card_buttons(case), id=case.id,
                                      count=event.count)
    else:
        replies = await to_staff(uow, case.assignee_id, "dispatch.chased_worker", view_button(case.id), id=case.id,
                                 count=event.count)
    for boss in await supervisors_of(uow, community, case.team_code):
        if boss.id != case.assignee_id:
            replies += await to_staff(uow, boss.id, "dispatch.chased_supervisor", view_button(case.id), id=case.id,
                                      count=event.count, team=team_name(case.team_code),
                                      worker=await staff_name(uow, case.assignee_id) if case.assignee_id
                                      else t(STAFF_LOCALE, "escalation.nobody"))
    return replies


async def owner_told_paused(uow: UnitOfWork, community: Community, event: CasePaused, now: datetime) -> list[Reply]:
    return await owner_replies(uow, event.case, "dispatch.paused_owner",
                               reason=lambda locale: t(locale, f"dispatch.pause_{event.reason}"),
                               until=at(event.until, community))


async def owner_told_resumed(uow: UnitOfWork, community: Community, event: CaseResumed, now: datetime) -> list[Reply]:
    return await owner_replies(uow, event.case, "dispatch.resumed_owner")


# ----------------------------------------------------------------- a chat bound to an owner
async def owner_told_new_chat(uow: UnitOfWork, community: Community, event: ChatBound, now: datetime) -> list[Reply]:
    """Every other chat of the owner hears of the new one, with a one-tap "这不是我"
    (a chat bound again to the same owner is no news)."""
    if event.previous_owner == event.owner_id:
        return []
    owner = await uow.directory.owner(event.owner_id)
    new_id = await BoundChats(uow.session).id_of(event.channel, event.user_id, community.id)
    if owner is None or new_id is None:
        return []
    rooms = "、".join(r.code for r in owner.rooms)
    replies = []
    for other in await uow.directory.chats_of(owner_id=event.owner_id):
        if (other.channel, other.user_id) == (event.channel, event.user_id):
            continue
        loc = other.locale
        text = t(loc, "binding.new_chat", rooms=rooms, channel=event.channel,
                 when=local_time(event.at, community.policy, loc), how=t(loc, f"binding.how_{event.how}"))
        button = Button(t(loc, "binding.not_me_button"), encode(NotMe(new_id)))
        replies.append(Reply(other.channel, other.chat_id, text, ((button,),)))
    return replies


async def adders_told_bound(uow: UnitOfWork, community: Community, event: ChatBound, now: datetime) -> list[Reply]:
    """A family member or tenant has just bound: the owners who added them hear of it."""
    if event.previous_owner == event.owner_id:
        return []
    member_id = event.owner_id
    households = Households(uow.session)
    replies = []
    for adder_id, room_id in await households.adders_of(member_id):
        room = await uow.directory.room_by_id(room_id)
        member = await uow.directory.owner(member_id)
        role = await households.role(member_id, room_id)
        if room is None or member is None or role is None:
            continue
        for chat in await uow.directory.chats_of(owner_id=adder_id):
            replies.append(Reply(chat.channel, chat.chat_id, t(chat.locale, "household.bound_notice", name=member.name,
                                                               room=room.code,
                                                               role=t(chat.locale, f"household.role_{role.value}"))))
        household_log.info("household: member %d bound; owner %d told", member_id, adder_id)
    return replies


# ----------------------------------------------------------------- the duty roster
async def duty_change_told(uow: UnitOfWork, community: Community, event: DutyChanged, now: datetime) -> list[Reply]:
    """"值班变更：…" in the group of each team whose people moved (staff names only), and each
    person moved hears it in their own chats (unless they made the change themselves)."""
    replies: list[Reply] = []
    for team in dict.fromkeys(span.team for span in event.spans):
        lines = "\n".join(change_line(STAFF_LOCALE, s.name, s.on, s.start, s.end)
                          for s in event.spans if s.team == team)
        replies += await alert_replies(uow, community, team, "duty.changed_group", lines=lines, by=event.by_name)
    for span in event.spans:
        if span.staff_id != event.by:
            replies += await to_staff(uow, span.staff_id, "duty.changed_private", by=event.by_name,
                                      line=lambda loc, s=span: change_line(loc, s.name, s.on, s.start, s.end))
    return replies


# ----------------------------------------------------------------- the table
ANNOUNCERS: dict[type[Event], tuple[Announcer, ...]] = {
    CaseOpened: (new_card, emergency_alarm),
    CaseDispatched: (new_card,),
    CaseAccepted: (team_card, contact_to_the_assignee, owner_told_who_comes, responder_told_accepted),
    CaseAssigned: (team_card, contact_to_the_assignee, worker_told_reassigned, owner_told_who_comes),
    CaseStarted: (team_card, owner_told_started),
    CaseDone: (team_card, owner_asked_to_confirm, responder_told_done),
    CaseHandedBack: (team_card, group_told_handed_back, worker_told_handed_back),
    CaseMoved: (groups_told_moved, owner_told_moved, staff_told_moved),
    CaseTransferred: (new_card, old_team_card, owner_told_transferred, responder_told_transferred,
                      worker_told_transferred),
    CaseConfirmed: (team_card, owner_told_auto_confirmed),
    CaseRejected: (team_card, group_told_rework),
    CaseCancelled: (team_card,),
    CaseTakenForOwner: (owner_told_case_number,),
    CancelledForOwner: (owner_told_cancelled,),
    ChatBound: (owner_told_new_chat, adders_told_bound),
    CaseEscalated: (escalation_notices, team_card),
    EmergencyRepeated: (emergency_again, team_card),
    HelpRequested: (help_called,),
    NoteAdded: (team_card, staff_told_added),
    PlaceAdded: (team_card, staff_told_place),
    FalseAlarm: (team_card, staff_told_false_alarm),
    CaseReopened: (team_card, group_told_unsatisfied, owner_told_rework_after_call),
    CaseOffered: (group_told_offered, card_to_the_offered),
    OfferLapsed: (team_card, group_told_lapsed),
    ChangeProposed: (team_card, owner_asked_to_agree),
    ChangeAnswered: (team_card, worker_told_answer, owner_told_phone_answer),
    CaseChased: (chase_notices,),
    CasePaused: (team_card, owner_told_paused),
    CaseResumed: (team_card, owner_told_resumed),
    DutyChanged: (duty_change_told,),
    # Quiet events (a callback's answers, a survey answer, a spot check, a remark, a notice
    # already queued, a mute…): the acting person's own front end says what needs saying.
}


async def announce(uow: UnitOfWork, community: Community, events: Sequence[Event], now: datetime) -> list[Reply]:
    """The replies the events cause, in the order the events happened.  An event about a
    case of another community (the new case of a move) is announced with that community's
    groups, people and policy."""
    replies: list[Reply] = []
    for event in events:
        here = community
        if isinstance(event, CaseEvent) and event.case.community_id not in (0, community.id):
            here = await uow.directory.community_by_id(event.case.community_id) or community
        for announcer in ANNOUNCERS.get(type(event), ()):
            replies += await announcer(uow, here, event, now)
    return replies
