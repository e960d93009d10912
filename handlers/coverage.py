"""/coverage: how many closed cases of each kind got their callback in the last 30
days, against the policy (complaints and paid services 100%, repairs the configured
rate, never below 90%) — for the supervisors who answer for it."""

from __future__ import annotations

from datetime import timedelta

from cases.codes import Kind, Role
from handlers.context import Ctx
from handlers.formatting import code_name
from handlers.registry import command
from storage.callbacks import Coverage

VIEWERS = frozenset({Role.CS_SUPERVISOR, Role.ENGINEERING_MANAGER, Role.QUALITY_INSPECTOR, Role.MANAGER})
WINDOW = timedelta(days=30)
KINDS = (Kind.REPORT, Kind.COMPLAINT, Kind.SERVICE)


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def _mark(row: Coverage, target: float) -> str:
    """✅ answered at the target; ⏳ on track once the booked callbacks are answered; ⚠️ short."""
    if row.closed == 0:
        return "➖"
    if row.answered / row.closed >= target:
        return "✅"
    if row.booked / row.closed >= target:
        return "⏳"
    return "⚠️"


@command("/coverage")
async def coverage(ctx: Ctx, _: str) -> None:
    """Callback coverage per kind over the last 30 days."""
    staff = await ctx.staff()
    if staff is None or staff.role not in VIEWERS:
        ctx.say(ctx.t("coverage.not_allowed"))
        return
    rows = {row.kind: row for row in await ctx.uow.callbacks.coverage(ctx.community.id, ctx.now - WINDOW)}
    policy = ctx.policy
    lines = [ctx.t("coverage.title", days=WINDOW.days)]
    for kind in KINDS:
        row = rows.get(kind, Coverage(kind, 0, 0, 0))
        target = policy.effective_repair_rate if kind == Kind.REPORT else 1.0
        lines.append(ctx.t(
            "coverage.line", mark=_mark(row, target), kind=code_name(ctx.locale, "kind", kind), closed=row.closed,
            answered=row.answered, answered_pct=_pct(row.answered, row.closed), pending=row.booked - row.answered,
            booked_pct=_pct(row.booked, row.closed), target=f"{target:.0%}",
        ))
    lines.append(ctx.t("coverage.legend", repair=f"{policy.effective_repair_rate:.0%}",
                       configured=f"{policy.repair_callback_rate:.0%}"))
    ctx.say("\n".join(lines))
