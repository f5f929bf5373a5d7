"""Which video a bandwidth estimate affords: :class:`Ladder`, pure (no clock of its own).

The sender's video budget (the receiver's estimate minus audio's reserved share, see
:func:`video_budget`) picks a rung of :data:`RUNGS`. It steps down at once when the
budget falls below a rung's floor, and up only after the budget has stayed above the
next rung's floor (plus a margin) for :data:`UP_HOLD` seconds, so an estimate that
wobbles around a threshold does not flap the resolution (each change costs a keyframe).
Below the last rung's floor, video pauses (:meth:`Ladder.update` returns None) and
resumes by the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rung:
    """One step of the resolution ladder."""

    width: int
    height: int
    fps: int
    floor: int
    """The video budget (bit/s) below which this rung is left for the next one down."""

    def __str__(self) -> str:
        return f"{self.width}x{self.height}@{self.fps}"


RUNGS: tuple[Rung, ...] = (
    Rung(640, 480, 30, 450_000),
    Rung(480, 360, 24, 220_000),
    Rung(320, 240, 15, 110_000),
    Rung(160, 120, 10, 60_000),
)
"""Best first. The floors are where VP8 still gives a watchable picture at that size
and rate with a hard (textured, moving) source."""

VIDEO_FLOOR = RUNGS[-1].floor
"""Below this video budget (bit/s) video pauses: "Video paused: slow connection"."""
VIDEO_MAX = 1_500_000
"""The highest video target (bit/s): aiortc's own ceiling."""
AUDIO_RESERVE = 40_000
"""Audio's share (bit/s), taken off the estimate before video gets any: Opus at 24-32
kbit/s plus its packet overhead."""
HEADROOM = 0.85
"""Video targets this share of what is left after audio: RTP/UDP/IP overhead and
retransmissions (at most 20 % of the target, :mod:`.rtx`) must fit in the rest."""
UP_MARGIN = 1.2
"""Stepping up needs the budget at this multiple of the higher rung's floor."""
UP_HOLD = 2.0
"""... held for this long (seconds)."""


def video_budget(estimate: int) -> int:
    """The video target (bit/s) a total estimate leaves once audio's share is reserved."""
    return min(VIDEO_MAX, max(0, int((estimate - AUDIO_RESERVE) * HEADROOM)))


class Ladder:
    """The rung a video budget affords, with hysteresis on the way up.

    Args:
        rungs: Best first; the default is :data:`RUNGS`.
        top: The best rung allowed (the capture's own size may be smaller than 640x480).
    """

    def __init__(self, rungs: tuple[Rung, ...] = RUNGS, top: int = 0) -> None:
        self.rungs = rungs[top:]
        self.index: int | None = 0
        """The current rung's index in :attr:`rungs`, None while paused."""
        self._better_since: float | None = None

    @property
    def rung(self) -> Rung | None:
        """The current rung, or None while video is paused."""
        return None if self.index is None else self.rungs[self.index]

    def update(self, budget: int, now: float) -> Rung | None:
        """The rung for ``budget`` (bit/s) at time ``now`` (seconds); None = paused."""
        index = self._fitting(budget, 1.0)
        current = len(self.rungs) if self.index is None else self.index
        if index is None or index >= current:  # down at once; or no better
            self._better_since = None
            self.index = index if index is None or index > current else self.index
            return self.rung
        up = self._fitting(budget, UP_MARGIN)
        if up is None or up >= current:
            self._better_since = None
            return self.rung
        if self._better_since is None:
            self._better_since = now
        if now - self._better_since >= UP_HOLD:
            self.index = current - 1  # one step at a time: each step is re-measured
            self._better_since = None
        return self.rung

    def _fitting(self, budget: int, margin: float) -> int | None:
        for index, rung in enumerate(self.rungs):
            if budget >= rung.floor * margin:
                return index
        return None
