"""Which layer of a shared encoder each receiving peer gets: :func:`place`, pure.

A local video track is encoded once (:mod:`.shared`) into at most two layers:

- :attr:`Layer.FULL`: Parley's ladder (:data:`~parley.media.ladder.RUNGS`), its
  target following the *highest* estimate among the peers on it;
- :attr:`Layer.LOW`: the ladder's lowest rungs (320x240@15, 240x180@15, 160x120@10), at most
  :data:`LOW_MAX` bit/s, its target following the *lowest* estimate among the peers
  on it, so that the weakest link is served (and, below the floor, the low layer
  pauses with the ladder's own pause and probe).

A peer leaves the full layer when its video budget falls below :data:`FIT_DOWN` of
the best peer's and comes back when it reaches :data:`FIT_UP` of it; a peer moves at
most once per :data:`LAYER_HOLD` seconds (each move costs a keyframe). A peer on the
low layer receives little, and a receiver's estimate grows to at most 1.5 x what it
receives, so its estimate alone would keep it there: after :data:`PROBE_AFTER`
seconds it tries the full layer, and each try that fails (the peer is back on the low
layer within :data:`PROBE_FAILED` seconds) doubles the wait.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from parley.media.ladder import RUNGS, START_ESTIMATE, Rung, video_budget

LOW_RUNGS: tuple[Rung, ...] = tuple(r for r in RUNGS if r.width <= 320 and r.fps <= 15)
"""The low layer's ladder: 320x240@15, 240x180@15, then 160x120@10 (picked by size and
rate, not by position: rungs are added above them)."""
LOW_MAX = 170_000
"""The highest estimate (bit/s) the low layer's encoder is given (about 150 kbit/s of
video once the ladder's headroom is taken)."""
FIT_DOWN = 0.6
"""A peer on the full layer moves to the low one below this share of the best budget."""
FIT_UP = 0.8
"""A peer on the low layer moves to the full one at this share of the best budget."""
LAYER_HOLD = 3.0
"""Seconds between two moves of the same peer."""
PROBE_AFTER = 10.0
"""Seconds on the low layer before a peer tries the full one ..."""
PROBE_FAILED = 2 * LAYER_HOLD
"""... a try is failed when the peer is moved back down within this many seconds ..."""
PROBE_MAX = 80.0
"""... which doubles the wait, up to this."""
DEFAULT_ESTIMATE = START_ESTIMATE
"""A peer's estimate before its first REMB (the encoder's own start)."""


class Layer(Enum):
    """A quality layer of a shared encoder."""

    FULL = "full"
    LOW = "low"


@dataclass
class Seat:
    """One receiving peer of a shared encoder, as the layer policy sees it."""

    estimate: int = DEFAULT_ESTIMATE
    """The peer's last bandwidth estimate (REMB), bit/s."""
    covers_audio: bool = False
    """The estimate covers audio as well (audio's share is taken off first)."""
    layer: Layer = Layer.FULL
    """The layer the peer receives."""
    moved_at: float = -1e9
    """When the peer last changed layer (seconds, the caller's clock)."""
    probe_wait: float = PROBE_AFTER
    """Seconds on the low layer before its next try of the full one."""
    pinned: bool = False
    """It stays on :attr:`layer` whatever its estimate (an SFU publisher sends each
    layer as a stream of its own: the SFU's subscribers choose)."""

    @property
    def budget(self) -> int:
        """The video budget of the estimate (:func:`~parley.media.ladder.video_budget`)."""
        return video_budget(self.estimate, self.covers_audio)

    def move(self, layer: Layer, now: float) -> None:
        if layer is Layer.LOW and now - self.moved_at < PROBE_FAILED:
            self.probe_wait = min(PROBE_MAX, 2 * self.probe_wait)  # a failed try
        elif layer is Layer.LOW:
            self.probe_wait = PROBE_AFTER
        self.layer, self.moved_at = layer, now


def place(seats: Iterable[Seat], now: float) -> dict[Layer, Seat | None]:
    """Move seats between layers (their ``layer`` and ``moved_at`` change) and return,
    per layer, the seat whose estimate that layer's encoder follows (None: no peer
    receives the layer)."""
    seats = list(seats)
    if not seats:
        return {Layer.FULL: None, Layer.LOW: None}
    best = max(seat.budget for seat in seats)
    for seat in seats:
        held = now - seat.moved_at
        if held < LAYER_HOLD or seat.pinned:
            continue
        if seat.layer is Layer.FULL and seat.budget < FIT_DOWN * best:
            seat.move(Layer.LOW, now)
        elif seat.layer is Layer.LOW and (seat.budget >= FIT_UP * best
                                          or held >= seat.probe_wait):
            seat.move(Layer.FULL, now)
    full = [seat for seat in seats if seat.layer is Layer.FULL]
    low = [seat for seat in seats if seat.layer is Layer.LOW]
    return {Layer.FULL: max(full, key=lambda s: s.budget, default=None),
            Layer.LOW: min(low, key=lambda s: s.budget, default=None)}
