"""The receiver's bandwidth estimate: aiortc's REMB estimator, a drain bounded in time.

:class:`ParleyRemoteBitrateEstimator` is aiortc's ``RemoteBitrateEstimator`` (the
abs-send-time, receive-side estimator whose REMB the far sender follows), with one rule
changed, in its overuse detector (:class:`DrainBoundDetector`):

- *An underuse lasts at most as long as a queue takes to drain.* The detector reads a
  falling delay (a negative Kalman offset past its threshold) as *underusing*: a queue
  emptying, during which aiortc's rate control holds its estimate. On the 250 kbit/s
  link of ``make bench ARGS=links``, after the start's burst overflowed the 300 ms
  queue, the offset stayed negative for 17 s with no queue left (every packet group's
  arrival delta equal to its send delta), because the filter's gain is small at 10
  groups a second and its noise estimate is updated only while the verdict is normal;
  the verdict alternated underusing / normal, the estimate held at 63 kbit/s, and video
  paused. Here, once the offset has been negative for :data:`MAX_DRAIN_MS` (a 300 ms
  queue drains in about 2 s while the sender sends 0.85 x the link), an underuse
  verdict is reported as normal, so the rate control increases again and the filter's
  noise estimate adapts. A real queue that is still draining then shows as rising
  delay soon enough, and the estimator decreases as upstream's does.

Everything else is upstream's: the grouping, the Kalman filter, the overuse rule, the
AIMD rate control.

The arrival times it is fed are the kernel's (:mod:`.arrival`), not the event loop's:
that was the cause of the estimate's collapse on links with no queue.

Set ``PARLEY_REMB_LOG=1`` to log (logger ``parley.media.estimate``, at INFO) every input
and decision of each video receiver's estimator: per packet the arrival stamp, the
abs-send-time and the size; per packet group the send, arrival and size deltas, the
Kalman offset, the detector's modified trend ``T`` and threshold and its verdict, the
incoming rate; and each REMB.

Why replacing a name: ``RTCRtpReceiver`` builds its estimator in its constructor from
the name ``RemoteBitrateEstimator`` of ``aiortc.rtcrtpreceiver``, with no parameter to
choose it. :func:`install` replaces that one module-level name with
:class:`ParleyRemoteBitrateEstimator`, a subclass of aiortc's own (as :mod:`.jitter`
replaces ``JitterBuffer``); :func:`uninstall` restores upstream. Only the estimator's
public attributes are read, and two of them (``detector``, ``inter_arrival``) replaced
by subclasses of aiortc's own in the constructor.
"""

from __future__ import annotations

import logging
import os

from aiortc import rtcrtpreceiver
from aiortc.rate import (
    TIMESTAMP_TO_MS,
    BandwidthUsage,
    InterArrival,
    InterArrivalDelta,
    OveruseDetector,
    RemoteBitrateEstimator,
)

from parley.media.names import Replaced

logger = logging.getLogger(__name__)
LOG = bool(os.environ.get("PARLEY_REMB_LOG"))
MAX_DRAIN_MS = 2500
"""After the delay has been falling (a negative offset) this long, it is no longer a
queue draining (ms of arrival time)."""


class _SeenInterArrival(InterArrival):
    """aiortc's grouping, keeping the last group's deltas for the log."""

    def __init__(self, group_length: int, timestamp_to_ms: float) -> None:
        super().__init__(group_length, timestamp_to_ms)
        self.last: InterArrivalDelta | None = None

    def compute_deltas(self, timestamp: int, arrival_time: int,
                       packet_size: int) -> InterArrivalDelta | None:
        self.last = super().compute_deltas(timestamp, arrival_time, packet_size)
        return self.last


class DrainBoundDetector(OveruseDetector):
    """aiortc's overuse detector, whose underuse verdicts end :data:`MAX_DRAIN_MS` after
    the offset turned negative."""

    def __init__(self) -> None:
        super().__init__()
        self.falling_since: int | None = None
        """Arrival time (ms) since which the offset has been negative, or None."""
        self.drains_cut = 0
        """Underuse verdicts reported as normal: a diagnostic."""

    def detect(self, offset: float, timestamp_delta_ms: float, num_of_deltas: int,
               now_ms: int) -> BandwidthUsage:
        verdict = super().detect(offset, timestamp_delta_ms, num_of_deltas, now_ms)
        if offset >= 0:
            self.falling_since = None
        elif self.falling_since is None:
            self.falling_since = now_ms
        if verdict == BandwidthUsage.UNDERUSING and self.falling_since is not None \
                and now_ms - self.falling_since > MAX_DRAIN_MS:
            self.hypothesis = verdict = BandwidthUsage.NORMAL
            self.drains_cut += 1
        return verdict


class ParleyRemoteBitrateEstimator(RemoteBitrateEstimator):
    """aiortc's receive-side estimator (abs-send-time, REMB), with
    :class:`DrainBoundDetector`."""

    def __init__(self) -> None:
        super().__init__()
        self.detector = DrainBoundDetector()
        self.log = LOG
        if self.log:
            old = self.inter_arrival
            self.inter_arrival = _SeenInterArrival(old.group_length, old.timestamp_to_ms)

    def add(self, arrival_time_ms: int, abs_send_time: int, payload_size: int,
            ssrc: int) -> tuple[int, list[int]] | None:
        result = super().add(arrival_time_ms, abs_send_time, payload_size, ssrc)
        if self.log:
            self._log(arrival_time_ms, abs_send_time, payload_size, ssrc, result)
        return result

    def _log(self, arrival_ms: int, abs_send_time: int, size: int, ssrc: int,
             result: tuple[int, list[int]] | None) -> None:
        logger.info("remb pkt ssrc=%d arr=%d ast=%d size=%d", ssrc, arrival_ms,
                    abs_send_time, size)
        inter = self.inter_arrival
        delta = inter.last if isinstance(inter, _SeenInterArrival) else None
        if delta is not None:
            offset = self.estimator.offset()
            n = self.estimator.num_of_deltas()
            logger.info("remb grp send=%.2f arr=%d size=%d offset=%.4f T=%.2f thr=%.2f "
                        "state=%s incoming=%s", delta.timestamp * TIMESTAMP_TO_MS,
                        delta.arrival_time, delta.size, offset, min(n, 60) * offset,
                        self.detector.threshold, self.detector.state().name,
                        self.incoming_bitrate.rate(arrival_ms))
        if result is not None:
            logger.info("remb out bitrate=%d state=%s incoming=%s rc=%s near_max=%s", result[0],
                        self.detector.state().name, self.incoming_bitrate.rate(arrival_ms),
                        self.rate_control.state.name, self.rate_control.near_max)


_replaced = Replaced((rtcrtpreceiver, "RemoteBitrateEstimator", ParleyRemoteBitrateEstimator))


def install() -> None:
    """Give every receiver built from now on Parley's estimator (idempotent)."""
    _replaced.install()


def installed() -> bool:
    """Whether receivers get :class:`ParleyRemoteBitrateEstimator`."""
    return _replaced.installed


def uninstall() -> None:
    """Give aiortc back its own estimator (for receivers built from now on)."""
    _replaced.uninstall()
