"""Who may act on a case: every button press is re-authorised here, on the server."""

from __future__ import annotations

from dataclasses import dataclass

from cases.codes import SUPERVISOR_ROLES, Role, Team


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    name: str
    role: str
    team: str
    active: bool = True
    code: str = ""  # the community file's staff code (rosters and dispatch rules name people by it)


def may_work_on(staff: StaffMember, case_team: str) -> bool:
    """Staff of the team the case is with, or a supervisor over that team."""
    if not staff.active:
        return False
    if staff.team == case_team:
        return True
    if staff.role == Role.MANAGER:
        return True
    if staff.role == Role.ENGINEERING_MANAGER:
        return case_team == Team.ENGINEERING
    return staff.role in SUPERVISOR_ROLES and case_team != Team.MANAGEMENT


SPOT_CHECK_LEVELS = {
    Role.CS_SUPERVISOR: "cs_supervisor",
    Role.ENGINEERING_MANAGER: "engineering",
    Role.QUALITY_INSPECTOR: "quality",
}


def may_send_notices(staff: StaffMember) -> bool:
    return staff.active and staff.role in {Role.MANAGER, Role.CS_SUPERVISOR, Role.BUTLER, Role.CS_AGENT}


# Who reads the desk's statistics: the people who assess staff and run the service.
REPORT_ROLES = frozenset({Role.MANAGER, Role.CS_SUPERVISOR, Role.ENGINEERING_MANAGER, Role.QUALITY_INSPECTOR})


def may_see_reports(staff: StaffMember) -> bool:
    return staff.active and staff.role in REPORT_ROLES


# Who records a move-out or a change of owner (the office's register work): customer
# service and the manager, never the trades.
MOVE_OUT_ROLES = frozenset({Role.MANAGER, Role.CS_SUPERVISOR, Role.BUTLER, Role.CS_AGENT})


def may_record_move_out(staff: StaffMember) -> bool:
    return staff.active and staff.role in MOVE_OUT_ROLES


def may_change_duty(staff: StaffMember) -> bool:
    """Who changes the duty roster in chat or the console: the supervisors who may assign
    cases (each change is further limited to the teams they oversee) and the manager."""
    return staff.active and staff.role in SUPERVISOR_ROLES
