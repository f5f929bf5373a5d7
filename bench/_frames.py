"""What bench/links.py makes of the frames each end saw: the same arithmetic for the
Parley pair and the Chromium pair.

Each end gives a list of (frame number, time): the sender's capture of each frame of the
clip, the receiver's arrival of each frame (number -1 when its stamp was unreadable),
times in seconds on the machine's clock (both ends are on this machine). The clip
loops, so a number comes back every :data:`~bench._clip.CLIP_FRAMES` frames: a frame
received is matched with the latest capture of its number before it, and only when
that capture is less than half a loop old (a frame that took 5 s is no video call; a
capture the sender missed must not make one of 10 s).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from bench._clip import CLIP_SECONDS

Stamped = Sequence[tuple[int, float]]
"""(frame number or -1, seconds) of each frame, in time order."""
FREEZE = 0.5
"""Seconds between two received frames that count as a freeze."""
MATCH_WITHIN = CLIP_SECONDS / 2


def pct(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (nearest rank) of ``values``, None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def glass_to_glass(captured: Stamped, received: Stamped) -> tuple[list[float], int]:
    """Seconds from capture to arrival of each received frame whose stamp was read and
    matched, and how many read stamps found no capture to match."""
    captures: dict[int, list[float]] = {}
    for number, at in captured:
        if number >= 0:
            captures.setdefault(number, []).append(at)
    for times in captures.values():
        times.sort()
    delays, unmatched = [], 0
    for number, at in received:
        if number < 0:
            continue
        times = captures.get(number, [])
        i = bisect.bisect_right(times, at) - 1
        if i < 0 or at - times[i] > MATCH_WITHIN:
            unmatched += 1
        else:
            delays.append(at - times[i])
    return delays, unmatched


def between(frames: Stamped, start: float, end: float) -> list[tuple[int, float]]:
    return [(n, t) for n, t in frames if start <= t < end]


def freezes(arrivals: Sequence[float], start: float, end: float) -> list[float]:
    """The gaps over :data:`FREEZE` between frames in [start, end), counting the one
    from ``start`` to the first frame and from the last to ``end`` (a window with no
    frame is one freeze as long as the window)."""
    times = [start, *sorted(t for t in arrivals if start <= t < end), end]
    return [b - a for a, b in zip(times, times[1:], strict=False) if b - a > FREEZE]


@dataclass(frozen=True)
class Window:
    """One pair's video over one window, from its two ends' frame stamps."""

    fps: float
    """Frames that arrived, a second (readable stamp or not)."""
    intact_fps: float
    """Frames whose stamp was read, a second: a frame decoded from a broken reference
    (garbage where the stamp is) does not count."""
    stamped: float
    """The share of the frames whose stamp was read."""
    g2g_p50_ms: float | None
    g2g_p95_ms: float | None
    freezes: int
    """Gaps over 500 ms (:func:`freezes`)."""
    freezes_per_min: float
    frozen_s: float
    unmatched: int
    """Read stamps with no capture to match (the sender missed seeing that frame)."""

    @classmethod
    def of(cls, captured: Stamped, received: Stamped, start: float,
           end: float) -> Window:
        got = between(received, start, end)
        seconds = end - start
        delays, unmatched = glass_to_glass(captured, got)
        gaps = freezes([t for _, t in got], start, end)
        p50, p95 = pct(delays, 0.5), pct(delays, 0.95)
        readable = sum(1 for n, _ in got if n >= 0)
        return cls(
            fps=round(len(got) / seconds, 1), intact_fps=round(readable / seconds, 1),
            stamped=round(readable / len(got), 3) if got else 0.0,
            g2g_p50_ms=None if p50 is None else round(p50 * 1000, 1),
            g2g_p95_ms=None if p95 is None else round(p95 * 1000, 1),
            freezes=len(gaps), freezes_per_min=round(len(gaps) * 60 / seconds, 1),
            frozen_s=round(sum(gaps), 2), unmatched=unmatched)


def first_after(received: Stamped, at: float) -> float | None:
    """Seconds from ``at`` to the first intact frame (its stamp read) after it."""
    later = [t for n, t in received if t >= at and n >= 0]
    return round(min(later) - at, 2) if later else None


def back_to(received: Stamped, at: float, fps: float, share: float = 0.9,
            span: float = 2.0) -> float | None:
    """Seconds from ``at`` until the intact frame rate is back: the first intact frame
    after ``at`` from which the next ``span`` seconds bring at least ``share`` x ``fps``
    intact frames; None when it never is (within what was recorded)."""
    times = sorted(t for n, t in received if t >= at and n >= 0)
    need = share * fps * span
    last = times[-1] if times else at
    for i, start in enumerate(times):
        if start + span > last:
            break
        if bisect.bisect_left(times, start + span) - i >= need:
            return round(start - at, 2)
    return None
