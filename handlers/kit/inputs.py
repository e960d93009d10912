"""Reading what the owner typed: one place that turns bad input into a polite answer."""

from __future__ import annotations

from dataclasses import dataclass

from cases.when import Problem, Span, When, read_when
from handlers.kit.answers import is_go_ahead, when_label
from handlers.kit.context import Ctx
from handlers.kit.flow import choice
from handlers.kit.i18n import DEFAULT_LOCALE, t
from handlers.kit.messages import Button, Inbound

BACK_WORDS = frozenset({"返回", "上一步", "back", "/back"})
CANCEL_WORDS = frozenset({"取消", "退出", "cancel", "/cancel", "/stop"})
# Words that mean /community (a person in several communities switches between them).
SWITCH_COMMUNITY_WORDS = frozenset({"切换小区", "换小区", "切换社区", "switch community"})
# Staff asking for the duty roster in plain words, in a private chat (the /duty view).
DUTY_WORDS = frozenset({"值班", "排班", "谁值班", "值班表", "排班表", "今天谁值班", "现在谁值班", "duty", "roster",
                        "who is on duty"})
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
    """The whole message is one of `words` (any case; a trailing "?", "。" or "！" ignored)."""
    return inbound.text is not None and inbound.text.strip().rstrip("?？。.!！ ").lower() in words


def said_yes(ctx: Ctx, inbound: Inbound, button: str, hint: str) -> bool:
    """A summary's submit button (its value `button`) or a typed go-ahead ("提交", "好的");
    anything else gets `hint` (a catalogue key) and False."""
    if ctx.picked == button or is_go_ahead(inbound.text):
        return True
    ctx.say(ctx.t(hint))
    return False


def nav_row(ctx: Ctx, *, back: bool = True) -> tuple[Button, ...]:
    """The "返回 / 取消" row shown under every question."""
    row = [choice(ctx, ctx.t("common.back"), NAV_BACK)] if back else []
    return (*row, choice(ctx, ctx.t("common.cancel"), NAV_CANCEL))


def preset_or_typed(ctx: Ctx, inbound: Inbound, presets: tuple[str, ...], key: str, *, max_len: int = 100) -> str | None:
    """A preset button's label (catalogue `key` + "_" + preset) or the owner's own words."""
    if ctx.picked in presets:
        return ctx.t(f"{key}_{ctx.picked}")
    return text_of(ctx, inbound, max_len=max_len)


# ----------------------------------------------------------------- a time, in the owner's words
# A free description of availability ("工作日白天没人，提前打电话") is kept as a note: conditions
# and exceptions are more than one window can say, so they are never squeezed into one.
CONDITION_WORDS = ("工作日", "不在家", "没人", "除了", "之外", "提前", "打电话", "电话联系", "联系我", "先联系", "weekdays",
                   "call me", "except")
AVAILABILITY_WORDS = (*CONDITION_WORDS, "在家", "有人", "at home")


@dataclass(frozen=True)
class TypedTime:
    when: When | None  # None: a note about availability, no window
    text: str          # the owner's words (or the pressed preset's label)

    def shown(self, locale: str = DEFAULT_LOCALE) -> str:
        """The owner's words with the window they were read as: "今天下午（6月1日（周一）13:00–18:00）"."""
        if self.when is None:
            return self.text
        label = when_label(self.when, locale)
        return label if self.text in label else t(locale, "common.when_with_words", words=self.text, window=label)

    def stored(self) -> dict[str, object]:
        return {"window": self.when.to_json()} if self.when is not None else {}


def time_of(ctx: Ctx, inbound: Inbound, *, past: bool = False) -> TypedTime | None:
    """The owner's typed time as a window in the community's zone, or None after a re-ask
    with examples (a free note about availability is kept as it is, looking ahead)."""
    text = text_of(ctx, inbound, max_len=100)
    if text is None:
        return None
    got = read_when(text, ctx.now, ctx.policy.timezone, past=past)
    if isinstance(got, When) and (past or not any(w in text.lower() for w in CONDITION_WORDS)):
        return TypedTime(got, text)
    if not past and (isinstance(got, When) or got == Problem.UNKNOWN) and any(w in text.lower() for w in AVAILABILITY_WORDS):
        ctx.say(ctx.t("common.when_noted", text=text))
        return TypedTime(None, text)
    if past:
        ctx.say(ctx.t("common.past_future" if got == Problem.FUTURE else "common.past_unknown",
                      examples=ctx.t("common.past_examples")))
    else:
        key = {Problem.PAST: "common.when_past", Problem.TOO_FAR: "common.when_too_far"}.get(got, "common.when_unknown")
        ctx.say(ctx.t(key, examples=ctx.t("common.when_examples")))
    return None


def preset_time(ctx: Ctx, words: str, *, past: bool = False) -> When:
    """A time button's meaning ("今天", "这周末") as a window; the desk's own words always read."""
    got = read_when(words, ctx.now, ctx.policy.timezone, past=past)
    return got if isinstance(got, When) else When(Span.ASAP, ctx.now)
