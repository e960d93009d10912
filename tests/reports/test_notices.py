"""The notice service on SQLite and PostgreSQL: scope, muting, authorisation, delivery counts."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, insert, select, update

from bot.bootstrap import App
from bot.notices import NoticeScope, compose, notice_status, send
from bot.outbox import SqlOutbox
from cases.errors import InvalidInput, NotAllowed, NotFound
from handlers.kit.messages import reply_from_dict
from storage import models as m

OWNERS = 2_050  # every 41st muted: 50 muted, 2,000 not


async def seed_owners(app: App) -> dict[str, int]:
    """2,050 owners spread over the demo's 48 rooms, each with one Telegram chat; a few extras."""
    async with app.uow() as uow:
        community = await uow.directory.community()
        rooms = (await uow.session.execute(
            select(m.Room.id, m.Room.code).where(m.Room.community_id == community.id).order_by(m.Room.id))).all()
        first = await uow.session.scalar(select(func.coalesce(func.max(m.Owner.id), 0))) + 1
        await uow.session.execute(insert(m.Owner), [
            {"id": first + n, "community_id": community.id, "name": f"业主{n}", "phone": f"139{n:08d}",
             "muted_notices": n % 41 == 0} for n in range(OWNERS)])
        await uow.session.execute(insert(m.OwnerRoom), [
            {"owner_id": first + n, "room_id": rooms[n % len(rooms)][0]} for n in range(OWNERS)])
        await uow.session.execute(insert(m.Identity), [
            {"channel": "telegram", "user_id": str(10_000 + n), "chat_id": str(10_000 + n), "owner_id": first + n,
             "locale": "en" if n == 1 else "zh-CN"} for n in range(OWNERS)])
        staff = {s.name: s.id for s in await uow.directory.staff_list(community.id)}
        await uow.commit()
    return staff


async def outbox_rows(app: App, notice_id: int | None = None) -> list:  # type: ignore[type-arg]
    """Plain rows (id, channel, chat_id, state, body, notice_id) of the outbox."""
    o = m.OutboxMessage
    async with app.uow() as uow:
        query = select(o.id, o.channel, o.chat_id, o.state, o.body, o.notice_id).order_by(o.id)
        if notice_id is not None:
            query = query.where(o.notice_id == notice_id)
        return list((await uow.session.execute(query)).all())


async def test_a_notice_reaches_every_owner_once_muted_only_when_urgent(app: App) -> None:
    staff = await seed_owners(app)
    draft = await compose(app, author_id=staff["李静"], text="6月3日9:00-12:00全小区停水，请提前储水。")
    assert (draft.owners, draft.messages, draft.muted_skipped) == (2_000, 2_000, 50)

    sent = await send(app, draft)
    assert (sent.owners, sent.messages) == (2_000, 2_000)
    rows = await outbox_rows(app, sent.notice_id)
    assert len(rows) == 2_000 and len({r.chat_id for r in rows}) == 2_000
    assert {r.state for r in rows} == {"pending"} and {r.channel for r in rows} == {"telegram"}
    muted_chats = {str(10_000 + n) for n in range(0, OWNERS, 41)}
    assert not muted_chats & {r.chat_id for r in rows}
    chinese = next(r for r in rows if r.chat_id == "10002")
    reply = reply_from_dict(chinese.body)
    assert reply.text == "【物业通知】兰亭雅苑\n6月3日9:00-12:00全小区停水，请提前储水。" and reply.chat_id == "10002"
    english = next(r for r in rows if r.chat_id == "10001")
    assert reply_from_dict(english.body).text.startswith("[Notice from 兰亭雅苑]\n")

    urgent = await send(app, await compose(app, author_id=staff["赵丽"], text="2号楼燃气泄漏，请勿使用明火",
                                           urgent=True, photo="file-123"))
    urgent_rows = await outbox_rows(app, urgent.notice_id)
    assert len(urgent_rows) == 2_050 and muted_chats <= {r.chat_id for r in urgent_rows}
    assert reply_from_dict(urgent_rows[0].body).photos == ("file-123",)
    assert reply_from_dict(urgent_rows[0].body).text == "【紧急通知】兰亭雅苑\n2号楼燃气泄漏，请勿使用明火"  # muted owner 0
    async with app.uow() as uow:
        notice = await uow.session.get(m.Notice, urgent.notice_id)
        assert (notice.recipients, notice.urgent, notice.photo, notice.scope) == (2_050, True, "file-123", "community")


async def test_unauthorised_senders_are_refused_and_nothing_is_enqueued(app: App) -> None:
    staff = await seed_owners(app)
    for author in (staff["王强"], staff["何平"], None, 999_999):  # engineer, quality inspector, stranger, unknown
        with pytest.raises(NotAllowed):
            await compose(app, author_id=author, text="停电通知")
    # A draft forged for an engineer is refused at sending time too.
    good = await compose(app, author_id=staff["陈晓"], text="停电通知")
    with pytest.raises(NotAllowed):
        await send(app, replace(good, author_id=staff["王强"]))
    # A staff member who left is no longer entitled.
    async with app.uow() as uow:
        await uow.session.execute(update(m.Staff).where(m.Staff.id == staff["陈晓"]).values(active=False))
        await uow.commit()
    with pytest.raises(NotAllowed):
        await send(app, good)
    assert await outbox_rows(app) == []
    async with app.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(m.Notice)) == 0


async def test_building_and_unit_scopes(app: App) -> None:
    staff = await seed_owners(app)
    sender = staff["周敏"]
    async with app.uow() as uow:
        rooms = (await uow.session.execute(select(m.Room.code))).scalars().all()
    per_room = {code: 0 for code in rooms}
    # Owners n were put in room n % 48 in id order; count the unmuted ones per room code.
    async with app.uow() as uow:
        ordered = (await uow.session.execute(select(m.Room.code).order_by(m.Room.id))).scalars().all()
    for n in range(OWNERS):
        if n % 41:
            per_room[ordered[n % len(ordered)]] += 1
    building_1 = sum(v for k, v in per_room.items() if k.startswith("1-"))
    unit_1_2 = sum(v for k, v in per_room.items() if k.startswith("1-2-"))

    draft = await compose(app, author_id=sender, text="1号楼电梯保养", scope=NoticeScope.of_building("1"))
    assert draft.owners == building_1
    sent = await send(app, await compose(app, author_id=sender, text="1号楼2单元停水",
                                         scope=NoticeScope.unit_range("1", "2", "2")))
    assert sent.messages == unit_1_2 and len(await outbox_rows(app, sent.notice_id)) == unit_1_2
    async with app.uow() as uow:
        assert (await uow.session.get(m.Notice, sent.notice_id)).target == {"building": "1", "units": ["2"]}
    assert NoticeScope.unit_range("1", "1", "3").units == ("1", "2", "3")

    with pytest.raises(NotFound):
        await compose(app, author_id=sender, text="x", scope=NoticeScope.of_building("9"))
    with pytest.raises(NotFound):
        await compose(app, author_id=sender, text="x", scope=NoticeScope.of_units("2", "2"))
    with pytest.raises(InvalidInput):
        await compose(app, author_id=sender, text="   ")
    with pytest.raises(InvalidInput):
        NoticeScope.unit_range("1", "3", "1")


async def test_an_owner_with_two_chats_gets_both(app: App, clock) -> None:
    async with app.uow() as uow:
        community = await uow.directory.community()
        owner = await uow.directory.owner_by_phone(community.id, "13800000005")  # rooms 1-1-601 and 2-1-101
        await uow.directory.bind("telegram", "555", "555", now=clock.now(), owner_id=owner.id)
        await uow.directory.bind("console", "陈静", "陈静", now=clock.now(), owner_id=owner.id)
        manager = (await uow.directory.staff_by_name(community.id, "林志远")).id
        await uow.commit()
    sent = await send(app, await compose(app, author_id=manager, text="2号楼外墙清洗", scope=NoticeScope.of_building("2")))
    assert (sent.owners, sent.messages) == (1, 2)
    assert {(r.channel, r.chat_id) for r in await outbox_rows(app, sent.notice_id)} == {("telegram", "555"), ("console", "陈静")}


async def test_status_counts_delivered_failed_and_pending(app: App, clock) -> None:
    staff = await seed_owners(app)
    sent = await send(app, await compose(app, author_id=staff["李静"], text="消防演练通知"))
    other = await send(app, await compose(app, author_id=staff["李静"], text="另一条", urgent=True))
    assert (await notice_status(app, sent.notice_id)).pending == 2_000

    ids = [r.id for r in await outbox_rows(app, sent.notice_id)]
    deliverer = SqlOutbox(app.sessions, clock)  # the deliverer's own marks, as it would record them
    await deliverer.mark_sent(ids[0], "m-1")
    await deliverer.mark_failed(ids[1], "blocked: bot was blocked by the user")
    async with app.uow() as uow:  # the rest of a delivery run, in bulk
        await uow.session.execute(update(m.OutboxMessage).where(m.OutboxMessage.id.in_(ids[2:1_501]))
                                  .values(state="sent"))
        await uow.session.execute(update(m.OutboxMessage).where(m.OutboxMessage.id.in_(ids[1_501:1_530]))
                                  .values(state="failed"))
        await uow.commit()
    status = await notice_status(app, sent.notice_id)
    assert (status.recipients, status.delivered, status.failed, status.pending, status.owners) == (2_000, 1_500, 30, 470, 2_000)
    assert (await notice_status(app, other.notice_id)).pending == 2_050  # the other notice is untouched
    with pytest.raises(NotFound):
        await notice_status(app, 424_242)
