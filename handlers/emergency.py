"""What an owner is told the moment an emergency is reported: help is coming, and what to do now."""

from __future__ import annotations

from cases.lifecycle import Case
from handlers.context import Ctx

_TIPS = {"plumbing", "electrical", "elevator", "security", "building"}


def emergency_guidance(ctx: Ctx, case: Case) -> str:
    numbers = ctx.policy.emergency_numbers
    tip = ctx.t(f"emergency.tip_{case.category}" if case.category in _TIPS else "emergency.tip_default")
    return ctx.t("emergency.opened", id=case.id, tip=tip, hotline=ctx.policy.hotline or "-",
                 fire=numbers.get("fire", "119"), medical=numbers.get("medical", "120"),
                 police=numbers.get("police", "110"))
