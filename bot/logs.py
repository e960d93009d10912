"""Logging set-up: owners' phones and names never reach a log, whoever logs them.

Two layers.  The root handler carries `Redact`, which masks phone and ID numbers (however
typed), the owner register's full names and bot tokens in every record — message,
arguments, traceback and stack — whatever library logged it, at every level.  And the
libraries that dump whole payloads at DEBUG/INFO (Bot API requests with the private
cards, SQL with its rows, HTTP URLs with the token) are held at WARNING unless the
operator names them in LOG_LIBRARIES, so LOG_LEVEL=DEBUG means the desk's own detail,
not thousands of rows of owners' data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from cases.privacy import scrub

# Loggers that print request/response bodies, SQL parameters or rows at DEBUG or INFO.
PAYLOAD_LOGGERS = (
    "telegram", "httpx", "httpcore", "hpack", "aiogram", "aiohttp", "sqlalchemy.engine", "sqlalchemy.pool",
    "sqlalchemy.orm", "aiosqlite", "asyncpg", "apscheduler", "urllib3", "websockets",
)
_TOKEN = re.compile(r"\b(bot)?\d{5,}:[A-Za-z0-9_-]{30,}")


def redact(text: str) -> str:
    """A log line as it may be written: personal data masked, bot tokens hidden."""
    return _TOKEN.sub(lambda m: f"{m.group(1) or ''}<token>", scrub(text))


class Redact(logging.Filter):
    """Mask personal data and tokens in every record passing the handler it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a library's bad format arguments: keep the bare format string
            message = str(record.msg)
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


ScrubPhones = Redact  # the earlier name


def hold_library_loggers(named: Iterable[str] = ()) -> None:
    """Keep payload-dumping libraries at WARNING, except those the operator named."""
    wanted = {n.strip() for n in named if n.strip()}
    for name in PAYLOAD_LOGGERS:
        if not any(name == w or name.startswith(w + ".") or w.startswith(name + ".") for w in wanted):
            logging.getLogger(name).setLevel(logging.WARNING)
    for name in wanted:
        logging.getLogger(name).setLevel(logging.DEBUG)


def configure(level: str = "INFO", libraries: str | Iterable[str] = "") -> None:
    """Root logging for `wuye run` and the CLI.  `libraries`: LOG_LIBRARIES, comma-separated
    logger names the operator wants at DEBUG (still redacted)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    named = libraries.split(",") if isinstance(libraries, str) else list(libraries)
    hold_library_loggers(named)
    # The scheduler's executor logs every job run at INFO; nothing personal, just noise.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
