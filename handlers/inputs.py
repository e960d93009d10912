"""Reading what the owner typed: one place that turns bad input into a polite answer."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.messages import Button, Inbound

BACK_WORDS = frozenset({"返回", "上一步", "back", "/back"})
CANCEL_WORDS = frozenset({"取消", "退出", "cancel", "/cancel", "/stop"})
NAV_BACK, NAV_CANCEL = "_back", "_cancel"


def text_of(ctx: Ctx, inbound: Inbound, *, max_len: int = 500) -> str | None:
    """The typed text, or None after telling the owner what was wrong with it."""
    if inbound.text is None:
        ctx.say(ctx.t("common.need_text"))
        return None
    text = inbound.text.strip()
    if not text:
        ctx.say(ctx.t("common.empty"))
        return None
    if len(text) > max_len:
        ctx.say(ctx.t("common.too_long", limit=max_len, length=len(text)))
        return None
    if not any(ch.isalnum() for ch in text):
        ctx.say(ctx.t("common.no_words"))
        return None
    return text


def is_word(inbound: Inbound, words: frozenset[str]) -> bool:
    return inbound.text is not None and inbound.text.strip().lower() in words


def nav_row(ctx: Ctx, *, back: bool = True) -> tuple[Button, ...]:
    """The "返回 / 取消" row shown under every question."""
    from handlers.flow import choice

    row = [choice(ctx, ctx.t("common.back"), NAV_BACK)] if back else []
    return (*row, choice(ctx, ctx.t("common.cancel"), NAV_CANCEL))


def preset_or_typed(ctx: Ctx, inbound: Inbound, presets: tuple[str, ...], key: str, *, max_len: int = 100) -> str | None:
    """A preset button's label (catalogue `key` + "_" + preset) or the owner's own words."""
    if ctx.picked in presets:
        return ctx.t(f"{key}_{ctx.picked}")
    return text_of(ctx, inbound, max_len=max_len)
