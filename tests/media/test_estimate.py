"""The receiver's estimate (aiortc's, with a drain bounded in time), fed packets with their
times: after a queue overflowed and drained (a feed recorded on the 250 kbit/s link), the
estimate climbs again instead of being held at a quarter of the link, which paused video;
a link that never queues is never read as overused; a real bottleneck still brings it
down."""

from __future__ import annotations

from pathlib import Path

from aiortc import rtcrtpreceiver
from aiortc.rate import RemoteBitrateEstimator

from parley.media import estimate
from parley.media.estimate import ParleyRemoteBitrateEstimator

FEED = Path(__file__).parent / "data" / "remb_250k_feed.txt"
FPS = 10
PACKET = 1100


def _ast(ms: float) -> int:
    return int(ms / 1000 * (1 << 18)) & 0xFFFFFF


def feed(est: RemoteBitrateEstimator, rate: int, seconds: float,
         link: int | None) -> list[tuple[float, int]]:
    """Send ``rate`` bit/s for ``seconds`` (a frame every 1/FPS s, its packets back to back)
    through a link of ``link`` bit/s (None: no queue), 20 ms away: the REMBs (arrival ms,
    bit/s)."""
    rembs = []
    per_frame = rate // 8 // FPS
    free_at = 0.0
    for n in range(int(seconds * FPS)):
        sent = n * 1000 / FPS
        left = per_frame
        while left > 0:
            size = min(PACKET, left)
            left -= size
            if link is None:
                arrival = sent + 20
            else:
                free_at = max(free_at, sent) + size * 8 * 1000 / link
                arrival = free_at + 20
            out = est.add(int(arrival), _ast(sent), size, 1234)
            if out is not None:
                rembs.append((arrival, out[0]))
    return rembs


def recorded() -> list[tuple[int, int, int]]:
    """A real feed: the 250 kbit/s link's receiver, after the start overflowed the queue
    (tests/media/data/remb_250k_feed.txt says where it comes from)."""
    rows = []
    for line in FEED.read_text().splitlines():
        if line and not line.startswith("#"):
            arrival, ast, size = map(int, line.split())
            rows.append((arrival, ast, size))
    return rows


def test_after_an_overflow_drained_the_estimate_climbs_again() -> None:
    results = {}
    for cls in (RemoteBitrateEstimator, ParleyRemoteBitrateEstimator):
        est = cls()
        rembs = [out[0] for arrival, ast, size in recorded()
                 if (out := est.add(arrival, ast, size, 1234)) is not None]
        results[cls] = rembs
    upstream, parley = results[RemoteBitrateEstimator], results[ParleyRemoteBitrateEstimator]
    # upstream holds the low estimate to the end (an underuse verdict with no queue left);
    # Parley's climbs once the drain has lasted longer than a queue can
    assert upstream[-1] <= 1.05 * min(upstream[2:])
    assert parley[-1] >= 2 * min(parley[2:])


def test_a_link_without_a_queue_is_never_overused() -> None:
    est = ParleyRemoteBitrateEstimator()
    rembs = feed(est, 200_000, 20.0, None)
    rates = [r for _, r in rembs]
    assert rates and rates == sorted(rates) and rates[0] >= 0.9 * 200_000  # never cut
    assert est.detector.drains_cut == 0  # no drain to cut short


def test_a_real_bottleneck_still_brings_the_estimate_down() -> None:
    est = ParleyRemoteBitrateEstimator()
    rembs = feed(est, 400_000, 6.0, 250_000)
    assert rembs and rembs[-1][1] < 250_000


def test_install_gives_receivers_parley_s_estimator() -> None:
    was = estimate.installed()
    estimate.install()
    try:
        assert isinstance(rtcrtpreceiver.RemoteBitrateEstimator(),  # type: ignore[attr-defined]
                          ParleyRemoteBitrateEstimator)
        estimate.uninstall()
        assert type(rtcrtpreceiver.RemoteBitrateEstimator()) is RemoteBitrateEstimator  # type: ignore[attr-defined]
    finally:
        if was:
            estimate.install()
