"""The security tier's fuzz: a thousand seeded hostile inputs on SQLite, a few hundred
on PostgreSQL, through the real desk; no unhandled error, no unauthorised change, no
owner's full name or unmasked phone in any group message, stranger's chat or log record
(the log scan of tests/conftest.py captures every logger at DEBUG meanwhile).

    WUYE_FUZZ_INPUTS=20000 pytest -q -s tests/security/test_fuzz.py   # a longer run
"""

from __future__ import annotations

import os

from bot.bootstrap import App
from tests.conftest import PrivacyScan, privacy_leaks
from tests.security.fuzz import RESULTS, Fuzz

INPUTS = {"sqlite": int(os.environ.get("WUYE_FUZZ_INPUTS", 1000)), "postgresql": int(os.environ.get("WUYE_FUZZ_INPUTS_PG", 300))}


async def test_hostile_inputs_through_the_desk(app: App, database_url: str, privacy_scan: PrivacyScan | None) -> None:
    assert privacy_scan is not None, "the fuzz needs the log scan (WUYE_PRIVACY_SCAN is off)"
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    seen = {"lines": 0}

    def failed() -> list[str]:  # the desk's "failed to handle" records since the last call
        new = privacy_scan.lines[seen["lines"]:]
        seen["lines"] += len(new)
        return [line for line in new if line.startswith("ERROR wuye.core")]

    fuzz = Fuzz(app, seed=14, errors_logged=failed)
    await fuzz.setup()
    for _ in range(INPUTS[backend]):
        await fuzz.step()
    await fuzz.audit()
    counts = fuzz.counts
    counts.log_leaks = sum(bool(privacy_leaks(line)) for line in privacy_scan.lines)
    RESULTS.append(f"fuzz on {backend}: {counts.line()}; log records scanned {len(privacy_scan.lines)}")
    print(f"\n{RESULTS[-1]}; by kind {dict(counts.kinds)}")
    assert counts.inputs == INPUTS[backend]
    assert (counts.unhandled, counts.unauthorised, counts.leaks) == (0, 0, 0), counts.examples
