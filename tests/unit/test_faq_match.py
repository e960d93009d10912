"""The FAQ matcher on the demo community's questions, phrased the way owners ask."""

from __future__ import annotations

import pytest

from cases.records import Faq
from handlers.owner.faq import answer_in, best_match
from nlp.classifier import Classifier
from storage.community_file import read
from tests.conftest import EXAMPLE_COMMUNITY


@pytest.fixture(scope="module")
def faqs() -> list[Faq]:
    spec = read(EXAMPLE_COMMUNITY)
    return [Faq(f.code, tuple(f.keywords), f.question, f.answer, f.question_en, f.answer_en) for f in spec.faq]


@pytest.mark.parametrize(("question", "code"), [
    ("物业费怎么交？", "fee_payment"),
    ("请问在哪里交物业费", "fee_payment"),
    ("客服中心几点上班", "office_hours"),
    ("北门晚上几点关门啊", "gate_hours"),
    ("小区里有没有电动车充电的地方", "ev_charging"),
    ("装修的时候几点可以用电钻", "renovation_rules"),
    ("旧沙发这种大件垃圾怎么扔", "garbage"),
    ("停水会提前通知吗", "water_cut"),
    ("想租个车位，多少钱一个月", "parking_rent"),
    ("How do I pay the property fee?", "fee_payment"),
    ("when does the gate close", "gate_hours"),
    ("Are there EV chargers in the garage?", "ev_charging"),
])
def test_owners_questions_find_their_answer(faqs: list[Faq], question: str, code: str) -> None:
    match = best_match(question, faqs)
    assert match is not None and match.faq.code == code


@pytest.mark.parametrize("question", ["可以在小区里养鸡吗", "你好", "repayment plan", "？？？"])
def test_no_answer_rather_than_a_wrong_one(faqs: list[Faq], question: str) -> None:
    assert best_match(question, faqs) is None


def test_answer_in_the_owners_language_falling_back_to_chinese(faqs: list[Faq]) -> None:
    fee = next(f for f in faqs if f.code == "fee_payment")
    assert answer_in(fee, "en")[1].startswith("Pay at the service centre")
    assert answer_in(fee, "zh-CN")[1].startswith("物业费可在客服中心")
    chinese_only = Faq("x", ("x",), "问？", "答。", "", "")
    assert answer_in(chinese_only, "en") == ("问？", "答。")


@pytest.mark.parametrize(("question", "code"), [
    ("管理费怎么缴纳", "fee_payment"),  # synonyms from the community file
    ("电瓶车在哪充电", "ev_charging"),
    ("垃圾几点扔", "garbage"),  # "几点" alone says nothing about office hours
    ("小区几点锁门", "gate_hours"),
    ("快递放哪", "parcels"),
])
def test_meaning_words_and_synonyms(faqs: list[Faq], question: str, code: str) -> None:
    match = best_match(question, faqs)
    assert match is not None and match.faq.code == code


def test_question_words_alone_match_nothing(faqs: list[Faq]) -> None:
    assert best_match("几点", faqs) is None and best_match("怎么办 多少", faqs) is None


def test_jieba_tokens_add_what_the_listed_words_miss(faqs: list[Faq]) -> None:
    tokens = Classifier.default().segmenter.tokens
    question = "投放时间是几点"  # "投放" is a word of the garbage answer's own question
    assert best_match(question, faqs) is None
    with_tokens = best_match(question, faqs, lambda t: [x.text for x in tokens(t)])
    assert with_tokens is not None and with_tokens.faq.code == "garbage"
