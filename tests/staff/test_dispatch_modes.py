"""Issue 20 on SQLite and PostgreSQL, through the desk: dispatch modes with a moved clock,
the duty roster at 03:00 on a Sunday, supervisor assignment, plan changes agreed and
declined, chasing, pausing the deadline, and fees across a rework.

The demo community's file with a `dispatch:` section added (`DISPATCH` below); the
clock starts on Monday 1 June 2026, 09:00 in Shanghai."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.bootstrap import App, build_app, load_community_file
from cases.lifecycle import Actor, Status
from handlers.kit.announcers import announce
from handlers.kit.messages import reply_to_dict
from handlers.staff import escalation
from services import casework
from services.actors import Actor as ServiceActor
from services.reports.statistics import open_context, view_dispatch
from storage.community_file import CommunityFileError, parse
from tests.conftest import EXAMPLE_COMMUNITY, make_settings
from tests.harness import People
from tests.staff.conftest import CUSTOMER_SERVICE, ENGINEERING, Crew, bound_owner, report_leak, run_scheduled, the_case

DISPATCH = """
dispatch:
  rules:
    - {kind: complaint, mode: building}
    - {kind: report, category: plumbing, mode: round_robin}
  responsible: {"1": {customer_service: gj01, engineering: gc01}}
  cap: 1
  fallback_minutes: 30
  duty_fallback_minutes: 10
  roster:
    weekly:
      - {days: [mon, tue, wed, thu, fri], from: "08:00", to: "18:00", staff: [gc01, gc02, gc03]}
      - {days: [sat], from: "20:00", to: "08:00", staff: [gc03, ba01]}
    exceptions:
      - {date: 2026-06-01, away: [gc02]}
"""
# Sunday 7 June 2026, 03:00 in Shanghai.
SUNDAY_3AM = datetime(2026, 6, 6, 19, 0, tzinfo=timezone.utc)


@pytest.fixture
async def dispatching(app: App, tmp_path: Path) -> App:
    path = tmp_path / "community.yaml"
    path.write_text(EXAMPLE_COMMUNITY.read_text(encoding="utf-8") + DISPATCH, encoding="utf-8")
    await load_community_file(app, str(path))
    return app


@pytest.fixture
async def people(dispatching: App) -> People:
    return People(dispatching)


async def open_case(app: App, people: People, owner_phone: str = "13800000001", **fields: object) -> int:
    """Open a case through the service every intake calls, announcing as the chat does."""
    async with app.uow() as uow:
        community = await uow.directory.community()
        owner = await uow.directory.owner_by_phone(community.id, owner_phone)
        events = await casework.open_case(uow, community, ServiceActor.owner(owner.id), app.now(),
                                          room_id=owner.rooms[0].id, **fields)  # type: ignore[arg-type]
        replies = await announce(uow, community, events, app.now())
        for reply in replies:
            await uow.outbox.add(reply.channel, reply.chat_id, reply_to_dict(reply), reply.replace_key, app.now())
        await uow.commit()
    for reply in replies:
        people.chats[reply.chat_id].append(reply)
    return events[0].case_id  # type: ignore[attr-defined]


def test_the_dispatch_section_is_checked_against_the_file() -> None:
    text = EXAMPLE_COMMUNITY.read_text(encoding="utf-8")
    with pytest.raises(CommunityFileError, match=r"line \d+ \(dispatch.roster.weekly.0.staff\): unknown staff code 'zz99'"):
        parse(text + DISPATCH.replace("staff: [gc01, gc02, gc03]", "staff: [gc01, zz99]"))
    with pytest.raises(CommunityFileError, match="unknown building '9'"):
        parse(text + DISPATCH.replace('{"1": {', '{"9": {'))
    assert parse(text).dispatch is None  # today's files load unchanged


async def test_a_complaint_is_offered_to_the_butler_of_the_building(dispatching: App, people: People, crew: Crew) -> None:
    case_id = await open_case(dispatching, people, kind="complaint", urgency="normal", category="neighbor",
                              description="楼上装修噪音太大")
    case = await the_case(dispatching, case_id)
    assert case.team_code == "customer_service" and case.details["offer"]["staff"] == crew["lj"]
    assert "已派给 李静（楼栋负责人）" in people.last(CUSTOMER_SERVICE)
    private = people.last("lj")
    assert f"工单 #{case_id} 派给您" in private and "13800000001" in private  # the full contact, privately
    assert "13800000001" not in people.all_text(CUSTOMER_SERVICE)
    await people.press("lj", "接单", chat="lj")
    case = await the_case(dispatching, case_id)
    assert case.status == Status.ACCEPTED and case.assignee_id == crew["lj"] and "offer" not in case.details


async def test_round_robin_with_a_cap_and_a_member_off_then_fallback(dispatching: App, people: People,
                                                                        crew: Crew, clock) -> None:
    await bound_owner(people)
    await bound_owner(people, "u2", "13800000002")
    await bound_owner(people, "u3", "13800000003")
    ids = []
    for user in ("u1", "u2", "u3"):
        await report_leak(people, user)
        async with dispatching.uow() as uow:
            ids.append((await uow.cases.recent(limit=1))[0].id)
    cases = [await the_case(dispatching, i) for i in ids]
    # 刘洋 is off today; cap 1: 王强, then 孙浩, then everyone is full and the group grabs it.
    assert [(c.details.get("offer") or {}).get("staff") for c in cases] == [crew["wq"], crew["sh"], None]
    assert "已派给 王强（轮派）" in people.all_text(ENGINEERING) and "刘洋" not in people.all_text(ENGINEERING)
    assert not people.chats["ly"]

    # 29 minutes: nothing lapses.  30: 王强's and 孙浩's offers go back to the group.
    clock.advance(timedelta(minutes=29))
    assert not await run_scheduled(dispatching, people, escalation.lapse_offers)
    clock.advance(timedelta(minutes=1))
    await run_scheduled(dispatching, people, escalation.lapse_offers)
    assert f"工单 #{ids[0]} 派给 王强（轮派）后未在规定时间内接单" in people.all_text(ENGINEERING)
    first = await the_case(dispatching, ids[0])
    assert first.status == Status.DISPATCHED and "offer" not in first.details
    # Anyone of the team may now grab it from the group.
    await people.press("ly", "接单", chat=ENGINEERING, group=True)
    async with dispatching.uow() as uow:
        grabbed = [c for c in await uow.cases.recent() if c.assignee_id == crew["ly"]]
        timeline = [t.action for t in await uow.cases.timeline(ids[0])]
    assert len(grabbed) == 1
    assert timeline[:4] == ["opened", "dispatched", "offered", "offer_lapsed"]
    # Running the job again changes nothing (it is safe to run as often as the scheduler likes).
    assert not await run_scheduled(dispatching, people, escalation.lapse_offers)


async def test_a_supervisor_assigns_a_case_to_a_named_person(dispatching: App, people: People, crew: Crew) -> None:
    await bound_owner(people)
    await report_leak(people)
    case = await the_case(dispatching)
    await people.say("wq", f"/assign {case.id} 刘洋")
    assert "#" not in people.last("wq") or "指派给" not in people.last("wq")  # an engineer may not assign
    assert (await the_case(dispatching, case.id)).assignee_id is None
    await people.say("mjg", f"/assign {case.id} 刘洋")
    assert f"已将工单 #{case.id} 指派给 刘洋" in people.last("mjg")
    case = await the_case(dispatching, case.id)
    assert case.status == Status.ACCEPTED and case.assignee_id == crew["ly"]
    assert "刘洋" in people.last("u1")  # the owner hears who comes
    await people.say("mjg", "/assign 99999 刘洋")
    await people.say("mjg", "/assign")
    assert "用法" in people.last("mjg")


async def test_sunday_3am_emergency_goes_to_the_person_on_duty_and_escalates_unanswered(
        dispatching: App, people: People, crew: Crew, clock) -> None:
    clock.set(SUNDAY_3AM)
    case_id = await open_case(dispatching, people, kind="report", urgency="emergency", category="plumbing",
                              area="home", description="水管爆裂，满屋是水")
    case = await the_case(dispatching, case_id)
    assert case.details["offer"] == {"staff": crew["sh"], "mode": "duty",
                                     "until": (SUNDAY_3AM + timedelta(minutes=10)).isoformat()}
    assert f"工单 #{case_id} 派给您（值班）" in people.last("sh")
    await people.say("zy", "/duty")
    assert people.last("zy").startswith("🛡️ 当前值班：孙浩（工程部）、张勇（秩序部）\n")
    clock.advance(timedelta(minutes=10))
    await run_scheduled(dispatching, people, escalation.lapse_offers)
    case = await the_case(dispatching, case_id)
    assert case.escalation_level == 1 and "offer" not in case.details
    assert "值班人员 孙浩 未接紧急工单" in people.last("mjg")
    assert "转回本群" in people.all_text(ENGINEERING)


async def accepted_leak(app: App, people: People) -> int:
    await bound_owner(people)
    await report_leak(people)
    case = await the_case(app)
    await people.press("wq", "接单", chat="wq")
    assert (await the_case(app, case.id)).assignee_id is not None
    return case.id  # type: ignore[return-value]


async def test_a_change_agreed_by_the_owner_moves_the_deadline_and_lets_work_go_on(
        dispatching: App, people: People, crew: Crew) -> None:
    case_id = await accepted_leak(dispatching, people)
    due = (await the_case(dispatching, case_id)).completion_due_at
    await people.say("wq", f"/change {case_id} 时间 120 需要订购角阀")
    assert "已将工单" in people.last("wq")
    offer = people.last("u1")
    assert "延长维修时间" in offer and "需要订购角阀" in offer and "2小时" in offer.replace(" ", "")
    # Work does not go on before the owner agrees.
    await people.press("wq", "到场", chat="wq")
    assert (await the_case(dispatching, case_id)).status == Status.ACCEPTED
    await people.press("u1", "同意")
    assert "同意" in people.last("u1")
    assert f"业主已同意工单 #{case_id} 的变更" in people.last("wq")
    case = await the_case(dispatching, case_id)
    assert case.completion_due_at == due + timedelta(minutes=120)
    await people.press("wq", "到场", chat="wq")
    assert (await the_case(dispatching, case_id)).status == Status.IN_PROGRESS
    # The same button pressed again: answered already.
    await people.press("u1", "同意")
    assert "已经答复过" in people.last("u1")


async def test_a_declined_fee_is_not_charged_and_a_phone_answer_is_recorded(dispatching: App, people: People,
                                                                           crew: Crew) -> None:
    case_id = await accepted_leak(dispatching, people)
    await people.say("wq", f"/change {case_id} 费用 80 更换整个水龙头")
    assert "💰 费用：¥80" in people.last("u1")
    await people.press("u1", "不同意")
    assert f"业主不同意工单 #{case_id} 的变更" in people.last("wq")
    case = await the_case(dispatching, case_id)
    assert "agreed_fee_cents" not in case.details and case.details["plan_change"]["state"] == "declined"
    await people.say("wq", f"/change {case_id} 新问题 墙内水管也有渗漏")
    await people.say("wq", f"/agreed {case_id}")
    assert "电话中同意" in people.last("u1")
    async with dispatching.uow() as uow:
        actions = [t.action for t in await uow.cases.timeline(case_id)]
    assert actions.count("change_proposed") == 2 and "change_declined" in actions and "change_agreed" in actions


async def test_chasing_tells_the_worker_and_supervisor_and_is_counted(dispatching: App, people: People,
                                                                      crew: Crew, clock) -> None:
    case_id = await accepted_leak(dispatching, people)
    clock.advance(timedelta(hours=3))
    await people.say("u1", "催一下")
    assert f"已为您催办工单 #{case_id}" in people.last("u1")
    assert f"业主催办工单 #{case_id}（第 1 次）" in people.last("wq")
    assert f"工单 #{case_id} 被业主催办（第 1 次）" in people.last("mjg")
    before = len(people.chats["wq"])
    clock.advance(timedelta(minutes=5))
    await people.say("u1", "怎么还没人来？")
    assert "刚刚催办过" in people.last("u1") and len(people.chats["wq"]) == before
    assert (await the_case(dispatching, case_id)).details["chases"] == 2


async def test_a_pause_stops_the_deadline_and_resumes_on_its_date(dispatching: App, people: People,
                                                                  crew: Crew, clock) -> None:
    case_id = await accepted_leak(dispatching, people)
    case = await the_case(dispatching, case_id)
    left = case.completion_due_at - dispatching.now()
    await people.say("wq", f"/pause {case_id} 5 配件 等水泵到货")
    assert "暂时挂起：等待配件" in people.last("u1")
    assert (await the_case(dispatching, case_id)).completion_due_at is None
    # Four days on — past the 72-hour deadline — nothing escalates while paused.
    clock.advance(timedelta(days=4))
    assert not await run_scheduled(dispatching, people, escalation.check_deadlines, escalation.resume_pauses)
    clock.advance(timedelta(days=1))
    await run_scheduled(dispatching, people, escalation.resume_pauses)
    assert f"您的工单 #{case_id} 已恢复处理" in people.last("u1")
    case = await the_case(dispatching, case_id)
    assert case.completion_due_at == dispatching.now() + left and "pause" not in case.details
    assert case.details["pauses"] == 1


async def test_fees_add_up_across_a_rework_and_survive_a_restart(dispatching: App, database_url: str, crew: Crew,
                                                                  clock) -> None:
    policy = None
    async with dispatching.uow() as uow:
        community = await uow.directory.community()
        policy = community.policy
        owner = await uow.directory.owner_by_phone(community.id, "13800000001")
        events = await casework.open_case(uow, community, ServiceActor.owner(owner.id), clock.now(), kind="report",
                                          urgency="normal", category="electrical", area="home", description="灯不亮",
                                          room_id=owner.rooms[0].id)
        case_id = events[0].case_id  # type: ignore[attr-defined]
        await uow.commit()
    async with dispatching.uow() as uow:
        case = await uow.cases.get(case_id)
        case.accept(crew["wq"], clock.now())
        case.finish(crew["wq"], clock.now(), note="换了开关", fee_cents=3500)
        case.confirm(clock.now(), Actor("owner", case.owner_id))
        case.surveyed(clock.now(), satisfied=False, policy=policy, reason="还是不亮")
        case.accept(crew["ly"], clock.now())
        case.finish(crew["ly"], clock.now() + timedelta(hours=1), note="换了线路", fee_cents=2000)
        await uow.cases.save(case)
        await uow.commit()
    await dispatching.close()
    restarted = await build_app(make_settings(database_url), clock, run_migrations=True)
    try:
        async with restarted.uow() as uow:
            fees = await uow.cases.fees(case_id)
            case = await uow.cases.get(case_id)
    finally:
        await restarted.close()
    assert [(f.round, f.cents, f.staff_id, f.reason) for f in fees] == [
        (0, 3500, crew["wq"], "换了开关"), (1, 2000, crew["ly"], "换了线路")]
    assert sum(f.cents for f in fees) == 5500 and case.fee_cents == 2000


async def test_statistics_show_load_assigned_vs_grabbed_chases_and_pauses(dispatching: App, people: People,
                                                                          crew: Crew, clock) -> None:
    await bound_owner(people)
    await bound_owner(people, "u2", "13800000002")
    await report_leak(people, "u1")  # round robin: offered to 王强, who accepts → assigned
    await people.press("wq", "接单", chat="wq")
    await open_case(dispatching, people, kind="report", urgency="normal", category="electrical", area="home",
                    description="灯不亮", owner_phone="13800000002")  # no rule: grabbed by 刘洋
    await people.press("ly", "接单", chat=ENGINEERING, group=True)
    await people.say("u1", "催一下")
    async with dispatching.uow() as uow:
        first = (await uow.cases.recent())[-1]
    await people.say("wq", f"/pause {first.id} 2 业主 业主出差")
    async with dispatching.uow() as uow:
        ctx = await open_context(uow.session, None, date(2026, 6, 1), date(2026, 6, 2), clock.now())
        table = await view_dispatch(ctx)
    rows = {r[1]: r for r in table.rows}
    assert rows["王强"][3:] == [1, (1, "int"), 0, 1] and rows["刘洋"][3:] == [1, (0, "int"), 1, 0]
    assert rows["指派占比 Assigned share"][4] == (0.5, "pct")
    assert rows["挂起 Pauses"][4] == (1, "int") and rows["催办工单 Cases chased"][4] == (1, "int")


async def test_the_owner_chases_from_the_case_view_and_nothing_to_chase_is_said_politely(
        dispatching: App, people: People, crew: Crew) -> None:
    await bound_owner(people)
    await people.say("u1", "催一下")
    assert "没有正在处理中的工单" in people.last("u1")
    await report_leak(people)
    case = await the_case(dispatching)
    await people.say("u1", f"/mycases {case.id}")
    await people.press("u1", "催一下")
    assert f"已为您催办工单 #{case.id}" in people.last("u1")
    assert f"工单 #{case.id} 被业主催办（第 1 次）" in people.last("mjg")
    # 王强 was offered the case (round robin) but has not accepted: the group and 王强 hear of it.
    assert f"工单 #{case.id} 被业主催办（第 1 次），仍无人接单" in people.last(ENGINEERING)
    assert f"业主催办工单 #{case.id}（第 1 次）" in people.last("wq")


def test_the_commented_example_in_the_demo_file_loads_when_uncommented() -> None:
    text = EXAMPLE_COMMUNITY.read_text(encoding="utf-8")
    head, tail = text.split("# dispatch:")
    spec = parse(head + "\n".join(line[2:] for line in ("# dispatch:" + tail).splitlines()))
    assert spec.dispatch is not None and spec.dispatch.cap == 3 and len(spec.dispatch.roster.weekly) == 2
