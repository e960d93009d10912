"""Which community an update is about, decided once per update (`handlers.core` calls it).

A deployment may hold many communities, and one person may belong to several (homes in
two, a regional team serving three).  The rules, in order:

1. About a case — a button with a case (or survey, notice) in it, a case command
   (`/case 12`, `/assign 12 …`) or a typed `#12` — the case's community.  The person acts
   there as their owner/staff row *there*; without one, `services.access` refuses them.
2. A staff group chat: the community of the team it serves; a group serving the same team
   in several communities takes the one the conversation is in, else the first.
3. A private chat: the community the conversation is in (chosen with `/community`, a
   deep link, or at binding); else the community the person was bound in last.
4. Anyone else, with one community loaded: that one.  With several and no hint, the first
   — and `Where.known` is False, so binding asks which community before anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cases.records import Community
from handlers.kit.messages import Inbound
from handlers.kit.numbers import CASE_NUMBER_MAX, parse_int
from handlers.kit.payloads import BadPayload, CaseAction, NoticeStatus, NotMe, PhoneCall, SurveyAnswer, decode
from storage.uow import UnitOfWork

# Commands whose first argument is a case number (`/case 12`, `/assign 12 王强`).
CASE_COMMANDS = frozenset({"/case", "/mycases", "/assign", "/pause", "/resume", "/change", "/agreed", "/declined",
                           "/move"})
_TYPED_CASE = re.compile(r"^[#＃]\s*(\d{1,12})$")


@dataclass(frozen=True, slots=True)
class Where:
    community: Community
    # False: several communities, and nothing yet says which one this stranger means.
    known: bool = True
    # True: decided by the case (or survey, notice) the update is about, for this update only.
    by_case: bool = False


def case_number(inbound: Inbound) -> int | None:
    """The case a command or typed `#12` names, if any (buttons are read by `_pressed_subject`)."""
    text = (inbound.text or "").strip()
    if not text:
        return None
    if text.startswith("/"):
        name, _, rest = text.partition(" ")
        if name.split("@", 1)[0].lower() not in CASE_COMMANDS or not rest.split():
            return None
        return parse_int(rest.split()[0].lstrip("#＃"), lo=1, hi=CASE_NUMBER_MAX)
    found = _TYPED_CASE.match(text)
    return parse_int(found.group(1), lo=1, hi=CASE_NUMBER_MAX) if found else None


async def _pressed_subject(uow: UnitOfWork, data: str) -> Community | None:
    try:
        payload = decode(data)
    except BadPayload:
        return None
    match payload:
        case CaseAction(_, case_id):
            return await uow.directory.community_of_case(case_id)
        case SurveyAnswer(callback_id, _, _) | PhoneCall(callback_id):
            return await uow.directory.community_of_callback(callback_id)
        case NoticeStatus(notice_id):
            return await uow.directory.community_of_notice(notice_id)
        case NotMe(identity_id):
            return await uow.directory.community_of_identity(identity_id)
    return None


async def where(uow: UnitOfWork, inbound: Inbound, chosen: int | None, *, in_flow: bool = False) -> Where | None:
    """The community of this update (None: no community loaded at all).  `chosen` is the
    community the conversation is in; `in_flow`: a flow is under way, whose typed answers
    (even a "#12") belong to the community it started in."""
    communities = await uow.directory.communities()
    if not communities:
        return None
    if len(communities) == 1:
        return Where(communities[0])
    subject = None
    if inbound.payload is not None:
        subject = await _pressed_subject(uow, inbound.payload)
    else:
        number = case_number(inbound)
        command = (inbound.text or "").lstrip().startswith("/")
        if number is not None and (command or not in_flow):
            subject = await uow.directory.community_of_case(number)
    if subject is not None:
        return Where(subject, by_case=True)
    by_id = {c.id: c for c in communities}
    if inbound.is_group:
        served = [by_id[c] for c, _ in await uow.directory.teams_of_chat(inbound.channel, inbound.chat_id) if c in by_id]
        if served:
            return Where(next((c for c in served if c.id == chosen), served[0]))
    if chosen in by_id:
        # Chosen by the person (or a deep link): even where they are nobody yet, so that
        # someone with a home in a second community can bind there too.
        return Where(by_id[chosen])
    bound = []
    for i in await uow.directory.identities(inbound.channel, inbound.user_id):
        if i.owner_id is None and i.staff_id is None:
            continue
        # A row written without its community counts where its owner or staff member is.
        found = i.community_id if i.community_id is not None else \
            await uow.directory.community_id_of(owner_id=i.owner_id, staff_id=i.staff_id)
        if found in by_id:
            bound.append(by_id[found])
    if bound:
        return Where(bound[0])  # the identities come latest-bound first
    return Where(communities[0], known=False)
