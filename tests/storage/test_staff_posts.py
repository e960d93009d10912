"""Who a staff code names across communities (services.directory.people_by_code / posts_of),
on SQLite and PostgreSQL: one person = one staff row per community with the same code and
phone; the same code with another phone is another person."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update

from bot.bootstrap import App, load_community_file
from services.directory import people_by_code, posts_of
from storage import models as m
from tests.console.test_console_communities import MEILIN


async def test_posts_of_a_person_and_people_of_a_code(app: App, tmp_path: Path) -> None:
    path = tmp_path / "meilin.yaml"
    path.write_text(MEILIN, encoding="utf-8")
    await load_community_file(app, str(path))
    async with app.uow() as uow:
        kf02 = await people_by_code(uow, "kf02")
        gj01 = await people_by_code(uow, "gj01")
        assert [[p.community_code for p in person] for person in kf02] == [["lanting", "meilin"]]
        assert [p.role for p in kf02[0]] == ["cs_supervisor", "cs_supervisor"]
        # Two butlers called gj01, with different phones: two people, one community each.
        assert [[p.community_code for p in person] for person in gj01] == [["lanting"], ["meilin"]]
        for post in kf02[0]:  # from either of her rows, both her communities
            assert await posts_of(uow, post.staff_id) == kf02[0]
        assert await people_by_code(uow, "nobody") == []

        # A row no longer active is no post; from it, nothing at all.
        meilin_row = kf02[0][1].staff_id
        await uow.session.execute(update(m.Staff).where(m.Staff.id == meilin_row).values(active=False))
        assert [p.community_code for p in await posts_of(uow, kf02[0][0].staff_id)] == ["lanting"]
        assert await posts_of(uow, meilin_row) == ()
