"""Every text exists in both languages, with the same fields to fill in."""

from __future__ import annotations

import string

from handlers.kit.i18n import LOCALES, catalogue


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_locales_have_the_same_keys_and_fields() -> None:
    zh, en = (catalogue(locale) for locale in LOCALES)
    assert zh, "no catalogue loaded"
    assert sorted(set(zh) ^ set(en)) == []
    mismatched = [key for key in zh if fields(zh[key]) != fields(en[key])]
    assert mismatched == []
