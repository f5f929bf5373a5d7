"""MediaConfig validates itself; StatsMeter turns getStats reports into rates."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from parley.media import MediaConfig
from parley.media.stats import StatsMeter


@pytest.mark.parametrize(("options", "message"), [
    ({"video_size": (63, 64)}, "video_size must be even and at least 64x64, got (63, 64)"),
    ({"video_size": (641, 480)}, "video_size must be even and at least 64x64, got (641, 480)"),
    ({"fps": 0}, "fps must be 1-60, got 0"), ({"fps": 61}, "fps must be 1-60, got 61"),
    ({"liveness_timeout": 0}, "liveness_timeout must be positive"),
    ({"heartbeat_interval": 2.0}, "heartbeat_interval must be positive and below liveness"),
    ({"heartbeat_interval": 0}, "heartbeat_interval must be positive and below liveness"),
    ({"stall_timeout": 0}, "stall_timeout must be positive"),
    ({"tone_hz": 5.0}, "tone_hz must be 20-20000"),
])
def test_invalid_config_is_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        MediaConfig(**options)  # type: ignore[arg-type]


def _report(received: int, lost: int, octets: int, rtt: float) -> dict[str, object]:
    return {
        "in": SimpleNamespace(type="inbound-rtp", packetsReceived=received, packetsLost=lost),
        "rr": SimpleNamespace(type="remote-inbound-rtp", roundTripTime=rtt),
        "t": SimpleNamespace(type="transport", bytesReceived=octets),
    }


def test_rates_come_from_deltas_between_reports() -> None:
    meter = StatsMeter()
    meter.update(10.0, _report(1000, 0, 1_000_000, 0.010), frames=300)
    meter.update(12.0, _report(1180, 20, 1_125_000, 0.020), frames=360)
    stats = meter.snapshot("connected", 3)
    assert stats.bitrate_kbps == 500.0
    assert stats.fps == 30.0
    assert stats.packet_loss == 0.1
    assert stats.rtt_ms == 20.0
    assert (stats.state, stats.generation) == ("connected", 3)
    meter.reset()
    assert meter.snapshot("connecting", 4).bitrate_kbps == 0.0


def test_audio_counts_are_the_connections_totals() -> None:
    """How intact a participant's audio is: frames decoded, audio packets received and
    lost so far (bench/links.py takes differences); video packets are not counted."""
    meter = StatsMeter()
    report = {
        "video": SimpleNamespace(type="inbound-rtp", kind="video", packetsReceived=900,
                                 packetsLost=40),
        "audio": SimpleNamespace(type="inbound-rtp", kind="audio", packetsReceived=480,
                                 packetsLost=3),
    }
    meter.update(10.0, report, frames=300, audio_frames=476)
    stats = meter.snapshot("connected", 1)
    assert (stats.audio_frames, stats.audio_packets, stats.audio_packets_lost) == (476, 480, 3)
