"""Regenerate ``nlp/jieba_small.txt`` from the installed jieba dictionary.

    python -m nlp.build_dict [--size 50000]

Keeps the ``size`` most frequent entries of jieba's ``dict.txt`` in jieba's
own format (word freq tag). 50k entries agree with the full dictionary on
~88% of tokens in owners' messages, and all of the disagreements we checked
are inside words that carry no cue; the trade words that matter are in
``userdict.txt`` anyway. Loading it costs ~0.08 s instead of ~0.7 s.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jieba

from .segment import MAIN_DICT


def build(size: int, out: Path = MAIN_DICT) -> int:
    src = Path(jieba.__file__).resolve().parent / "dict.txt"
    rows = []
    with open(src, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                rows.append((int(parts[1]), line.rstrip("\n")))
    # Stable order: by frequency, then by word, so reruns give identical files.
    rows.sort(key=lambda r: (-r[0], r[1]))
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for _, line in rows[:size]:
            f.write(line + "\n")
    return min(size, len(rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=50000)
    n = build(ap.parse_args().size)
    print(f"wrote {n} words to {MAIN_DICT}")


if __name__ == "__main__":
    main()
