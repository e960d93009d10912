"""Owner registers as offices keep them (issue 19, item 2).

The same register saved as Chinese Excel does (GBK CSV), as "Unicode text" (UTF-16, tabs),
as UTF-8 with and without a BOM, and as an .xlsx gives the same rows; rooms in one column
or three; bad rows named with their line; a second register that moves one owner out and
one in previews exactly that and applies exactly that, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.registers import apply_register
from storage import models as m
from storage import register, register_changes
from storage.community_file import read as read_community
from storage.households import Households
from storage.loader import plan_register
from storage.register import RegisterError, Role, RoomIndex
from tests.conftest import EXAMPLE_COMMUNITY

SPEC = read_community(EXAMPLE_COMMUNITY)
ROOMS = RoomIndex((code, b.code) for b in SPEC.buildings for code, _, _ in b.room_codes())
# The demo register as the office keeps it: one row per owner and home.
DEMO = [(room, o.name, o.phone) for o in SPEC.owners for room in o.rooms]
HEADER = ["房号", "业主姓名", "联系电话"]


def csv_text(rows: list[tuple[str, ...]], header: list[str] = HEADER, sep: str = ",") -> str:
    return "\r\n".join(sep.join(r) for r in [tuple(header), *rows]) + "\r\n"


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def people(reg: register.Register) -> list[tuple[str, str, str, Role]]:
    return [(r.room, r.name, r.phone, r.role) for r in reg.rows]


def test_the_same_register_in_every_encoding_and_as_xlsx_gives_the_same_rows() -> None:
    text = csv_text(DEMO)
    # Phones typed as numbers in Excel, a title row above the header, the room as typed.
    workbook = xlsx_bytes([["兰亭雅苑业主名册"], HEADER, *[[room, name, int(phone)] for room, name, phone in DEMO]])
    files = {
        "utf-8": text.encode("utf-8"),
        "utf-8-sig": text.encode("utf-8-sig"),
        "gb18030": text.encode("gbk"),  # what Chinese Excel's "CSV (逗号分隔)" writes
        "utf-16": csv_text(DEMO, sep="\t").encode("utf-16"),  # Excel's "Unicode 文本": UTF-16 with tabs
        "xlsx": workbook,
    }
    expected = [(room, name, phone, Role.OWNER) for room, name, phone in DEMO]
    for encoding, raw in files.items():
        reg = register.parse(raw, ROOMS, f"owners.{encoding}")
        assert reg.encoding == encoding
        assert reg.problems == ()
        assert people(reg) == expected, encoding
    # GBK's neighbour GB18030 (names with rarer characters) is read the same way.
    rare = csv_text([("1-1-101", "张䶮", "13800000001")]).encode("gb18030")
    assert people(register.parse(rare, ROOMS)) == [("1-1-101", "张䶮", "13800000001", Role.OWNER)]


def test_split_building_unit_room_columns_and_english_headers() -> None:
    chinese = csv_text([("3号楼", "1单元", "302室", "徐婷", "138-0000-0011"),
                        ("1栋", "2", "0502", "周杰", "+86 138 0000 0009"),
                        ("3", "", "601", "高峰", "13800000019")],  # building 3 has one unit
                       header=["楼栋", "单元", "房号", "姓名", "手机号码"])
    reg = register.parse(chinese.encode("gbk"), ROOMS)
    assert reg.problems == ()
    assert [(r.room, r.name, r.phone) for r in reg.rows] == [
        ("3-1-302", "徐婷", "13800000011"), ("1-2-502", "周杰", "13800000009"), ("3-1-601", "高峰", "13800000019")]
    english = csv_text([("1", "1", "101", "Zhang Wei", "13800000001", "owner"),
                        ("1", "1", "101", "Zhang Xiaoming", "13900000001", "家属"),
                        ("1", "1", "102", "Tenant Li", "13900000002", "tenant")],
                       header=["Building", "Unit", "Room No", "Name", "Mobile", "Type"])
    reg = register.parse(english.encode(), ROOMS)
    assert [(r.room, r.role) for r in reg.rows] == [("1-1-101", Role.OWNER), ("1-1-101", Role.FAMILY),
                                                   ("1-1-102", Role.TENANT)]
    # One room column written the Chinese way.
    one = csv_text([("1栋2单元502室", "周杰", "13800000009")], header=["房屋编号", "业主", "手机"])
    assert [r.room for r in register.parse(one.encode(), ROOMS).rows] == ["1-2-502"]


def test_every_bad_row_is_named_with_its_line_and_reason() -> None:
    raw = ("兰亭雅苑业主名册\n"  # line 1: a title
           "楼栋,单元,房号,姓名,手机号,身份\n"  # line 2: the header
           "1,1,101,张伟,13800000001,业主\n"
           "9,9,999,无房,13900000009,业主\n"  # line 4: no such room
           "1,1,102,王芳,1380000,业主\n"  # line 5: not a mobile number
           "1,1,201,,13800000003,业主\n"  # line 6: no name
           "1,,101,杨洋,13800000006,\n"  # line 7: building 1 has two units
           "\n"
           "1,1,302,刘敏,13800000004,保姆\n"  # line 9: unknown type
           "1,2,101,杨洋,1.38E+10,\n").encode("gbk")  # line 10: Excel rounded the phone
    reg = register.parse(raw, ROOMS, "owners.csv")
    assert [str(p) for p in reg.problems] == [
        "line 4: unknown room '9-9-999'",
        "line 5: phone is not a mainland mobile number (11 digits starting with 1)",
        "line 6: empty name",
        "line 7: room '101' of building '1' is in more than one unit (1-1-101, 1-2-101); give the unit",
        "line 9: unknown type '保姆' (业主/owner, 家属/family, 租户/tenant)",
        "line 10: phone saved by Excel as a rounded number (like 1.38E+10): format the phone column as text "
        "in Excel and save again",
    ]
    assert [r.line for r in reg.rows] == [3]
    assert "1380000" not in " ".join(map(str, reg.problems))  # a phone, even a wrong one, stays out of logs


@pytest.mark.parametrize("raw, says", [
    (b"", "empty file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel .xls workbook; save it as .xlsx or as CSV"),
    (b"PK\x03\x04" + b"\x00" * 100, "not a readable .xlsx workbook"),
    ("名字不对,电话\n张伟,13800000001\n".encode(), "no header row with room (房号), name (姓名) and phone (手机号)"),
    ("房号,姓名,业主,手机\n".encode(), "line 1: two columns for name: '姓名' (column B) and '业主' (column C)"),
    (b"\x81\x30\xff\xfe\x00 not text", "neither UTF-8, UTF-16 nor GBK/GB18030 text"),
    (csv_text(DEMO[:3]).encode() + "1-1-302,刘敏,13800000004\r\n".encode("gbk"),
     "line 5: not UTF-8 like the lines before it (the file mixes encodings)"),
])
def test_unreadable_registers_are_refused_in_a_sentence(raw: bytes, says: str) -> None:
    with pytest.raises(RegisterError) as err:
        register.parse(raw, ROOMS, "owners.csv")
    assert says in str(err.value) and str(err.value).startswith("owners.csv")


NOW = datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)


async def links(app: App) -> list[tuple[str, str, str, str]]:
    async with app.uow() as uow:
        rows = await uow.session.execute(
            select(m.Room.code, m.Owner.name, m.Owner.phone, m.OwnerRoom.role)
            .join(m.OwnerRoom, m.OwnerRoom.room_id == m.Room.id).join(m.Owner, m.Owner.id == m.OwnerRoom.owner_id))
        return sorted(rows.all())


async def preview(app: App, path: Path, **kw: bool) -> register_changes.RegisterPlan:
    async with app.uow() as uow:
        return await plan_register(uow.session, None, path, **kw)


async def load(app: App, path: Path, **kw: bool) -> tuple[register_changes.RegisterPlan, int]:
    async with app.uow() as uow:
        p = await plan_register(uow.session, None, path, **kw)
        unbound = await apply_register(uow, p, NOW)
        await uow.commit()
    return p, unbound


async def test_a_second_register_moves_one_owner_out_and_one_in(app: App, tmp_path: Path) -> None:
    first = tmp_path / "owners.csv"
    first.write_bytes(csv_text(DEMO).encode("gbk"))
    same = await preview(app, first)
    assert (same.changes, same.unchanged) == (0, 21)  # the community file's owners, as the register lists them
    async with app.uow() as uow:
        community = await uow.directory.community()
        wu = await uow.directory.owner_by_phone(community.id, "13800000010")  # 吴刚, 2-1-201
        await uow.directory.bind("telegram", "501", "501", now=NOW, owner_id=wu.id)
        await uow.commit()
    before = await links(app)

    # 吴刚 sold 2-1-201 to 钱多多.
    second = tmp_path / "owners-december.xlsx"
    rows = [list(r) for r in DEMO if r[0] != "2-1-201"] + [["2-1-201", "钱多多", "13900000001"]]
    second.write_bytes(xlsx_bytes([HEADER, *rows]))
    plan = await preview(app, second)
    assert plan.lines() == ["  new        line 22: 2-1-201 钱多多 139****0001",
                            "  moved out  2-1-201 吴刚 138****0010"]
    assert plan.leaving == {wu.id: 1} and plan.unchanged == 20
    assert await links(app) == before  # a preview changes nothing

    applied, unbound = await load(app, second)
    assert unbound == 1 and applied.lines() == plan.lines()
    after = await links(app)
    assert set(before) - set(after) == {("2-1-201", "吴刚", "13800000010", "owner")}
    assert set(after) - set(before) == {("2-1-201", "钱多多", "13900000001", "owner")}
    async with app.uow() as uow:
        chat = await uow.directory.identity("telegram", "501")
        assert chat is not None and chat.owner_id is None  # unbound and told …
        told = await uow.session.scalars(select(m.OutboxMessage.body).where(m.OutboxMessage.chat_id == "501"))
        assert [b["text"] for b in told] == ["您已不再是 2-1-201 的登记住户，此聊天的住户身份已解除。如有疑问请致电客服中心 0571-8888-6666。"]
        assert (await uow.session.get(m.Owner, wu.id)).name == "吴刚"  # … and the owner row kept for history
        # Sharing the old number binds to nothing now.
        assert await uow.directory.owner_by_phone(community.id, "13800000010") is None
    # Loading the same register again changes nothing.
    again = await preview(app, second)
    assert (again.changes, again.unchanged, again.leaving) == (0, 21, {})


async def test_a_changed_name_or_phone_is_an_update_shown_in_the_preview(app: App, tmp_path: Path) -> None:
    # The office typed 张伟伟 for 张伟 (same phone): before, load-owners renamed him silently.
    rows = [("1-1-101", "张伟伟", "13800000001") if r[0] == "1-1-101" else r for r in DEMO]
    # 王芳 (1-1-102) has a new phone.
    rows = [("1-1-102", "王芳", "13911112222") if r[0] == "1-1-102" else r for r in rows]
    path = tmp_path / "owners.csv"
    path.write_text(csv_text(rows), encoding="utf-8-sig")
    plan, unbound = await load(app, path)
    assert plan.lines() == ["  updated    line 2: 1-1-101 name 张伟 → 张伟伟",
                            "  updated    line 3: 1-1-102 phone 138****0002 → 139****2222"]
    assert not plan.new and not plan.moved_out and unbound == 0
    assert ("1-1-101", "张伟伟", "13800000001", "owner") in await links(app)
    assert ("1-1-102", "王芳", "13911112222", "owner") in await links(app)


async def test_bad_rows_load_nothing_and_a_register_missing_most_people_is_flagged(app: App, tmp_path: Path) -> None:
    before = await links(app)
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text([*DEMO, ("8-8-808", "坏行", "13900000002")]), encoding="utf-8")
    plan = await preview(app, bad)
    assert [str(p) for p in plan.problems] == ["line 23: unknown room '8-8-808'"]
    with pytest.raises(ValueError):
        async with app.uow() as uow:
            await register_changes.apply(uow.session, plan, NOW)
    assert await links(app) == before
    one_building = tmp_path / "building3.csv"
    one_building.write_text(csv_text([r for r in DEMO if r[0].startswith("3-")]), encoding="utf-8")
    plan = await preview(app, one_building)
    assert len(plan.moved_out) == 14 and plan.mass_move_out()
    assert not (await preview(app, one_building, move_out=False)).moved_out  # --add-only


async def test_a_household_added_in_chat_leaves_with_the_owner_the_register_moves_out(app: App, tmp_path: Path) -> None:
    async with app.uow() as uow:
        community = await uow.directory.community()
        wu = await uow.directory.owner_by_phone(community.id, "13800000010")  # 吴刚, 2-1-201
        tenant = await Households(uow.session).add(community.id, wu.rooms[0].id, by_owner_id=wu.id, name="租客甲",
                                                   phone="13900000077", role=Role.TENANT, now=NOW)
        await uow.directory.bind("telegram", "901", "901", now=NOW, owner_id=tenant.owner_id)
        zhang = await uow.directory.owner_by_phone(community.id, "13800000001")  # 张伟 stays
        await Households(uow.session).add(community.id, zhang.rooms[0].id, by_owner_id=zhang.id, name="张家人",
                                          phone="13900000078", role=Role.FAMILY, now=NOW)
        await uow.commit()
    path = tmp_path / "owners.csv"
    path.write_text(csv_text([r for r in DEMO if r[0] != "2-1-201"]), encoding="utf-8")
    plan, unbound = await load(app, path)
    assert plan.lines() == ["  moved out  2-1-201 吴刚 138****0010",
                            "  moved out  2-1-201 租客甲 139****0077 (tenant), added in chat by an owner who moved out"]
    assert unbound == 1
    async with app.uow() as uow:
        assert (await uow.directory.identity("telegram", "901")).owner_id is None
    # While the owner who added them stays, a register that does not list them leaves them be.
    assert ("1-1-101", "张家人", "13900000078", "family") in await links(app)
    assert not (await preview(app, path)).changes


def test_the_example_register_is_the_demo_register() -> None:
    example = register.read(EXAMPLE_COMMUNITY.parent / "owner-register.csv", ROOMS)
    assert example.problems == () and example.encoding == "utf-8-sig"
    assert people(example) == [(room, name, phone, Role.OWNER) for room, name, phone in DEMO]
