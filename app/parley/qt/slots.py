"""A typed face for qasync's ``asyncSlot`` (qasync ships no type hints)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, cast

from qasync import asyncSlot

P = ParamSpec("P")
AsyncMethod = Callable[P, Coroutine[Any, Any, Any]]


def async_slot(*types: type) -> Callable[[AsyncMethod[P]], Callable[P, asyncio.Task[Any]]]:
    """``@asyncSlot(*types)``: a Qt slot that runs the coroutine as a task on the loop.

    Calling the slot from Python returns that task, so callers (and tests) may await it.
    """
    return cast(Callable[[AsyncMethod[P]], Callable[P, "asyncio.Task[Any]"]], asyncSlot(*types))
