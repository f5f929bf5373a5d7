"""Network quality grades from PeerStats: round trip, loss, and (camera on) frame rate."""

from __future__ import annotations

import pytest

from parley.media.ice import IcePath
from parley.media.stats import PeerStats
from parley.qt.quality import Quality, grade


def stats(state: str = "connected", rtt: float | None = 20.0, loss: float = 0.0,
          fps: float = 30.0, kbps: float = 900.0) -> PeerStats:
    return PeerStats(state, 1, bitrate_kbps=kbps, fps=fps, rtt_ms=rtt, packet_loss=loss)


@pytest.mark.parametrize("given,video_on,expected", [
    (stats(), True, Quality.GOOD),
    (stats(rtt=250), True, Quality.FAIR),
    (stats(rtt=450), True, Quality.POOR),
    (stats(loss=0.05), True, Quality.FAIR),
    (stats(loss=0.12), True, Quality.POOR),
    (stats(fps=15), True, Quality.FAIR),
    (stats(fps=5), True, Quality.POOR),
    (stats(fps=5), False, Quality.GOOD),  # camera off: its black frames are not graded
    (stats(rtt=None), True, Quality.GOOD),  # no receiver report yet
    (stats(state="reconnecting"), True, Quality.POOR),
])
def test_grades(given: PeerStats, video_on: bool, expected: Quality) -> None:
    graded = grade(given, video_on)
    assert graded is not None and graded.quality is expected


def test_nothing_to_grade_before_media_connects() -> None:
    assert grade(stats(state="connecting"), True) is None
    assert grade(stats(state="closed"), True) is None


def test_the_tooltip_line_is_plain_numbers() -> None:
    graded = grade(stats(rtt=12.4, loss=0.0123, fps=29.6), True)
    assert graded is not None
    assert graded.describe() == "Network: good — RTT 12 ms, loss 1.2 %, 30 fps"
    unknown = grade(stats(rtt=None, fps=5), False)
    assert unknown is not None and unknown.describe() == "Network: good — RTT unknown, loss 0.0 %"


def test_the_tooltip_names_the_media_path_when_known() -> None:
    relayed = PeerStats("connected", 1, rtt_ms=30.0, path=IcePath("relay", "srflx", "tcp"))
    graded = grade(relayed, False)
    assert graded is not None
    assert graded.describe() == ("Network: good — RTT 30 ms, loss 0.0 %\n"
                                 "Path: relay over TCP (local relay, remote srflx)")
