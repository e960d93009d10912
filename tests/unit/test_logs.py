import logging

from bot.logs import ScrubPhones


def test_phone_numbers_are_masked_in_messages_and_tracebacks() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "owner %s called", ("13812345678",), None)
    try:
        raise ValueError("bad phone 13987654321")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    ScrubPhones().filter(record)
    assert record.getMessage() == "owner 138****5678 called"
    assert "139****4321" in record.exc_text and "13987654321" not in record.exc_text
