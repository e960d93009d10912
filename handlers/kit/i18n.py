"""Message catalogues: every user-facing text, zh-CN first, English second.

Texts live in `handlers/kit/locales/<locale>/<area>.yaml` (one file per flow or area, so
flows do not step on each other); keys are `<area>.<name>`.  Formatting is
`str.format` with named fields.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
_ROOT = Path(__file__).parent / "locales"


def _flatten(prefix: str, data: object, into: dict[str, str]) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, into)
    else:
        into[prefix] = str(data)


@lru_cache(maxsize=None)
def catalogue(locale: str) -> dict[str, str]:
    texts: dict[str, str] = {}
    for path in sorted((_ROOT / locale).glob("*.yaml")):
        _flatten(path.stem, yaml.safe_load(path.read_text(encoding="utf-8")) or {}, texts)
    return texts


def normalise_locale(value: str | None) -> str:
    """Map what a channel reports ("en-US", "zh-hans", None) to one of ours."""
    if not value:
        return DEFAULT_LOCALE
    value = value.lower()
    if value.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def t(locale: str, key: str, **fields: object) -> str:
    """The text for `key` in `locale` (falling back to zh-CN), with `fields` filled in."""
    text = catalogue(locale).get(key) or catalogue(DEFAULT_LOCALE).get(key)
    if text is None:
        raise KeyError(f"no message {key!r} in the catalogues")
    return text.format(**fields) if fields else text
