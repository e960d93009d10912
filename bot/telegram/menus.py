"""Which `setMyCommands` calls publish the command menus we are given.

The texts belong to whoever configures the bot (they come in as a parameter);
this module only knows Telegram's rules: the menu set without a language code is
what every user sees unless a menu for their client's language exists, and
language codes there are two-letter ISO 639-1 codes ("zh", not "zh-CN").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# {"zh-CN": [("start", "开始"), ...], "en": [("start", "Start"), ...]}
CommandMenus = Mapping[str, Sequence[tuple[str, str]]]


def menu_calls(
    menus: CommandMenus, default_language: str = "zh-CN"
) -> list[tuple[str | None, list[tuple[str, str]]]]:
    """(language_code or None for the default menu, commands) for each setMyCommands call."""
    calls: list[tuple[str | None, list[tuple[str, str]]]] = []
    if default_language in menus:
        calls.append((None, _clean(menus[default_language])))
    seen: set[str] = set()
    for language, commands in menus.items():
        code = language.split("-")[0].split("_")[0].lower()
        if code in seen:
            continue
        seen.add(code)
        calls.append((code, _clean(commands)))
    return calls


def _clean(commands: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    # Telegram wants the bare command ("start"), lower case; people write "/Start" in settings.
    return [(command.lstrip("/").lower(), description) for command, description in commands]
