"""Measured figures of the fault and load runs, for docs/reliability.md.

Tests call ``record(kind, name, figures)``; the figures are merged into
bench/results/<kind>.json (not committed) with the time and the pytest command
line, and ``python -m tests.faults.figures faults|load`` prints them.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"


def summary(values: list[float], digits: int = 3) -> dict[str, Any]:
    """n, p50, p99 (nearest rank), max and mean of ``values``."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    return {"n": len(values), "p50": round(rank(0.50), digits), "p99": round(rank(0.99), digits),
            "max": round(ordered[-1], digits),
            "mean": round(sum(values) / len(values), digits)}


def record(kind: str, name: str, figures: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{kind}.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    data[name] = {**figures, "at": time.strftime("%Y-%m-%d %H:%M:%S"),
                  "argv": " ".join(sys.argv[1:])[-200:]}
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"\n[{kind}] {name}: {json.dumps(figures)}")


def main(argv: list[str]) -> int:
    for kind in argv or ["faults", "load"]:
        path = RESULTS / f"{kind}.json"
        if not path.exists():
            print(f"== {kind}: no figures yet ({path})")
            continue
        print(f"== {kind} ({path})")
        for name, figures in json.loads(path.read_text()).items():
            print(f"  {name}:")
            for key, value in figures.items():
                print(f"    {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
