"""Real audio devices: a private PulseAudio with a null sink; what Playback plays into
the sink comes back through the sink's monitor into MicrophoneTrack, via sounddevice,
PortAudio and ALSA's pulse plugin (the daemon: tests/media/pulse.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.media.pulse import null_sink_loop, run_child


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A private PulseAudio: a null sink as default sink, its monitor as default source."""
    with null_sink_loop(tmp_path) as env:
        yield env


def test_a_tone_played_into_the_null_sink_comes_back_from_its_monitor(
        pulse: dict[str, str]) -> None:
    measured = run_child(pulse, "tests.media._pulse_probe", "880")
    print(f"\npulse loop: {measured}")
    assert abs(measured["hz"] - 880) < 10, measured
    assert measured["rms"] > 0.05, measured
