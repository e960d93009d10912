"""Domain errors: each names what was refused, and nothing was changed."""

from __future__ import annotations


class DeskError(Exception):
    """Base of every refusal by the desk's rules; `code` picks the catalogue message."""

    code = "desk_error"

    def __init__(self, message: str = "", **details: object) -> None:
        super().__init__(message or self.code)
        self.details = details


class IllegalTransition(DeskError):
    code = "illegal_transition"

    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"cannot {action} a case that is {status}", action=action, status=status)
        self.action = action
        self.status = status


class NotAllowed(DeskError):
    """The person is not entitled to do this to this case."""

    code = "not_allowed"


class NotFound(DeskError):
    code = "not_found"


class StaleCase(DeskError):
    """Someone else changed the case first (the other staff member won the accept)."""

    code = "stale_case"


class InvalidInput(DeskError):
    code = "invalid_input"
