"""The ``long`` marker: long fault and load runs are deselected unless asked for.

``make test`` (a plain ``pytest``) keeps the representative subset of every kind
of fault and load test; ``make faults`` and ``make load`` set ``PARLEY_LONG=1``
and run everything. Deselected tests are listed as such by pytest, not skipped.
"""

from __future__ import annotations

import os

import pytest

LONG_ENV = "PARLEY_LONG"


def register(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"long: a long fault/load run; deselected unless {LONG_ENV}=1 "
                   "(make faults, make load)")


def deselect_long(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the ``long`` tests unless PARLEY_LONG=1."""
    if os.environ.get(LONG_ENV) == "1":
        return
    dropped = [i for i in items if i.get_closest_marker("long")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]
