"""A case filed in the wrong community moved to another one of the company
(`services.casework.move_to_community`): by staff with `/move`, its refusals, and the
figures of both communities afterwards.  The example company file (see
tests/flows/test_communities.py): 高工 (gc90) is the engineering manager of 东苑 and 西苑,
方琳 (gj01) the butler of 东苑 only.  Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.bootstrap import App
from bot.scheduler import tick
from cases.clock import FakeClock
from cases.errors import NotAllowed
from handlers.kit.payloads import CaseAction, decode, encode
from services import access, casework
from services.actors import Actor
from services.reports import rollup as rollups
from services.reports.company import company_figures
from services.reports.statistics import open_context
from storage import models as m
from tests.flows.test_communities import (  # noqa: F401 - app and people are fixtures
    REGIONAL_ENGINEERING, app, bind_staff, case_of, community_id, open_in, people,
)
from tests.harness import People


async def staff_row(app: App, code: str, community: str) -> int:
    async with app.uow() as uow:
        found = await uow.session.scalar(select(m.Staff.id).join(m.Community, m.Community.id == m.Staff.community_id)
                                         .where(m.Staff.code == code, m.Community.code == community))
    assert found is not None
    return found


async def moved_pair(app: App, case_id: int):  # type: ignore[no-untyped-def]
    """The case as it ended, and the case that carries it on."""
    old = await case_of(app, case_id)
    assert old.status == "moved", old.status
    return old, await case_of(app, old.details["moved_to"]["case"])


# ----------------------------------------------------------------- staff
async def test_a_regional_manager_moves_a_case_by_buttons_and_both_timelines_say_who_and_why(
        app: App, people: People) -> None:
    await bind_staff(app, "gg", "gc90", "dongyuan", "xiyuan")
    east = await open_in(app, "dongyuan", room="A-1-101", description="水管漏水，业主其实住西苑")
    await people.raw_press("gg", encode(CaseAction("accept", east)), chat=REGIONAL_ENGINEERING, group=True)
    await people.say("gg", f"/move {east}")
    assert people.button("gg", "西苑小区")
    with pytest.raises(AssertionError):
        people.button("gg", "东苑小区")  # not to where it already is
    await people.press("gg", "西苑小区")
    assert "为什么" in people.last("gg")
    outcome = await people.say("gg", "业主报错了小区，房屋在西苑")
    old, new = await moved_pair(app, east)
    assert f"已转至西苑小区，新工单 #{new.id}" in people.last("gg")
    # The new case is 西苑's: its own number, team, fresh deadlines, waiting for someone to accept.
    assert new.community_id == await community_id(app, "xiyuan") and new.team_code == "engineering"
    assert new.status == "dispatched" and new.assignee_id is None and new.description == old.description
    assert new.created_at == old.closed_at and new.response_due_at is not None
    # The regional group sees the old card edited (no buttons) and the new card.
    group = [r for r in outcome.replies if r.chat_id == REGIONAL_ENGINEERING]
    [edited] = [r for r in group if r.replace_key == f"card:{east}"]
    assert f"已转至西苑小区 #{new.id}" in edited.text and not edited.buttons
    [card] = [r for r in group if r.replace_key == f"card:{new.id}"]
    assert f"由东苑小区转来（原工单 #{east}）" in card.text and card.buttons
    # Both timelines: who (his row in each community), when, why.
    async with app.uow() as uow:
        [went] = [i for i in await uow.cases.timeline(east) if i.action == "moved"]
        [came] = [i for i in await uow.cases.timeline(new.id or 0) if i.action == "moved_in"]
    assert went.actor_id == await staff_row(app, "gc90", "dongyuan") and went.note == "业主报错了小区，房屋在西苑"
    assert came.actor_id == await staff_row(app, "gc90", "xiyuan") and came.note == went.note
    assert went.at == came.at and went.data["to_case"] == new.id and came.data["from_case"] == east
    # /case on the old one shows where it went; a second move is refused as such.
    await people.say("gg", f"/case {east}")
    assert "已转至西苑小区" in people.last("gg")
    await people.say("gg", f"/move {east} xiyuan 再转一次")
    assert f"已转至西苑小区（新工单 #{new.id}）" in people.last("gg")
    assert (await case_of(app, new.id or 0)).status == "dispatched"


async def test_refusals_change_nothing(app: App, people: People) -> None:
    await bind_staff(app, "gg", "gc90", "dongyuan", "xiyuan")
    await bind_staff(app, "fl", "gj01", "dongyuan")  # 方琳, butler of 东苑 only
    east = await open_in(app, "dongyuan", room="A-1-101")

    # A butler of one community has nowhere to push it (and no right to this team's case).
    await people.say("fl", f"/move {east} xiyuan 业主说在西苑")
    assert "已转至" not in people.all_text("fl")
    butler = Actor.staff(await staff_row(app, "gj01", "dongyuan"))
    async with app.uow() as uow:
        dongyuan = await uow.directory.community("dongyuan")
        assert dongyuan is not None
        complaint = (await casework.open_case(uow, dongyuan, butler, app.now(), kind="complaint", urgency="normal",
                                              category="common", description="楼道堆物"))[0].case_id
        await uow.commit()
    await people.say("fl", f"/move {complaint}")  # her own team's case: still nowhere to move it
    assert "只在本小区任职" in people.last("fl")
    # Called directly (a forged request), the service refuses her: she has no row in 西苑.
    async with app.uow() as uow:
        with pytest.raises(NotAllowed) as refused:
            await casework.move_to_community(uow, dongyuan, complaint, butler, app.now(), to="xiyuan", reason="伪造")
    assert refused.value.details["reason"] == access.NOT_THERE

    # A stranger.
    await people.say("zz", f"/move {east} xiyuan 随便转")
    assert "已转至" not in people.all_text("zz")

    # A forged button: the flow's own button, its value changed to a community he does not serve.
    await people.say("gg", f"/move {east}")
    real = decode(people.button("gg", "西苑小区"))
    await people.raw_press("gg", encode(replace(real, value="lanting")))  # type: ignore[type-var]
    assert "请点击上面的按钮" in people.last("gg")
    await people.say("gg", "/cancel")

    # A case already closed.
    async with app.uow() as uow:
        await uow.session.execute(update(m.Case).where(m.Case.id == east).values(status="closed"))
        await uow.commit()
    await people.say("gg", f"/move {east} xiyuan 已经结束了")
    assert "已经结束" in people.last("gg")
    for case_id in (east, complaint):
        assert (await case_of(app, case_id)).status in ("closed", "dispatched")
    async with app.uow() as uow:
        assert await uow.cases.recent(community_id=await community_id(app, "xiyuan")) == []


async def test_a_move_to_a_room_of_someone_elses_is_refused_for_an_owner(app: App, people: People) -> None:
    """An owner moves only to a home of theirs there (the emergency follow-up's tap)."""
    await people.say("cj", "/start")
    await people.contact("cj", "13800000005")  # 陈静: 兰亭雅苑 and 东苑 A-1-301
    await people.say("cj", "/community 1")
    await people.say("cj", "家里着火了，厨房冒烟")
    east = await community_id(app, "dongyuan")
    async with app.uow() as uow:
        [case] = await uow.cases.recent()
        lanting = await uow.directory.community_by_id(case.community_id)
        other = await uow.directory.room(east, "A-1-101")  # not hers
        identity = await uow.directory.identity("console", "cj", case.community_id)
        assert lanting is not None and other is not None and identity is not None
        owner = Actor.owner(identity.owner_id, channel="console", chat_id="cj", user_id="cj")
        with pytest.raises(NotAllowed):
            await casework.move_to_community(uow, lanting, case.id or 0, owner, app.now(), to="dongyuan",
                                             room_id=other.id, reason="伪造")
    assert (await case_of(app, case.id or 0)).status == "dispatched"


# ----------------------------------------------------------------- the figures
async def test_a_moved_case_counts_once_in_the_target_and_never_escalates_where_it_was_filed(
        app: App, people: People, clock: FakeClock) -> None:
    await bind_staff(app, "gg", "gc90", "dongyuan", "xiyuan")
    east = await open_in(app, "dongyuan", room="A-1-101")
    await people.say("gg", f"/move {east} xiyuan 业主报错了小区")
    _, new = await moved_pair(app, east)
    clock.advance(timedelta(days=2))  # past every deadline: only the case in 西苑 is late
    await tick(app)
    assert (await case_of(app, east)).escalation_level == 0 and (await case_of(app, new.id or 0)).escalation_level >= 1
    day = (app.now() - timedelta(days=3)).date()
    async with app.uow() as uow:
        for code, cases in (("dongyuan", 0), ("xiyuan", 1)):
            ctx = await open_context(uow.session, code, day, day + timedelta(days=4), app.now())
            overall, backlog = await ctx.overall(), await ctx.backlog()
            assert (overall.cases, overall.overdue, backlog.cases) == (cases, cases, cases), code
        assert await uow.callbacks.for_case(east) == []  # no survey for a moved case


@pytest.mark.parametrize("path", ["live", "rolled_up"])
async def test_the_company_report_counts_a_moved_case_once_in_the_target(
        app: App, people: People, clock: FakeClock, path: str) -> None:
    await bind_staff(app, "gg", "gc90", "dongyuan", "xiyuan")
    east = await open_in(app, "dongyuan", room="A-1-101")
    await people.say("gg", f"/move {east} xiyuan 业主报错了小区")
    day = (app.now() - timedelta(days=1)).date()
    if path == "rolled_up":  # the day of the move has ended and the daily rollups hold it
        clock.advance(timedelta(days=4))
        async with app.uow() as uow:
            assert (await rollups.refresh(uow, app.now())).days
            await uow.commit()
    async with app.uow() as uow:
        f = await company_figures(uow.session, await uow.directory.communities(), day, day + timedelta(days=3),
                                  app.now())
    rows = {r.community.code: r for r in f.communities if r.community is not None}
    assert (rows["dongyuan"].cases, rows["xiyuan"].cases, f.total.cases) == (0, 1, 1)

