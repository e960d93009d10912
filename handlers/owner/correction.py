"""The owner corrects what they told: "不对 是主卧" at the photo step, "哦说错了，是餐厅那排插座" at
the room question, "唔係 係主人房嗰部" while the bot asks "看起来您要报事报修…？".  The request goes
on with the correction kept beside the account (in the owner's own words, so staff read both),
never read as a room number, a photo-step hint or something not understood."""

from __future__ import annotations

import re

from handlers.kit import flow as flows
from handlers.kit.context import Ctx
from handlers.owner import talk

_SEP = r"[\s，,。.!！~～、:：…]*"
# "不对", "说错了", "更正：", "唔係"/"唔啱" (Cantonese), after an "哦"/"不好意思"; "不是" alone is not
# one ("不是很急" answers the urgency question).
_LEAD = re.compile(rf"^{_SEP}(?:(?:哦|噢|喔|啊|呃|额|嗯|唉|哎呀|哎|诶|不好意思|抱歉|sorry){_SEP})*"
                   r"(?:不对(?!劲)|说错了|搞错了|弄错了|打错了|写错了|讲错了|讲错|错了|更正|纠正|订正|唔系|唔啱|唔对)" + _SEP)
# Where the account is kept, per flow.
ACCOUNT_KEY = {"router": "text", "report": "description", "complaint": "description"}


def correction(text: str | None) -> bool:
    """Does the message open with a correction and then say what is right ("不对 是主卧")?"""
    if not text:
        return False
    clean = talk._clean(text)
    m = _LEAD.match(clean)
    return bool(m) and sum(ch.isalnum() for ch in clean[m.end():]) >= 2


async def correct(ctx: Ctx, text: str) -> bool:
    """Keep a correction with the account of the request in progress and ask the same question
    again; False when there is no account yet to correct (or the words are no correction)."""
    key = ACCOUNT_KEY.get(ctx.state.flow)
    said = str(ctx.data.get(key) or "") if key else ""
    if not said or not correction(text):
        return False
    if text not in said:
        ctx.data[key] = f"{said}；{text.strip()}"[:500]
    ctx.say(ctx.t("talk.corrected", text=text.strip()[:60]))
    await flows.again(ctx, ctx.routes.flows[ctx.state.flow])
    return True
