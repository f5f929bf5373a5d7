"""Real-time pacing of generated media: :class:`Pacer`."""

from __future__ import annotations

import asyncio
import time


class Pacer:
    """Waits until the next tick of a fixed period, on the monotonic clock.

    Unlike aiortc's own tracks it never bursts to catch up: when the consumer
    stopped pulling for a while (a paused camera), the schedule restarts from now.
    """

    def __init__(self, period: float) -> None:
        self._period = period
        self._next: float | None = None

    async def wait(self) -> None:
        now = time.monotonic()
        if self._next is None or now - self._next > 2 * self._period:
            self._next = now
        delay = self._next - now
        self._next += self._period
        if delay > 0:
            await asyncio.sleep(delay)
