"""Which case a typed command or `#12` names (handlers.kit.whereabouts.case_number): the case's
community then decides who the person is for that update."""

from __future__ import annotations

import pytest

from handlers.kit.messages import Inbound
from handlers.kit.whereabouts import case_number


def said(text: str) -> Inbound:
    return Inbound(channel="console", chat_id="u", user_id="u", text=text)


@pytest.mark.parametrize(("text", "number"), [
    ("/case 12", 12), ("/case@wuye_bot 12", 12), ("/assign #12 王强", 12), ("/mycases ＃7", 7), ("#12", 12),
    ("＃ 12", 12), ("  #3  ", 3),
    # Not a case: other commands, bare numbers (a menu answer), words around the number, nonsense.
    ("/lang en", None), ("/notice 12", None), ("12", None), ("工单#12怎么样了", None), ("/case", None),
    ("/case abc", None), ("#0", None), ("#1234567890123", None), ("", None),
])
def test_the_case_a_message_names(text: str, number: int | None) -> None:
    assert case_number(said(text)) == number
