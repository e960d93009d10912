"""The matching engine: word syntax, negation scope, groups, validation.

Each test builds a tiny rules file so it checks the engine, not vocabulary.
"""

from __future__ import annotations

import textwrap

import pytest

from nlp import Classifier
from nlp.rules import RulesError


def make(tmp_path, rules: str, settings: str = "") -> Classifier:
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(f"""
        settings:
          emergency_at: 4
          urgent_at: 3
          {settings}
        negators:
          zh: [不, 不是, 没, 没有]
          en: [not, no, nobody]
        typos: {{点梯: 电梯}}
        rules:
        """) + textwrap.indent(textwrap.dedent(rules), "  "), encoding="utf-8")
    return Classifier(rules_path=path)


def scores(clf: Classifier, text: str) -> dict[str, float]:
    norm = clf.normalize(text)
    return clf.rules.match(norm, clf.segmenter.tokens(norm)).scores


def test_one_character_word_must_be_a_whole_word(tmp_path):
    clf = make(tmp_path, """
        - words: [堵]
          add: {kind.report: 3}
        """)
    assert scores(clf, "下水道堵").get("kind.report") == 3
    assert "kind.report" not in scores(clf, "早上堵车")


def test_smoke_word_is_not_a_cigarette_butt(tmp_path):
    clf = make(tmp_path, """
        - words: [=烟]
          add: {urgency.emergency: 5}
        """)
    assert scores(clf, "楼里有烟").get("urgency.emergency") == 5
    assert "urgency.emergency" not in scores(clf, "地上全是烟头")


def test_english_matches_at_word_start_only(tmp_path):
    clf = make(tmp_path, """
        - words: [leak]
          add: {kind.report: 3}
        - words: [=gas]
          add: {urgency.emergency: 5}
        """)
    assert scores(clf, "the pipe is leaking").get("kind.report") == 3
    assert "kind.report" not in scores(clf, "bleak")
    assert scores(clf, "I smell gas!").get("urgency.emergency") == 5
    assert "urgency.emergency" not in scores(clf, "gasoline price")


def test_gap_pattern_stays_within_one_clause(tmp_path):
    clf = make(tmp_path, """
        - words: [水管...爆]
          add: {urgency.emergency: 5}
        """)
    assert scores(clf, "水管突然爆了").get("urgency.emergency") == 5
    assert "urgency.emergency" not in scores(clf, "水管很旧，爆米花")
    assert "urgency.emergency" not in scores(clf, "水管没爆")  # negator in the gap


def test_negator_before_a_word_cancels_it(tmp_path):
    clf = make(tmp_path, """
        - words: [投诉]
          add: {kind.complaint: 5}
        - words: [冒烟]
          add: {urgency.emergency: 5}
        - words: [stuck]
          add: {urgency.emergency: 5}
        """)
    assert "kind.complaint" not in scores(clf, "不是投诉，只是说一下")
    assert scores(clf, "我要投诉").get("kind.complaint") == 5
    assert "urgency.emergency" not in scores(clf, "没有冒烟")
    assert "urgency.emergency" not in scores(clf, "nobody is stuck")
    # a negated occurrence does not hide a later, real one
    assert scores(clf, "不是投诉物业，是投诉邻居").get("kind.complaint") == 5


def test_a_later_plain_occurrence_beats_a_negated_one_for_every_kind_of_word(tmp_path):
    # Matching skips a word once it has a plain hit, and keeps a negated one
    # only until a plain one turns up: the same for words found anywhere,
    # A...B words, one-character (whole-token) words and English.
    clf = make(tmp_path, """
        - words: [冒烟]
          add: {urgency.emergency: 5}
        - words: [水管...爆]
          add: {report.plumbing: 3}
        - words: [堵]
          add: {kind.report: 3}
        - words: [stuck]
          add: {urgency.urgent: 3}
        """)
    for text, label in (("没有冒烟，现在冒烟了", "urgency.emergency"),
                        ("水管没爆，另一根水管爆了", "report.plumbing"),
                        ("不堵，马桶堵", "kind.report"),
                        ("nobody is stuck. now someone is stuck", "urgency.urgent")):
        assert label not in scores(clf, text.split("，")[0].split(". ")[0]), text
        assert label in scores(clf, text), text


def test_gap_pattern_takes_the_part_within_reach_and_clause(tmp_path):
    clf = make(tmp_path, """
        - words: [水管...爆]
          add: {urgency.emergency: 5}
        """, settings="gap: 3")
    assert scores(clf, "水管又又爆了").get("urgency.emergency") == 5   # 2 between
    assert "urgency.emergency" not in scores(clf, "水管又又又又爆了")  # 4 between
    assert "urgency.emergency" not in scores(clf, "水管，爆了")        # next clause
    assert "urgency.emergency" not in scores(clf, "水管。")            # no second part


def test_clause_breaks_are_punctuation_and_spaces_beside_chinese():
    from nlp.rules import CLAUSE_PUNCT, _CJK, _clause_breaks

    def reference(text):  # the loop the rules used before session 6
        out = []
        for i, ch in enumerate(text):
            if ch in CLAUSE_PUNCT:
                if ch == "'" and 0 < i < len(text) - 1 and text[i - 1].isascii() and \
                        text[i - 1].isalpha() and text[i + 1].isascii() and text[i + 1].isalpha():
                    continue
                out.append(i)
            elif ch == " " and 0 < i < len(text) - 1 and (_CJK.match(text[i - 1]) or _CJK.match(text[i + 1])):
                out.append(i)
        return out

    assert _clause_breaks("last month's flood") == []
    assert _clause_breaks("'quoted' it") == [0, 7]
    assert _clause_breaks("电梯 坏了 lift down") == [2, 5]
    assert _clause_breaks(" 电梯 ") == []  # a space at either end ends nothing
    assert _clause_breaks("a 电梯 b") == [1, 4]
    import random
    rnd = random.Random(6)
    alphabet = sorted(CLAUSE_PUNCT) + list(" '  ab电梯㐀\u9fffé1\t\u3000")
    for _ in range(5000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))
        assert _clause_breaks(text) == reference(text), repr(text)


def test_worried_question_keeps_the_word(tmp_path):
    clf = make(tmp_path, """
        - words: [煤气味]
          add: {urgency.emergency: 5}
        """)
    assert "urgency.emergency" not in scores(clf, "没有煤气味")
    assert scores(clf, "不是煤气味吧？").get("urgency.emergency") == 5


def test_negator_reach_is_limited_and_clause_bound(tmp_path):
    clf = make(tmp_path, """
        - words: [漏水]
          add: {kind.report: 3}
        """)
    assert scores(clf, "不是，厨房漏水").get("kind.report") == 3  # other clause


def test_non_negatable_group_ignores_negators(tmp_path):
    clf = make(tmp_path, """
        - words: [不急]
          negatable: false
          add: {urgency.calm: 3}
        """)
    assert scores(clf, "不急").get("urgency.calm") == 3


def test_group_fires_once_and_all_of_needs_every_list(tmp_path):
    clf = make(tmp_path, """
        - words: [没人管, 没人理]
          add: {kind.complaint: 4}
        - all_of: [[电梯], [困, 卡住]]
          add: {urgency.emergency: 5}
        """)
    assert scores(clf, "没人管也没人理").get("kind.complaint") == 4
    assert scores(clf, "电梯卡住了").get("urgency.emergency") == 5
    assert "urgency.emergency" not in scores(clf, "卡住了")


def test_negative_weights_cancel(tmp_path):
    clf = make(tmp_path, """
        - words: [电梯]
          add: {report.elevator: 5}
        - words: [电梯口]
          negatable: false
          add: {report.elevator: -4}
        """)
    assert scores(clf, "电梯口有垃圾")["report.elevator"] == 1


def test_typos_from_the_file_apply(tmp_path):
    clf = make(tmp_path, """
        - words: [电梯]
          add: {report.elevator: 5, kind.report: 3}
        """)
    assert clf.classify("点梯坏了").category == "elevator"


@pytest.mark.parametrize(("rules", "message"), [
    ("- words: [x]\n  add: {kind.nonsense: 1}\n", "unknown label"),
    ("- words: [x]\n  add: {kind.report: high}\n", "must be a number"),
    ("- words: [x]\n  add: {kind.report: 1}\n  colour: red\n", "unknown keys"),
    ("- add: {kind.report: 1}\n", "needs words or all_of"),
    ("- words: [x]\n", "'add' must map"),
    ("- words: ['...x']\n  add: {kind.report: 1}\n", "empty"),
])
def test_bad_rules_are_rejected_with_a_useful_message(tmp_path, rules, message):
    with pytest.raises(RulesError, match=message):
        make(tmp_path, rules)


def test_invalid_yaml_is_a_rules_error(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("rules: [unclosed", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid YAML"):
        Classifier(rules_path=path)


def test_packaged_rules_load_and_every_word_compiles():
    clf = Classifier.default()
    assert len(clf.rules.groups) > 50


# -- round 5: the mood of a danger cue, and not-cues --------------------------


def make_moods(tmp_path, rules: str) -> Classifier:
    """A tiny rules file with moods and not-cues (rules only, no learned words)."""
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent("""
        settings: {emergency_at: 4}
        moods:
          past: [上次]
          hypothetical: [万一]
          hedge: [好像]
        not_cues: [抽烟]
        rules:
          - words: [着火, =烟]
            add: {urgency.emergency: 5, report.security: 4}
          - all_of: [[电梯], [被困]]
            add: {urgency.emergency: 5, report.elevator: 3}
          - all_of: [[抽烟], [=烟]]
            add: {urgency.emergency: -5}
        """), encoding="utf-8")
    return Classifier(rules_path=path, learned_path=None, danger_path=None)


def fired(clf: Classifier, text: str):
    norm = clf.normalize(text)
    return clf.rules.match(norm, clf.segmenter.tokens(norm))


def test_a_past_or_hypothetical_danger_cue_adds_no_emergency_but_keeps_its_topic(tmp_path):
    clf = make_moods(tmp_path, "")
    for text in ("上次三楼着火了", "万一着火了怎么办"):
        f = fired(clf, text)
        assert f.score("urgency.emergency") == 0, text
        assert f.score("report.security") == 4, text
    assert fired(clf, "三楼着火了").score("urgency.emergency") == 5


def test_the_mood_ends_with_the_clause_and_a_later_cue_meant_now_counts(tmp_path):
    clf = make_moods(tmp_path, "")
    assert fired(clf, "上次修好了，现在三楼着火了").score("urgency.emergency") == 5
    assert fired(clf, "上次着火你们来得很慢，现在又着火了").score("urgency.emergency") == 5


def test_a_several_slot_cue_takes_the_mood_of_what_happens(tmp_path):
    # The thing (电梯) comes first, what happens to it (被困) last.
    clf = make_moods(tmp_path, "")
    assert fired(clf, "电梯的应急电话打不通，上次我被困").score("urgency.emergency") == 0
    assert fired(clf, "上次修过的电梯，现在又有人被困").score("urgency.emergency") == 5


def test_a_hedged_cue_still_counts_and_is_marked(tmp_path):
    clf = make_moods(tmp_path, "")
    f = fired(clf, "楼道里好像着火了")
    assert f.score("urgency.emergency") == 5 and f.hedged_emergency == 5
    assert fired(clf, "楼道里着火了").hedged_emergency == 0


def test_a_not_cue_hides_a_shorter_danger_word_only_from_danger_rules(tmp_path):
    clf = make_moods(tmp_path, "")
    # 烟 inside 抽烟 is no smoke; the look-alike rule still reads 抽烟 and the
    # bare 烟 after it, and says "not an emergency".
    assert "report.security" not in fired(clf, "有人在抽烟").scores
    assert fired(clf, "对门抽烟，烟全飘进我家").score("urgency.emergency") == 0
    assert fired(clf, "楼道里全是烟").score("urgency.emergency") == 5


def test_an_unknown_mood_is_refused(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("moods: {someday: [哪天]}\nrules:\n  - words: [火]\n    add: {urgency.emergency: 5}\n",
                    encoding="utf-8")
    with pytest.raises(RulesError, match="unknown mood"):
        Classifier(rules_path=path, learned_path=None, danger_path=None)
