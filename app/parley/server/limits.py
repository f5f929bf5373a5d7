"""Rate limiting: a token bucket and a flood detector (pure, clock given)."""

from __future__ import annotations

from collections import deque


class TokenBucket:
    """Allows ``rate`` messages (or bytes) per second on average and ``burst`` at once."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._tokens = float(burst)
        self._last = now

    @property
    def last(self) -> float:
        """When the bucket was last used."""
        return self._last

    def take(self, now: float, cost: float = 1.0) -> bool:
        """Spend ``cost`` tokens; False (and nothing spent) when the bucket holds fewer."""
        elapsed = max(0.0, now - self._last)
        self._last = now
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        if self._tokens >= cost:
            self._tokens -= cost
            return True
        return False


    def give(self, amount: float) -> None:
        """Put back ``amount`` tokens taken for something that did not happen."""
        self._tokens = min(self.burst, self._tokens + amount)


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
