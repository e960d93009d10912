"""The end of every owner flow that opens a case (a report, a complaint, a booked service):
after the owner's explicit yes (`handlers.kit.inputs.said_yes`), the case is opened and
handed to its team, the flow ends, and the owner is told what happens next: the emergency
advice, or the case number, the team and the time the team answers by.

The case is opened by `services.casework.open_case` through its chat adapter
(`handlers.staff.casework.open_case`, which announces the events: card, alarm).  This lives
with the owner's flows, not in the kit: it uses that adapter and the emergency advice
(`handlers.owner.emergency`), and the kit knows no conversation (tests/unit/test_imports.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cases.codes import Urgency
from cases.lifecycle import Case
from handlers.kit import flow as flows
from handlers.kit.context import Ctx
from handlers.kit.formatting import code_name, local_time
from handlers.owner.emergency import emergency_guidance
from handlers.staff.casework import open_case


async def submit_case(ctx: Ctx, told: str, told_fields: Mapping[str, Any] | None = None, **case: Any) -> Case:
    """Open the case (`case`: open_case's fields), end the flow and tell the owner: the
    emergency advice, or `told` (a catalogue key given id, team, due and `told_fields`)."""
    opened = await open_case(ctx, **case)
    tell_opened(ctx, opened, told, told_fields)
    return opened


def tell_opened(ctx: Ctx, case: Case, told: str, told_fields: Mapping[str, Any] | None = None) -> None:
    """End the flow and tell the owner about the case just opened (a booking opens its own,
    through `services.casework.book_service`, then comes here)."""
    flows.end(ctx)
    if case.urgency == Urgency.EMERGENCY:
        ctx.say(emergency_guidance(ctx, case))
    else:
        ctx.say(ctx.t(told, id=case.id, team=code_name(ctx.locale, "team", case.team_code),
                      due=local_time(case.response_due_at, ctx.policy, ctx.locale), **(told_fields or {})))
