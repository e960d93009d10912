"""Nobody binds as an owner without proof: forwarded contact cards are refused, guessing
room + name + digits is locked per chat and per room across /start and restarts, and an
owner can disown a chat bound to their home with one tap."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.bootstrap import App, build_app
from cases import binding_guard as guard
from cases.clock import FakeClock
from handlers.kit.messages import Outcome
from handlers.kit.payloads import NotMe, encode
from storage import models as m
from tests.conftest import make_settings
from tests.flows.conftest import CUSTOMER_SERVICE
from tests.harness import People

WANG_FANG = ("1-1-102", "王芳", "0002")  # the demo register's owner of 1-1-102, phone 13800000002


async def bound_to(app: App, user: str) -> int | None:
    async with app.uow() as uow:
        identity = await uow.directory.identity("console", user)
        return identity.owner_id if identity else None


async def card(people: People, user: str, phone: str, of_user: str | None) -> Outcome:
    """A contact card as Telegram delivers it; `of_user=None`: the number is no Telegram account."""
    return await people._send(user, contact_phone=phone, contact_user_id=of_user)


def cs_alerts(people: People, key_text: str) -> list[str]:
    return [text for text in people.texts(CUSTOMER_SERVICE) if key_text in text]


async def test_a_contact_card_that_is_not_the_senders_own_is_refused_and_counted(app: App, people: People) -> None:
    await people.say("s", "/start")
    await card(people, "s", "13800000002", None)  # Telegram omits user_id: not a Telegram account
    assert "本人" in people.last("s") and "王芳" not in people.all_text("s")
    await card(people, "s", "+86 138 0000 0002", "someone-else")
    assert "本人" in people.last("s")
    await people.say("s", "/start")
    await card(people, "s", "13800000002", "")  # an empty id is no id
    assert await bound_to(app, "s") is None
    async with app.uow() as uow:
        refused = await uow.session.scalar(select(m.BindingAttempt.refused_contacts).where(
            m.BindingAttempt.scope == "chat", m.BindingAttempt.key == "console:s"))
    assert refused == 3
    # The owner's own number from the owner's own account still binds at once.
    await people.contact("w", "13800000002")
    assert "绑定成功！王芳" in people.last("w")


async def test_two_hundred_guesses_with_start_in_between_never_bind_and_survive_a_restart(
        app: App, people: People, clock: FakeClock) -> None:
    room, name, right = WANG_FANG
    wrong = [f"{n:04d}" for n in range(1000, 1200)]
    evaluated = 0
    for i, digits in enumerate(wrong):
        if i % 3 == 0:
            await people.say("s", "/start")  # used to reset the count
        await people.say("s", f"{room} {name} {digits}")
        evaluated += "没有找到匹配" in people.last("s") or "暂停绑定" in people.last("s")
    await people.say("s", "/start")
    await people.say("s", f"{room} {name} {right}")  # guess 201 is right, and still refused
    assert "暂停" in people.last("s") and await bound_to(app, "s") is None
    assert evaluated == guard.CHAT.tries
    assert len(cs_alerts(people, "绑定业主身份未成功")) == 1  # one hand-off, not one per guess or /start

    # A restart (a new process on the same database) remembers the lockout.
    again = await build_app(make_settings(app.settings.database_url), clock, run_migrations=False)
    try:
        later = People(again)
        await later.say("s", "/start")
        await later.say("s", f"{room} {name} {right}")
        assert "暂停" in later.last("s") and await bound_to(app, "s") is None
    finally:
        await again.close()

    # Served: fresh tries for the chat — but the room has now seen five failures, and locks.
    clock.advance(timedelta(minutes=15, seconds=1))
    await people.say("s", "/start")
    for digits in ("1300", "1301"):
        await people.say("s", f"{room} {name} {digits}")
    assert len(cs_alerts(people, "1-1-102 的文字绑定连续失败")) == 1
    await people.say("s", "/start")
    await people.say("s", f"{room} {name} {right}")
    assert "该房屋" in people.last("s") and await bound_to(app, "s") is None
    # Both served: the chat's third failure of this round locks it again, twice as long (30 min).
    clock.advance(timedelta(minutes=15, seconds=1))
    await people.say("s", "/start")
    await people.say("s", f"{room} {name} 1302")
    assert "暂停绑定" in people.last("s")
    clock.advance(timedelta(minutes=29))
    await people.say("s", "/start")
    await people.say("s", f"{room} {name} {right}")
    assert "暂停" in people.last("s") and await bound_to(app, "s") is None


async def test_a_room_locks_for_everyone_after_five_failures_with_one_alert(app: App, people: People) -> None:
    room, name, right = WANG_FANG
    for n in range(8):  # eight accounts, one guess each
        await people.say(f"acct{n}", "/start")
        await people.say(f"acct{n}", f"{room} {name} {5000 + n}")
    await people.say("acct9", "/start")
    await people.say("acct9", f"{room} {name} {right}")
    assert "该房屋" in people.last("acct9") and await bound_to(app, "acct9") is None
    locked = cs_alerts(people, "1-1-102 的文字绑定连续失败")
    assert len(locked) == 1 and "王芳" not in locked[0]  # one alert per room lockout, not per guess
    # Other rooms are not affected, and the owner's own phone always binds.
    await people.say("x", "/start")
    await people.say("x", "1-1-101 张伟 0001")
    assert "绑定成功！张伟" in people.last("x")
    await people.contact("wang", "13800000002")
    assert "绑定成功！王芳" in people.last("wang")


async def test_the_owner_is_told_of_a_new_chat_and_not_me_unbinds_it_and_alerts(app: App, people: People) -> None:
    await people.say("owner", "/start")
    await people.contact("owner", "13800000002")
    assert "绑定成功！王芳" in people.last("owner")
    # A stranger who knows room, name and digits (a delivery slip) binds by words…
    await people.say("stranger", "/start")
    await people.say("stranger", "1-1-102 王芳 0002")
    assert await bound_to(app, "stranger") is not None
    told = people.last("owner")
    assert "刚刚绑定了一个新的console聊天" in told and "房屋（1-1-102）" in told
    payload = people.button("owner", "这不是我")

    # Every press is re-authorised: the stranger, another owner and a guest cannot use it.
    for who in ("stranger", "guest"):
        await people.raw_press(who, payload)
        assert await bound_to(app, "stranger") is not None
    await people.contact("zhang", "13800000001")
    await people.raw_press("zhang", payload)
    assert await bound_to(app, "stranger") is not None
    assert not cs_alerts(people, "不是本人")

    await people.press("owner", "这不是我")
    assert "已解除" in people.last("owner")
    assert await bound_to(app, "stranger") is None and await bound_to(app, "owner") is not None
    assert "绑定已被撤销" in people.last("stranger")
    [alert] = cs_alerts(people, "不是本人")
    assert "王*" in alert and "1-1-102" in alert and "王芳" not in alert
    # The disowned chat can neither act as the owner nor guess its way back in.
    await people.say("stranger", "/start")
    await people.say("stranger", "1-1-102 王芳 0002")
    assert "暂停" in people.last("stranger") and await bound_to(app, "stranger") is None
    # Pressed again: nothing left to undo, and no second alert.
    await people.raw_press("owner", payload)
    assert len(cs_alerts(people, "不是本人")) == 1


async def test_forged_not_me_payloads_change_nothing(app: App, people: People) -> None:
    await people.contact("owner", "13800000002")
    await people.contact("other", "13800000001")
    async with app.uow() as uow:
        ids = list(await uow.session.scalars(select(m.Identity.id)))
    for identity_id in ids + [0, 999_999]:
        await people.raw_press("owner", encode(NotMe(identity_id)))
    for payload in ("1|n|", "1|n|-1", "1|n|²", "1|n|1|2", "1|n|" + "9" * 40):
        await people.raw_press("owner", payload)
    assert await bound_to(app, "owner") is not None and await bound_to(app, "other") is not None
    assert not cs_alerts(people, "不是本人")


def test_ten_thousand_guesses_from_ever_new_accounts_never_bind() -> None:
    """The whole space of last-four digits, one guess every 10 seconds for 28 hours, each
    from a fresh account (so the per-chat limit never bites): the room's lockouts let
    only a few dozen be checked at all, and the right one, somewhere in the 10,000, is
    never among them.  (The same rules the desk applies, run without the desk: 10,000
    real messages would take minutes; the desk-level tests above play hundreds.)"""
    rng = random.Random(14)
    codes = [f"{n:04d}" for n in range(10_000)]
    rng.shuffle(codes)
    right = "0002"
    assert right in codes
    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    room = guard.Attempts()
    checked, bound, alerts = 0, False, 0
    for code in codes:
        now += timedelta(seconds=10)
        if guard.locked(room, now):
            continue
        checked += 1
        if code == right:
            bound = True
            break
        room, started = guard.fail(room, now, guard.ROOM)
        alerts += started
    assert not bound
    assert checked <= 40 and alerts == checked // guard.ROOM.tries
    print(f"\n10,000 guesses over {(now - datetime(2026, 6, 1, tzinfo=timezone.utc)).total_seconds() / 3600:.0f} h: "
          f"{checked} checked, {alerts} lockouts (one alert each), bound: {bound}")


def test_lockouts_double_up_to_a_cap_and_a_long_quiet_time_forgets() -> None:
    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    a = guard.Attempts()
    spans = []
    for _ in range(14):
        for _ in range(guard.CHAT.tries):
            a, started = guard.fail(a, now, guard.CHAT)
        assert started and guard.locked(a, now)
        spans.append(a.locked_until - now)
        now = a.locked_until
    assert spans[:4] == [timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2)]
    assert spans[-1] == timedelta(days=30)
    assert guard.current(a, now + timedelta(days=29), guard.CHAT).lockouts == 14
    assert guard.current(a, now + timedelta(days=30), guard.CHAT) == guard.Attempts()
