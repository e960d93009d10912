"""Typed, versioned button payloads that fit Telegram's 64-byte callback data.

    "1|p|report|urgency|3|urgent"   Pick: a choice inside a flow step
    "1|c|accept|1234"               CaseAction: staff or owner acting on a case
    "1|s|88|solved|1"               SurveyAnswer: a callback survey button
    "1|m|report"                    Menu: an entry of the main menu
    "1|n|42"                        NotMe: an owner disowns chat identity 42 bound to their home
    "1|r|88"                        PhoneCall: a butler records the phone callback of callback 88
    "1|t|7"                         NoticeStatus: how far notice 7's delivery has got
    "1|k|20260601|20260608"         CompanyReport: the company report of [2026-06-01, 2026-06-08)

Buttons sent before PhoneCall and NoticeStatus had kinds of their own ("1|s|88|phone|record",
"1|c|notice_status|7") still decode, to the new kinds.

The first field is the codec version: buttons from an older release, forged data and
anything malformed decode to `BadPayload`, which the core answers with "this button
has expired".  Decoding proves nothing about who pressed: every press is re-authorised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handlers.kit.numbers import parse_int

VERSION = "1"
MAX_BYTES = 64
_SEP = "|"


class BadPayload(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Pick:
    flow: str
    step: str
    nonce: int  # the conversation's flow instance: buttons of an abandoned flow are stale
    value: str


@dataclass(frozen=True, slots=True)
class CaseAction:
    action: str
    case_id: int


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    callback_id: int
    question: str
    value: str


@dataclass(frozen=True, slots=True)
class Menu:
    item: str


@dataclass(frozen=True, slots=True)
class NotMe:
    """"这不是我": the owner says a chat newly bound to their home is not theirs."""

    identity_id: int


@dataclass(frozen=True, slots=True)
class PhoneCall:
    """"登记电话回访": a butler records the phone callback of one callback record."""

    callback_id: int


@dataclass(frozen=True, slots=True)
class NoticeStatus:
    """A notice's delivery status, pressed again to refresh it."""

    notice_id: int


@dataclass(frozen=True, slots=True)
class CompanyReport:
    """"各小区对比" under a /report summary: the company report of the same period."""

    start: date
    end: date  # exclusive


Payload = Pick | CaseAction | SurveyAnswer | Menu | NotMe | PhoneCall | NoticeStatus | CompanyReport

# The encodings these two kinds had before they were kinds of their own.
_OLD_PHONE_CALL = ("phone", "record")
_OLD_NOTICE_STATUS = "notice_status"


def _check(*fields: str) -> None:
    for f in fields:
        if _SEP in f or not f.isprintable():
            raise ValueError(f"payload field {f!r} may not contain {_SEP!r} or control characters")


def encode(payload: Payload) -> str:
    match payload:
        case Pick(flow, step, nonce, value):
            _check(flow, step, value)
            parts = ["p", flow, step, str(nonce), value]
        case CaseAction(action, case_id):
            _check(action)
            parts = ["c", action, str(case_id)]
        case SurveyAnswer(callback_id, question, value):
            _check(question, value)
            parts = ["s", str(callback_id), question, value]
        case Menu(item):
            _check(item)
            parts = ["m", item]
        case NotMe(identity_id):
            parts = ["n", str(identity_id)]
        case PhoneCall(callback_id):
            parts = ["r", str(callback_id)]
        case NoticeStatus(notice_id):
            parts = ["t", str(notice_id)]
        case CompanyReport(start, end):
            parts = ["k", f"{start:%Y%m%d}", f"{end:%Y%m%d}"]
        case _:
            raise TypeError(f"not a payload: {payload!r}")
    data = _SEP.join([VERSION, *parts])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"payload too long for Telegram ({len(data.encode())} bytes): {data!r}")
    return data


def _int(value: str) -> int:
    number = parse_int(value, hi=10**18 - 1)
    if number is None:
        raise BadPayload(f"not an id: {value!r}")
    return number


def _day(value: str) -> date:
    number = parse_int(value, hi=99991231) if len(value) == 8 else None
    try:
        return date(number // 10000, number // 100 % 100, number % 100)  # type: ignore[operator]
    except (TypeError, ValueError):
        raise BadPayload(f"not a day: {value!r}") from None


def decode(data: str | None) -> Payload:
    if not data or len(data.encode("utf-8", "replace")) > MAX_BYTES:
        raise BadPayload("empty or oversized payload")
    version, _, rest = data.partition(_SEP)
    if version != VERSION:
        raise BadPayload(f"payload version {version!r}")
    parts = rest.split(_SEP)
    match parts:
        case ["p", flow, step, nonce, value] if flow and step:
            return Pick(flow, step, _int(nonce), value)
        case ["c", action, notice_id] if action == _OLD_NOTICE_STATUS:
            return NoticeStatus(_int(notice_id))
        case ["c", action, case_id] if action:
            return CaseAction(action, _int(case_id))
        case ["s", callback_id, question, value] if (question, value) == _OLD_PHONE_CALL:
            return PhoneCall(_int(callback_id))
        case ["s", callback_id, question, value] if question:
            return SurveyAnswer(_int(callback_id), question, value)
        case ["m", item] if item:
            return Menu(item)
        case ["n", identity_id]:
            return NotMe(_int(identity_id))
        case ["r", callback_id]:
            return PhoneCall(_int(callback_id))
        case ["t", notice_id]:
            return NoticeStatus(_int(notice_id))
        case ["k", start, end]:
            return CompanyReport(_day(start), _day(end))
    raise BadPayload(f"malformed payload {data!r}")
