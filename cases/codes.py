"""The stable codes of `shared/spec/taxonomy.md` and of the desk's roles and teams.

Codes are what we store, compare and group by; display names live in the
message catalogues.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    REPORT = "report"
    COMPLAINT = "complaint"
    SERVICE = "service"
    INQUIRY = "inquiry"
    SUGGESTION = "suggestion"


class Urgency(StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    NORMAL = "normal"


class Area(StrEnum):
    HOME = "home"
    PUBLIC = "public"


CATEGORIES: dict[Kind, tuple[str, ...]] = {
    Kind.REPORT: ("plumbing", "electrical", "building", "elevator", "facility", "security", "environment"),
    Kind.COMPLAINT: (
        "common", "housing", "equipment", "order", "environment",
        "general", "neighbor", "developer", "other", "government",
    ),
    Kind.SERVICE: (
        "home_repair", "housekeeping", "plant_care", "rental", "moving",
        "renovation", "parking", "recycling", "access",
    ),
    Kind.INQUIRY: (),
    Kind.SUGGESTION: (),
}


class Team(StrEnum):
    ENGINEERING = "engineering"
    SECURITY = "security"
    ENVIRONMENT = "environment"
    CUSTOMER_SERVICE = "customer_service"
    MANAGEMENT = "management"


class Role(StrEnum):
    BUTLER = "butler"  # 物业管家
    ENGINEER = "engineer"
    SECURITY = "security"
    CLEANER = "cleaner"
    CS_AGENT = "cs_agent"
    CS_SUPERVISOR = "cs_supervisor"
    ENGINEERING_MANAGER = "engineering_manager"
    QUALITY_INSPECTOR = "quality_inspector"
    MANAGER = "manager"


# Roles that may act on any case of the teams they oversee (and see escalations).
SUPERVISOR_ROLES = frozenset({Role.CS_SUPERVISOR, Role.ENGINEERING_MANAGER, Role.MANAGER})
