"""An owner register that contradicts itself is refused whole, with both lines named."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from storage import models as m
from storage.community_file import CommunityFileError
from storage.loader import load_owners_csv


async def owner_rows(app: App) -> list[tuple[str, str]]:
    async with app.uow() as uow:
        return sorted((await uow.session.execute(select(m.Owner.name, m.Owner.phone))).all())


@pytest.mark.parametrize("rows, lines, says", [
    # One phone with two names: merging would bind the phone to whichever came last.
    ("2-1-502,钱多多,13900000001\n1-1-102,好人,13911112222\n2-1-501,钱多,139 0000 0001\n",
     "lines 2 and 4", "phone 139****0001 has two names ('钱多多' and '钱多')"),
    # One owner (a name in a room) with two phones.
    ("2-1-502,钱多多,13900000001\n2-1-502,钱多多,13900000009\n",
     "lines 2 and 3", "'钱多多' in 2-1-502 has two phones (139****0001 and 139****0009)"),
])
async def test_contradictions_are_reported_with_both_lines_and_nothing_is_imported(
        app: App, tmp_path: Path, rows: str, lines: str, says: str) -> None:
    before = await owner_rows(app)
    path = tmp_path / "owners.csv"
    path.write_text("房号,姓名,手机号\n" + rows, encoding="utf-8")
    async with app.uow() as uow:
        with pytest.raises(CommunityFileError) as err:
            await load_owners_csv(uow.session, None, path)
        await uow.commit()
    message = str(err.value)
    assert lines in message and says in message
    assert "13900000001" not in message  # the message may reach a log: the phone is masked
    assert await owner_rows(app) == before


async def test_one_owner_with_two_rooms_is_no_contradiction(app: App, tmp_path: Path) -> None:
    path = tmp_path / "owners.csv"
    path.write_text("room,name,phone\n2-1-501,钱多多,13900000001\n2-1-502,钱多多,13900000001\n", encoding="utf-8")
    async with app.uow() as uow:
        assert await load_owners_csv(uow.session, None, path) == 2
        await uow.commit()
    async with app.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(m.Owner).where(m.Owner.phone == "13900000001")) == 1
