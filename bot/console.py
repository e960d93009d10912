"""`wuye shell`: the whole help desk in one terminal, no account needed.

The person at the keyboard is one chat user at a time — an unbound visitor "you" at
first, then any owner's phone (`/as owner 1-1-101`), any staff member (`/as staff
王强`) or a new stranger (`/as guest`).  Input goes through the same `Desk.handle` as
Telegram; replies come back the way a channel gets them, through the outbox, and are
printed labelled with their chat: `[我]` for the current user, `[工程部群]` for a
team's group, `[→ 王强]` for someone else's private chat.  Buttons print as numbered
options; typing the number presses it, from the chat where it was shown.

Piped input (not a terminal) is read line by line and echoed with `> `, so a scripted
session prints a readable transcript.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from bot import media
from bot.bootstrap import App, build_app, ensure_community
from bot.outbox import SqlOutbox
from bot.scheduler import start_scheduler, stop_scheduler
from bot.settings import Settings
from cases.clock import OffsetClock
from cases.privacy import mask_phone
from cases.records import Community, Identity, Owner
from handlers.kit.formatting import code_name, duration, local_time
from handlers.kit.i18n import t
from handlers.kit.messages import Inbound, Reply
from storage.community_file import normalise_phone

CHANNEL = "console"
DEFAULT_USER = "you"
INDENT = "    "
_CLOCK = re.compile(r"^\+(\d{1,4})([mhd])$")
_UNITS = {"m": 1, "h": 60, "d": 1440}

log = logging.getLogger("wuye.console")


@dataclass(frozen=True, slots=True)
class Option:
    """A printed button: pressing it sends its payload from the chat it was shown in."""

    chat_id: str
    payload: str


class ConsoleSender:
    """`bot.channel.ChannelSender` for a terminal: prints each reply under its chat's label."""

    channel = CHANNEL

    def __init__(self, write: Callable[[str], None], locale: Callable[[], str], media_dir: Path | None = None) -> None:
        self.write = write
        self.locale = locale
        # Where `media:` photos (report charts) are; the terminal shows their path.
        self.media_dir = media_dir
        # Chat id → how it is labelled; filled by the shell before each delivery round.
        self.labels: dict[str, str] = {}
        self.options: list[Option] = []
        self._batch: list[Option] = []
        self._ids = 0

    def new_batch(self) -> None:
        self._batch = []

    def end_batch(self) -> None:
        """The newest buttons become the numbered options; with none, the old ones stay."""
        if self._batch:
            self.options = self._batch

    async def send(self, reply: Reply, edit_message_id: str | None = None) -> str:
        loc = self.locale()
        label = self.labels.get(reply.chat_id, reply.chat_id)
        first, *rest = reply.text.splitlines() or [""]
        updated = t(loc, "shell.updated") if edit_message_id else ""
        self.write(f"[{label}] {updated}{first}")
        for line in rest:
            self.write(INDENT + line)
        for ref in reply.photos:
            self.write(INDENT + t(loc, "shell.photo", ref=self._shown(ref)))
        for row in reply.buttons:
            cells = []
            for button in row:
                self._batch.append(Option(reply.chat_id, button.payload))
                cells.append(f"[{len(self._batch)}] {button.text}")
            self.write(INDENT + "   ".join(cells))
        if reply.contact_button:
            self.write(INDENT + t(loc, "shell.contact_hint", label=reply.contact_button))
        if edit_message_id:
            return edit_message_id
        self._ids += 1
        return str(self._ids)

    def _shown(self, ref: str) -> str:
        """A media file as its path (to open it); other references as they are."""
        if self.media_dir is None or not media.is_media(ref):
            return ref
        try:
            return str(media.path_of(self.media_dir, ref))
        except media.MediaRefused:
            return ref


async def on_clock_moved(app: App) -> None:
    """Run the work that fell due when `/clock` moved the demo clock ahead.

    The hook for the scheduler: it registers its "run everything due now" coroutine
    function as `app.extras["on_clock_moved"]`.  Until it does, moving the clock moves
    only the clock (deadlines shown on cards and in /mycases read the new time)."""
    hook = app.extras.get("on_clock_moved")
    if callable(hook):
        await hook()


class Shell:
    def __init__(self, app: App, write: Callable[[str], None]) -> None:
        self.app = app
        self.write = write
        self.user = DEFAULT_USER
        # The phone number of the "device" the person holds, shared by /contact.
        self.device_phone: str | None = None
        self.locale = app.settings.default_locale
        self.sender = ConsoleSender(write, lambda: self.locale, app.settings.media_dir)
        self.outbox = SqlOutbox(app.sessions, app.clock)
        # Outbox rows printed whose "sent" mark has not been stored yet (id → message id).
        self._printed: dict[int, str] = {}
        self.groups: set[str] = set()
        self.community: Community | None = None  # the current person's (the first at start)
        self.communities: list[Community] = []

    def say(self, key: str, **fields: object) -> None:
        """The shell's own voice (not the bot's), in the current user's language."""
        self.write(t(self.locale, key, **fields))

    # ----------------------------------------------------------------- start
    async def start(self) -> None:
        async with self.app.uow() as uow:
            self.communities = await uow.directory.communities()
            assert self.communities
            self.community = self.communities[0]
            for community in self.communities:
                teams = await uow.directory.teams(community.id)
                self.groups |= {info.chats[CHANNEL] for info in teams if CHANNEL in info.chats}
        self.say("shell.banner", community="、".join(c.name for c in self.communities),
                 now=local_time(self.app.now(), self.community.policy, self.locale))
        self.say("shell.help")
        # Replies a previous session left undelivered.
        await self.deliver()

    # ----------------------------------------------------------------- one line of input
    async def handle(self, line: str) -> bool:
        """Act on one line; False when the person wants to leave."""
        line = line.strip()
        if not line:
            return True
        try:
            if line.startswith("\\"):
                await self.send(text=line[1:])
            elif line.isdigit():
                await self.press(int(line))
            elif line.startswith("/"):
                name, _, arg = line.partition(" ")
                command = _COMMANDS.get(name.lower())
                if command is None:
                    await self.send(text=line)  # /start, /mycases, /lang… are the bot's
                elif not await command(self, arg.strip()):
                    return False
            else:
                await self.send(text=line)
        except Exception as exc:  # one bad line must not end the session
            log.exception("shell command failed")
            self.say("shell.error", error=exc.__class__.__name__)
        return True

    async def send(self, *, chat_id: str | None = None, is_group: bool = False, **fields: object) -> None:
        inbound = Inbound(channel=CHANNEL, chat_id=chat_id or self.user, user_id=self.user, is_group=is_group,
                          **fields)  # type: ignore[arg-type]
        outcome = await self.app.desk.handle(inbound)
        await self.deliver()
        # A button's toast, when it says something its replies did not.
        if outcome.answer and all(outcome.answer != r.text for r in outcome.replies):
            self.say("shell.toast", text=outcome.answer)

    async def press(self, number: int) -> None:
        options = self.sender.options
        if not 1 <= number <= len(options):
            self.say("shell.no_option", n=number)
            return
        option = options[number - 1]
        if option.chat_id in self.groups:
            await self.send(chat_id=option.chat_id, is_group=True, payload=option.payload)
        elif option.chat_id == self.user:
            await self.send(payload=option.payload)
        else:
            self.say("shell.option_elsewhere", n=number, chat=await self._person(option.chat_id))

    # ----------------------------------------------------------------- delivery
    async def deliver(self) -> None:
        """Print every pending console reply, oldest first, as a channel would deliver it."""
        await self._refresh_locale()
        self.sender.new_batch()
        pending = await self.outbox.pending(CHANNEL, self.app.now())
        # Labels depend on who is at the keyboard now ("[我]" is whoever that is).
        self.sender.labels = {}
        for item in pending:
            chat = item.reply.chat_id
            if chat not in self.sender.labels:
                self.sender.labels[chat] = await self._label(chat)
        for item in pending:
            reply = item.reply
            if item.id not in self._printed:
                edit = (await self.outbox.message_id_for(CHANNEL, reply.chat_id, reply.replace_key)
                        if reply.replace_key else None)
                self._printed[item.id] = await self.sender.send(reply, edit)
            # Shown now or before; if the "sent" mark cannot be stored (a full disk) the
            # next input tries again — without printing the message to the person again.
            try:
                await self.outbox.mark_sent(item.id, self._printed[item.id])
            except Exception as exc:
                log.error("could not mark console message %s sent: %s", item.id, exc.__class__.__name__)
                continue
            del self._printed[item.id]
        self.sender.end_batch()

    async def _label(self, chat_id: str) -> str:
        if chat_id in self.groups:
            return chat_id
        if chat_id == self.user:
            return t(self.locale, "shell.me")
        return t(self.locale, "shell.to", name=await self._person(chat_id))

    async def _person(self, chat_id: str) -> str:
        """Whose private chat this is: the owner's or staff member's name, else the chat id."""
        async with self.app.uow() as uow:
            identity = await uow.directory.identity_of_chat(CHANNEL, chat_id)
            name = await self._name(uow, identity) if identity else None
        return name or chat_id

    @staticmethod
    async def _name(uow, identity: Identity) -> str | None:  # type: ignore[no-untyped-def]
        if identity.staff_id is not None:
            member = await uow.directory.staff(identity.staff_id)
            return member.name if member else None
        if identity.owner_id is not None:
            owner = await uow.directory.owner(identity.owner_id)
            return owner.name if owner else None
        return None

    async def who(self) -> str:
        """The current user's name for the prompt: the owner or staff member, else the user id."""
        identity = await self._identity()
        if identity is None:
            return self.user
        async with self.app.uow() as uow:
            return await self._name(uow, identity) or self.user

    async def _identity(self) -> Identity | None:
        async with self.app.uow() as uow:
            return await uow.directory.identity(CHANNEL, self.user)

    async def _refresh_locale(self) -> None:
        identity = await self._identity()
        self.locale = identity.locale if identity else self.app.settings.default_locale

    # ----------------------------------------------------------------- shell commands
    async def cmd_as(self, arg: str) -> bool:
        who, _, rest = arg.partition(" ")
        rest = rest.strip()
        if who == "owner" and rest:
            await self._as_owner(rest)
        elif who == "staff" and rest:
            await self._as_staff(rest)
        elif who == "guest":
            self.user, self.device_phone = f"guest-{secrets.token_hex(3)}", None
            await self._refresh_locale()
            self.say("shell.as_guest", user=self.user)
        else:
            self.say("shell.as_usage")
        return True

    def _where(self, key: str) -> tuple[str, list[Community]] | None:
        """`KEY@code` names the community; a bare KEY is looked for in every community (with
        one, in it alone).  None (and the shell says why) when the code is unknown."""
        key, at, code = key.rpartition("@") if "@" in key else (key, "", "")
        if not at:
            return key, self.communities
        found = [c for c in self.communities if c.code == code.strip()]
        if not found:
            self.say("shell.no_community", code=code, codes="、".join(c.code for c in self.communities))
            return None
        return key.strip(), found

    def _ambiguous(self, key: str, found: list[Community]) -> bool:
        """Found in several communities: the person says which with @code."""
        if len(found) > 1:
            self.say("shell.which_community", text=key,
                     choices="、".join(f"{key}@{c.code}（{c.name}）" for c in found))
        return len(found) > 1

    async def _as_owner(self, arg: str) -> None:
        where = self._where(arg)
        if where is None:
            return
        key, communities = where
        found: list[tuple[Community, Owner]] = []
        async with self.app.uow() as uow:
            for community in communities:
                owner = None
                room = await uow.directory.room(community.id, key)
                if room is not None:
                    owners = await uow.directory.owners_of_room(room.id)
                    owner = owners[0] if owners else None
                else:
                    try:
                        owner = await uow.directory.owner_by_phone(community.id, normalise_phone(key))
                    except ValueError:
                        owner = None
                if owner is not None:
                    found.append((community, owner))
        if not found:
            self.say("shell.no_owner", text=key)
            return
        # One phone owning homes in several communities is one person: not ambiguous.
        if len({owner.phone for _, owner in found}) > 1 and self._ambiguous(key, [c for c, _ in found]):
            return
        self.community, owner = found[0]
        # One console user per owner's phone: coming back to it finds it as it was left.
        self.user, self.device_phone = f"owner-{owner.id}", owner.phone
        identity = await self._identity()
        await self._refresh_locale()
        bound = t(self.locale, "shell.bound" if identity and identity.owner_id == owner.id else "shell.not_bound")
        self.say("shell.as_owner", name=owner.name, rooms="、".join(r.code for r in owner.rooms),
                 phone=mask_phone(owner.phone), bound=bound)

    async def _as_staff(self, arg: str) -> None:
        where = self._where(arg)
        if where is None:
            return
        name, communities = where
        async with self.app.uow() as uow:
            found = [(c, m) for c in communities if (m := await uow.directory.staff_by_name(c.id, name)) is not None]
            if not found:
                self.say("shell.no_staff", text=name)
                return
            # One person on the staff of several communities (one code: a company file's
            # regional or head-office staff) works in all of them.
            one_person = len({m.code for _, m in found}) == 1
            if not one_person and self._ambiguous(name, [c for c, _ in found]):
                return
            community, member = found[0]
            user = f"staff-{member.id}"
            for _, row in found if one_person else found[:1]:
                await uow.directory.bind(CHANNEL, user, user, now=self.app.now(), staff_id=row.id)
            teams = {info.code: info for info in await uow.directory.teams(community.id)}
            await uow.commit()
        self.community = community
        self.user, self.device_phone = user, None
        await self._refresh_locale()
        group = teams[member.team].chats.get(CHANNEL, "-") if member.team in teams else "-"
        self.say("shell.as_staff", name=member.name, team=code_name(self.locale, "team", member.team), group=group)

    async def cmd_contact(self, arg: str) -> bool:
        phone = arg or self.device_phone
        if not phone:
            self.say("shell.no_phone")
            return True
        await self.send(contact_phone=phone, contact_user_id=self.user)
        return True

    async def cmd_photo(self, arg: str) -> bool:
        if not arg:
            self.say("shell.photo_usage")
            return True
        whole = Path(arg).expanduser()
        if whole.is_file():
            path, caption = whole, None
        else:
            first, _, caption_text = arg.partition(" ")
            path, caption = Path(first).expanduser(), caption_text.strip() or None
        if not path.is_file():
            self.say("shell.no_file", path=str(path))
            return True
        await self.send(photo=str(path.resolve()), text=caption)
        return True

    async def cmd_clock(self, arg: str) -> bool:
        match = _CLOCK.match(arg.replace(" ", ""))
        clock = self.app.clock
        if match is None or not hasattr(clock, "advance"):
            self.say("shell.clock_usage")
            return True
        minutes = int(match.group(1)) * _UNITS[match.group(2)]
        clock.advance(timedelta(minutes=minutes))
        assert self.community is not None
        self.say("shell.clock_moved", span=duration(minutes, self.locale),
                 now=local_time(self.app.now(), self.community.policy, self.locale))
        await on_clock_moved(self.app)
        await self.deliver()
        return True

    async def cmd_whoami(self, _: str) -> bool:
        identity = await self._identity()
        phone = mask_phone(self.device_phone) if self.device_phone else "-"
        async with self.app.uow() as uow:
            if identity and identity.staff_id is not None:
                member = await uow.directory.staff(identity.staff_id)
                if member:
                    self.say("shell.whoami_staff", name=member.name, team=code_name(self.locale, "team", member.team),
                             user=self.user, language=self.locale)
                    return True
            if identity and identity.owner_id is not None:
                owner = await uow.directory.owner(identity.owner_id)
                if owner:
                    self.say("shell.whoami_owner", name=owner.name, rooms="、".join(r.code for r in owner.rooms),
                             user=self.user, language=self.locale)
                    return True
        self.say("shell.whoami_unbound", user=self.user, phone=phone, language=self.locale)
        return True

    async def cmd_quit(self, _: str) -> bool:
        self.say("shell.bye")
        return False


_COMMANDS = {
    "/as": Shell.cmd_as,
    "/contact": Shell.cmd_contact,
    "/photo": Shell.cmd_photo,
    "/clock": Shell.cmd_clock,
    "/whoami": Shell.cmd_whoami,
    "/quit": Shell.cmd_quit,
    "/exit": Shell.cmd_quit,
}


async def _read_line(stdin: TextIO, prompt: str | None) -> str | None:
    """One line, without blocking the event loop; None at the end of input."""
    if prompt is None:
        line = await asyncio.to_thread(stdin.readline)
        return line.rstrip("\r\n") if line else None
    try:
        return await asyncio.to_thread(input, prompt)
    except EOFError:
        return None


async def run_shell(settings: Settings, stdin: TextIO, stdout: TextIO) -> None:
    """Start on the configured database (migrated, demo community loaded if empty) and chat."""
    interactive = stdin.isatty() and stdout.isatty()
    if interactive:
        try:
            import readline  # noqa: F401  (line editing and history for input())
        except ImportError:
            pass

    def write(text: str) -> None:
        print(text, file=stdout, flush=True)

    app = await build_app(settings, OffsetClock())
    scheduler = None
    try:
        await ensure_community(app)
        # Surveys, reminders and deadlines fall due on their own in a live demo too;
        # `/clock` runs the same tick at once through the on_clock_moved hook.
        scheduler = start_scheduler(app)
        shell = Shell(app, write)
        await shell.start()
        while True:
            prompt = t(shell.locale, "shell.prompt", who=await shell.who()) if interactive else None
            try:
                line = await _read_line(stdin, prompt)
            except KeyboardInterrupt:
                line = None
            if line is None:
                break
            if not interactive:
                write(f"> {line}")
            if not await shell.handle(line):
                break
    finally:
        if scheduler is not None:
            await stop_scheduler(app, scheduler)
        await app.close()
