"""/report company in chat: a person who reports in two or more communities compares exactly
those; anyone else is refused — over the company of tests/reports/company_history.py.

Chats are linked to staff rows as issue 19's model has it (one identity per community):
林志远 (lzy) to the manager jl01 of lanting and meilin and to the butler jl01 of zhuyuan
(songyuan's jl01 is someone else); 赵丽 (zl), supervisor, to lanting only; 李静 (lj) to the
butler gj01 of lanting and meilin.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import App
from handlers.kit.payloads import CompanyReport, encode
from tests.harness import People
from tests.notices.conftest import Delivery
from tests.notices.test_report_chat import assert_no_owner_data, chart_of, png_size
from tests.reports.company_history import seed_company
from tests.reports.test_company_report import WEEK

REFUSED = ("各小区对比只对在两个及以上小区担任经理、客服主管、工程经理或品质专员的人员开放；"
           "本小区的统计请发送 /report。")


@pytest.fixture
async def company(app: App, clock, tmp_path: Path, office) -> None:
    await seed_company(app, clock, tmp_path)
    async with app.uow() as uow:
        rows = {c.code: {s.code: s.id for s in await uow.directory.staff_list(c.id)}
                for c in await uow.directory.communities()}
        for user, code, communities in (("lzy", "jl01", ("meilin", "zhuyuan")), ("lj", "gj01", ("meilin",))):
            for community in communities:
                await uow.directory.bind("console", user, user, now=app.now(), staff_id=rows[community][code])
        await uow.commit()


async def test_a_manager_of_two_compares_those_two(app: App, people: People, office, company,
                                                   delivery: Delivery) -> None:
    await people.say("lzy", "/report company 2026-06-01 2026-06-08")
    reply = people.chats["lzy"][-1]
    lines = reply.text.splitlines()
    assert lines[0] == "【各小区对比】2 个小区 2026-06-01 至 2026-06-07"
    # lanting and meilin only: 11 + 3 cases, 3 + 1 overdue of 10 + 3, callbacks 6/9 + 2/2, satisfied 6/7 + 2/2.
    assert lines[1] == ("合计：新增案件 14 件，超时 4 件（30.8%），回访覆盖 72.7%（8/11），"
                        "满意率 88.9%（9 份回访），返工 1 件。")
    assert lines[2] == "满意率最高：梅林花园 100.0%；最低：兰亭雅苑 85.7%。"
    assert lines[3] == "超时率最高：梅林花园 33.3%；最低：兰亭雅苑 30.0%。"
    assert lines[4] == "回访未达标：兰亭雅苑（投诉、报事报修）。"
    assert "松园" not in reply.text and "竹园" not in reply.text
    assert reply.photos[0].startswith("media:company-20260601-20260608-")
    assert png_size(chart_of(app, reply))[0] == 1200
    assert_no_owner_data(reply.text)
    await delivery.run()
    assert delivery.phones.received["lzy"][-1] == reply


async def test_the_button_under_report(app: App, people: People, office, company) -> None:
    await people.say("lzy", "/report 2026-06-01 2026-06-08")
    assert people.last("lzy").startswith("【物业统计】")  # of the community the conversation is in
    await people.press("lzy", "各小区对比")
    assert people.last("lzy").startswith("【各小区对比】2 个小区 2026-06-01 至 2026-06-07")
    # Someone who reports in one community gets no button.
    await people.say("zl", "/report 2026-06-01 2026-06-08")
    assert people.chats["zl"][-1].buttons == ()


@pytest.mark.parametrize("user", ["zl", "lj"])
async def test_others_are_refused(app: App, people: People, office, company, user: str) -> None:
    """A supervisor of one community, a butler: refused by command and by a forged button."""
    await people.say(user, "/report 全公司")
    assert people.last(user) == REFUSED
    outcome = await people.raw_press(user, encode(CompanyReport(*WEEK)))
    assert outcome.answer == REFUSED
    assert all("各小区对比】" not in text for text in people.texts(user))


async def test_a_stranger_and_a_bad_period(app: App, people: People, office, company) -> None:
    await people.say("nobody", "/report company")
    assert people.last("nobody") == "统计报表只对物业管理人员开放。"
    await people.say("lzy", "/report company 2026-06-08 2026-06-01")
    assert people.last("lzy").startswith("用法：/report")
    outcome = await people.raw_press("lzy", encode(CompanyReport(WEEK[1], WEEK[0])))
    assert outcome.answer.startswith("用法：/report")
