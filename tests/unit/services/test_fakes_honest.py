"""The fake unit of work stays honest: every method it offers exists on the real repository
with the same parameters, so a service that runs on the fake calls the real one the same way."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from storage.bookings import Bookings
from storage.callbacks import Callbacks
from storage.case_repository import CaseRepository
from storage.directory import Directory
from storage.roster_changes import RosterChanges
from storage.uow import UnitOfWork
from tests.unit.fakes import FakeBookings, FakeCallbacks, FakeCases, FakeDirectory, FakeRoster, FakeUnitOfWork

PAIRS = [(FakeCases, CaseRepository), (FakeDirectory, Directory), (FakeCallbacks, Callbacks), (FakeBookings, Bookings),
         (FakeRoster, RosterChanges)]


def _public(cls: type) -> dict[str, object]:
    return {name: member for name, member in vars(cls).items() if not name.startswith("_") and callable(member)}


@pytest.mark.parametrize(("fake", "real"), PAIRS, ids=[p[1].__name__ for p in PAIRS])
def test_every_fake_method_has_the_real_signature(fake: type, real: type) -> None:
    for name, method in _public(fake).items():
        assert hasattr(real, name), f"{fake.__name__}.{name} does not exist on {real.__name__}"
        mine = inspect.signature(method)  # type: ignore[arg-type]
        theirs = inspect.signature(getattr(real, name))
        assert list(mine.parameters) == list(theirs.parameters), f"{name}: {mine} vs {theirs}"
        for p in mine.parameters.values():
            q = theirs.parameters[p.name]
            assert (p.kind, p.default) == (q.kind, q.default), f"{name}({p.name}): {p} vs {q}"
        assert inspect.iscoroutinefunction(method) == inspect.iscoroutinefunction(getattr(real, name)), name


def test_the_fake_unit_of_work_names_its_repositories_as_the_real_one() -> None:
    real = set(UnitOfWork.__annotations__)
    assert set(FakeUnitOfWork.__annotations__) <= real
    assert {"commit", "rollback", "__aenter__", "__aexit__"} <= set(vars(FakeUnitOfWork))


def test_the_services_call_only_what_the_fake_offers() -> None:
    """Every `uow.<repo>.<method>` a service calls exists on the fake (and so, above, on the real one)."""
    fakes = {"cases": FakeCases, "directory": FakeDirectory, "callbacks": FakeCallbacks, "bookings": FakeBookings,
             "roster": FakeRoster}
    root = Path(__file__).resolve().parents[3] / "services"
    missing = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
                    and isinstance(node.value.value, ast.Name) and node.value.value.id == "uow"):
                repo, method = node.value.attr, node.attr
                if repo not in fakes or not hasattr(fakes[repo], method):
                    missing.append(f"{path.name}: uow.{repo}.{method}")
    assert not missing, missing
