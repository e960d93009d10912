"""Which database errors pass if the same work is tried again, and how work that met one says so.

The desk retries such an error itself (handlers.core); a background loop (delivery, the
scheduler's jobs, the housekeeping) does its work again on its next round.  Either way a
server restart, a dropped connection or a full pool is not a bug: it is told in one line,
and a traceback is kept for what is one.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import exc as sa_exc


def storage_exhausted(error: BaseException) -> bool:
    """The disk is full or failing: retrying does not help until an operator frees space."""
    text = str(getattr(error, "orig", None) or error)
    return "disk is full" in text or "No space left" in text or "disk I/O error" in text


def transient(error: BaseException) -> bool:
    """A database error that may pass if the same work is tried again."""
    if isinstance(error, (sa_exc.TimeoutError, sa_exc.OperationalError, sa_exc.InterfaceError, ConnectionError,
                          asyncio.TimeoutError)):
        return not storage_exhausted(error)
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        # PostgreSQL's serialization failure and deadlock: the loser is meant to retry.
        code = getattr(error.orig, "sqlstate", None) or getattr(getattr(error.orig, "__cause__", None), "sqlstate", None)
        return code in ("40001", "40P01")
    return False


def error_class(error: BaseException) -> str:
    """The error's class and the driver's behind it (`DBAPIError (ConnectionDoesNotExistError)`):
    what happened, without the message, which may quote a row's values."""
    orig = getattr(error, "orig", None)
    cause = getattr(orig, "__cause__", None) or orig
    name = error.__class__.__name__
    return f"{name} ({cause.__class__.__name__})" if cause is not None and cause.__class__.__name__ != name else name


def log_failure(log: logging.Logger, error: BaseException, what: str, *args: object, then: str,
                level: int = logging.WARNING) -> None:
    """A loop's work failed with `error`: a transient database error is one line at `level`
    (what failed, the error's class, `then` says when it is tried again); anything else is a
    bug and logged at ERROR with its traceback.  `what` and `args` are logged as given, so
    they must hold ids and names of jobs only, never an owner's data."""
    if transient(error):
        log.log(level, f"{what}: database unavailable (%s); {then}", *args, error_class(error))
    else:
        log.error(f"{what}; {then}", *args, exc_info=error)
