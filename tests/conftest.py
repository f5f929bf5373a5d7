"""Shared fixtures: every asyncio loop fails its test on an unhandled exception, and
its UDP endpoints can be cut (tests/udp.py)."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.faults.selection import deselect_long
from tests.faults.selection import register as register_long
from tests.udp import UdpFaultLoop

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The app under test never sends mDNS on a real network (tests/faults/test_lan.py runs
# discovery inside network namespaces only).
os.environ["PARLEY_DISCOVERY"] = "0"

unhandled: list[dict[str, Any]] = []
"""Exception contexts the loops reported during the running test (a test that expects
one clears it)."""


def pytest_configure(config: pytest.Config) -> None:
    register_long(config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselect_long(config, items)  # the long fault/load runs: make faults, make load


def record_unhandled(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The strict loops' exception handler: log as asyncio does, and remember it."""
    unhandled.append(context)
    loop.default_exception_handler(context)


_record = record_unhandled  # the name tests/qt/support.py imports


def strict_loop() -> asyncio.AbstractEventLoop:
    """A loop that records every exception nobody handled (a failed task never
    awaited, a callback that raised) so the test that caused it fails; its UDP
    endpoints obey tests.udp.faults()."""
    loop = UdpFaultLoop()
    loop.set_exception_handler(record_unhandled)
    return loop


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    return {"strict": strict_loop}


@pytest.fixture(autouse=True)
def fail_on_unhandled_loop_errors() -> Iterator[None]:
    """Turn any unhandled exception in an event loop during the test into a failure."""
    unhandled.clear()
    # What the last test left (its fixtures' values outlive its own check) goes now; what
    # is alive then (every collected module's imports, session fixtures) is frozen: left
    # out of the collections below, so that each scans what its own test made, not the
    # whole heap again (that scan made a pure-logic test take seconds on a busy machine).
    gc.collect()
    gc.freeze()
    yield
    gc.collect()  # surface "Task exception was never retrieved" now, not in a later test
    if unhandled:
        errors = list(unhandled)
        unhandled.clear()
        lines = [
            f"{c.get('message')}: {c.get('exception')!r}" for c in errors
        ]
        pytest.fail("unhandled exception(s) in the event loop:\n" + "\n".join(lines))
