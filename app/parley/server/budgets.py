"""What one seat may spend: messages per second, and signalling bytes per target.

A budget belongs to the seat, not to the connection, so a resume (a new
connection for the same seat) does not refill it. Times are the event loop's
monotonic clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parley.protocol.messages import Answer, Candidate, Offer
from parley.server.config import ServerConfig
from parley.server.limits import FloodWatch, TokenBucket


@dataclass
class Budget:
    """Messages for one connection or seat: a token bucket, and the drops it caused."""

    messages: TokenBucket
    flood: FloodWatch

    @classmethod
    def for_config(cls, config: ServerConfig, now: float) -> Budget:
        """A full budget, as ``config`` sizes it."""
        return cls(TokenBucket(config.rate_per_second, config.rate_burst, now),
                   FloodWatch(config.flood_drops, config.flood_window))


@dataclass
class RelayBudget:
    """Signalling bytes one seat may relay: to everybody together, and to each target."""

    config: ServerConfig
    total: TokenBucket
    per_target: dict[str, TokenBucket] = field(default_factory=dict)

    @classmethod
    def for_config(cls, config: ServerConfig, now: float) -> RelayBudget:
        """A full relay budget, as ``config`` sizes it."""
        return cls(config, TokenBucket(config.seat_relay_bytes_per_second,
                                       config.seat_relay_burst_bytes, now))

    def allow(self, target: str, size: int, now: float) -> str | None:
        """Spend ``size`` bytes towards ``target``; None when allowed, else what ran out
        (nothing is spent then)."""
        bucket = self.per_target.get(target)
        if bucket is None:
            bucket = self.per_target[target] = TokenBucket(
                self.config.relay_bytes_per_second, self.config.relay_burst_bytes, now)
        if not bucket.take(now, size):
            return f"too much signalling to {target}"
        if not self.total.take(now, size):
            bucket.give(size)  # the message is not sent: the target's bytes are not spent
            return "too much signalling from this participant"
        return None

    def forget(self, target: str) -> None:
        """``target`` left: its bucket goes (a returning id starts full)."""
        self.per_target.pop(target, None)


def relay_size(message: Offer | Answer | Candidate) -> int:
    """The bytes a relayed message carries (its SDP or candidate, and its ids)."""
    body = message.sdp if isinstance(message, Offer | Answer) else (
        message.candidate + (message.sdp_mid or ""))
    return len(body.encode("utf-8", "surrogatepass")) + 64
