import logging
import sys

from bot.logs import PAYLOAD_LOGGERS, Redact, ScrubPhones, configure, hold_library_loggers
from cases.privacy import NAMES


def test_phone_numbers_are_masked_in_messages_and_tracebacks() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "owner %s called", ("13812345678",), None)
    try:
        raise ValueError("bad phone 13987654321")
    except ValueError:
        record.exc_info = sys.exc_info()
    ScrubPhones().filter(record)
    assert record.getMessage() == "owner 138****5678 called"
    assert "139****4321" in record.exc_text and "13987654321" not in record.exc_text


def test_register_names_typed_numbers_and_tokens_are_redacted() -> None:
    NAMES.add(["欧阳娜娜"])
    record = logging.LogRecord("telegram.ext", logging.DEBUG, __file__, 1,
                               "POST https://api.telegram.org/bot123456789:AAE-abcdefghijklmnopqrstuvwxyz0123/sendMessage %r",
                               ({"text": "业主 欧阳娜娜 １３８ ０００ ０００ ０１"},), None)
    Redact().filter(record)
    line = record.getMessage()
    assert "欧阳娜娜" not in line and "欧***" in line
    assert "138****0001" in line and "AAE-abc" not in line and "bot<token>" in line


def test_payload_loggers_are_held_unless_named() -> None:
    saved = {n: logging.getLogger(n).level for n in PAYLOAD_LOGGERS}
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    try:
        configure("DEBUG")
        assert all(logging.getLogger(n).getEffectiveLevel() == logging.WARNING for n in PAYLOAD_LOGGERS)
        assert any(isinstance(f, Redact) for h in root.handlers for f in h.filters)
        hold_library_loggers(["sqlalchemy.engine"])
        assert logging.getLogger("sqlalchemy.engine").level == logging.DEBUG
        assert logging.getLogger("telegram").level == logging.WARNING
    finally:
        for n, level in saved.items():
            logging.getLogger(n).setLevel(level)
        root.setLevel(saved_root[0])
        root.handlers[:] = saved_root[1]
