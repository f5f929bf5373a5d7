"""Run the benchmarks and print their figures.

    python -m bench              # all of them
    python -m bench join         # one: bench/join.py

Each module under bench/ with a ``main() -> dict`` is a benchmark. Results are
printed and written to bench/results/<name>.json (not committed); the figures
quoted in docs/ name the command that produced them.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)])
                  if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(available())}")
        return 2
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "main"):
            continue
        started = time.monotonic()
        print(f"== {name}", flush=True)
        result = module.main()
        result["seconds"] = round(time.monotonic() - started, 1)
        (out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        for key, value in result.items():
            print(f"   {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
