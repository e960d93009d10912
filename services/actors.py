"""Who does something to the desk, and through which front end.

The lifecycle's `Actor` (kind, id) is what the timeline stores; a service needs a little
more: the front end the action came through (so the timeline can say "via the console")
and, for an owner who never bound, the chat that reported the case (the only proof that
a case is theirs).
"""

from __future__ import annotations

from dataclasses import dataclass

from cases import lifecycle

# The front ends that call the services.  "chat" is the default and is not written to
# the timeline (every entry before the services were introduced came through chat).
CHAT = "chat"
CONSOLE = "console"
PHONE = "phone"
SYSTEM_VIA = "system"
VIAS = frozenset({CHAT, CONSOLE, PHONE, SYSTEM_VIA})


@dataclass(frozen=True, slots=True)
class Actor(lifecycle.Actor):
    via: str = CHAT
    channel: str = ""  # the chat it came from, when it came from a chat
    chat_id: str = ""
    user_id: str = ""  # the person's id on that channel (a group chat has many)

    @classmethod
    def staff(cls, staff_id: int, via: str = CHAT, channel: str = "", chat_id: str = "", user_id: str = "") -> Actor:
        return cls("staff", staff_id, via, channel, chat_id, user_id)

    @classmethod
    def owner(cls, owner_id: int | None, via: str = CHAT, channel: str = "", chat_id: str = "",
              user_id: str = "") -> Actor:
        return cls("owner", owner_id, via, channel, chat_id, user_id)

    @classmethod
    def system(cls) -> Actor:
        return cls("system", None, SYSTEM_VIA)

    @property
    def recorded(self) -> lifecycle.Actor:
        """What the timeline keeps of this actor."""
        return lifecycle.Actor(self.kind, self.id)


SYSTEM = Actor.system()
