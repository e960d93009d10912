"""Small helpers the flow tests share: reading the database, acting as staff, steering the router."""

from __future__ import annotations

from dataclasses import dataclass

from bot.bootstrap import App, build_app
from cases.lifecycle import Case
from handlers.kit.payloads import Pick, decode, encode
from tests.conftest import make_settings
from tests.harness import People


async def all_cases(app: App) -> list[Case]:
    async with app.uow() as uow:
        return list(reversed(await uow.cases.recent()))


async def only_case(app: App) -> Case:
    cases = await all_cases(app)
    assert len(cases) == 1, cases
    return cases[0]


async def staff_id(app: App, name: str) -> int:
    async with app.uow() as uow:
        community = await uow.directory.community()
        assert community is not None
        member = await uow.directory.staff_by_name(community.id, name)
        assert member is not None
        return member.id


async def staff_accepts(app: App, case_id: int, name: str = "王强") -> None:
    """What the staff's "接单" button does to the case (the staff flows are tested elsewhere)."""
    sid = await staff_id(app, name)
    async with app.uow() as uow:
        case = await uow.cases.get(case_id)
        assert case is not None
        case.accept(sid, app.now())
        await uow.cases.save(case)
        await uow.commit()


async def staff_finishes(app: App, case_id: int, name: str = "王强", fee_cents: int = 0, note: str = "") -> None:
    await staff_accepts(app, case_id, name)
    sid = await staff_id(app, name)
    async with app.uow() as uow:
        case = await uow.cases.get(case_id)
        assert case is not None
        case.finish(sid, app.now(), note=note, fee_cents=fee_cents)
        await uow.cases.save(case)
        await uow.commit()


async def choose_kind(people: People, user: str, text: str, kind_label: str) -> None:
    """Say `text` outside a flow and steer the router to `kind_label`, whatever the
    classifier guessed (it proposes a kind, asks to choose, or starts the flow itself)."""
    await people.say(user, text)
    last = people.last(user)
    if "看起来您要" in last or "It looks like" in last:
        if kind_label in last:
            await people.press(user, "是的")
            return
        await people.press(user, "不是")
        last = people.last(user)
    if "请问您想办理哪一项" in last:
        # The choice is labelled as the main menu labels it ("预约服务", not the code's "有偿服务").
        await people.press(user, {"有偿服务": "预约服务"}.get(kind_label, kind_label))


def pick(people: People, chat: str, label: str, value: str) -> str:
    """A forged answer to the step showing `label`: same flow, step and nonce, another value."""
    real = decode(people.button(chat, label))
    assert isinstance(real, Pick)

    return encode(Pick(real.flow, real.step, real.nonce, value))


@dataclass
class Restarted:
    app: App
    people: People


async def restart(app: App, people: People, database_url: str, clock) -> Restarted:  # type: ignore[no-untyped-def]
    """Stop the app and start a new one on the same database; the owner keeps their chat."""
    await app.close()
    again_app = await build_app(make_settings(database_url), clock)
    again = People(again_app)
    again.chats = people.chats  # the old messages are still on the owner's phone
    return Restarted(again_app, again)
