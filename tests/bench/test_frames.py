"""bench/_frames.py: glass-to-glass from two ends' frame stamps of a looping clip,
freezes from arrival times, and the time the video takes to come back."""

from __future__ import annotations

import pytest
from bench._frames import Window, back_to, first_after, freezes, glass_to_glass


def _loop(start: float, seconds: float, fps: int = 30, frames: int = 300,
          offset: float = 0.0) -> list[tuple[int, float]]:
    """A looping clip's frames from ``start``, each at its time plus ``offset``."""
    return [(i % frames, start + i / fps + offset) for i in range(int(seconds * fps))]


def test_a_frame_is_matched_with_its_latest_capture_not_the_previous_loop() -> None:
    captured = _loop(1000.0, 35.0)  # the 300 numbers come back three times and a half
    received = _loop(1000.0, 35.0, offset=0.080)
    delays, unmatched = glass_to_glass(captured, received)
    assert unmatched == 0 and len(delays) == len(received)
    assert all(abs(d - 0.080) < 1e-6 for d in delays)


def test_a_frame_whose_capture_was_missed_is_not_matched_with_the_last_loop() -> None:
    captured = [(n, t) for n, t in _loop(1000.0, 20.0) if not (n == 5 and t > 1005)]
    delays, unmatched = glass_to_glass(captured, [(5, 1010.2), (6, 1010.3), (-1, 1010.4)])
    assert unmatched == 1 and [round(d, 3) for d in delays] == [0.1]


def test_freezes_count_gaps_at_the_window_edges_too() -> None:
    assert freezes([10.1, 10.2, 11.0, 11.1], 10.0, 12.0) == pytest.approx([0.8, 0.9])
    assert freezes([], 10.0, 12.0) == [2.0]


def test_a_window_from_both_ends() -> None:
    captured = _loop(1000.0, 20.0)
    received = [(n if i % 10 else -1, t) for i, (n, t) in
                enumerate(_loop(1000.0, 20.0, fps=30, offset=0.05)) if not 300 <= i < 330]
    window = Window.of(captured, received, 1002.0, 1017.0)
    assert window.fps == 28.0  # 450 frames less the 30 of the second that froze
    assert (window.stamped, window.intact_fps) == (0.9, 25.2)
    assert window.g2g_p50_ms == window.g2g_p95_ms == 50.0
    assert (window.freezes, window.freezes_per_min) == (1, 4.0)


def test_the_video_comes_back_when_two_seconds_run_at_nine_tenths_of_the_rate() -> None:
    after = [(0, 100.5)] + [(0, 102.0 + i / 15) for i in range(15)] \
        + [(0, 103.0 + i / 30) for i in range(200)]
    assert first_after(after, 100.0) == 0.5
    # from 103.0 on: 60 frames in 2 s (and from ~102.5, 7 + 54 of them: not yet 54)
    assert back_to(after, 100.0, fps=30.0) is not None
    assert 2.4 <= back_to(after, 100.0, fps=30.0) <= 3.0  # type: ignore[operator]
    assert back_to(after[:20], 100.0, fps=30.0) is None
    broken = [(-1, t) for _, t in after[:16]] + after[16:]  # unreadable: not intact
    assert first_after(broken, 100.0) == 3.0
