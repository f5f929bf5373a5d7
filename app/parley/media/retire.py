"""Old connections closed in the background: :class:`Retirer`.

A pair builds its next RTCPeerConnection at once and never waits for the old one to
close: over a relay, closing waits for aioice to delete the TURN allocation, which a
dead link makes it retry for about a minute. Each close is an owned task, bounded by
:data:`CLOSE_TIMEOUT` and logged when slow; :meth:`Retirer.drain` waits for them (the
pair's final close).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

logger = logging.getLogger(__name__)

CLOSE_TIMEOUT = 70.0
"""The longest an old connection's close may take before it is given up (logged): past
aioice's own limit (a TURN deallocation retries for about 63 s)."""
SLOW_CLOSE = 1.0
"""A close that took longer than this is logged."""


class Closable(Protocol):
    generation: int

    async def close(self) -> None: ...


class Retirer:
    """Closes a pair's old links in the background.

    Args:
        spawn: Runs a coroutine as a task its owner keeps (and drains on close).
        label: Who the links belong to, for the log.
    """

    def __init__(self, spawn: Callable[[Coroutine[Any, Any, None], str], asyncio.Task[None]],
                 label: str) -> None:
        self._spawn = spawn
        self._label = label
        self._closing: set[asyncio.Task[None]] = set()

    def retire(self, link: Closable) -> None:
        """Start closing ``link``; returns at once."""
        task = self._spawn(self._close(link), f"{self._label}-close-{link.generation}")
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def drain(self) -> None:
        """Wait until every link retired so far is closed (or given up)."""
        while self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    async def _close(self, link: Closable) -> None:
        started = time.monotonic()
        try:
            await asyncio.wait_for(link.close(), CLOSE_TIMEOUT)
        except TimeoutError:
            logger.warning("%s: closing gen %d took over %.0f s; given up", self._label,
                           link.generation, CLOSE_TIMEOUT)
            return
        elapsed = time.monotonic() - started
        if elapsed > SLOW_CLOSE:
            logger.info("%s: gen %d closed in %.1f s (in the background)", self._label,
                        link.generation, elapsed)
