"""Households in storage: an owner adds and removes family members and tenants; a stranger,
a member or a neighbour cannot; a move-out takes the whole home with it and unbinds chats."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from storage import models as m
from storage.households import HouseholdRefused, Households, Refusal
from storage.register import Role

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)


async def test_an_owner_adds_and_removes_family_and_tenants(app: App) -> None:
    async with app.uow() as uow:
        d, h = uow.directory, Households(uow.session)
        community = await d.community()
        zhang = await d.owner_by_phone(community.id, "13800000001")  # 张伟, 1-1-101
        wang = await d.owner_by_phone(community.id, "13800000002")  # 王芳, 1-1-102 (a neighbour)
        room = zhang.rooms[0].id
        wife = await h.add(community.id, room, by_owner_id=zhang.id, name="李梅", phone="13900000001",
                           role=Role.FAMILY, now=NOW)
        tenant = await h.add(community.id, room, by_owner_id=zhang.id, name="赵租", phone="13900000002",
                             role=Role.TENANT, now=NOW)
        # A member binds like an owner: by their own number, or room + name + last digits.
        await d.bind("telegram", "701", "701", now=NOW, owner_id=wife.owner_id)
        await d.bind("telegram", "702", "702", now=NOW, owner_id=tenant.owner_id)
        await uow.commit()
    async with app.uow() as uow:
        d, h = uow.directory, Households(uow.session)
        assert [(x.name, x.role, x.bound) for x in await h.members(room)] == [
            ("李梅", Role.FAMILY, True), ("赵租", Role.TENANT, True)]
        found = await d.owner_by_phone(community.id, "13900000001")
        assert [r.code for r in found.rooms] == ["1-1-101"]  # reports and follows cases for that home
        assert "李梅" in [o.name for o in await d.owners_of_room(room)]
        assert await h.adders_of(wife.owner_id) == [(zhang.id, room)]
        # Nobody but an owner of record of the room adds or removes: not a neighbour, not a member.
        for who in (wang.id, tenant.owner_id):
            with pytest.raises(HouseholdRefused) as err:
                await h.add(community.id, room, by_owner_id=who, name="我自己", phone="13900000009",
                            role=Role.FAMILY, now=NOW)
            assert err.value.refusal is Refusal.NOT_OWNER
            with pytest.raises(HouseholdRefused):
                await h.remove(room, wife.owner_id, by_owner_id=who)
        with pytest.raises(HouseholdRefused) as err:  # the owner is never "removed" by a member's owner
            await h.remove(room, zhang.id, by_owner_id=zhang.id)
        assert err.value.refusal is Refusal.NOT_MEMBER
        with pytest.raises(HouseholdRefused) as err:
            await h.add(community.id, room, by_owner_id=zhang.id, name="李梅", phone="13900000001",
                        role=Role.TENANT, now=NOW)
        assert err.value.refusal is Refusal.ALREADY
        # A neighbour's number under another name: refused without telling whose it is.
        with pytest.raises(HouseholdRefused) as err:
            await h.add(community.id, room, by_owner_id=zhang.id, name="随便", phone="13800000002",
                        role=Role.FAMILY, now=NOW)
        assert err.value.refusal is Refusal.MISMATCH
        gone = await h.remove(room, tenant.owner_id, by_owner_id=zhang.id)
        await uow.commit()
    assert gone.left == ((tenant.owner_id, "赵租"),) and gone.unbound == (("telegram", "702", "zh-CN"),)
    async with app.uow() as uow:
        assert [x.name for x in await Households(uow.session).members(room)] == ["李梅"]
        assert (await uow.directory.identity("telegram", "702")).owner_id is None
        assert await uow.directory.owner_by_phone(community.id, "13900000002") is None  # binds to nothing now
        assert (await uow.session.get(m.Owner, tenant.owner_id)).name == "赵租"  # kept for history


async def test_a_move_out_takes_the_home_and_its_household_and_unbinds_them(app: App) -> None:
    async with app.uow() as uow:
        d, h = uow.directory, Households(uow.session)
        community = await d.community()
        chen = await d.owner_by_phone(community.id, "13800000005")  # 陈静: 1-1-601 and 2-1-101
        room = next(r.id for r in chen.rooms if r.code == "2-1-101")
        son = await h.add(community.id, room, by_owner_id=chen.id, name="陈小", phone="13900000003",
                          role=Role.FAMILY, now=NOW)
        await d.bind("telegram", "801", "801", now=NOW, owner_id=chen.id)
        await d.bind("telegram", "802", "802", now=NOW, owner_id=son.owner_id)
        await uow.commit()
    async with app.uow() as uow:
        done = await Households(uow.session).move_out(room)
        await uow.commit()
    assert sorted(name for _, name in done.left) == ["陈小", "陈静"]
    assert done.unbound == (("telegram", "802", "zh-CN"),)  # 陈静 still lives in 1-1-601: stays bound
    async with app.uow() as uow:
        assert (await uow.directory.identity("telegram", "801")).owner_id == chen.id
        assert [r.code for r in (await uow.directory.owner(chen.id)).rooms] == ["1-1-601"]
        assert await uow.directory.owners_of_room(room) == []
        assert await uow.session.scalar(select(m.OwnerRoom).where(m.OwnerRoom.room_id == room)) is None
