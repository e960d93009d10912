"""Which team a case goes to (taxonomy.md) and who hears about escalations."""

from __future__ import annotations

from cases.codes import Kind, Role, Team, Urgency

_REPORT_TEAMS = {
    "plumbing": Team.ENGINEERING,
    "electrical": Team.ENGINEERING,
    "building": Team.ENGINEERING,
    "elevator": Team.ENGINEERING,
    "facility": Team.ENGINEERING,
    "security": Team.SECURITY,
    "environment": Team.ENVIRONMENT,
}

# Complaints go to the desk that can settle them; never to the team complained about
# when it is about staff conduct (general) or an outside body is involved (government).
_COMPLAINT_TEAMS = {
    "housing": Team.ENGINEERING,
    "equipment": Team.ENGINEERING,
    "order": Team.SECURITY,
    "environment": Team.ENVIRONMENT,
}

_SERVICE_TEAMS = {
    "home_repair": Team.ENGINEERING,
    "access": Team.SECURITY,
    "recycling": Team.ENVIRONMENT,
    "plant_care": Team.ENVIRONMENT,
    "housekeeping": Team.ENVIRONMENT,
}


def team_for(kind: str, category: str, urgency: str = Urgency.NORMAL) -> Team:
    """The team whose group chat gets the dispatch card."""
    if kind == Kind.REPORT:
        return _REPORT_TEAMS.get(category, Team.CUSTOMER_SERVICE)
    if kind == Kind.COMPLAINT:
        if category == "government":
            return Team.MANAGEMENT  # a department head handles referrals
        team = _COMPLAINT_TEAMS.get(category, Team.CUSTOMER_SERVICE)
    elif kind == Kind.SERVICE:
        team = _SERVICE_TEAMS.get(category, Team.CUSTOMER_SERVICE)
    else:
        team = Team.CUSTOMER_SERVICE
    if team == Team.CUSTOMER_SERVICE and urgency == Urgency.EMERGENCY:
        # "My neighbour's flat smells of gas" is a complaint and an emergency: the 24-hour
        # duty team goes, not the service desk, which is closed at night.
        return Team.SECURITY
    return team


def supervisor_role_for(team: str) -> Role:
    """Who a late case of this team is escalated to first."""
    if team == Team.ENGINEERING:
        return Role.ENGINEERING_MANAGER
    if team == Team.MANAGEMENT:
        return Role.MANAGER
    return Role.CS_SUPERVISOR
