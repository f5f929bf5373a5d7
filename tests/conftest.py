"""Shared fixtures: every asyncio loop fails its test on an unhandled exception."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.faults.selection import deselect_long
from tests.faults.selection import register as register_long

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_loop_errors: list[dict[str, Any]] = []


def pytest_configure(config: pytest.Config) -> None:
    register_long(config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselect_long(config, items)  # the long fault/load runs: make faults, make load


def _record(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    _loop_errors.append(context)
    loop.default_exception_handler(context)


def strict_loop() -> asyncio.AbstractEventLoop:
    """A loop that records every exception nobody handled (a failed task never
    awaited, a callback that raised) so the test that caused it fails."""
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_record)
    return loop


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    return {"strict": strict_loop}


@pytest.fixture(autouse=True)
def fail_on_unhandled_loop_errors() -> Iterator[None]:
    """Turn any unhandled exception in an event loop during the test into a failure."""
    _loop_errors.clear()
    yield
    import gc

    gc.collect()  # surface "Task exception was never retrieved" now, not in a later test
    if _loop_errors:
        errors = list(_loop_errors)
        _loop_errors.clear()
        lines = [
            f"{c.get('message')}: {c.get('exception')!r}" for c in errors
        ]
        pytest.fail("unhandled exception(s) in the event loop:\n" + "\n".join(lines))
