"""Per-connection rate limiting: a token bucket and a flood detector (pure, clock given)."""

from __future__ import annotations

from collections import deque


class TokenBucket:
    """Allows ``rate`` messages per second on average and ``burst`` at once."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._tokens = float(burst)
        self._last = now

    def take(self, now: float) -> bool:
        """Spend one token; False (and nothing spent) when the bucket is empty."""
        elapsed = max(0.0, now - self._last)
        self._last = now
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class FloodWatch:
    """Counts dropped messages; ``drop`` says True once more than ``limit`` fell in ``window`` s."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._drops: deque[float] = deque()

    def drop(self, now: float) -> bool:
        """Record one dropped message; True when the connection keeps flooding."""
        self._drops.append(now)
        while self._drops and self._drops[0] <= now - self.window:
            self._drops.popleft()
        return len(self._drops) > self.limit
