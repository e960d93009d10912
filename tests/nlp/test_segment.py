"""The segmenter gives jieba's tokens: ``Segmenter.tokens`` walks jieba's
dictionary itself (session 6, for speed) and must agree with
``jieba.cut(text, HMM=False)`` token for token, spans included — every rule,
learned keyword and negation scope reads these tokens."""

from __future__ import annotations

import random

import pytest

from nlp.evaluate import load_jsonl
from nlp.segment import Token

from .conftest import DEV, HELDOUT, REPO


def jieba_tokens(segmenter, text: str) -> list[Token]:
    """What tokens() gave when it called jieba.cut (before session 6)."""
    out, pos = [], 0
    for word in segmenter._tk.cut(text, HMM=False):
        end = pos + len(word)
        if not word.isspace():
            out.append(Token(word, pos, end))
        pos = end
    return out


def labelled_texts() -> list[str]:
    paths = sorted((REPO / "tests" / "nlp" / "data").glob("*.jsonl")) + [HELDOUT]
    if DEV.exists():
        paths.append(DEV)
    return [r["text"] for p in paths for r in load_jsonl(p)]


def test_every_labelled_message_is_cut_as_jieba_cuts_it(clf):
    texts = labelled_texts()
    assert len(texts) > 5000
    seg = clf.segmenter
    differ = [t for t in texts for x in (t, clf.normalize(t))
              if seg.tokens(x) != jieba_tokens(seg, x)]
    assert differ == []


@pytest.mark.parametrize("text", [
    "",
    "   ",
    "电梯",
    "3号楼电梯困人了！！救命",
    "dt卡住了 abc123 x1y2, A-B_c.d%e#f&g+h",
    "厨房\r\n水管爆了\t水流得到处都是\u3000还在流",
    "𠀀煤气味\u9fd6\u9fd5好大",  # outside jieba's block range: one token each
    "No hot water since this morning, can't shower",
])
def test_awkward_text_is_cut_as_jieba_cuts_it(clf, text):
    assert clf.segmenter.tokens(text) == jieba_tokens(clf.segmenter, text)


def test_random_text_is_cut_as_jieba_cuts_it(clf):
    # Characters of real messages, blanks, Latin letters and digits that jieba
    # glues, symbols it keeps in a block, and characters outside its range.
    rnd = random.Random(13)
    pool = "".join(labelled_texts()[:3000])
    extra = " \t\r\n\u3000\u00a0ABCxyz0189+#&._%-'?!，。𠀀\u9fd5\u9fd6\u4e00"
    seg = clf.segmenter
    differ = []
    for _ in range(3000):
        text = "".join(rnd.choice(pool) if rnd.random() < 0.8 else rnd.choice(extra)
                       for _ in range(rnd.randint(0, 40)))
        if seg.tokens(text) != jieba_tokens(seg, text):
            differ.append(text)
    assert differ == []


def test_tokens_carry_their_spans(clf):
    text = "电梯 困人了abc"
    toks = clf.segmenter.tokens(text)
    assert all(text[t.start:t.end] == t.text for t in toks)
    assert [t.text for t in toks][-1] == "abc"  # single Latin letters glued
    assert " " not in [t.text for t in toks]
