"""Drive the desk as people would: type, press buttons, share contacts, send photos.

Every reply is kept per chat, so tests read what the owner and each group saw.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

from bot.bootstrap import App
from handlers.kit.messages import Inbound, Outcome, Reply

_updates = itertools.count(1)


class People:
    def __init__(self, app: App, channel: str = "console") -> None:
        self.app = app
        self.channel = channel
        self.chats: dict[str, list[Reply]] = defaultdict(list)
        self.answers: list[str | None] = []

    async def _send(self, user: str, *, chat: str | None = None, group: bool = False, **fields: object) -> Outcome:
        inbound = Inbound(channel=self.channel, chat_id=chat or user, user_id=user, is_group=group,
                          update_id=str(next(_updates)), **fields)  # type: ignore[arg-type]
        outcome = await self.app.desk.handle(inbound)
        for reply in outcome.replies:
            self.chats[reply.chat_id].append(reply)
        self.answers.append(outcome.answer)
        return outcome

    async def say(self, user: str, text: str, **kw: object) -> Outcome:
        return await self._send(user, text=text, **kw)

    async def photo(self, user: str, file_id: str, caption: str | None = None) -> Outcome:
        return await self._send(user, photo=file_id, text=caption)

    async def contact(self, user: str, phone: str, of_user: str | None = None) -> Outcome:
        return await self._send(user, contact_phone=phone, contact_user_id=of_user or user)

    async def press(self, user: str, label: str, *, chat: str | None = None, group: bool = False) -> Outcome:
        """Press the button whose label contains `label` on the newest message showing one."""
        payload = self.button(chat or user, label)
        return await self._send(user, chat=chat, group=group, payload=payload)

    async def raw_press(self, user: str, payload: str, *, chat: str | None = None, group: bool = False) -> Outcome:
        return await self._send(user, chat=chat, group=group, payload=payload)

    def button(self, chat: str, label: str) -> str:
        for reply in reversed(self.chats[chat]):
            for row in reply.buttons:
                for button in row:
                    if label in button.text:
                        return button.payload
        raise AssertionError(f"no button {label!r} in chat {chat}: {[r.text[:40] for r in self.chats[chat][-3:]]}")

    def last(self, chat: str) -> str:
        assert self.chats[chat], f"nothing was sent to {chat}"
        return self.chats[chat][-1].text

    def texts(self, chat: str) -> list[str]:
        return [r.text for r in self.chats[chat]]

    def all_text(self, chat: str) -> str:
        return "\n".join(self.texts(chat))
