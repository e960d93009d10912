"""Shared fixtures for the nlp tests.

The dev set lives in ``shared/data`` beside the repository (as in CI, where a
fresh clone has ``shared/`` next to it); ``WUYE_SHARED`` overrides that.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nlp import Classifier
from nlp.evaluate import load_jsonl

REPO = Path(__file__).resolve().parents[2]
HELDOUT = Path(__file__).resolve().parent / "data" / "heldout.jsonl"


def shared_dir() -> Path:
    env = os.environ.get("WUYE_SHARED")
    return Path(env) if env else REPO.parent / "shared"


DEV = shared_dir() / "data" / "messages_dev.jsonl"


@pytest.fixture(scope="session")
def clf() -> Classifier:
    return Classifier.default()


@pytest.fixture(scope="session")
def dev_rows() -> list[dict]:
    if not DEV.exists():
        pytest.skip(f"dev set not found at {DEV} (set WUYE_SHARED)")
    return load_jsonl(DEV)


@pytest.fixture(scope="session")
def dev_texts(dev_rows) -> set[str]:
    return {r["text"] for r in dev_rows}
