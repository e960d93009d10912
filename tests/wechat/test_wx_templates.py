"""Which template a reply outside the 48 h window goes out with, and the setting that lists them."""

from __future__ import annotations

import pytest

from bot.wechat.sender import parse_templates, template_kind
from handlers.kit.i18n import catalogue


def test_template_kinds_of_owner_messages() -> None:
    assert template_kind("survey.invite") == "survey"
    assert template_kind("progress.done") == "confirm"
    assert template_kind("progress.accepted") == "progress"
    assert template_kind("notices.urgent") == "urgent"
    assert template_kind("notices.normal") == "notice"
    assert template_kind(None) is None
    assert template_kind("binding.ask") is None  # a conversation step: no template
    # Every progress message an owner can get maps to a template.
    progress = [key for key in catalogue("zh-CN") if key.startswith("progress.")]
    assert progress and all(template_kind(key) in ("progress", "confirm") for key in progress)


def test_templates_setting() -> None:
    assert parse_templates(" progress=T1, survey=T2 ") == {"progress": "T1", "survey": "T2"}
    assert parse_templates("") == {}
    for bad in ("progres=T1", "survey=", "T1"):
        with pytest.raises(ValueError, match="WECHAT_TEMPLATES entry"):
            parse_templates(bad)
