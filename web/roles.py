"""Who may see and do what in the console, from the roles of the community file.

Engineers, security and cleaners see their own team's cases; customer service, the
quality inspector and managers see every team's (supervisors over a team as in the chat).
Full phone numbers are for the roles whose job is to call owners, and for whoever is
working on the case; each reveal is written to the audit log.
"""

from __future__ import annotations

from cases.codes import Role, Team
from cases.permissions import StaffMember, may_send_notices, may_see_reports, may_work_on
from services.aftercare import may_record
from services.office import OFFICE_ROLES

# The office desk (services.office.OFFICE_ROLES) and the quality inspector, who checks them all.
SEE_ALL = OFFICE_ROLES | {Role.QUALITY_INSPECTOR}
# Who phones owners: the office desk (and whoever is working on the case).
CALLERS = OFFICE_ROLES
ALL_TEAMS = frozenset(t.value for t in Team)


def visible_teams(staff: StaffMember) -> set[str] | None:
    """The teams whose cases this person sees; None for all."""
    if staff.role in SEE_ALL:
        return None
    return {team for team in ALL_TEAMS if may_work_on(staff, team)}


def may_see(staff: StaffMember, team: str) -> bool:
    teams = visible_teams(staff)
    return staff.active and (teams is None or team in teams)


def may_call_owner(staff: StaffMember, assignee_id: int | None) -> bool:
    return staff.active and (staff.role in CALLERS or staff.id == assignee_id)


def may_record_callbacks(staff: StaffMember) -> bool:
    return may_record(staff)


may_send = may_send_notices
may_see_statistics = may_see_reports
