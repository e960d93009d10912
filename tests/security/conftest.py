from __future__ import annotations

import pytest

from bot.bootstrap import App
from tests.harness import People


@pytest.fixture
async def people(app: App) -> People:
    return People(app)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The security tier's fuzz counts, in every run's summary (CI logs keep them)."""
    from tests.security.fuzz import RESULTS

    for line in RESULTS:
        terminalreporter.write_line(line)
