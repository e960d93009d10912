"""The desk's route table: what the bootstrap includes, and what a partial desk answers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.bootstrap import App, desk_routes
from handlers.aftercare.routes import routes as aftercare_routes
from handlers.core import Desk
from handlers.kit.payloads import CompanyReport, Duty, NoticeStatus, NotMe, PhoneCall, SurveyAnswer
from handlers.kit.routes import Routes, include
from handlers.office.routes import routes as office_routes
from handlers.owner.routes import routes as owner_routes
from handlers.staff.routes import routes as staff_routes
from nlp import Classifier
from tests.harness import People


def test_the_bootstrap_includes_every_area() -> None:
    routes = desk_routes()
    assert set(routes.commands) == {
        "/start", "/help", "/menu", "/cancel", "/lang", "/mute", "/unmute", "/mycases", "/household", "/family", "/community", "/xiaoqu",  # owner
        "/my", "/team", "/case", "/coverage", "/moveout", "/new", "/move",  # staff
        "/assign", "/pause", "/resume", "/change", "/agreed", "/declined", "/duty", "/值班",  # staff: dispatch, roster (issue 20)
        "/callbacks", "/spotcheck",  # aftercare
        "/notice", "/notices", "/report",  # office
    }
    assert set(routes.flows) == {
        "binding", "booking", "community", "complaint", "emergency", "danger", "household", "inquiry", "my_cases", "person", "report",
        "router", "staff_finish", "staff_handback", "staff_transfer", "staff_new_case", "staff_duty", "staff_move", "phone_callback", "spot_check", "survey", "notice",
    }
    assert set(routes.case_actions) == {"view", "cancel", "confirm", "reject", "add", "false_alarm", "accept",
                                        "start", "help", "show", "finish", "handback", "transfer",
                                        "chase", "change_yes", "change_no"}
    assert set(routes.buttons) == {NotMe, SurveyAnswer, PhoneCall, NoticeStatus, Duty, CompanyReport}
    assert set(routes.menu_items) == {"lang", "report", "complaint", "service", "inquiry", "mycases", "resume"}
    assert routes.owner_input and routes.main_menu and routes.start_entry and routes.idle and routes.carry_on


def test_a_name_claimed_twice_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="commands"):
        include(owner_routes, Routes(commands={"/help": owner_routes.commands["/start"]}))
    with pytest.raises(ValueError, match="main_menu"):
        include(owner_routes, Routes(main_menu=lambda ctx: ()))
    # Each area's own table is the same object whichever order they are joined in.
    assert include(staff_routes, office_routes).commands == include(office_routes, staff_routes).commands


async def test_a_desk_built_with_some_routes_answers_only_those(app: App) -> None:
    full = People(app)
    await full.say("u9", "/notice")  # the office's command: a stranger is told who may use it
    assert full.last("u9") == "发布通知只对物业办公人员开放。"
    without_office = Desk(app.sessions, app.clock, Classifier.default(),
                          routes=include(owner_routes, staff_routes, aftercare_routes))
    partial = People(replace(app, desk=without_office))
    await partial.say("u9", "/notice")  # not a command of this desk: the help instead
    await partial.say("u8", "/help")
    assert partial.last("u9") == partial.last("u8") and partial.last("u9").startswith("我可以帮您")
