"""Refusals particular to the services (on top of `cases.errors`); each changes nothing."""

from __future__ import annotations

from cases.errors import DeskError, IllegalTransition
from cases.lifecycle import Case
from cases.permissions import StaffMember


class WrongStatus(IllegalTransition):
    """The action no longer fits the case (pressed twice, an old card, someone was quicker).
    Carries the case as it is now, and the staff member, so the front end can say who has it."""

    def __init__(self, action: str, case: Case, staff: StaffMember | None = None) -> None:
        super().__init__(action, case.status)
        self.case = case
        self.staff = staff
        self.details.update(case_id=case.id)


class MovedMeanwhile(DeskError):
    """The case left the team the actor saw it with while they were deciding."""

    code = "moved_meanwhile"

    def __init__(self, case: Case) -> None:
        super().__init__(f"case {case.id} is now with {case.team_code}", case_id=case.id, team=case.team_code)
        self.case = case


class TooSoon(DeskError):
    """The same call was made a moment ago (a second call for help); once is enough."""

    code = "too_soon"


class PriceChanged(DeskError):
    """The catalogue price changed after the owner saw it: they must see the new one first."""

    code = "price_changed"


class SurveyClosed(DeskError):
    """The callback is no longer open (answered, skipped, or never sent)."""

    code = "survey_closed"

    def __init__(self, message: str = "", *, state: str = "", method: str = "", case_id: int | None = None) -> None:
        super().__init__(message or f"the survey is {state}", state=state, method=method, case_id=case_id)
        self.state = state
        self.method = method


class AlreadyAnswered(DeskError):
    """That question of the survey was answered already (a second press, another chat)."""

    code = "already_answered"
