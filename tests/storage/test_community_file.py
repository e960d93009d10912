"""The community file and the owner spreadsheet: idempotent, strict, all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App, build_app, load_community_file
from storage import models as m
from storage.community_file import CommunityFileError, parse
from storage.loader import load_owners_csv
from tests.conftest import EXAMPLE_COMMUNITY

TABLES = [m.Community, m.Building, m.Room, m.Owner, m.OwnerRoom, m.Team, m.TeamChat, m.Staff,
          m.Identity, m.ServiceItem, m.Faq]


async def counts(app: App) -> dict[str, int]:
    async with app.uow() as uow:
        return {t.__tablename__: await uow.session.scalar(select(func.count()).select_from(t)) for t in TABLES}


async def test_loading_twice_leaves_the_same_rows(app: App) -> None:
    first = await counts(app)
    assert first["rooms"] == 48 and first["owners"] == 20 and first["staff"] == 14 and first["teams"] == 5
    await load_community_file(app, str(EXAMPLE_COMMUNITY))
    assert await counts(app) == first


async def rows(app: App) -> dict[str, set[tuple[str, ...]]]:
    """Every row of the tables a community file writes, as tuples of reprs (JSON columns are dicts)."""
    async with app.uow() as uow:
        return {t.__tablename__: {tuple(repr(v) for v in r)
                                  for r in (await uow.session.execute(select(*t.__table__.columns))).all()}
                for t in TABLES}


def changed(before: dict[str, set[tuple[str, ...]]], after: dict[str, set[tuple[str, ...]]]) -> dict[str, tuple[int, int]]:
    """Per table: (rows gone, rows new) — an updated row counts once on each side."""
    return {name: (len(before[name] - after[name]), len(after[name] - before[name]))
            for name in before if before[name] != after[name]}


async def test_reload_writes_nothing_and_a_change_writes_exactly_it(app: App, tmp_path: Path) -> None:
    first = await rows(app)
    await load_community_file(app, str(EXAMPLE_COMMUNITY))
    assert await rows(app) == first  # not one value rewritten, no new ids

    text = EXAMPLE_COMMUNITY.read_text(encoding="utf-8")
    edited = (text.replace("{name: 王芳, phone:", "{name: 王芳芳, phone:")  # a corrected name
              .replace('{code: "3", name: 3号楼, units: ["1"], floors: [1, 6]', '{code: "3", name: 3号楼, units: ["1"], floors: [1, 7]')
              .replace('  - {name: Emily Carter', '  - {name: 新业主, phone: "13800000099", rooms: ["3-1-701"]}\n  - {name: Emily Carter')
              .replace('phone: "13700000402"}', 'phone: "13700000499"}'))
    path = tmp_path / "edited.yaml"
    path.write_text(edited, encoding="utf-8")
    await load_community_file(app, str(path))
    after = await rows(app)
    # 2 rooms on the new 7th floor, 1 owner renamed and 1 new with their home, 1 staff phone.
    assert changed(first, after) == {"rooms": (0, 2), "owners": (1, 2), "owner_rooms": (0, 1), "staff": (1, 1)}
    async with app.uow() as uow:
        assert await uow.session.scalar(select(m.Owner.name).where(m.Owner.phone == "13800000002")) == "王芳芳"
        home = await uow.session.scalar(select(m.Room.code).join(m.OwnerRoom, m.OwnerRoom.room_id == m.Room.id)
                                        .join(m.Owner, m.Owner.id == m.OwnerRoom.owner_id)
                                        .where(m.Owner.phone == "13800000099"))
    assert home == "3-1-701"
    await load_community_file(app, str(path))
    assert await rows(app) == after


async def test_reload_updates_in_place(app: App, tmp_path: Path) -> None:
    text = EXAMPLE_COMMUNITY.read_text(encoding="utf-8")
    changed = text.replace("price: 50,", "price: 55,").replace(
        '  - {code: hj02, name: 郑秀英, role: cleaner, team: environment, phone: "13700000402"}\n', "")
    path = tmp_path / "c.yaml"
    path.write_text(changed, encoding="utf-8")
    await load_community_file(app, str(path))
    async with app.uow() as uow:
        community = await uow.directory.community()
        items = {i.code: i.price_cents for i in await uow.directory.catalogue(community.id)}
        names = [s.name for s in await uow.directory.staff_list(community.id)]
    assert items["lamp_install"] == 5500
    assert "郑秀英" not in names and len(names) == 13  # deactivated, not deleted


BASE = """community: {code: t, name: 测试小区}
buildings:
  - {code: "1", name: 1号楼, rooms: [1-1-101, 1-1-102]}
teams:
  - {code: engineering, name: 工程部}
"""


@pytest.mark.parametrize(
    "extra, fault",
    [
        ("staff:\n  - {code: s1, name: 王, role: engineer, team: plumbing}\n", "line 7 (staff.0.team): unknown team 'plumbing'"),
        ("owners:\n  - {name: 张, phone: '1380000', rooms: [1-1-101]}\n", "line 7 (owners.0.phone)"),
        ("owners:\n  - {name: 张, phone: '13800000001', rooms: [9-9-999]}\n", "unknown room '9-9-999'"),
        ("services:\n  - {code: x, category: massage, name: 按摩, name_en: Massage, price: 10}\n", "line 7 (services.0.category)"),
        ("colour: blue\n", "(colour): Extra inputs are not permitted"),
        ("staff:\n  - {code: s1, name: 王, role: wizard, team: engineering}\n", "(staff.0.role)"),
    ],
)
def test_malformed_file_names_the_line_or_key(extra: str, fault: str) -> None:
    with pytest.raises(CommunityFileError) as err:
        parse(BASE + extra, "c.yaml")
    assert fault in str(err.value)


def test_duplicate_room_and_bad_yaml() -> None:
    with pytest.raises(CommunityFileError, match=r"line 3 \(buildings.0\): duplicate room 1-1-101"):
        parse(BASE.replace("1-1-102", "1-1-101"), "c.yaml")
    with pytest.raises(CommunityFileError, match="line 2: not valid YAML"):
        parse("community: {code: t\nbuildings: [", "c.yaml")


async def test_bad_file_loads_nothing(database_url: str, clock, tmp_path: Path) -> None:
    from tests.conftest import make_settings

    app = await build_app(make_settings(database_url), clock, run_migrations=False)
    try:
        bad = tmp_path / "bad.yaml"
        bad.write_text(BASE + "owners:\n  - {name: 张, phone: '13800000001', rooms: [1-1-101]}\n"
                       "  - {name: 李, phone: '13800000001', rooms: [1-1-102]}\n", encoding="utf-8")
        with pytest.raises(CommunityFileError, match="duplicate owner phone"):
            await load_community_file(app, str(bad))
        assert set((await counts(app)).values()) == {0}
    finally:
        await app.close()


async def test_owner_csv_import(app: App, tmp_path: Path) -> None:
    good = tmp_path / "owners.csv"
    good.write_text("房号,姓名,手机号\n2-1-502,钱多多,139 0000 0001\n1-1-101,张伟,13800000001\n\n", encoding="utf-8-sig")
    async with app.uow() as uow:
        assert await load_owners_csv(uow.session, None, good) == 2
        await uow.commit()
    async with app.uow() as uow:
        community = await uow.directory.community()
        qian = await uow.directory.owner_by_phone(community.id, "13900000001")
        zhang = await uow.directory.owner_by_phone(community.id, "13800000001")
    assert qian.name == "钱多多" and [r.code for r in qian.rooms] == ["2-1-502"]
    assert [r.code for r in zhang.rooms] == ["1-1-101"]  # already there: not duplicated
    before = await counts(app)
    # Again: same rows.
    async with app.uow() as uow:
        await load_owners_csv(uow.session, None, good)
        await uow.commit()
    assert await counts(app) == before

    bad = tmp_path / "bad.csv"
    bad.write_text("room,name,phone\n1-1-102,好人,13900000002\n8-8-808,坏行,139000\n", encoding="utf-8")
    async with app.uow() as uow:
        with pytest.raises(CommunityFileError) as err:
            await load_owners_csv(uow.session, None, bad)
    assert "line 3" in str(err.value) and "1-1-102" not in str(err.value)
    assert await counts(app) == before


def test_faq_synonyms_are_meaning_words_of_their_answer() -> None:
    spec = parse(BASE + "faq:\n  - {code: fee, keywords: [物业费, fee], synonyms: [管理费, 物业费, ' '], question: 怎么交？, "
                        "answer: 客服中心。}\n", "c.yaml")
    assert spec.faq[0].keywords == ["物业费", "fee", "管理费"]  # once each, blanks dropped
    with pytest.raises(CommunityFileError) as err:
        parse(BASE + "faq:\n  - {code: fee, keywords: [物业费], synonyms: 管理费, question: q, answer: a}\n", "c.yaml")
    assert "faq.0.synonyms" in str(err.value)
