"""Dispatch bench: the cost of choosing whom to offer a case (cases.dispatch_modes.choose).

    python bench/dispatch.py [--members 300] [--decisions 2000]

Prints the time per round-robin decision with a weekly roster (half the members on duty),
per duty decision at 03:00 on a Sunday, and per building decision; pure code, no database.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cases.dispatch_modes import DispatchConfig, Member, Mode, Rule, choose  # noqa: E402
from cases.roster import Roster  # noqa: E402

ZONE = "Asia/Shanghai"
MONDAY_10AM = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)
SUNDAY_3AM = datetime(2026, 6, 6, 19, 0, tzinfo=timezone.utc)


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--members", type=int, default=300)
    args.add_argument("--decisions", type=int, default=2000)
    opts = args.parse_args()
    members = [Member(i, f"s{i}", "engineering", "engineer") for i in range(opts.members)]
    codes = [m.code for m in members]
    roster = Roster.from_json({"weekly": [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "18:00", "staff": codes[::2]},
        {"days": ["sat"], "from": "20:00", "to": "08:00", "staff": codes[1::50]},
    ], "exceptions": [{"date": "2026-06-01", "away": codes[:10]}]})
    config = DispatchConfig(rules=(Rule(Mode.BUILDING, kind="complaint"), Rule(Mode.ROUND_ROBIN)), cap=5,
                            responsible={"1": {"engineering": codes[-1]}}, roster=roster)
    load = {m.id: m.id % 6 for m in members}
    cases = {
        "round robin, Monday 10:00": dict(kind="report", urgency="normal", now=MONDAY_10AM),
        "duty, Sunday 03:00 emergency": dict(kind="report", urgency="emergency", now=SUNDAY_3AM),
        "building, Monday 10:00": dict(kind="complaint", urgency="normal", now=MONDAY_10AM),
    }
    print(f"{opts.members} members, {opts.decisions} decisions each")
    for label, fields in cases.items():
        def decide() -> None:
            choose(config, category="", team="engineering", building="1", members=members, load=load, zone=ZONE,
                   **fields)  # type: ignore[arg-type]
        seconds = timeit.timeit(decide, number=opts.decisions)
        print(f"  {label:32s} {seconds / opts.decisions * 1e6:8.0f} µs per decision")


if __name__ == "__main__":
    main()
