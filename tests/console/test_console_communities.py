"""The console across communities, in a real browser (SQLite and PostgreSQL): a person signs
in once and works in one community at a time, with their staff row there; nothing of another
community is shown, opened or changed, whether by the board, a typed URL or a forged form."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import media
from bot.bootstrap import load_community_file
from cases.lifecycle import Actor, Case
from storage import models as m
from storage.console import ConsoleStore
from tests.console.conftest import ENGINEERING_GROUP, OWNER_CHAT, Desk, sign_in

# A second community: its own rooms (the same codes as the first's), owner, teams and groups.
# 赵丽 (kf02) supervises customer service in both (one staff row in each: same code and phone);
# its butler gj01 is another person than the first community's gj01 (another phone).
MEILIN = """
community: {code: meilin, name: 梅林苑, hotline: "0571-8888-7777"}
buildings:
  - {code: "1", name: 1号楼, units: ["1"], floors: [1, 3], rooms_per_floor: 2}
teams:
  - {code: engineering, name: 工程部, chats: {console: 梅林工程部群}}
  - {code: customer_service, name: 客服中心, chats: {console: 梅林客服群}}
  - {code: management, name: 管理处, chats: {console: 梅林管理处群}}
staff:
  - {code: kf02, name: 赵丽, role: cs_supervisor, team: customer_service, phone: "13700000104"}
  - {code: gj01, name: 钱芳, role: butler, team: customer_service, phone: "13700009101"}
  - {code: gc01, name: 郭涛, role: engineer, team: engineering, phone: "13700009201"}
owners:
  - {name: 钱多多, phone: "13900000001", rooms: ["1-1-101"]}
"""
MEILIN_ENGINEERING = "梅林工程部群"


@pytest.fixture
async def two(desk: Desk, tmp_path: Path) -> dict[str, int]:
    """The second community loaded beside the first; B's butler bound to her own chat."""
    path = tmp_path / "meilin.yaml"
    path.write_text(MEILIN, encoding="utf-8")
    await load_community_file(desk.app, str(path))
    async with desk.app.uow() as uow:
        b = await uow.directory.community("meilin")
        a = await uow.directory.community("lanting")
        assert a is not None and b is not None
        b_gj01 = await uow.session.scalar(select(m.Staff.id).where(m.Staff.code == "gj01",
                                                                   m.Staff.community_id == b.id))
        await uow.directory.bind("console", "gj01-meilin", "gj01-meilin", now=desk.app.now(), staff_id=b_gj01)
        await uow.commit()
    return {"a": a.id, "b": b.id, "b_gj01": b_gj01}


async def _open(desk: Desk, code: str, text: str, photos: tuple[str, ...] = ()) -> int:
    """A case in community `code`, for the owner of its room 1-1-101."""
    async with desk.app.uow() as uow:
        community = await uow.directory.community(code)
        assert community is not None
        room = await uow.directory.room(community.id, "1-1-101")
        owner = (await uow.directory.owners_of_room(room.id))[0]
        case = Case.open(kind="report", urgency="normal", category="plumbing", area="home", now=desk.app.now(),
                         by=Actor("owner", owner.id), description=text, community_id=community.id,
                         owner_id=owner.id, room_id=room.id, photos=list(photos))
        case.dispatch("engineering", desk.app.now(), community.policy)
        case_id = await uow.cases.add(case)
        await uow.commit()
    return case_id


async def _board(page, desk: Desk) -> list[str]:  # type: ignore[no-untyped-def]
    await page.goto(desk.url + "/board")
    return [await r.get_attribute("data-case") or "" for r in await page.locator("#board tbody tr[data-case]").all()]


async def _audit(desk: Desk, action: str) -> list[tuple[int | None, dict[str, object]]]:
    """(staff row, data) of each audit entry of this action, oldest first."""
    async with desk.app.uow() as uow:
        return [(e.staff_id, dict(e.data)) for e in reversed(await ConsoleStore(uow.session).audit_of())
                if e.action == action]


async def test_a_butler_never_sees_or_touches_another_communitys_case(desk: Desk, two: dict[str, int], browser) -> None:
    ours = await _open(desk, "lanting", "兰亭：卫生间水管滴水")
    photo = media.save(desk.app.settings.media_dir, "photo-meilin", b"\xff\xd8 a drain", ".jpg")
    theirs = await _open(desk, "meilin", "梅林：阳台地漏堵了", photos=(photo,))
    name = photo.removeprefix(media.PREFIX)
    page = await sign_in(browser, desk, "gj01")  # the first community's butler 李静
    assert "李静" in await page.inner_text("#whoami") and "兰亭雅苑" in await page.inner_text("#community")
    assert await page.locator("#switch-community").count() == 0  # she serves one community
    assert await _board(page, desk) == [str(ours)]

    # Typing the other community's case number reads exactly as a number that does not exist.
    other = await page.goto(desk.url + f"/cases/{theirs}")
    assert other is not None and other.status == 404
    refused_text = await page.inner_text("#refused")
    assert "地漏" not in await page.content()
    missing = await page.goto(desk.url + "/cases/987654")
    assert missing is not None and missing.status == 404 and await page.inner_text("#refused") == refused_text
    printed = await page.goto(desk.url + f"/cases/{theirs}/print")
    assert printed is not None and printed.status == 404
    # Nor its owner's photo, by its own address or passed off as one of her case's.
    for path in (f"/cases/{theirs}/photos/{name}", f"/cases/{ours}/photos/{name}"):
        assert (await page.request.get(desk.url + path)).status == 404

    # A forged form (her own valid form token, the other community's case number) changes nothing.
    await page.goto(desk.url + f"/cases/{ours}")
    csrf = await page.get_attribute("#form-note input[name=csrf]", "value")
    forged = await page.request.post(desk.url + f"/cases/{theirs}/note", form={"csrf": csrf, "note": "伪造"},
                                     max_redirects=0)
    assert forged.status == 404
    phone = await page.request.post(desk.url + f"/cases/{theirs}/phone", form={"csrf": csrf}, max_redirects=0)
    assert phone.status == 404 and "13900000001" not in await phone.text()
    # …nor does a forged new-case form naming the other community's owner and room.
    async with desk.app.uow() as uow:
        b_room = await uow.directory.room(two["b"], "1-1-101")
        b_owner = (await uow.directory.owners_of_room(b_room.id))[0]
        before = await uow.session.scalar(select(func.count()).select_from(m.Case))
    created = await page.request.post(desk.url + "/cases/new", max_redirects=0, form={
        "csrf": csrf, "owner_room": f"{b_owner.id}:{b_room.id}", "source": "phone", "kind": "report",
        "urgency": "normal", "category": "plumbing", "description": "伪造的工单"})
    assert created.status == 400
    async with desk.app.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(m.Case)) == before
        timeline = await uow.cases.timeline(theirs)
    assert [i.action for i in timeline] == ["opened", "dispatched"]

    # The other community's gj01 is another person: her own code, her own community only.
    page_b = await sign_in(browser, desk, "gj01-meilin", staff_code="gj01")
    assert "钱芳" in await page_b.inner_text("#whoami") and "梅林苑" in await page_b.inner_text("#community")
    assert await _board(page_b, desk) == [str(theirs)]
    shown = await page_b.request.get(desk.url + f"/cases/{theirs}/photos/{name}")
    assert shown.ok and await shown.body() == b"\xff\xd8 a drain"


async def test_a_supervisor_of_two_communities_switches_and_sees_each(desk: Desk, two: dict[str, int], browser) -> None:
    ours = await _open(desk, "lanting", "兰亭：卫生间水管滴水")
    theirs = await _open(desk, "meilin", "梅林：阳台地漏堵了")
    page = await sign_in(browser, desk, "kf02", lands="**/community")  # asked where to work
    assert "兰亭雅苑" in await page.inner_text("#communities") and "梅林苑" in await page.inner_text("#communities")
    await page.click("#community-meilin")
    await page.wait_for_url("**/board")
    assert "梅林苑" in await page.inner_text("#community")
    assert await _board(page, desk) == [str(theirs)]
    opened = await page.goto(desk.url + f"/cases/{ours}")
    assert opened is not None and opened.status == 404  # the other community's case, while working in this one

    await page.click("#switch-community")
    await page.click("#community-lanting")
    await page.wait_for_url("**/board")
    assert "兰亭雅苑" in await page.inner_text("#community")
    assert await _board(page, desk) == [str(ours)]
    shown = await page.goto(desk.url + f"/cases/{ours}")
    assert shown is not None and shown.status == 200

    # A forged switch to a staff row that is not hers is refused and recorded; nothing changes.
    csrf = await page.get_attribute("header form input[name=csrf]", "value")
    forged = await page.request.post(desk.url + "/community", form={"csrf": csrf, "staff_id": str(two["b_gj01"])},
                                     max_redirects=0)
    assert forged.status == 403
    await page.reload()
    assert "兰亭雅苑" in await page.inner_text("#community")

    switches = await _audit(desk, "community_switched")
    assert [(data["from"], data["to"]) for _, data in switches] == [("lanting", "meilin"), ("meilin", "lanting")]
    assert switches[0][0] == switches[1][1]["from_staff"] and switches[0][0] != switches[1][0]  # her row in each
    assert len(await _audit(desk, "refused")) == 1

    # Signing in again starts in the community she last worked in.
    await page.click("header form[action='/logout'] button")
    page = await sign_in(browser, desk, "kf02", lands="**/community")
    assert "兰亭雅苑" in await page.inner_text("#community")


async def test_intake_opens_the_case_in_the_current_community(desk: Desk, two: dict[str, int], browser) -> None:
    page = await sign_in(browser, desk, "kf02", lands="**/community")
    await page.click("#community-meilin")
    await page.wait_for_url("**/board")
    await page.goto(desk.url + "/cases/new")
    await page.fill("#owner-query", "1-1-101")
    await page.click("#lookup")
    assert "钱*" in await page.inner_text("#new-case")  # the second community's owner of 1-1-101, masked
    await page.check("input[name=owner_room]")
    await page.select_option("#source", "phone")
    await page.fill("#description", "厨房水管漏水了，水流到地上")
    await page.wait_for_selector("#suggestion:not(:empty)")  # the classifier's reading fills the category
    await page.click("#create")
    await page.wait_for_url(re.compile(r"/cases/\d+"))
    case_id = int(re.search(r"/cases/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    async with desk.app.uow() as uow:
        case = await uow.cases.get(case_id)
    assert case is not None and case.community_id == two["b"]
    assert any(f"#{case_id}" in text for text in await desk.chat(MEILIN_ENGINEERING))
    assert not any(f"#{case_id}" in text for text in await desk.chat(ENGINEERING_GROUP))



async def test_a_supervisor_of_two_communities_moves_a_case_filed_in_the_wrong_one(
        desk: Desk, two: dict[str, int], browser) -> None:
    ours = await _open(desk, "lanting", "卫生间水管漏水（业主其实住梅林苑）")
    # 兰亭雅苑's butler serves one community: no move form, and a forged one changes nothing.
    butler = await sign_in(browser, desk, "gj01")
    await butler.goto(desk.url + f"/cases/{ours}")
    assert await butler.locator("#form-move").count() == 0
    csrf = await butler.get_attribute("#form-note input[name=csrf]", "value")
    forged = await butler.request.post(desk.url + f"/cases/{ours}/move", max_redirects=0,
                                       form={"csrf": csrf, "community": "meilin", "reason": "伪造"})
    assert forged.status == 303 and "refused" in forged.headers["location"]

    page = await sign_in(browser, desk, "kf02", lands="**/community")
    await page.click("#community-lanting")
    await page.wait_for_url("**/board")
    await page.goto(desk.url + f"/cases/{ours}")
    await page.select_option("#form-move select[name=community]", "meilin")
    await page.fill("#form-move input[name=room]", "1-1-101")
    await page.fill("#form-move input[name=reason]", "业主选错了小区")
    await page.click("#form-move button")
    await page.wait_for_url(re.compile(rf"/cases/{ours}\?msg=done_move"))
    async with desk.app.uow() as uow:
        old = await uow.cases.get(ours)
        [new] = await uow.cases.recent(community_id=two["b"])
        b_room = await uow.directory.room(two["b"], "1-1-101")
        old_timeline, new_timeline = await uow.cases.timeline(ours), await uow.cases.timeline(new.id or 0)
    assert old is not None and old.status == "moved"
    assert new.community_id == two["b"] and new.room_id == b_room.id and new.team_code == "engineering"
    assert new.description == "卫生间水管漏水（业主其实住梅林苑）"
    assert f"梅林苑 #{new.id}" in await page.inner_text("#moved-to")
    assert "已转至其他小区" in await page.inner_text("#status")
    # Both timelines say who moved it, through the console, and why — each with her row there.
    [moved] = [i for i in old_timeline if i.action == "moved"]
    [moved_in] = [i for i in new_timeline if i.action == "moved_in"]
    assert moved.note == moved_in.note == "业主选错了小区" and moved.data.get("via") == moved_in.data.get("via") == "console"
    assert moved.actor_id == desk.staff["kf02"] and moved_in.actor_id != moved.actor_id
    assert "转至其他小区" in await page.inner_text("#timeline")
    # The old group's card says where it went; the new community's group has the new card;
    # the owner hears the new number once.
    assert any(f"已转至梅林苑 #{new.id}" in text for text in await desk.chat(ENGINEERING_GROUP))
    assert any(f"#{new.id}" in text and "由兰亭雅苑转来" in text for text in await desk.chat(MEILIN_ENGINEERING))
    told = [text for text in await desk.chat(OWNER_CHAT) if "梅林苑" in text]
    assert len(told) == 1 and f"#{new.id}" in told[0]
    # Off 兰亭雅苑's board; on 梅林苑's, with where it came from.
    assert str(ours) not in await _board(page, desk)
    await page.click("#switch-community")
    await page.click("#community-meilin")
    await page.wait_for_url("**/board")
    assert str(new.id) in await _board(page, desk)
    await page.goto(desk.url + f"/cases/{new.id}")
    assert f"兰亭雅苑 #{ours}" in await page.inner_text("#moved-from")
