"""The desk's route table: which flow, command, menu item, case action or button answers what.

Each sub-package of `handlers` exposes one `Routes` (its `routes.py`), and the one bootstrap
joins them with `include(...)` into the `Desk`, the way aiogram's `dp.include_routers(...)`
does.  Nothing registers itself at import: reading `handlers/<area>/routes.py` shows every
entry of that area, and a test can build a desk with only the routes it needs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from handlers.kit.flow import Flow
from handlers.kit.messages import Button

# Handlers take the step's `Ctx` (typed loosely here: the context module refers to this one).
Command = Callable[[Any, str], Awaitable[None]]
Pressed = Callable[[Any, Any], Awaitable[None]]
Hook = Callable[..., Any]


@dataclass(frozen=True)
class Routes:
    flows: Mapping[str, Flow] = field(default_factory=dict)
    # "/help" → handler(ctx, rest of the line)
    commands: Mapping[str, Command] = field(default_factory=dict)
    # Menu(item) buttons → handler(ctx, payload)
    menu_items: Mapping[str, Pressed] = field(default_factory=dict)
    # CaseAction(action) buttons on cards and case views → handler(ctx, payload)
    case_actions: Mapping[str, Pressed] = field(default_factory=dict)
    # Every other typed button payload, by its class → handler(ctx, payload)
    buttons: Mapping[type, Pressed] = field(default_factory=dict)
    # What an owner's free text goes to outside a command or button (handlers.owner.front),
    # and the two ways a step hands a message back to that front desk: read it as at idle,
    # or go back to the set-aside flow and read it there (after "no danger").
    owner_input: Callable[[Any], Awaitable[None]] | None = None
    idle: Callable[[Any, str | None], Awaitable[None]] | None = None
    carry_on: Callable[[Any, str | None], Awaitable[None]] | None = None
    # The main menu's buttons for this person, shown after a cancel or at the end of a flow.
    main_menu: Callable[[Any], tuple[tuple[Button, ...], ...]] | None = None
    # Start a flow from the menu or a shortcut (binding first when the owner is unknown).
    start_entry: Callable[..., Awaitable[None]] | None = None

    def flow(self, name: str | None) -> Flow | None:
        return self.flows.get(name) if name else None

    def menu(self, ctx: Any) -> tuple[tuple[Button, ...], ...]:
        return self.main_menu(ctx) if self.main_menu else ()


_TABLES = ("flows", "commands", "menu_items", "case_actions", "buttons")


def include(*parts: Routes) -> Routes:
    """One route table from several; a name claimed twice is a mistake caught at start."""
    tables: dict[str, dict[Any, Any]] = {name: {} for name in _TABLES}
    hooks: dict[str, Hook | None] = {f.name: None for f in fields(Routes) if f.name not in _TABLES}
    for part in parts:
        for name in _TABLES:
            for key, value in getattr(part, name).items():
                if key in tables[name]:
                    raise ValueError(f"route {name}[{key!r}] is defined twice")
                tables[name][key] = value
        for name in hooks:
            value = getattr(part, name)
            if value is not None:
                if hooks[name] is not None:
                    raise ValueError(f"route {name} is defined twice")
                hooks[name] = value
    return Routes(**tables, **hooks)


def flows_of(*flows: Flow) -> dict[str, Flow]:
    return {flow.name: flow for flow in flows}
