"""Binding: a stranger proves which owner they are.

Two proofs are accepted:

* **Possession** — sharing one's own phone number with the channel's "share my number"
  button.  Telegram then sends the contact with the sender's own user id; a forwarded
  contact card (another user's id, or none at all because the number is not a Telegram
  account) proves nothing and is refused politely and counted.  Possession is never
  rate-limited: it is not a guess.
* **Knowledge** — room + name + the last four digits of the registered phone.  That is a
  guess from 10,000 once room and name are known, so failures are counted per chat and
  per room in the database (`cases.binding_guard`): /start, a restart or a second process
  reset nothing; lockouts double; customer service hears once per chat and once per room
  lockout, never once per guess.

Whichever proof was used, an owner's other chats are told at once that a new chat was
bound to their home, with a "这不是我" button that unbinds it and alerts customer service.
No match is never a guess: the person is told so and customer service is asked to help.
"""

from __future__ import annotations

import logging
import re
from enum import StrEnum

from cases import binding_guard as guard
from cases.codes import Team
from cases.errors import NotAllowed
from cases.privacy import mask_name, mask_phone
from cases.records import Community
from handlers.kit import flow as flows
from handlers.kit.cards import STAFF_LOCALE, alert_replies
from handlers.kit.acting import as_owner
from handlers.kit.announcers import announce
from handlers.kit.context import Ctx
from handlers.kit.flow import Flow, Step, choice
from handlers.kit.formatting import local_time
from handlers.kit import homes
from handlers.kit.i18n import t
from handlers.kit.inputs import nav_row, text_of
from handlers.kit.messages import Inbound, Reply
from handlers.kit.payloads import NotMe
from handlers.owner import communities
from services import directory
from storage.binding_attempts import CHAT, ROOM, BindingAttempts, BoundChats, chat_key, room_key
from storage.community_file import normalise_phone

log = logging.getLogger("wuye.binding")

MAX_TRIES = guard.CHAT.tries
_BY_TEXT = re.compile(r"^\s*(\S+)\s+(\S+)\s+([0-9]{4})\s*$")


class S(StrEnum):
    CONTACT = "contact"
    # Several communities and no hint which: asked before words (room, name, digits) are checked.
    COMMUNITY = "community"


async def ask_contact(ctx: Ctx) -> None:
    """Ask for the phone number (a share button where the channel has one) or room + name + last 4."""
    # Telegram cannot show the share-contact keyboard and inline buttons on one message;
    # the contact button matters more here, and "取消" can be typed.
    ctx.say(ctx.t("binding.ask"), contact_button=ctx.t("binding.share_button"))


async def answer_contact(ctx: Ctx, inbound: Inbound) -> None:
    """Match the shared contact or the typed room/name/digits against the owner register."""
    if inbound.contact_phone:
        await _by_contact(ctx, inbound)
        return
    match = _BY_TEXT.match(inbound.text or "")
    if not match:
        ctx.say(ctx.t("binding.format"))
        return
    await _by_words(ctx, *match.groups())


async def _by_contact(ctx: Ctx, inbound: Inbound) -> None:
    if not inbound.contact_user_id or inbound.contact_user_id != inbound.user_id:
        # Not the sender's own number: a forwarded card proves nothing about who holds the phone.
        refused = await BindingAttempts(ctx.uow.session).refused_contact(CHAT, _chat(ctx), ctx.now)
        log.info("binding: refused a contact that is not the sender's own (channel=%s, %d refused in this chat)",
                 inbound.channel, refused)
        ctx.say(ctx.t("binding.not_own_contact"), contact_button=ctx.t("binding.share_button"))
        return
    try:
        phone = normalise_phone(inbound.contact_phone or "")
    except ValueError:
        phone = ""
    # The phone is proven, so every community where it is an owner's is searched: a person
    # with homes in two communities is bound in both at once.
    found = await ctx.uow.directory.owners_by_phone(phone) if phone else []
    if not found:
        await _no_match(ctx, mask_phone(inbound.contact_phone or ""), room_id=None)
        return
    await _bound(ctx, [(community, owner.id) for community, owner in found], how="contact")


async def ask_community(ctx: Ctx) -> None:
    listed = await ctx.uow.directory.communities()
    rows = [(choice(ctx, f"{i}. {c.name}", c.code),) for i, c in enumerate(listed, 1)]
    ctx.say(ctx.t("communities.which_for_binding"), (*rows, nav_row(ctx, back=False)))


async def answer_community(ctx: Ctx, inbound: Inbound) -> None:
    """The community the typed room is in; then the words are checked there."""
    listed = await ctx.uow.directory.communities()
    if ctx.picked is not None:
        chosen = next((c for c in listed if c.code == ctx.picked), None)
    else:
        typed = text_of(ctx, inbound, max_len=200)
        if typed is None:
            return
        chosen = communities.find(listed, typed)
        if chosen is None:
            ctx.say(ctx.t("communities.unknown", typed=typed[:40]))
            return
    words = ctx.data.get("words")
    if chosen is None or not isinstance(words, list) or len(words) != 3:
        ctx.say(ctx.t("common.expired"))
        return
    await ctx.enter(chosen)
    ctx.state.step = S.CONTACT
    await _by_words(ctx, *(str(w) for w in words))


async def _by_words(ctx: Ctx, room_code: str, name: str, last4: str) -> None:
    if not ctx.community_known:
        # Room codes repeat from one community to the next: which one first.
        ctx.data["words"] = [room_code, name, last4]
        await flows.goto(ctx, FLOW, S.COMMUNITY)
        return
    ctx.data.pop("words", None)
    attempts = BindingAttempts(ctx.uow.session)
    hotline = ctx.policy.hotline or "-"
    chat = await attempts.get(CHAT, _chat(ctx), ctx.now)
    if guard.locked(chat, ctx.now):
        flows.end(ctx)
        ctx.say(ctx.t("binding.locked", until=local_time(chat.locked_until, ctx.policy, ctx.locale), hotline=hotline))
        return
    room = await ctx.uow.directory.room(ctx.community.id, room_code)
    if room is not None:
        held = await attempts.get(ROOM, room_key(ctx.community.id, room.id), ctx.now)
        if guard.locked(held, ctx.now):
            flows.end(ctx)
            ctx.say(ctx.t("binding.room_locked", until=local_time(held.locked_until, ctx.policy, ctx.locale),
                          hotline=hotline))
            return
    owners = await ctx.uow.directory.owners_of_room(room.id) if room else []
    found = [o for o in owners if o.name == name and o.phone.endswith(last4)]
    if len(found) != 1:
        await _no_match(ctx, room.code if room else "?", room_id=room.id if room else None)
        return
    await _bound(ctx, [(ctx.community, found[0].id)], how="words")


def _chat(ctx: Ctx) -> str:
    return chat_key(ctx.inbound.channel, ctx.identity.chat_id)


async def _bound(ctx: Ctx, proven: list[tuple[Community, int]], *, how: str) -> None:
    """Bind the chat to each (community, owner) proven; the conversation goes on in the
    community it was in when that is one of them, else in the first."""
    bound: list[Community] = []
    for community, owner_id in proven:
        try:
            events = await directory.bind_chat(ctx.uow, community, as_owner(ctx), ctx.now, owner_id=owner_id, how=how)
        except NotAllowed:
            continue  # a staff member's chat there stays theirs
        bound.append(community)
        # The owner's other chats, and whoever added this family member or tenant, hear of it.
        for reply in await announce(ctx.uow, community, events, ctx.now):
            ctx.send(reply)
    if not bound:
        # A staff member's chat stays theirs: an owner who also works here binds another account.
        flows.end(ctx)
        ctx.say(ctx.t("binding.staff_chat", hotline=ctx.policy.hotline or "-"))
        return
    here = next((c for c in bound if c.id == ctx.community.id), None) if ctx.community_known else None
    then, prefill = ctx.data.get("then"), ctx.data.get("prefill") or {}
    await ctx.enter(here or bound[0])
    owner = await ctx.owner()
    assert owner is not None
    flows.end(ctx)
    if len(bound) > 1:
        labelled = await homes.offered(ctx)
        done = ctx.t("communities.bound_several", name=owner.name, rooms="、".join(label for _, label in labelled),
                     community=ctx.community.name)
    else:
        done = ctx.t("binding.done", name=owner.name, rooms="、".join(r.code for r in owner.rooms))
    if then:
        ctx.say(done)
        await ctx.routes.start_entry(ctx, then, **prefill)
    else:
        ctx.say(done, ctx.routes.menu(ctx))


async def not_me(ctx: Ctx, pressed: NotMe) -> None:
    """The owner disowns a chat bound to their home: unbind it, tell it, alert customer service.

    Re-authorised on every press: only a chat bound to the same owner may press, and only
    about another chat still bound to that owner."""
    me = ctx.identity
    chats = BoundChats(ctx.uow.session)
    target = await chats.get(pressed.identity_id)
    if me.owner_id is None or target is None or (target.channel, target.user_id) == (me.channel, me.user_id):
        ctx.answer = ctx.t("common.expired")
        ctx.say(ctx.answer)
        return
    if target.owner_id != me.owner_id:
        ctx.answer = ctx.t("binding.not_me_stale")
        ctx.say(ctx.answer)
        return
    channel, chat_id, locale, bound_at = target.channel, target.chat_id, target.locale, target.verified_at
    await chats.unbind(pressed.identity_id)
    # The disowned chat may not guess its way back in soon: its words binding is locked.
    attempts = BindingAttempts(ctx.uow.session)
    key = chat_key(channel, chat_id)
    history = await attempts.get(CHAT, key, ctx.now)
    for _ in range(guard.CHAT.tries):
        history, started = guard.fail(history, ctx.now, guard.CHAT)
        if started:
            break
    await attempts.put(CHAT, key, history, ctx.now)
    # Whatever it was doing as the owner ends here (the nonce stays, so its buttons stay expired).
    state = await ctx.uow.conversations.load(channel, chat_id, target.user_id)
    state.flow, state.step, state.data = "", "", {"_nonce": state.data.get("_nonce", 0)}
    await ctx.uow.conversations.store(channel, chat_id, target.user_id, state, ctx.now)
    hotline = ctx.policy.hotline or "-"
    ctx.send(Reply(channel, chat_id, t(locale, "binding.unbound", hotline=hotline)))
    owner = await ctx.owner()
    assert owner is not None
    rooms = "、".join(r.code for r in owner.rooms)
    for reply in await alert_replies(ctx.uow, ctx.community, Team.CUSTOMER_SERVICE, "binding.cs_not_me",
                                     name=mask_name(owner.name), rooms=rooms, channel=channel,
                                     when=local_time(bound_at, ctx.policy, STAFF_LOCALE)):
        ctx.send(reply)
    log.info("binding: an owner disowned a chat bound to their home (channel=%s); unbound", channel)
    ctx.answer = ctx.t("binding.not_me_done")
    ctx.say(ctx.answer)


async def _no_match(ctx: Ctx, masked: str, *, room_id: int | None) -> None:
    attempts = BindingAttempts(ctx.uow.session)
    key = _chat(ctx)
    before = await attempts.get(CHAT, key, ctx.now)
    first = guard.first_failure(before, ctx.now, guard.CHAT)
    chat, chat_locked = guard.fail(before, ctx.now, guard.CHAT)
    await attempts.put(CHAT, key, chat, ctx.now)
    if first:
        # One hand-off per person trying: customer service calls them back.
        for reply in await alert_replies(ctx.uow, ctx.community, Team.CUSTOMER_SERVICE, "binding.cs_handoff",
                                         who=masked, channel=ctx.inbound.channel):
            ctx.send(reply)
    if room_id is not None:
        rkey = room_key(ctx.community.id, room_id)
        room, room_locked = guard.fail(await attempts.get(ROOM, rkey, ctx.now), ctx.now, guard.ROOM)
        await attempts.put(ROOM, rkey, room, ctx.now)
        if room_locked:
            # One alert per room per lockout, whoever and however many are guessing.
            log.warning("binding: words binding for a room locked after %d failures (lockout %d)",
                        room.failures, room.lockouts)
            for reply in await alert_replies(ctx.uow, ctx.community, Team.CUSTOMER_SERVICE, "binding.cs_room_locked",
                                             room=masked, failures=room.failures, lockouts=room.lockouts,
                                             until=local_time(room.locked_until, ctx.policy, STAFF_LOCALE)):
                ctx.send(reply)
    if chat_locked:
        flows.end(ctx)
        ctx.say(ctx.t("binding.gave_up", hotline=ctx.policy.hotline or "-"))
        return
    ctx.say(ctx.t("binding.no_match", hotline=ctx.policy.hotline or "-"))


FLOW = Flow("binding", S.CONTACT, {S.CONTACT: Step(ask_contact, answer_contact),
                                   S.COMMUNITY: Step(ask_community, answer_community)}, needs_owner=False)
