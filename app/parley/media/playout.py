"""How much of a participant's audio the speaker keeps queued: :class:`PlayoutTarget`.

Pure logic (no devices, no clock of its own: the caller passes ``now``), used by the
mixer (:mod:`parley.media.playback`) for every participant. It plays the part of
libwebrtc's NetEq target level, without NetEq's time stretching:

- Every decoded frame's arrival is compared with its media time (``now - pts``, the
  *relative delay*). Over the last :data:`WINDOW` arrivals, how much later than the
  earliest one a frame comes is the network's (and the decoder's, and the event loop's)
  jitter; its :data:`QUANTILE` is what the queue must cover. The device's own pull is
  measured the same way (a device that asks in bursts needs more queued).
- The queue starts (and restarts, after running dry) once it holds one device block
  plus that margin (:attr:`PlayoutTarget.prime`); a backlog beyond that and one frame
  is stale and dropped first (:meth:`PlayoutTarget.starting`).
- Once every :data:`SHRINK_SECONDS`, the smallest level seen before a take
  says how much was never needed; more than the margin by :data:`HYSTERESIS` is
  dropped (:meth:`PlayoutTarget.taken` returns how much), so a burst of jitter that has
  passed does not leave its delay behind.

A calm loopback network thus plays a frame within one device block of its arrival; a
jittery one queues as much as its jitter, up to :data:`MAX_MARGIN`. A gap in media time
of more than :data:`RESTART_AFTER` (a new stream after a reconnection) starts the
measurement over.
"""

from __future__ import annotations

from collections import deque

from parley.media.synthetic import AUDIO_RATE, AUDIO_SAMPLES

WINDOW = 100
"""Arrivals (and device pulls) the jitter is measured over: 2 s of 20 ms frames, NetEq's
history."""
QUANTILE = 0.98
"""The share of arrivals the margin covers. NetEq covers 95 %, but it stretches time
to hide the rest; a frame later than the margin is a hole here, so more is covered."""
SHRINK_SECONDS = 1.0
"""Seconds between looks at how much of the queue went unused."""
HYSTERESIS = AUDIO_RATE // 200
"""Unused queue (5 ms) tolerated above the margin before the excess is dropped."""
MAX_MARGIN = AUDIO_RATE * 3 // 20
"""The most the margin grows to (150 ms), however bad the jitter."""
RESTART_AFTER = 1.0
"""Seconds a relative delay may jump before the measurement starts over."""


IGNORED = round((1 - QUANTILE) * WINDOW)
"""The latest arrivals of a window the margin does not cover (2 of 100): counted on a
full window from the start, so that the burst a sender sends when it starts (what its
track queued before the connection was up) does not set the margin of the first
seconds."""


def _spread(delays: deque[float]) -> float:
    """How much later than the earliest entry the entries are, all but the IGNORED
    latest: the QUANTILE of a full window."""
    if len(delays) < 2:
        return 0.0
    ordered = sorted(delays)
    return ordered[max(0, len(ordered) - 1 - IGNORED)] - ordered[0]


class PlayoutTarget:
    """The queue target of one participant's audio (see the module's docstring).

    Args:
        block: Samples the device takes per pull.
        rate: Samples a second.
    """

    def __init__(self, block: int = AUDIO_SAMPLES, rate: int = AUDIO_RATE) -> None:
        self.block = block
        self.rate = rate
        self._arrivals: deque[float] = deque(maxlen=WINDOW)
        self._pulls: deque[float] = deque(maxlen=WINDOW)
        self._pulled = 0
        self._lowest: int | None = None
        self._takes = 0
        self.shrink_every = max(1, round(SHRINK_SECONDS * rate / block))
        """Device pulls between looks at the unused queue."""
        self.dropped = 0
        """Samples dropped so far to shrink the queue."""

    def arrived(self, now: float, media_time: float) -> None:
        """A decoded frame whose first sample has media time ``media_time`` (seconds)
        was queued at ``now`` (seconds, any monotonic clock)."""
        delay = now - media_time
        if self._arrivals and abs(delay - self._arrivals[-1]) > RESTART_AFTER:
            self._arrivals.clear()
        self._arrivals.append(delay)

    @property
    def network_jitter(self) -> float:
        """Seconds of arrival jitter the margin covers."""
        return _spread(self._arrivals)

    @property
    def device_jitter(self) -> float:
        """Seconds by which the device's pulls stray from an even pace."""
        return _spread(self._pulls)

    @property
    def margin(self) -> int:
        """Samples queued beyond one device block, to ride out the jitter."""
        jitter = self.network_jitter + self.device_jitter
        return min(MAX_MARGIN, round(jitter * self.rate))

    @property
    def prime(self) -> int:
        """Samples to hold before playing starts (or restarts after running dry)."""
        return self.block + self.margin

    def starting(self, queued: int) -> int:
        """The queue starts (or restarts) playing with ``queued`` samples waiting: how
        many to drop from its head first. More than the prime plus one frame is a
        backlog that arrived at once (what a sender queued before its connection was
        up, or a stalled loop's frames): stale, so it is not played late."""
        backlog = queued - self.prime - AUDIO_SAMPLES
        if backlog <= 0:
            return 0
        self.dropped += backlog
        return backlog

    def taken(self, now: float, queued: int, playing: bool) -> int:
        """The device pulls a block at ``now`` with ``queued`` samples waiting;
        ``playing`` says whether this participant's queue is being played (primed).
        Returns how many samples to drop from the head of the queue now (usually 0)."""
        delay = now - self._pulled / self.rate
        if self._pulls and abs(delay - self._pulls[-1]) > RESTART_AFTER:
            self._pulls.clear()
        self._pulls.append(delay)
        self._pulled += self.block
        if not playing:
            self._lowest, self._takes = None, 0
            return 0
        self._lowest = queued if self._lowest is None else min(self._lowest, queued)
        self._takes += 1
        if self._takes < self.shrink_every:
            return 0
        unused = self._lowest - self.block
        self._lowest, self._takes = None, 0
        excess = unused - self.margin
        if excess <= HYSTERESIS:
            return 0
        self.dropped += excess
        return excess
