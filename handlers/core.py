"""The help desk's front door: one `Inbound` in, replies into the outbox, an `Outcome` out.

Everything a person does passes through `Desk.handle` inside one unit of work: the
update is recorded (so a redelivery is ignored), the person's identity and conversation
are loaded, the input is routed, and the replies are written to the outbox in the same
transaction as the change they report.  A refusal by the desk's rules rolls the change
back and tells the person why.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cases.clock import Clock
from cases.errors import DeskError, IllegalTransition, NotAllowed, NotFound, StaleCase
from cases.records import Identity
from handlers.kit import flow as flows
from handlers.kit.context import Classifier, Ctx, ReadOnce, Reporter
from handlers.kit.i18n import normalise_locale, t
from handlers.kit.inputs import BACK_WORDS, CANCEL_WORDS, DUTY_WORDS, NAV_BACK, NAV_CANCEL, SWITCH_COMMUNITY_WORDS, is_word
from handlers.kit.messages import Inbound, Outcome, Reply, reply_to_dict
from handlers.kit.payloads import BadPayload, CaseAction, Menu, Pick, decode
from handlers.kit.routes import Routes
from handlers.kit.sanitise import clean_inbound
from handlers.kit.whereabouts import where
from storage.conversations import ConversationChanged
from storage.db import session_limit
from storage.failures import error_class, log_failure, storage_exhausted, transient
from storage.uow import UnitOfWork


log = logging.getLogger("wuye.core")

_REFUSALS = {StaleCase: "common.stale", NotAllowed: "common.not_yours", NotFound: "common.no_case"}

# A step that lost a race on the person's conversation is redone on fresh state; more than
# a few losses in a row means something else is wrong.
RACE_ATTEMPTS = 5
# The database being briefly unavailable (a restart, a full pool, a lock held too long)
# is waited out with growing pauses, about half a minute in all, before the person is told.
TRANSIENT_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0)

_T = TypeVar("_T")


class Desk:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock, classifier: Classifier,
                 *, default_locale: str = "zh-CN", on_outbox: Callable[[], None] | None = None,
                 reporter: Reporter | None = None, routes: Routes | None = None) -> None:
        self.sessions = sessions
        # Every flow, command and button the desk answers (`include(owner.routes, …)`).
        self.routes = routes or Routes()
        self.clock = clock
        self.classifier = classifier
        # Statistics and charts for /report (built in bot/, which the desk must not import).
        self.reporter = reporter
        self.default_locale = default_locale
        # Wakes the outbox delivery so replies go out at once.
        self.on_outbox = on_outbox
        # Back-pressure: at most this many steps hold a database session at once (one on
        # SQLite, which has one writer; a share of the pool on PostgreSQL, leaving the rest
        # to delivery and the scheduler).  A burst of updates waits here, in order per chat,
        # instead of queueing inside the pool and failing on its timeout.
        self.slots = asyncio.Semaphore(session_limit(sessions.kw.get("bind")))
        # Updates refused as already handled, steps redone after a lost race, waits for the
        # database, and steps that failed for good; read by `wuye status` and the benches.
        self.stats: Counter[str] = Counter()
        # The community's hotline, for the apology when the database cannot even be read.
        self._hotline = "-"

    async def handle(self, inbound: Inbound) -> Outcome:
        inbound = clean_inbound(inbound)
        try:
            outcome = await self._retrying(lambda: self._handle(inbound), inbound)
        except Exception as exc:
            # Never log the message text: it may hold an owner's phone number or name.
            self.stats["failed"] += 1
            if storage_exhausted(exc):
                # Not a bug to trace: one line per update says it, until space is freed.
                log.error("could not store update %s (channel=%s): %s", inbound.update_id, inbound.channel,
                          _first_line(exc))
            else:
                # The database away for all of TRANSIENT_DELAYS is one line; a bug keeps its traceback.
                log_failure(log, exc, "failed to handle an update (channel=%s update=%s)", inbound.channel,
                            inbound.update_id, then="its sender gets the apology", level=logging.ERROR)
            outcome = await self.apologise(inbound)
        if outcome.replies and self.on_outbox:
            self.on_outbox()
        return outcome

    async def _retrying(self, step: Callable[[], Awaitable[_T]], inbound: Inbound) -> _T:
        """Run `step` (one whole unit of work) in a session slot; redo it after a lost race or
        while the database is briefly unavailable.  Each try starts from nothing: the failed
        one was rolled back whole, so redoing it cannot duplicate anything."""
        races, waits = 0, iter(TRANSIENT_DELAYS)
        while True:
            try:
                async with self.slots:
                    return await step()
            except ConversationChanged:
                races += 1
                self.stats["races"] += 1
                if races >= RACE_ATTEMPTS:
                    raise
                log.info("conversation changed under update %s (channel=%s); redoing the step",
                         inbound.update_id, inbound.channel)
                await asyncio.sleep(random.uniform(0, 0.02 * races))
            except Exception as error:
                delay = next(waits, None) if transient(error) else None
                if delay is None:
                    raise
                self.stats["db_waits"] += 1
                log.warning("database unavailable for update %s (channel=%s): %s; trying again in %.2f s",
                            inbound.update_id, inbound.channel, error_class(error), delay)
                await asyncio.sleep(delay)

    async def _handle(self, inbound: Inbound) -> Outcome:
        async with UnitOfWork(self.sessions) as uow:
            if inbound.update_id and not await uow.conversations.first_time(inbound.channel, inbound.update_id, self.clock.now()):
                # A redelivery of an update already handled (same channel key): not answered
                # twice, but never silently — no text in the log, only where it came from.
                self.stats["duplicates"] += 1
                log.info("update %s (channel=%s chat=%s) refused as a duplicate",
                         inbound.update_id, inbound.channel, inbound.chat_id)
                return Outcome()
            locale = normalise_locale(inbound.language) if inbound.language else self.default_locale
            known = await uow.directory.remember(inbound.channel, inbound.user_id,
                                                 inbound.user_id if inbound.is_group else inbound.chat_id, locale)
            state = await uow.conversations.load(inbound.channel, known.chat_id, inbound.user_id)
            # The one place the community of an update is decided; the person is then who
            # they are in that community (their owner/staff row there, or nobody).
            found = await where(uow, inbound, state.community_id, in_flow=bool(state.flow))
            if found is None:
                raise RuntimeError("no community loaded: run `wuye load FILE`")
            community = found.community
            if found.known and not found.by_case and not inbound.is_group:
                state.community_id = community.id  # the last used, where the next message starts
            identity = await uow.directory.identity(inbound.channel, inbound.user_id, community.id) or known
            ctx = Ctx(uow, inbound, self.clock, ReadOnce(self.classifier), community, identity, state, reporter=self.reporter,
                      routes=self.routes, community_known=found.known)
            before = copy.deepcopy(state)
            try:
                if found.by_case and await _outsider(uow, inbound, identity):
                    # Someone of another community pressing on (or asking for) this one's case.
                    log.info("refused an update about another community's case (channel=%s update=%s)",
                             inbound.channel, inbound.update_id)
                    raise NotAllowed("the case is another community's", reason="community")
                await route(ctx)
            except DeskError as refusal:
                await uow.rollback()
                if inbound.update_id:
                    await uow.conversations.first_time(inbound.channel, inbound.update_id, self.clock.now())
                ctx.replies.clear()
                ctx.state = before
                key = next((k for cls, k in _REFUSALS.items() if isinstance(refusal, cls)), None)
                if isinstance(refusal, IllegalTransition):
                    key = "common.stale"
                text = ctx.t(key) if key else ctx.t("common.error", hotline=community.policy.hotline or "-")
                if inbound.payload:
                    ctx.answer = text
                ctx.say(text)
            await uow.conversations.store(inbound.channel, identity.chat_id, inbound.user_id, ctx.state, self.clock.now())
            for reply in ctx.replies:
                await uow.outbox.add(reply.channel, reply.chat_id, reply_to_dict(reply), reply.replace_key, self.clock.now())
            await uow.commit()
            return Outcome(list(ctx.replies), ctx.answer)

    async def apologise(self, inbound: Inbound) -> Outcome:
        """Best effort: tell the person something went wrong rather than stay silent (also
        for an update a channel gave up on before the desk could handle it).

        When not even the apology can be stored (the disk is full, the database gone), it
        is still returned as the outcome's toast: the shell prints it and Telegram shows it
        on a button press, so nobody — least of all someone reporting a fire — gets nothing."""
        try:
            async with self.slots, UnitOfWork(self.sessions) as uow:
                found = await where(uow, inbound, None)
                community = found.community if found else None
                identity = await uow.directory.identity(inbound.channel, inbound.user_id)
                locale = identity.locale if identity else self.default_locale
                hotline = community.policy.hotline if community else "-"
                self._hotline = hotline or self._hotline
                text = t(locale, "common.error", hotline=hotline or "-")
                reply = Reply(inbound.channel, identity.chat_id if identity else inbound.chat_id, text)
                await uow.outbox.add(reply.channel, reply.chat_id, reply_to_dict(reply), None, self.clock.now())
                await uow.commit()
                return Outcome([reply], text if inbound.payload else None)
        except Exception as exc:
            # One line: the step's own failure was logged in full just before.
            log.error("could not even apologise (channel=%s): %s", inbound.channel, _first_line(exc))
            return Outcome([], t(self.default_locale, "common.error", hotline=self._hotline))


async def _outsider(uow: UnitOfWork, inbound: Inbound, identity: Identity) -> bool:
    """Nobody in the case's community, but an owner or staff member of another one."""
    if identity.owner_id is not None or identity.staff_id is not None:
        return False
    return bool(await uow.directory.communities_of(inbound.channel, inbound.user_id))


def _first_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    text = str(orig).strip().splitlines()
    return f"{orig.__class__.__name__}: {text[0]}" if text else orig.__class__.__name__


async def route(ctx: Ctx) -> None:
    """Decide what this input means: a button, a command, a step of a flow, or free text."""
    inbound = ctx.inbound
    if inbound.payload is not None:
        await _pressed(ctx, inbound.payload)
        return
    if inbound.is_group:
        # Staff talk among themselves in their group; the bot only listens to buttons
        # and commands addressed to it there.
        if inbound.text and inbound.text.startswith("/"):
            await _command(ctx, inbound.text)
        return
    if inbound.text and inbound.text.strip().startswith("/"):
        await _command(ctx, inbound.text.strip())
        return
    routes = ctx.routes
    if is_word(inbound, SWITCH_COMMUNITY_WORDS):
        await _command(ctx, "/community")
        return
    active = routes.flow(ctx.state.flow)
    if inbound.contact_phone and "binding" in routes.flows:
        if active is None:
            await flows.begin(ctx, routes.flows["binding"])
        await routes.flows[ctx.state.flow].steps[ctx.state.step].answer(ctx, inbound)
        return
    if await ctx.staff() is not None:
        if active is None and is_word(inbound, DUTY_WORDS) and "/duty" in routes.commands:
            await _command(ctx, "/duty")  # "值班", "谁值班？": the roster, as /duty shows it
        elif active is None:
            # Staff chat with the bot to work cases, not to open them: remind them how.
            await _help(ctx)
        elif is_word(inbound, CANCEL_WORDS):
            await flows.cancel(ctx)
        elif is_word(inbound, BACK_WORDS):
            if not await flows.back(ctx, active):
                ctx.say(ctx.t("common.at_first_step"))
        else:
            await active.steps[ctx.state.step].answer(ctx, inbound)
        return
    # Owners and strangers: danger first, then whatever the message means (handlers.owner.front).
    if routes.owner_input is not None:
        await routes.owner_input(ctx)


async def _pressed(ctx: Ctx, data: str) -> None:
    try:
        payload = decode(data)
    except BadPayload:
        _expired(ctx)
        return
    match payload:
        case Pick(flow_name, step, nonce, value):
            active = ctx.routes.flow(ctx.state.flow)
            if active is None or (ctx.state.flow, ctx.state.step, flows.nonce(ctx)) != (flow_name, step, nonce):
                _expired(ctx)
                return
            ctx.answer = ""
            if value == NAV_CANCEL:
                await flows.cancel(ctx)
            elif value == NAV_BACK:
                if not await flows.back(ctx, active):
                    ctx.say(ctx.t("common.at_first_step"))
            else:
                ctx.picked = value
                await active.steps[step].answer(ctx, ctx.inbound)
        case Menu(item) if item in ctx.routes.menu_items:
            ctx.answer = ""
            await ctx.routes.menu_items[item](ctx, payload)
        case CaseAction(action) if action in ctx.routes.case_actions:
            await ctx.routes.case_actions[action](ctx, payload)
        case _ if type(payload) in ctx.routes.buttons:
            await ctx.routes.buttons[type(payload)](ctx, payload)
        case _:
            _expired(ctx)


def _expired(ctx: Ctx) -> None:
    ctx.answer = ctx.t("common.expired")
    ctx.say(ctx.answer)


async def _command(ctx: Ctx, text: str) -> None:
    name, _, rest = text.partition(" ")
    name = name.split("@", 1)[0].lower()  # "/start@wuye_bot" in groups
    handler = ctx.routes.commands.get(name)
    if handler is None:
        if not ctx.inbound.is_group:
            await _help(ctx)
        return
    await handler(ctx, rest.strip())


async def _help(ctx: Ctx) -> None:
    helper = ctx.routes.commands.get("/help")
    if helper is not None:
        await helper(ctx, "")
