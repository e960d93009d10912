"""/coverage: how many closed cases of each kind got their callback in the last 30
days, against the policy (complaints and paid services 100%, repairs the configured
rate, never below 90%) — for the supervisors who answer for it.

Counted exactly as the management report counts it (`cases.statistics.coverage`): a
case is covered when a callback was answered after its latest closing.
"""

from __future__ import annotations

from datetime import timedelta

from cases.codes import Role
from cases.statistics import coverage as coverage_of
from cases.statistics import Coverage
from handlers.kit.context import Ctx
from handlers.kit.formatting import code_name

VIEWERS = frozenset({Role.CS_SUPERVISOR, Role.ENGINEERING_MANAGER, Role.QUALITY_INSPECTOR, Role.MANAGER})
WINDOW = timedelta(days=30)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _mark(row: Coverage) -> str:
    """✅ met; ⏳ met once the callbacks under way are answered; ⚠️ short; ➖ nothing closed."""
    if row.closed == 0:
        return "➖"
    if not row.below_policy:
        return "✅"
    if (row.covered + row.pending) * 10_000 >= round(row.target * 10_000) * row.closed:
        return "⏳"
    return "⚠️"


async def coverage(ctx: Ctx, _: str) -> None:
    """Callback coverage per kind over the last 30 days."""
    staff = await ctx.staff()
    if staff is None or staff.role not in VIEWERS:
        ctx.say(ctx.t("coverage.not_allowed"))
        return
    # The period ends after this very moment: a case closed a second ago counts.
    until = ctx.now + timedelta(seconds=1)
    counts = await ctx.uow.callbacks.coverage(ctx.community.id, until - WINDOW, until)
    policy = ctx.policy
    lines = [ctx.t("coverage.title", days=WINDOW.days)]
    for row in coverage_of(counts, policy):
        lines.append(ctx.t(
            "coverage.line", mark=_mark(row), kind=code_name(ctx.locale, "kind", row.kind), closed=row.closed,
            covered=row.covered, rate=_pct(row.rate), phone=row.by_phone, pending=row.pending, missed=row.missed,
            target=_pct(row.target),
        ))
    lines.append(ctx.t("coverage.legend", repair=_pct(policy.effective_repair_rate),
                       configured=_pct(policy.repair_callback_rate)))
    ctx.say("\n".join(lines))
