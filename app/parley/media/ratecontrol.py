"""What keeps the VP8 sender at its target: :class:`FrameDropper` and
:class:`QualityScaler`, pure (the caller's clock, no codec).

libvpx's own rate control keeps a long-run average, but a keyframe (a receiver's PLI,
or the rebuild a rate or size change needs) or content harder than the target allows
puts a burst on the wire that a 300 ms router queue cannot hold. libwebrtc answers
with two parts, and Parley copies their shape:

- :class:`FrameDropper` (libwebrtc's ``FrameDropper`` in media_opt): a leaky bucket
  of the encoder's own output, drained at the target rate. A frame is not encoded
  while the bucket holds more than :data:`DROP_LEVEL` seconds of the target, so what
  goes on the wire stays at the target over a fraction of a second, not only on
  average.
- :class:`QualityScaler` (libwebrtc's ``QualityScaler``): over a window of
  :data:`WINDOW` seconds at one rung, many dropped frames (by libvpx or the dropper)
  or a quantiser near the ceiling say the rung is too big for the rate and the
  content: one step down. A low quantiser with no drops says there is headroom: one
  step up, after :data:`UP_HOLD` seconds, doubled after each step up that had to be
  taken back. A step up of frame rate alone (the same size) needs less headroom
  (:data:`FRAME_RATE_UP_QP`) than one of size (:data:`LOW_QP`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

DROP_LEVEL = 0.15
"""Seconds of the target rate the bucket may hold before frames are dropped (a burst
above it would sit in the bottleneck's queue, as delay)."""
WINDOW = 2.0
"""Seconds of frames at one rung the scaler judges (libwebrtc: 2 s for VP8)."""
DROP_SHARE = 0.5
"""Step down when more than this share of the rung's frames were dropped ..."""
HIGH_QP = 53
"""... or the encoded frames' mean quantiser (libvpx's 0-63 scale; the ceiling Parley
sets is 56) is at least this."""
LOW_QP = 32
"""Step up when the mean quantiser is at most this and almost nothing was dropped:
measured on the hard bench clip, a rung one size up then lands near :data:`HIGH_QP`."""
FRAME_RATE_UP_QP = 49
"""... or, where the rung above differs in frame rate only (480x360@24 -> @30, the 320x240
rungs), at most this: the same rate over a quarter more frames costs a quantiser step or
two, not a size's worth. Measured for 480x360 with the bench's hard clip
(``bench.vp8_rate``, the ladder's floors): @30 holds 51 at 265k, under :data:`HIGH_QP`,
where @24's frames get as many bits as @30's at 330k, about 49. The 320x240 rungs take
the same rule by that arithmetic (a third more frames from @15 to @20), not measured
apart. With :data:`LOW_QP` there, a cap at @24 (an outage's dropped frames, round ten)
held the 450 kbit/s link at 24 fps for the rest of the call: that link's budget never
gives quantiser 32 at that size."""
LOW_DROP_SHARE = 0.05
"""... "almost nothing": at most this share."""
UP_HOLD = 5.0
"""Seconds a quality limit is held before the scaler tries one step up ..."""
UP_HOLD_MAX = 40.0
"""... doubled (up to this) whenever the step up is taken back within
:data:`FAILED_UP` seconds."""
FAILED_UP = 2 * WINDOW + 1.0


class FrameDropper:
    """A leaky bucket of encoded bits, drained at the target rate."""

    def __init__(self, level: float = DROP_LEVEL) -> None:
        self.level = level
        """Seconds of the target the bucket may hold."""
        self.bits = 0.0
        """What the bucket holds now: bits sent beyond the target."""
        self._at: float | None = None

    def admit(self, target: int, now: float) -> bool:
        """Whether a frame may be encoded at ``now`` with a ``target`` (bit/s)."""
        self._drain(target, now)
        return self.bits <= max(1, target) * self.level

    def sent(self, bits: int, target: int, now: float) -> None:
        """The encoder produced ``bits`` at ``now``."""
        self._drain(target, now)
        self.bits += bits

    def reset(self) -> None:
        self.bits, self._at = 0.0, None

    def _drain(self, target: int, now: float) -> None:
        if self._at is not None:
            self.bits = max(0.0, self.bits - target * max(0.0, now - self._at))
        self._at = now


class Verdict(Enum):
    """What the scaler says about the rung it watched."""

    DOWN = "down"
    HOLD = "hold"
    UP = "up"
    UP_FRAME_RATE = "up a frame rate"
    """Headroom for a step of frame rate only (:data:`FRAME_RATE_UP_QP`), not of size."""


@dataclass(frozen=True)
class Sample:
    at: float
    dropped: bool
    """Not sent (the dropper or libvpx dropped it)."""
    qp: int | None = None
    """The encoded frame's quantiser, when known."""


class QualityScaler:
    """The best rung (an index into the ladder, 0 = best) the encoder's output affords.

    The ladder picks a rung by the budget; :attr:`cap` is never better than what the
    quality of the output allows, and the encoder sends at the worse of the two.

    Args:
        rungs: How many rungs the ladder has.
        frame_rate_steps: Per rung, whether the next one down differs in frame rate only
            (:func:`~parley.media.ladder.frame_rate_steps`); such a step up needs only
            :data:`FRAME_RATE_UP_QP`.
    """

    def __init__(self, rungs: int, frame_rate_steps: Sequence[bool] = ()) -> None:
        self.rungs = rungs
        self.frame_rate_steps = tuple(frame_rate_steps)
        """Per rung: the next one down differs in frame rate only."""
        self.cap = 0
        """The best rung index the output quality allows (0: no limit)."""
        self._samples: deque[Sample] = deque()
        self._since: float | None = None
        self._changed_at = -1e9
        self._up_at: float | None = None
        self._up_hold = UP_HOLD

    def reset(self, now: float) -> None:
        """A new rung (or a new encoder): judge it afresh from ``now``."""
        self._samples.clear()
        self._since = now

    def encoded(self, qp: int | None, now: float) -> None:
        """A frame was encoded; ``qp``: its quantiser, if known."""
        self._add(Sample(now, False, qp))

    def dropped(self, now: float) -> None:
        """A frame due at the rung was not sent (the dropper or libvpx dropped it)."""
        self._add(Sample(now, True))

    def verdict(self, now: float) -> Verdict:
        """The verdict on the last :data:`WINDOW` seconds (HOLD until there are that
        many at this rung)."""
        if self._since is None or now - self._since < WINDOW or not self._samples:
            return Verdict.HOLD
        while self._samples and now - self._samples[0].at > WINDOW:
            self._samples.popleft()
        if not self._samples:
            return Verdict.HOLD
        dropped = sum(sample.dropped for sample in self._samples) / len(self._samples)
        qps = [sample.qp for sample in self._samples if sample.qp is not None]
        qp = sum(qps) / len(qps) if qps else None
        if dropped > DROP_SHARE or (qp is not None and qp >= HIGH_QP):
            return Verdict.DOWN
        if dropped > LOW_DROP_SHARE or qp is None or qp > FRAME_RATE_UP_QP:
            return Verdict.HOLD
        return Verdict.UP if qp <= LOW_QP else Verdict.UP_FRAME_RATE

    def update(self, rung: int, now: float) -> int:
        """The cap after judging frames sent at ``rung`` (the index the encoder sends
        at, the worse of the budget's and :attr:`cap`); call once a frame."""
        verdict = self.verdict(now)
        if verdict is Verdict.DOWN and rung < self.rungs - 1:
            if self._up_at is not None and now - self._up_at < FAILED_UP:
                self._up_hold = min(UP_HOLD_MAX, 2 * self._up_hold)
            self._up_at = None
            self.cap = rung + 1
            self._changed_at = now
            self.reset(now)
        elif self._may_step_up(verdict) and rung == self.cap \
                and now - self._changed_at >= self._up_hold:
            self.cap -= 1
            self._changed_at = self._up_at = now
            self.reset(now)
        elif verdict is not Verdict.DOWN and self._up_at is not None \
                and now - self._up_at >= FAILED_UP:
            self._up_at = None  # the step up held
            self._up_hold = UP_HOLD
        return self.cap

    def _may_step_up(self, verdict: Verdict) -> bool:
        if self.cap == 0:
            return False
        frame_rate_only = self.cap - 1 < len(self.frame_rate_steps) and \
            self.frame_rate_steps[self.cap - 1]
        return verdict is Verdict.UP or (verdict is Verdict.UP_FRAME_RATE and frame_rate_only)

    def _add(self, sample: Sample) -> None:
        if self._since is None:
            self._since = sample.at
        self._samples.append(sample)
