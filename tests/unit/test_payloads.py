from datetime import date

import pytest

from handlers.kit.payloads import (
    BadPayload, CaseAction, CompanyReport, Menu, NoticeStatus, PhoneCall, Pick, SurveyAnswer, decode, encode,
)


@pytest.mark.parametrize(
    "payload",
    [Pick("report", "urgency", 12, "urgent"), CaseAction("accept", 123456789), SurveyAnswer(88, "speed", "5"), Menu("report")],
)
def test_round_trip_within_64_bytes(payload) -> None:  # type: ignore[no-untyped-def]
    data = encode(payload)
    assert len(data.encode()) <= 64 and decode(data) == payload


@pytest.mark.parametrize(
    "data",
    [None, "", "0|c|accept|1", "2|m|x", "1|c|accept|abc", "1|c|accept|-1", "1|c||5", "1|x|y", "1|m|a|b",
     "1|p|report|urgency|notanumber|x", "1|c|accept|" + "9" * 60, "随便", "1|s|1|q"],
)
def test_malformed_or_forged_payloads_are_refused(data) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadPayload):
        decode(data)


def test_encode_refuses_what_would_not_fit() -> None:
    with pytest.raises(ValueError):
        encode(Pick("report", "place", 1, "x" * 60))
    with pytest.raises(ValueError):
        encode(Menu("a|b"))


@pytest.mark.parametrize("payload", [PhoneCall(88), NoticeStatus(123456789)])
def test_the_phone_call_and_notice_status_buttons_have_kinds_of_their_own(payload) -> None:  # type: ignore[no-untyped-def]
    data = encode(payload)
    assert len(data.encode()) <= 64 and decode(data) == payload


def test_buttons_sent_before_those_kinds_existed_still_work() -> None:
    # Phone-callback requests and notice listings already in chats keep their buttons.
    assert decode("1|s|88|phone|record") == PhoneCall(88)
    assert decode("1|c|notice_status|7") == NoticeStatus(7)
    # Anything else under the old shapes stays what it was (and is refused where pressed).
    assert decode("1|s|88|phone|other") == SurveyAnswer(88, "phone", "other")
    assert decode("1|c|accept|7") == CaseAction("accept", 7)
    with pytest.raises(BadPayload):
        decode("1|c|notice_status|x")


def test_the_company_report_button_carries_its_period() -> None:
    payload = CompanyReport(date(2026, 6, 1), date(2026, 6, 8))
    assert encode(payload) == "1|k|20260601|20260608" and decode(encode(payload)) == payload


@pytest.mark.parametrize("data", ["1|k|20260230|20260301", "1|k|2026061|20260608", "1|k|00000101|20260608",
                                  "1|k|20260601", "1|k|２０２６０６０１|20260608", "1|k|+2026060|20260608"])
def test_a_forged_company_report_period_is_refused(data: str) -> None:
    with pytest.raises(BadPayload):
        decode(data)
