"""Staff actions: the dispatch card's buttons, the private-chat flows behind them, staff commands."""

from __future__ import annotations

from handlers.kit.payloads import Duty
from handlers.kit.routes import Routes, flows_of
from handlers.staff import (
    accept, commands, coverage, dispatching, duty, finish, handback, movecase, moveout, new_case, transfer,
)

routes = Routes(
    flows=flows_of(finish.FLOW, handback.FLOW, transfer.FLOW, new_case.FLOW, duty.FLOW, movecase.FLOW),
    commands={
        "/my": commands.my_cases,
        "/team": commands.team_cases,
        "/case": commands.case_command,
        "/coverage": coverage.coverage,
        "/moveout": moveout.move_out,
        "/move": movecase.move_command,
        "/new": new_case.new_case,
        "/assign": dispatching.assign_command,
        "/pause": dispatching.pause_command,
        "/resume": dispatching.resume_command,
        "/change": dispatching.change_command,
        "/agreed": dispatching.agreed_command,
        "/declined": dispatching.declined_command,
        "/duty": duty.duty_command,
        "/值班": duty.duty_command,
    },
    case_actions={
        "accept": accept.accept,
        "start": accept.start,
        "help": accept.ask_for_help,
        "show": commands.show_pressed,
        "finish": finish.finish_pressed,
        "handback": handback.handback_pressed,
        "transfer": transfer.transfer_pressed,
    },
    buttons={Duty: duty.duty_pressed},
)
