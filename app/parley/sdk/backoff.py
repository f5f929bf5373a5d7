"""Reconnect pacing: first attempt at once, then exponential backoff capped near 1 s."""

from __future__ import annotations

import random
from collections.abc import Iterator


def reconnect_delays(first: float = 0.1, cap: float = 0.8, jitter: float = 0.2,
                     rng: random.Random | None = None) -> Iterator[float]:
    """Yield the wait before each attempt: 0, then first*2^n capped at ``cap``, +-jitter.

    With the defaults no wait exceeds 0.96 s, so a link that comes back is tried
    within about a second.
    """
    rand = rng or random.Random()
    yield 0.0
    delay = first
    while True:
        yield delay * (1.0 + rand.uniform(-jitter, jitter))
        delay = min(cap, delay * 2)
