"""Three communities in one deployment, loaded from the example company file
(examples/company/company.yaml): 兰亭雅苑 (lanting), 东苑小区 (dongyuan) and 西苑小区 (xiyuan).

东苑 and 西苑 share a regional engineering group (区域工程部群); 高工 (gc90) is the engineering
manager of both, 钱质检 (hq01) the quality inspector of all three; 陈静 (13800000005) has a
home in 兰亭雅苑 (1-1-601, 2-1-101) and one in 东苑 (A-1-301).  Every step runs on SQLite
and PostgreSQL through the real desk, as the console channel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot.bootstrap import App, build_app, load_files
from bot.scheduler import next_due, tick
from bot.wecom.sender import TeamRobots
from cases.clock import FakeClock
from cases.lifecycle import Actor, Case
from cases.routing import team_for
from handlers.kit.payloads import CaseAction, encode
from storage import models as m
from storage.due_times import by_community
from tests.conftest import ROOT, make_settings
from tests.harness import People

COMPANY = ROOT / "examples" / "company" / "company.yaml"
LANTING_ENGINEERING, REGIONAL_ENGINEERING = "工程部群", "区域工程部群"
CHEN = "13800000005"
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def app(database_url: str, clock: FakeClock) -> AsyncIterator[App]:
    app = await build_app(make_settings(database_url), clock, run_migrations=False)
    await load_files(app, [str(COMPANY)])
    yield app
    await app.close()


@pytest.fixture
async def people(app: App) -> People:
    return People(app)


async def community_id(app: App, code: str) -> int:
    async with app.uow() as uow:
        found = await uow.directory.community(code)
        assert found is not None
        return found.id


async def bind_staff(app: App, user: str, code: str, *communities: str) -> None:
    """Link a console user to the staff rows with this code in these communities."""
    async with app.uow() as uow:
        for community in communities:
            cid = (await uow.directory.community(community)).id  # type: ignore[union-attr]
            staff_id = await uow.session.scalar(select(m.Staff.id).where(m.Staff.community_id == cid, m.Staff.code == code))
            assert staff_id is not None, (code, community)
            await uow.directory.bind("console", user, user, now=app.now(), staff_id=staff_id)
        await uow.commit()


async def open_in(app: App, code: str, *, room: str | None = None, description: str = "水管漏水",
                  urgency: str = "normal") -> int:
    """A repair case of one community, dispatched to its engineering team."""
    async with app.uow() as uow:
        community = await uow.directory.community(code)
        assert community is not None
        room_id = (await uow.directory.room(community.id, room)).id if room else None  # type: ignore[union-attr]
        case = Case.open(kind="report", urgency=urgency, category="plumbing", area="home" if room else "public",
                         now=app.now(), by=Actor.system(), description=description, community_id=community.id,
                         room_id=room_id, reporter_channel="console")
        case.dispatch(team_for("report", "plumbing", urgency), app.now(), community.policy)
        case_id = await uow.cases.add(case)
        await uow.commit()
    return case_id


async def case_of(app: App, case_id: int) -> Case:
    async with app.uow() as uow:
        case = await uow.cases.get(case_id)
        assert case is not None
        return case


# ----------------------------------------------------------------- loading
async def test_a_company_file_loads_every_community_once(app: App) -> None:
    async def counts() -> tuple[int, ...]:
        async with app.uow() as uow:
            return tuple([int(await uow.session.scalar(select(func.count()).select_from(table)) or 0)
                          for table in (m.Community, m.Staff, m.Team, m.TeamChat, m.Owner, m.Identity)])

    first = await counts()
    assert first[0] == 3
    await load_files(app, [str(COMPANY)])
    assert await counts() == first  # loading again changes nothing
    async with app.uow() as uow:
        rows = (await uow.session.execute(
            select(m.Community.code, m.Staff.name, m.Staff.active).join(m.Community, m.Community.id == m.Staff.community_id)
            .where(m.Staff.code.in_(["hq01", "gc90"])).order_by(m.Staff.code, m.Community.id))).all()
        served = await uow.directory.teams_of_chat("console", REGIONAL_ENGINEERING)
    assert [tuple(r) for r in rows] == [("dongyuan", "高工", True), ("xiyuan", "高工", True), ("lanting", "钱质检", True),
                                        ("dongyuan", "钱质检", True), ("xiyuan", "钱质检", True)]
    assert served == [(await community_id(app, "dongyuan"), "engineering"), (await community_id(app, "xiyuan"), "engineering")]


# ----------------------------------------------------------------- owners
async def test_an_owner_with_homes_in_two_communities_reports_for_either(app: App, people: People) -> None:
    await people.say("cj", "/start")
    await people.contact("cj", CHEN)
    bound = people.last("cj")
    assert "兰亭雅苑 1-1-601" in bound and "东苑小区 A-1-301" in bound
    # A report offers every home, labelled with its community; the home picked decides the community.
    await people.press("cj", "报事报修")
    assert people.button("cj", "东苑小区 A-1-301") and people.button("cj", "兰亭雅苑 2-1-101")
    await people.press("cj", "东苑小区 A-1-301")
    await people.say("cj", "卫生间水管漏水，地上都是水")
    await people.press("cj", "跳过")
    await people.press("cj", "一般")
    await people.press("cj", "越快越好")
    await people.press("cj", "提交")
    async with app.uow() as uow:
        [east_case] = await uow.cases.recent()
    assert east_case.community_id == await community_id(app, "dongyuan")
    assert "A-1-301" in people.all_text(REGIONAL_ENGINEERING)
    assert not people.chats[LANTING_ENGINEERING]  # 兰亭雅苑's group never sees 东苑's card
    # The next report, for the home in 兰亭雅苑, is 兰亭雅苑's.
    await people.press("cj", "报事报修")
    await people.press("cj", "兰亭雅苑 1-1-601")
    await people.say("cj", "厨房水管漏水")
    await people.press("cj", "跳过")
    await people.press("cj", "一般")
    await people.press("cj", "越快越好")
    await people.press("cj", "提交")
    async with app.uow() as uow:
        lanting_case = next(c for c in await uow.cases.recent() if c.id != east_case.id)
    assert lanting_case.community_id == await community_id(app, "lanting")
    assert "1-1-601" in people.all_text(LANTING_ENGINEERING) and "1-1-601" not in people.all_text(REGIONAL_ENGINEERING)
    # /mycases shows the cases of both homes.
    await people.say("cj", "/mycases")
    listed = [b.text for row in people.chats["cj"][-1].buttons for b in row]
    assert any(f"#{east_case.id}" in label and "东苑小区" in label for label in listed), listed
    assert any(f"#{lanting_case.id}" in label and "兰亭雅苑" in label for label in listed), listed
    # Either case opens from the list, whichever community the conversation is in now.
    await people.press("cj", f"#{east_case.id}")
    assert "A-1-301" in people.last("cj") and "卫生间水管漏水" in people.last("cj")


async def test_community_switch_lists_only_the_persons_communities(app: App, people: People) -> None:
    await people.say("cj", "/start")
    await people.contact("cj", CHEN)
    await people.say("cj", "切换小区")
    assert people.button("cj", "兰亭雅苑") and people.button("cj", "东苑小区")
    with pytest.raises(AssertionError):
        people.button("cj", "西苑小区")
    await people.press("cj", "东苑小区")
    assert "已切换到东苑小区" in people.last("cj")
    await people.say("cj", "物业费怎么交")  # the FAQ of the community the conversation is in
    assert "A栋" in people.all_text("cj").rsplit("已切换到", 1)[-1]
    await people.say("cj", "/community 1")
    assert "已切换到兰亭雅苑" in people.last("cj")


# ----------------------------------------------------------------- strangers
async def test_a_stranger_is_asked_which_community_before_room_words(app: App, people: People) -> None:
    await people.say("qy", "/start")
    await people.say("qy", "A-1-101 邱月 1001")  # A-1-101 exists in 东苑 and in 西苑
    assert "请先选择您家所在的小区" in people.last("qy")
    await people.press("qy", "东苑小区")
    assert "绑定成功！邱月" in people.last("qy")
    async with app.uow() as uow:
        identity = await uow.directory.identity("console", "qy")
    assert identity is not None and identity.community_id == await community_id(app, "dongyuan")


async def test_a_deep_link_picks_the_community_and_guesses_count_per_room_there(app: App, people: People) -> None:
    await people.say("gc", "/start c_xiyuan")
    await people.say("gc", "A-1-101 顾晨 2001")
    assert "绑定成功！顾晨" in people.last("gc")
    await people.say("x1", "/start c_nowhere")
    assert "不存在" in people.last("x1")
    # Wrong digits for 西苑's A-1-101 lock that room in 西苑 only (binding guard per community).
    await people.say("x2", "/start c_xiyuan")
    for digits in ("0000", "1111", "2222"):
        await people.say("x2", f"A-1-101 顾晨 {digits}")
    async with app.uow() as uow:
        keys = set(await uow.session.scalars(select(m.BindingAttempt.key).where(m.BindingAttempt.scope == "room")))
    west = await community_id(app, "xiyuan")
    assert keys and all(key.startswith(f"{west}:") for key in keys)


# ----------------------------------------------------------------- staff
async def test_staff_of_one_community_can_neither_see_nor_act_on_anothers_case(app: App, people: People) -> None:
    await bind_staff(app, "wq", "gc01", "lanting")  # 王强, engineer of 兰亭雅苑
    own = await open_in(app, "lanting", room="1-1-101", description="自家的漏水")
    east = await open_in(app, "dongyuan", room="A-1-101", description="东苑的漏水")
    await people.say("wq", f"/case {own}")
    assert "自家的漏水" in people.last("wq")  # the same command works on his own community's case
    await people.say("wq", f"/case {east}")
    assert "东苑的漏水" not in people.all_text("wq") and "无权" in people.last("wq")
    await people.raw_press("wq", encode(CaseAction("accept", east)), chat=REGIONAL_ENGINEERING, group=True)
    assert (await case_of(app, east)).assignee_id is None and "无权" in people.last("wq")
    await people.raw_press("wq", encode(CaseAction("accept", own)), chat=LANTING_ENGINEERING, group=True)
    assert (await case_of(app, own)).assignee_id is not None


async def test_a_manager_of_two_communities_works_both_from_the_regional_group(app: App, people: People) -> None:
    await bind_staff(app, "gg", "gc90", "dongyuan", "xiyuan")
    east = await open_in(app, "dongyuan", room="A-1-101")
    west = await open_in(app, "xiyuan", room="B-1-202")
    for case_id in (east, west):
        await people.raw_press("gg", encode(CaseAction("accept", case_id)), chat=REGIONAL_ENGINEERING, group=True)
    async with app.uow() as uow:
        mine = dict((await uow.session.execute(
            select(m.Staff.community_id, m.Staff.id).where(m.Staff.code == "gc90"))).all())
    assert (await case_of(app, east)).assignee_id == mine[await community_id(app, "dongyuan")]
    assert (await case_of(app, west)).assignee_id == mine[await community_id(app, "xiyuan")]
    # Commands naming no case cover both: /my wherever typed, /team in the regional group.
    await people.say("gg", "/my")
    mine_text = "\n".join(people.texts("gg")[-4:])
    assert "【东苑小区】" in mine_text and "【西苑小区】" in mine_text
    assert f"#{east}" in mine_text and f"#{west}" in mine_text
    third = await open_in(app, "xiyuan", room="A-1-102")
    await people.say("gg", "/team", chat=REGIONAL_ENGINEERING, group=True)
    board = people.texts("gg")[-4:]
    west_part = "\n".join(board[board.index("【西苑小区】"):])
    assert f"#{third}" in west_part and "【东苑小区】" in board


# ----------------------------------------------------------------- the scheduler
async def test_each_community_escalates_to_its_own_groups_under_its_own_quiet_hours(app: App, clock: FakeClock) -> None:
    east = await open_in(app, "dongyuan", room="A-1-101")
    west = await open_in(app, "xiyuan", room="B-1-202")
    clock.advance(timedelta(days=2))  # both past their response deadline
    report = await tick(app)
    assert (await case_of(app, east)).escalation_level >= 1 and (await case_of(app, west)).escalation_level >= 1
    async with app.uow() as uow:
        rows = [(chat, str(body)) for chat, body in
                (await uow.session.execute(select(m.OutboxMessage.chat_id, m.OutboxMessage.body))).all()]
    lanting_groups = {"工程部群", "秩序部群", "环境部群", "客服中心群", "管理处群"}
    about_east = [chat for chat, body in rows if f"#{east}" in body]
    about_west = [chat for chat, body in rows if f"#{west}" in body]
    assert about_east and about_west
    assert not any(chat.startswith("西苑") or chat in lanting_groups for chat in about_east)
    assert not any(chat.startswith("东苑") or chat in lanting_groups for chat in about_west)
    # 21:30 in Shanghai: 东苑 (quiet 21:00–09:00) is quiet, 西苑 (22:30–07:30) is not.
    clock.set(datetime(2026, 6, 5, 21, 30, tzinfo=ZONE))
    report = await tick(app)
    assert report.quiet_in == ["dongyuan"] and not report.quiet


async def test_one_communitys_broken_case_does_not_stop_the_others_escalations(app: App, clock: FakeClock) -> None:
    east = await open_in(app, "dongyuan", room="A-1-101")
    west = await open_in(app, "xiyuan", room="B-1-202")
    # 东苑's case carries an offer whose date cannot be read (bad data): its offer check fails.
    async with app.uow() as uow:
        await uow.session.execute(update(m.Case).where(m.Case.id == east).values(
            details={"offer": {"staff": 1, "mode": "duty", "until": "not a date"}}))
        await uow.commit()
    clock.advance(timedelta(days=2))  # both past their response deadline
    report = await tick(app)
    assert report.failures >= 1
    # 东苑's deadline check ran before its failing offer check; 西苑 was not held up at all.
    assert (await case_of(app, east)).escalation_level >= 1 and (await case_of(app, west)).escalation_level >= 1
    async with app.uow() as uow:
        chats = {chat for chat, body in (await uow.session.execute(select(m.OutboxMessage.chat_id, m.OutboxMessage.body))).all()
                 if f"#{west}" in str(body)}
    assert chats and all(chat.startswith("西苑") or chat == REGIONAL_ENGINEERING for chat in chats)


async def test_an_offers_lapse_wakes_the_scheduler_from_the_cross_community_scan(app: App) -> None:
    east = await open_in(app, "dongyuan", room="A-1-101")
    until = app.now() + timedelta(minutes=5)  # before the case's response deadline
    async with app.uow() as uow:
        await uow.session.execute(update(m.Case).where(m.Case.id == east).values(
            details={"offer": {"staff": 1, "mode": "duty", "until": until.isoformat()}}))
        await uow.commit()
        due = await by_community(uow.session, app.now())
    assert set(due) == {await community_id(app, "dongyuan")}
    assert await next_due(app) == until


# ----------------------------------------------------------------- WeCom group robots
async def test_each_communitys_wecom_robot_is_addressed_apart(app: App) -> None:
    async with app.uow() as uow:
        for code in ("dongyuan", "xiyuan"):
            team_id = await uow.session.scalar(select(m.Team.id).join(m.Community, m.Community.id == m.Team.community_id)
                                               .where(m.Community.code == code, m.Team.code == "engineering"))
            uow.session.add(m.TeamChat(team_id=team_id, channel="wecom", chat_id=f"key-{code}"))
        await uow.commit()
    async with app.uow() as uow:
        east = await uow.directory.team_destinations(await community_id(app, "dongyuan"), "engineering")
    assert ("wecom", "robot:engineering@dongyuan") in east and not any("xiyuan" in chat for _, chat in east)
    robots = TeamRobots(app.sessions)
    assert await robots.key("engineering@dongyuan") == "key-dongyuan"
    assert await robots.key("engineering@xiyuan") == "key-xiyuan"
    assert await robots.key("engineering@nowhere") is None


# ----------------------------------------------------------------- notices
async def send_notice(people: People, user: str, text: str) -> None:
    await people.say(user, "/notice")
    await people.press(user, "全小区")
    await people.say(user, text)
    await people.press(user, "不配图")
    await people.press(user, "普通通知")
    await people.press(user, "发送")


async def notice_chats(app: App) -> dict[str, set[str]]:
    async with app.uow() as uow:
        rows = (await uow.session.execute(select(m.OutboxMessage.chat_id, m.OutboxMessage.body)
                                          .where(m.OutboxMessage.notice_id.is_not(None)))).all()
    found: dict[str, set[str]] = {}
    for chat, body in rows:
        found.setdefault(body["text"].split("\n", 1)[1], set()).add(chat)
    return found


async def test_a_notice_reaches_only_its_communitys_owners(app: App, people: People) -> None:
    await people.say("cj", "/start")
    await people.contact("cj", CHEN)  # 兰亭雅苑 and 东苑
    await people.say("qy", "/start c_dongyuan")
    await people.say("qy", "A-1-101 邱月 1001")
    await bind_staff(app, "lj", "gj01", "lanting")  # 李静, butler of 兰亭雅苑
    await bind_staff(app, "fl", "gj01", "dongyuan")  # 方琳, butler of 东苑
    await send_notice(people, "lj", "兰亭雅苑明天停水")
    await send_notice(people, "fl", "东苑明天停电")
    sent = await notice_chats(app)
    assert sent["兰亭雅苑明天停水"] == {"cj"}
    assert sent["东苑明天停电"] == {"cj", "qy"}
    # 兰亭雅苑's butler, following 东苑's link, is nobody there: no notice to 东苑's owners.
    await people.say("lj", "/start c_dongyuan")
    await people.say("lj", "/notice")
    assert "全小区" not in people.last("lj")
    assert set(await notice_chats(app)) == {"兰亭雅苑明天停水", "东苑明天停电"}


async def bound_chen(people: People) -> None:
    await people.say("cj", "/start")
    await people.contact("cj", CHEN)


async def test_a_complaint_about_the_home_in_the_second_community_is_that_communitys(app: App, people: People) -> None:
    await bound_chen(people)
    await people.press("cj", "投诉")
    await people.say("cj", "楼上装修噪音太大，每天早上七点就开始")
    await people.press("cj", "最近几天")
    # Every home is offered, labelled with its community.
    assert people.button("cj", "🏠 我家 兰亭雅苑 1-1-601") and people.button("cj", "🏠 我家 兰亭雅苑 2-1-101")
    await people.press("cj", "🏠 我家 东苑小区 A-1-301")
    await people.press("cj", "不涉及具体人员")
    await people.press("cj", "调查清楚并给我答复")
    await people.press("cj", "综合服务")
    await people.press("cj", "提交投诉")
    async with app.uow() as uow:
        [case] = await uow.cases.recent()
    assert case.community_id == await community_id(app, "dongyuan") and case.team_code == "customer_service"
    assert case.room_id is not None and case.details["where"] == "A-1-301"
    assert f"#{case.id}" in people.all_text("东苑客服中心群")
    assert f"#{case.id}" not in people.all_text("客服中心群")  # 兰亭雅苑's desk never sees it


async def test_a_booking_for_the_home_in_the_second_community_uses_its_catalogue(app: App, people: People) -> None:
    await bound_chen(people)
    await people.press("cj", "预约服务")
    # Each community has its own services: the home is asked first.
    assert "哪一套房屋" in people.last("cj") and people.button("cj", "🏠 兰亭雅苑 1-1-601")
    await people.press("cj", "🏠 东苑小区 A-1-301")
    labels = [b.text for row in people.chats["cj"][-1].buttons for b in row]
    assert any("水龙头更换" in label for label in labels) and not any("灯具安装" in label for label in labels), labels
    await people.press("cj", "水龙头更换")
    await people.say("cj", "周六上午")
    assert "A-1-301" in people.last("cj")
    await people.say("cj", "确认")
    async with app.uow() as uow:
        [case] = await uow.cases.recent()
    assert case.community_id == await community_id(app, "dongyuan") and case.kind == "service"
    assert f"#{case.id}" in people.all_text(REGIONAL_ENGINEERING)
    assert not people.chats[LANTING_ENGINEERING]


async def test_the_emergency_place_tap_offers_both_communities_homes_and_the_other_one_is_taken_there(
        app: App, people: People, clock: FakeClock) -> None:
    await bound_chen(people)
    await people.say("cj", "/community 1")  # talking in 兰亭雅苑
    await people.say("cj", "家里着火了，厨房冒烟")
    async with app.uow() as uow:
        [first] = await uow.cases.recent()
    assert first.urgency == "emergency" and first.community_id == await community_id(app, "lanting")
    assert first.room_id is None  # three homes: "家里" is asked, not guessed
    assert people.button("cj", "🏠 在我家 兰亭雅苑 1-1-601") and people.button("cj", "🏠 在我家 兰亭雅苑 2-1-101")
    outcome = await people.press("cj", "🏠 在我家 东苑小区 A-1-301")
    async with app.uow() as uow:
        moved = next(c for c in await uow.cases.recent() if c.id != first.id)
        first = await uow.cases.get(first.id)
        old_groups = [chat for _, chat in await uow.directory.team_destinations(first.community_id, first.team_code)]
        lanting_board = await uow.cases.open_for_team(first.team_code, community_id=first.community_id)
    assert moved.community_id == await community_id(app, "dongyuan") and moved.urgency == "emergency"
    assert moved.room_id is not None and moved.description == "家里着火了，厨房冒烟"
    # The case moved (services.casework.move_to_community): the first one ended as moved, off
    # 兰亭雅苑's board, its card edited in place to say where it went, with no buttons left.
    assert first is not None and first.status == "moved" and first.id not in {c.id for c in lanting_board}
    edited = [r for r in outcome.replies if r.replace_key == f"card:{first.id}"]
    assert edited and {r.chat_id for r in edited} == set(old_groups)
    assert all(f"已转至东苑小区 #{moved.id}" in r.text and not r.buttons for r in edited)
    # The owner is told once, with the new number.
    [told] = [r for r in outcome.replies if r.chat_id == "cj"]
    assert f"#{moved.id}" in told.text and "东苑小区" in told.text
    east_groups = [chat for chat in people.chats if chat.startswith("东苑") or chat == REGIONAL_ENGINEERING]
    assert any(f"#{moved.id}" in people.all_text(chat) for chat in east_groups), list(people.chats)
    # What the owner sends next belongs to the moved case.
    await people.say("cj", "火已经蔓延到客厅了")
    assert f"#{moved.id}" in people.last("cj")
    # Two days on, nobody accepted either: only the moved case escalates, in 东苑.
    clock.advance(timedelta(days=2))
    await tick(app)
    assert (await case_of(app, first.id)).escalation_level == 0 and (await case_of(app, moved.id)).escalation_level >= 1


async def test_a_stranger_with_no_hint_is_asked_which_community_before_an_faq_answer(app: App, people: People) -> None:
    await people.say("s1", "物业费怎么交")
    assert "哪个小区" in people.last("s1") and "A栋" not in people.all_text("s1")
    await people.press("s1", "东苑小区")
    assert "2.5元" in people.last("s1")  # 东苑's answer, not 兰亭雅苑's
    await people.say("s2", "东苑小区物业费怎么交")  # the community named in the question
    assert "2.5元" in people.last("s2")
    await people.say("s3", "物业费怎么交")
    await people.say("s3", "西苑")  # typed, a unique part of the name
    assert "2.6元" in people.last("s3")


async def test_a_stranger_asking_the_hotline_gets_every_communitys_at_once(app: App, people: People) -> None:
    await people.say("s1", "你们的客服电话是多少")
    told = people.last("s1")
    for name, hotline in (("兰亭雅苑", "0571-8888-6666"), ("东苑小区", "0571-8888-1111"), ("西苑小区", "0571-8888-2222")):
        assert f"{name}：{hotline}" in told, told
    assert "119" in told


async def test_a_strangers_emergency_is_taken_at_once_and_goes_to_the_community_tapped(app: App, people: People) -> None:
    await people.say("s1", "电梯里有人被困了，快来人")
    async with app.uow() as uow:
        [first] = await uow.cases.recent()
    assert first.urgency == "emergency"  # opened before any question
    assert "哪个小区" in people.last("s1")
    await people.press("s1", "西苑小区")
    async with app.uow() as uow:
        cases = await uow.cases.recent()
    west = await community_id(app, "xiyuan")
    moved = next(c for c in cases if c.id != first.id)
    assert moved.community_id == west and moved.urgency == "emergency" and moved.description == first.description
    assert next(c for c in cases if c.id == first.id).status == "moved"  # off the first community's board
    assert any(f"#{moved.id}" in people.all_text(chat) for chat in people.chats if chat.startswith("西苑")
               or chat == REGIONAL_ENGINEERING), list(people.chats)
    # A stranger naming the community in the alarm: straight to its duty team, nothing asked.
    await people.say("s2", "东苑小区3号楼电梯困人了")
    async with app.uow() as uow:
        latest = (await uow.cases.recent())[0]
    assert latest.community_id == await community_id(app, "dongyuan") and latest.urgency == "emergency"
    assert "哪个小区" not in people.all_text("s2")


async def test_an_owner_adds_a_family_member_to_the_home_in_the_second_community(app: App, people: People) -> None:
    await bound_chen(people)
    await people.say("cj", "/household")
    overview = people.last("cj")
    assert "东苑小区 A-1-301" in overview and "兰亭雅苑 1-1-601" in overview
    await people.press("cj", "➕ 添加家属（东苑小区 A-1-301）")
    await people.say("cj", "13900000077")
    await people.say("cj", "陈小雨")
    await people.press("cj", "确认添加")
    assert "陈小雨" in people.last("cj") and "东苑小区 A-1-301" in people.last("cj")
    # She binds in 东苑 (her room words there) and her reports are 东苑's.
    await people.say("m7", "/start c_dongyuan")
    await people.say("m7", "A-1-301 陈小雨 0077")
    assert "绑定成功！陈小雨" in people.last("m7")
    async with app.uow() as uow:
        identity = await uow.directory.identity("console", "m7")
    assert identity is not None and identity.community_id == await community_id(app, "dongyuan")
