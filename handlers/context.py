"""Everything one inbound message is handled with: the unit of work, who is talking, the
conversation state, and the replies being collected."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from cases.clock import Clock
from cases.permissions import StaffMember
from cases.policy import DeskPolicy
from cases.records import Community, Identity, Owner
from handlers.i18n import t
from handlers.messages import Button, Inbound, Reply
from handlers.payloads import Payload, encode
from storage.conversations import ConversationState
from storage.uow import UnitOfWork


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
