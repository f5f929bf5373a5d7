"""How long silence means "lost": :class:`RtoEstimator`, TCP's retransmission timeout
(RFC 6298) applied to heartbeats. Pure: it is fed round-trip samples and asked for a
timeout; it keeps no clock.

Both heartbeats use it: the signaling link's (the SDK's pings to the call server) and
each peer connection's data-channel heartbeat (``parley.media.heartbeat``). On a healthy
link the timeout is the floor (1.5 s: loss declared within 2 s). On a congested link
that still delivers (a bloated buffer: round trips of a second and more, varying), it
grows to the smoothed round trip plus four times its variation, so a slow pong is not
mistaken for a dead network.
"""

from __future__ import annotations

FLOOR = 1.5
"""Seconds: the timeout never goes below this (Parley's timeout before it adapted)."""
CEILING = 10.0
"""Seconds: nor above this, so that a network that dies while congested is still
declared lost in bounded time."""
ALPHA = 1 / 8
BETA = 1 / 4
K = 4


class RtoEstimator:
    """Smoothed round trip (SRTT), its variation (RTTVAR), and the timeout from them.

    Args:
        floor: The least timeout, seconds.
        ceiling: The greatest timeout, seconds.
    """

    def __init__(self, floor: float = FLOOR, ceiling: float = CEILING) -> None:
        if not 0 < floor <= ceiling:
            raise ValueError(f"need 0 < floor <= ceiling, got {floor}, {ceiling}")
        self.floor = floor
        self.ceiling = ceiling
        self.srtt: float | None = None
        """Smoothed round-trip time, seconds (None before the first sample)."""
        self.rttvar: float | None = None
        """Round-trip variation, seconds."""
        self.samples = 0

    def sample(self, rtt: float) -> None:
        """One measured round trip, seconds (a negative or absurd one is ignored)."""
        if not 0 <= rtt < 60:
            return
        self.samples += 1
        if self.srtt is None or self.rttvar is None:
            self.srtt, self.rttvar = rtt, rtt / 2
            return
        self.rttvar = (1 - BETA) * self.rttvar + BETA * abs(self.srtt - rtt)
        self.srtt = (1 - ALPHA) * self.srtt + ALPHA * rtt

    @property
    def timeout(self) -> float:
        """Seconds of silence after which the other side counts as lost:
        SRTT + 4 x RTTVAR, within [floor, ceiling]."""
        if self.srtt is None or self.rttvar is None:
            return self.floor
        return min(self.ceiling, max(self.floor, self.srtt + K * self.rttvar))
