"""Everything one inbound message is handled with: the unit of work, who is talking, the
conversation state, and the replies being collected."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from cases.clock import Clock
from cases.permissions import StaffMember
from cases.policy import DeskPolicy
from cases.records import Community, Identity, Owner, Room
from handlers.kit.i18n import t
from handlers.kit.messages import Button, Inbound, Reply
from handlers.kit.payloads import Payload, encode
from storage.conversations import ConversationState
from storage.uow import UnitOfWork

if TYPE_CHECKING:  # the route table refers to flows, which take a Ctx: a type-only reference
    from handlers.kit.routes import Routes


class Classification(Protocol):
    kind: str
    urgency: str
    category: str
    area: str
    confidence: float
    keywords: tuple[str, ...]
    low_confidence: bool


class Classifier(Protocol):
    def classify(self, text: str) -> Classification: ...


class ReadOnce:
    """A classifier that reads each text once per step: the front asks about the same words
    from several checks (a new request? a question where words are kept? not understood?),
    and a reading costs a third of a millisecond."""

    def __init__(self, classifier: Classifier) -> None:
        self._classifier = classifier
        self._read: dict[str, Classification] = {}
        # The FAQ matches by the real classifier's jieba tokens where it has them.
        self.segmenter = getattr(classifier, "segmenter", None)

    def classify(self, text: str) -> Classification:
        result = self._read.get(text)
        if result is None:
            result = self._read[text] = self._classifier.classify(text)
        return result

    def danger_cues(self, text: str) -> tuple[str, ...]:
        """What the danger rules that the words fire say they are about (each rule's `why`,
        read as the classifier reads: normalised, segmented, negation and not-cues applied);
        () from a classifier without rules (a test's fake)."""
        c = self._classifier
        rules, normalize, segmenter = (getattr(c, a, None) for a in ("rules", "normalize", "segmenter"))
        if rules is None or normalize is None or segmenter is None:
            return ()
        try:
            norm = normalize(text)
            fired = rules.match(norm, segmenter.tokens(norm))
        except Exception:  # noqa: BLE001 - advice must never fail for want of a reading
            return ()
        return tuple(g.why for g in fired.groups if getattr(g, "danger", False))


class Reporter(Protocol):
    """The desk's statistics for chat (`handlers.office.reports`); the bootstrap provides it."""

    async def summary(self, uow: UnitOfWork, community: Community, start: date, end: date, now: datetime,
                      locale: str) -> tuple[str, str]:
        """The summary of [start, end) as of `now` in `locale`, and its chart as a photo reference."""
        ...

    async def company(self, uow: UnitOfWork, communities: Sequence[Community], start: date, end: date,
                      now: datetime, locale: str) -> tuple[str, str]:
        """The company report of `communities` side by side, and its chart as a photo reference."""
        ...


@dataclass(frozen=True, slots=True)
class Home:
    """One of an owner's homes, with the community it is in."""

    community: Community
    room: Room


@dataclass
class Ctx:
    uow: UnitOfWork
    inbound: Inbound
    clock: Clock
    classifier: Classifier
    community: Community
    identity: Identity
    state: ConversationState
    replies: list[Reply] = field(default_factory=list)
    answer: str | None = None
    # The value of the pressed flow button, when the inbound is a Pick.
    picked: str | None = None
    # Statistics for /report, from the bootstrap (None: the desk was built without it).
    reporter: Reporter | None = None
    # Where each flow, command and button goes (the Desk's routes, from the bootstrap).
    routes: Routes = None  # type: ignore[assignment]
    # False: several communities are loaded and nothing yet says which one this stranger
    # means (handlers.kit.whereabouts); binding asks before anything else.
    community_known: bool = True
    _owner: Owner | None = None
    _staff: StaffMember | None = None

    @property
    def locale(self) -> str:
        return self.identity.locale

    @property
    def now(self) -> datetime:
        return self.clock.now()

    @property
    def policy(self) -> DeskPolicy:
        return self.community.policy

    def t(self, key: str, **fields: object) -> str:
        return t(self.locale, key, **fields)

    # ----------------------------------------------------------------- who is talking
    async def owner(self) -> Owner | None:
        if self._owner is None and self.identity.owner_id is not None:
            self._owner = await self.uow.directory.owner(self.identity.owner_id)
        return self._owner

    async def staff(self) -> StaffMember | None:
        if self._staff is None and self.identity.staff_id is not None:
            member = await self.uow.directory.staff(self.identity.staff_id)
            self._staff = member if member and member.active else None
        return self._staff

    # ----------------------------------------------------------------- communities
    async def enter(self, community: Community) -> None:
        """Go on in `community` (a switch, a deep link, a home there picked, a binding
        there): the person is who they are there, and their next message starts there."""
        self.community = community
        self.community_known = True
        self.state.community_id = community.id
        found = await self.uow.directory.identity(self.inbound.channel, self.inbound.user_id, community.id)
        if found is not None:
            self.identity = found
        self._owner = self._staff = None

    async def homes(self) -> list[Home]:
        """Every home of this person, in every community they are an owner in (the current
        community's first)."""
        found: list[Home] = []
        for identity in await self.uow.directory.identities(self.inbound.channel, self.inbound.user_id):
            if identity.owner_id is None or identity.community_id is None:
                continue
            community = await self.uow.directory.community_by_id(identity.community_id)
            owner = await self.uow.directory.owner(identity.owner_id)
            if community is not None and owner is not None:
                found += [Home(community, room) for room in owner.rooms]
        return sorted(found, key=lambda h: h.community.id != self.community.id)

    # ----------------------------------------------------------------- replies
    def say(self, text: str, buttons: tuple[tuple[Button, ...], ...] = (), *, photos: tuple[str, ...] = (),
            contact_button: str | None = None) -> None:
        """Reply to the person, in their private chat (even when they pressed a group button)."""
        self.replies.append(Reply(self.inbound.channel, self.identity.chat_id, text, buttons, photos,
                                  contact_button=contact_button))

    def send(self, reply: Reply) -> None:
        self.replies.append(reply)

    def button(self, label: str, payload: Payload) -> Button:
        return Button(label, encode(payload))

    # ----------------------------------------------------------------- state
    @property
    def data(self) -> dict[str, Any]:
        return self.state.data
