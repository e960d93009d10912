"""Where flows, case actions and commands announce themselves to the core.

Each flow module registers at import; `handlers.core` imports them all, so adding a
flow is one new file and one import line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers.context import Ctx
from handlers.flow import Flow
from handlers.payloads import CaseAction, Menu, SurveyAnswer

FLOWS: dict[str, Flow] = {}
CASE_ACTIONS: dict[str, Callable[[Ctx, CaseAction], Awaitable[None]]] = {}
MENU_ITEMS: dict[str, Callable[[Ctx, Menu], Awaitable[None]]] = {}
COMMANDS: dict[str, Callable[[Ctx, str], Awaitable[None]]] = {}
SURVEY_ANSWERS: list[Callable[[Ctx, SurveyAnswer], Awaitable[None]]] = []


def register_flow(flow: Flow) -> Flow:
    FLOWS[flow.name] = flow
    return flow


def _registrar(table: dict):  # type: ignore[type-arg,no-untyped-def]
    """A decorator factory filing a handler under one or more names in `table`."""

    def register(*names: str):  # type: ignore[no-untyped-def]
        def decorate(func):  # type: ignore[no-untyped-def]
            for name in names:
                table[name] = func
            return func

        return decorate

    return register


case_action = _registrar(CASE_ACTIONS)
command = _registrar(COMMANDS)
menu_item = _registrar(MENU_ITEMS)
