"""Callbacks an object is given, and how they are called: the one rule for the media
mesh's :class:`~parley.media.events.MeshEvents` and the SDK's listeners.

A callback is a plain function, called on the event loop's thread. A coroutine
function is refused with a TypeError when the callbacks are built (wrap the
coroutine in a task yourself). An exception in a callback is logged and reaches
neither the code that fired the event nor the other callbacks.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

E = TypeVar("E", bound=str)
"""The event names of one set of callbacks: a ``Literal[...]`` of its field names."""


def check_callback(owner: str, name: str, callback: object) -> None:
    """Raise TypeError unless ``callback`` is None or a plain (non-coroutine) callable."""
    if callback is None:
        return
    if not callable(callback):
        raise TypeError(f"{owner}.{name} must be callable, got {callback!r}")
    if inspect.iscoroutinefunction(callback) or inspect.iscoroutinefunction(
        getattr(callback, "__call__", None)  # noqa: B004 - callable objects too
    ):
        raise TypeError(
            f"{owner}.{name} is a coroutine function; callbacks are called synchronously "
            "on the event loop - wrap the coroutine in asyncio.create_task() inside a "
            "plain function instead"
        )


class Callbacks(Generic[E]):
    """Base of a dataclass whose fields are optional callbacks, one per event name.

    The dataclass checks every callback it is built with (:func:`check_callback`), and
    :meth:`emit` takes only the names in ``E``, so mypy catches a misspelt event.
    """

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]  # subclasses are dataclasses
            check_callback(type(self).__name__, f.name, getattr(self, f.name))

    def emit(self, name: E, *args: Any) -> None:
        """Call the callback for ``name``, if set; log (never raise) what it raises."""
        callback = getattr(self, name)
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            log.exception("event=callback_error callback=%s.%s", type(self).__name__, name)
